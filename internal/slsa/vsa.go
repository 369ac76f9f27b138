package slsa

import (
	"crypto/ecdsa"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/predicate"
	"github.com/consign-dev/consign/internal/sign"
)

// ErrVSA is a SLSA Verification Summary that does not verify: no
// signature by the key and key id given, or a summary of something else
// than what was asked.
var ErrVSA = fmt.Errorf("%w: VSA", ErrUnverified)

// VSAConfig is what [VerifyVSA] checks a VSA against: the options of
// slsa-verifier's verify-vsa.
type VSAConfig struct {
	Envelope []byte         // the DSSE envelope holding the VSA statement
	Key      *sign.Verifier // --public-key-path
	KeyID    string         // --public-key-id: the signature's keyid, exactly
	Digests  []string       // --subject-digest: ALG:VALUE, each a subject's
	Verifier string         // --verifier-id, exactly
	Resource string         // --resource-uri, exactly
	Levels   []string       // --verified-level: SLSA_<TRACK>_LEVEL_<N> at least N; others present
}

// VerifyVSA verifies a VSA as slsa-verifier's verify-vsa does: a signature
// over the envelope by cfg.Key whose keyid is cfg.KeyID, then the subject
// digests, verifier id, resource URI, a PASSED result and the levels. It
// returns the verified statement, or an error wrapping [ErrVSA] (or
// package attest's errors for an envelope that does not parse).
func VerifyVSA(cfg VSAConfig) ([]byte, error) {
	env, _, err := attest.ParseEnvelope(cfg.Envelope)
	if err != nil {
		return nil, err
	}
	if !signedBy(env, cfg.Key, cfg.KeyID) {
		return nil, fmt.Errorf("%w: no valid signature by key id %q", ErrVSA, cfg.KeyID)
	}
	st, err := attest.ParseStatement(env.Payload)
	if err != nil {
		return nil, err
	}
	if st.PredicateType != attest.PredicateVSA {
		return nil, fmt.Errorf("%w: predicate type %q", ErrVSA, st.PredicateType)
	}
	v, err := predicate.ParseVSA(st.Predicate)
	if err != nil {
		return nil, err
	}
	if err := checkVSA(st, v, cfg); err != nil {
		return nil, err
	}
	return env.Payload, nil
}

func signedBy(env *attest.Envelope, key *sign.Verifier, keyID string) bool {
	pae := attest.PAE(env.PayloadType, env.Payload)
	for _, s := range env.Signatures {
		if s.KeyID == keyID && (key.Verify(pae, s.Sig) == nil || key.Verify(pae, p1363ToASN1(key, s.Sig)) == nil) {
			return true
		}
	}
	return false
}

func checkVSA(st *attest.Statement, v *predicate.VSA, cfg VSAConfig) error {
	if len(cfg.Digests) == 0 {
		return fmt.Errorf("%w: no subject digest asked for", ErrConfig)
	}
	for _, d := range cfg.Digests {
		alg, val, ok := strings.Cut(d, ":")
		if !ok {
			return fmt.Errorf("%w: subject digest %q is not ALG:VALUE", ErrConfig, d)
		}
		if !hasSubject(st.Subject, alg, val) {
			return fmt.Errorf("%w: subject digest %s not found", ErrVSA, d)
		}
	}
	switch {
	case v.Verifier.ID == "" || v.Verifier.ID != cfg.Verifier:
		return fmt.Errorf("%w: verifier id %q, want %q", ErrVSA, v.Verifier.ID, cfg.Verifier)
	case v.ResourceURI == "" || v.ResourceURI != cfg.Resource:
		return fmt.Errorf("%w: resource URI %q, want %q", ErrVSA, v.ResourceURI, cfg.Resource)
	case v.VerificationResult != predicate.VSAPassed:
		return fmt.Errorf("%w: verification result %q", ErrVSA, v.VerificationResult)
	}
	return checkLevels(v.VerifiedLevels, cfg.Levels)
}

func hasSubject(subjects []attest.Subject, alg, val string) bool {
	for _, s := range subjects {
		if s.Digest[alg] == val {
			return true
		}
	}
	return false
}

// checkLevels requires each SLSA_<TRACK>_LEVEL_<N> asked for to be met by
// a level at least N on that track, and every other level to be present.
func checkLevels(got, want []string) error {
	gotSLSA, err := slsaLevels(got)
	if err != nil {
		return err
	}
	wantSLSA, err := slsaLevels(want)
	if err != nil {
		return err
	}
	for track, n := range wantSLSA {
		if g, ok := gotSLSA[track]; !ok || g < n {
			return fmt.Errorf("%w: SLSA %s level %d wanted, got %d", ErrVSA, track, n, g)
		}
	}
	for _, w := range want {
		if !strings.HasPrefix(w, "SLSA_") && !slices.Contains(got, w) {
			return fmt.Errorf("%w: verified level %q not found", ErrVSA, w)
		}
	}
	return nil
}

// slsaLevels reads SLSA_<TRACK>_LEVEL_<N> levels, the highest per track.
func slsaLevels(levels []string) (map[string]int, error) {
	out := map[string]int{}
	for _, l := range levels {
		if !strings.HasPrefix(l, "SLSA_") {
			continue
		}
		parts := strings.SplitN(l, "_", 4)
		if len(parts) != 4 || parts[2] != "LEVEL" {
			return nil, fmt.Errorf("%w: invalid SLSA level %q", ErrVSA, l)
		}
		n, err := strconv.Atoi(parts[3])
		if err != nil {
			return nil, fmt.Errorf("%w: invalid SLSA level %q", ErrVSA, l)
		}
		out[parts[1]] = max(out[parts[1]], n)
	}
	return out, nil
}

// p1363ToASN1 converts an ECDSA signature written as r||s (IEEE P1363,
// what Google's signing services and sigstore's verifier accept) to the
// ASN.1 form package sign verifies; nil if sig is not that size.
func p1363ToASN1(key *sign.Verifier, sig []byte) []byte {
	pub, ok := key.Public().(*ecdsa.PublicKey)
	if !ok {
		return nil
	}
	n := (pub.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*n {
		return nil
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
	if err != nil {
		return nil
	}
	return der
}
