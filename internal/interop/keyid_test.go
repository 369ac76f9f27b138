package interop

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"testing"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/secure-systems-lab/go-securesystemslib/signerverifier"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sign"
)

// TestDSSEKeyIDSchemesOfPeers records which "keyid" value in a DSSE
// signature each verifier of the ecosystem accepts, given the right public
// key, and so why consign writes an empty keyid (docs/design.md, "Key ids
// in DSSE signatures"). Every peer below narrows the keys it tries by the
// signature's keyid when the keyid is not empty, each by its own scheme:
//
//   - cosign v2 verify-attestation and verify-blob-attestation
//     (pkg/cosign/verify.go, verifyOCIAttestation): a VerifierAdapter with
//     no public key, so no key id of its own: it accepts any keyid;
//   - sigstore-go (pkg/verify/signature.go, verifyEnvelope; cosign's bundle
//     path): a VerifierAdapter with the public key, whose id is then the SSH
//     SHA256 fingerprint (go-securesystemslib dsse.SHA256KeyID);
//   - sigstore's dsse.WrapVerifier: the same SSH fingerprint;
//   - in-toto-golang (in_toto.Envelope.VerifySignature): the
//     securesystemslib key id of the in-toto key (SHA-256 of its canonical
//     JSON), as in-toto's loader computes it.
//
// consign's own key id, the hex SHA-256 of the SPKI, is none of these: a
// signature carrying it would be skipped by all but cosign's OCI path. The
// empty keyid is the only value every peer accepts.
func TestDSSEKeyIDSchemesOfPeers(t *testing.T) {
	t.Parallel()
	kf := consignKey(t, t.TempDir(), "ci", sign.ECDSAP256)
	env, err := attest.SignStatement(testStatement(t), kf.Signer)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	var base ssldsse.Envelope
	if err := json.Unmarshal(raw, &base); err != nil {
		t.Fatal(err)
	}
	sigstoreVerifier, err := signature.LoadVerifier(kf.Public, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	itKey := inTotoKey(t, readFile(t, kf.Pub))
	itVerifier, err := signerverifier.NewECDSASignerVerifierFromSSLibKey(&signerverifier.SSLibKey{
		KeyType: itKey.KeyType, KeyIDHashAlgorithms: itKey.KeyIDHashAlgorithms, KeyID: itKey.KeyID,
		Scheme: itKey.Scheme, KeyVal: signerverifier.KeyVal{Public: itKey.KeyVal.Public},
	})
	if err != nil {
		t.Fatal(err)
	}
	sshID, err := ssldsse.SHA256KeyID(kf.Public)
	if err != nil {
		t.Fatal(err)
	}
	spki := spkiID(t, kf.Public)
	if spki != kf.Signer.KeyID() {
		t.Fatalf("spkiID = %s, consign's key id = %s", spki, kf.Signer.KeyID())
	}

	envelopeVerify := func(v ssldsse.Verifier) func(*ssldsse.Envelope) error {
		return func(e *ssldsse.Envelope) error {
			ev, err := ssldsse.NewEnvelopeVerifier(v)
			if err != nil {
				return err
			}
			_, err = ev.Verify(context.Background(), e)
			return err
		}
	}
	peers := []struct {
		name   string
		verify func(*ssldsse.Envelope) error
		accept map[string]bool // keyid -> accepted
	}{
		{"cosign-verifyOCIAttestation", envelopeVerify(&sigdsse.VerifierAdapter{SignatureVerifier: sigstoreVerifier}),
			map[string]bool{"": true, spki: true, sshID: true, itKey.KeyID: true}},
		{"sigstore-go-verifyEnvelope", envelopeVerify(&sigdsse.VerifierAdapter{SignatureVerifier: sigstoreVerifier, Pub: kf.Public}),
			map[string]bool{"": true, sshID: true}},
		{"sigstore-dsse-WrapVerifier", func(e *ssldsse.Envelope) error {
			b, err := json.Marshal(e)
			if err != nil {
				return err
			}
			return sigdsse.WrapVerifier(sigstoreVerifier).VerifySignature(bytes.NewReader(b), nil)
		}, map[string]bool{"": true, sshID: true}},
		{"in-toto-golang-Envelope.VerifySignature", envelopeVerify(itVerifier),
			map[string]bool{"": true, itKey.KeyID: true}},
	}
	keyIDs := []struct{ scheme, id string }{
		{"empty", ""},
		{"consign SPKI SHA-256 hex", spki},
		{"SSH SHA256 fingerprint", sshID},
		{"securesystemslib key id", itKey.KeyID},
	}
	acceptedByAll := map[string]bool{}
	for _, k := range keyIDs {
		all := true
		for _, p := range peers {
			e := base
			e.Signatures = []ssldsse.Signature{{KeyID: k.id, Sig: base.Signatures[0].Sig}}
			err := p.verify(&e)
			if got, want := err == nil, p.accept[k.id]; got != want {
				t.Errorf("%s with keyid %s (%q): accepted = %v (err %v), want %v", p.name, k.scheme, k.id, got, err, want)
			}
			all = all && err == nil
		}
		acceptedByAll[k.scheme] = all
	}
	if got, want := fmt.Sprint(acceptedByAll), fmt.Sprint(map[string]bool{
		"empty": true, "consign SPKI SHA-256 hex": false, "SSH SHA256 fingerprint": false, "securesystemslib key id": false,
	}); got != want {
		t.Errorf("keyids every peer accepts = %s, want %s", got, want)
	}
	if env.Signatures[0].KeyID != "" {
		t.Errorf("consign wrote keyid %q, want the empty keyid every peer accepts", env.Signatures[0].KeyID)
	}
}
