package verify

import (
	"bytes"
	"crypto"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/predicate"
)

// BundleVerifier verifies Sigstore bundles: keyless ones (a DSSE envelope
// signed with a short-lived Fulcio certificate, logged in a transparency
// log) and the log entries of key-signed ones. Verification declares it and
// the caller supplies it (internal/sigstore provides one); without one, no
// Sigstore bundle counts.
//
// VerifyBundle MUST verify bundle completely against trustedRoot (the
// certificate chain to a Fulcio CA of the root, valid at every verified
// time; the SCT; the log entry's proofs and its binding to this envelope,
// signature and certificate; every timestamp), with the envelope's
// statement naming an artifact of SHA-256 subjectSHA256, and a certificate
// that matches at least one of ids (subject, issuer and extensions, regular
// expressions anchored). It returns the certificate's signer and the
// positions in ids it matches, or an error, whose text is the reason the
// report gives, when any of that fails.
//
// VerifyKeyedBundle MUST verify a bundle signed with key just as
// completely against trustedRoot: the signature by key, at least one
// transparency log entry of a log the root names (its signed entry
// timestamp or checkpoint, its inclusion proof, and its binding to this
// envelope, signature and key), every timestamp, and the statement naming
// an artifact of SHA-256 subjectSHA256. It returns the verified time and
// payload, or an error whose text is the reason.
//
// Both MUST be safe for concurrent use.
type BundleVerifier interface {
	VerifyBundle(bundle, trustedRoot, subjectSHA256 []byte, ids []*policy.Identity) (*KeylessSigner, error)
	VerifyKeyedBundle(bundle, trustedRoot, subjectSHA256 []byte, key crypto.PublicKey) (*LoggedBundle, error)
}

// KeylessSigner is who signed a bundle that verified, as its certificate
// says.
type KeylessSigner struct {
	Issuer  string // the OIDC issuer
	Subject string // the certificate's SubjectAlternativeName
	// Matched are the positions of the identities asked for that the
	// certificate matches.
	Matched []int
	// SignedAt is the earliest verified time the signature was observed
	// at (a log's integrated time, a timestamp authority's token).
	SignedAt time.Time
	// Payload is the DSSE payload that verified.
	Payload []byte
}

// identityKey is the signer id a keyless signature counts under: one per
// OIDC issuer and certificate subject, however many certificates or
// bundles that identity has (security case 13 in docs/security.md).
func identityKey(issuer, subject string) string {
	// The issuer's length keeps two pairs from ever sharing a key.
	return "identity " + strconv.Itoa(len(issuer)) + ":" + issuer + " " + subject
}

// rootGroup is the identities of one trusted root, and who holds them.
type rootGroup struct {
	root    *policy.TrustedRoot
	data    []byte // nil when the root was named by digest and not given
	ids     []*policy.Identity
	holders []*policy.Functionary
}

// keylessSet is what keyless verification needs of a policy.
type keylessSet struct {
	verifier BundleVerifier
	groups   []*rootGroup
}

// newKeylessSet groups the policy's identities by trusted root. A root the
// policy names by digest only is taken from given, by its SHA-256; a given
// root the policy does not name is never used.
func newKeylessSet(p *policy.Policy, given [][]byte, v BundleVerifier) *keylessSet {
	ks := &keylessSet{verifier: v}
	byName := map[string]*rootGroup{}
	for _, f := range p.Functionaries {
		for _, id := range f.Identities {
			g := byName[id.TrustedRoot]
			if g == nil {
				r := p.TrustedRoot(id.TrustedRoot)
				if r == nil {
					continue // Parse refuses this
				}
				g = &rootGroup{root: r, data: rootData(r, given)}
				byName[id.TrustedRoot] = g
				ks.groups = append(ks.groups, g)
			}
			g.ids = append(g.ids, id)
			g.holders = append(g.holders, f)
		}
	}
	if len(ks.groups) == 0 {
		return nil
	}
	return ks
}

// keylessCandidate reports whether an item is a Sigstore bundle that no
// policy key signed, which only a keyless identity can make count.
func keylessCandidate(it *item) bool {
	return it.err == nil && len(it.signers) == 0 && it.env != nil && it.bundle
}

// checkKeyless verifies a bundle against the policy's identities, root by
// root. When one or more functionaries' identities match, the item is
// signed by the certificate's identity, at the bundle's verified time;
// otherwise the item's reason says why each root refused it.
func (ks *keylessSet) checkKeyless(it *item) {
	defer func() {
		if r := recover(); r != nil {
			it.err = fmt.Errorf("%w: internal error verifying the bundle: %v", attest.ErrInvalid, r)
			it.signers = nil
		}
	}()
	st, _, err := predicate.ParseStatement(it.env.Payload)
	if st == nil {
		if err == nil {
			err = fmt.Errorf("%w: not an in-toto statement", attest.ErrInvalid)
		}
		it.err = err
		return
	}
	subject := sha256Subject(st)
	if subject == nil {
		it.res.Status, it.res.Reason = StatusUnused, "a keyless bundle's statement needs a sha256 subject"
		return
	}
	var reasons []string
	var signer *KeylessSigner
	var holders []*policy.Functionary
	for _, g := range ks.groups {
		if g.data == nil {
			reasons = append(reasons, fmt.Sprintf("trusted root %s (sha256:%s) was not given", g.root.Name, shortID(g.root.SHA256)))
			continue
		}
		if ks.verifier == nil {
			reasons = append(reasons, "keyless bundles are not verified here")
			continue
		}
		s, err := ks.verifier.VerifyBundle(it.raw, g.data, subject, g.ids)
		if err != nil {
			reasons = append(reasons, fmt.Sprintf("trusted root %s: %v", g.root.Name, err))
			continue
		}
		if signer != nil && (s.Issuer != signer.Issuer || s.Subject != signer.Subject) {
			it.err = fmt.Errorf("%w: the bundle names two signers", attest.ErrInvalid)
			return
		}
		if !bytes.Equal(s.Payload, it.env.Payload) {
			it.err = fmt.Errorf("%w: the payload that verified is not the payload read", attest.ErrInvalid)
			return
		}
		if signer == nil || s.SignedAt.Before(signer.SignedAt) {
			signer = s
		}
		for _, i := range s.Matched {
			if i >= 0 && i < len(g.holders) && !containsFunctionary(holders, g.holders[i]) {
				holders = append(holders, g.holders[i])
			}
		}
	}
	if signer == nil || len(holders) == 0 {
		it.res.Status, it.res.Reason = StatusUnused, "a keyless bundle no functionary's identity accepts: "+strings.Join(reasons, "; ")
		return
	}
	if signer.SignedAt.IsZero() {
		it.res.Status, it.res.Reason = StatusUnused, "a keyless bundle with no verified time"
		return
	}
	it.res.Status, it.res.Reason = "", ""
	if err := it.readContent(); err != nil {
		it.err = err
		return
	}
	it.signers = []signature{{keyID: identityKey(signer.Issuer, signer.Subject), loggedAt: signer.SignedAt,
		identity: &SignerIdentity{Issuer: signer.Issuer, Subject: signer.Subject}, holders: holders}}
}

func containsFunctionary(list []*policy.Functionary, f *policy.Functionary) bool {
	for _, g := range list {
		if g == f {
			return true
		}
	}
	return false
}
