package attest_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sign"
)

// TestSignatureErrorNamesKeys: consign's signatures carry no key id hint, so
// a signature failure names, by key id, which of the keys given signed and
// which did not; it is still an ErrSignature (exit 3, its hint).
func TestSignatureErrorNamesKeys(t *testing.T) {
	t.Parallel()
	a, b, c := newSigner(t, "ecdsa"), newSigner(t, "ed25519"), newSigner(t, "ecdsa")
	env := signed(t, statement(t, attest.PredicateLink, "x"), a)
	if got := env.Signatures[0].KeyID; got != "" {
		t.Fatalf("SignStatement wrote keyid %q, want none (see TestDSSEKeyIDSchemesOfPeers)", got)
	}
	tests := []struct {
		name      string
		kr        *attest.Keyring
		threshold int
		want      attest.SignatureError
		wantMsg   string
	}{
		{"one wrong key", keyring(t, b), 1,
			attest.SignatureError{NotSigned: []string{b.KeyID()}, Threshold: 1},
			"verification failed: signature does not match any trusted key: tried the 1 key given, " + b.KeyID()[:12]},
		{"two wrong keys", keyring(t, b, c), 1,
			attest.SignatureError{NotSigned: []string{b.KeyID(), c.KeyID()}, Threshold: 1},
			"verification failed: signature does not match any trusted key: tried all 2 keys given, " + b.KeyID()[:12] + ", " + c.KeyID()[:12]},
		{"threshold not met", keyring(t, b, a), 2,
			attest.SignatureError{Signed: []string{a.KeyID()}, NotSigned: []string{b.KeyID()}, Threshold: 2},
			"verification failed: 1 distinct trusted keys signed, 2 required: signed by " + a.KeyID()[:12] + "; not by " + b.KeyID()[:12]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := attest.VerifyEnvelope(env, tt.kr, attest.VerifyOptions{Threshold: tt.threshold})
			if !errors.Is(err, attest.ErrSignature) || !errors.Is(err, attest.ErrUnverified) {
				t.Fatalf("VerifyEnvelope() = %v, want an ErrSignature", err)
			}
			var se *attest.SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("VerifyEnvelope() = %T, want *SignatureError", err)
			}
			if diff := cmp.Diff(tt.want, *se); diff != "" {
				t.Errorf("SignatureError (-want +got):\n%s", diff)
			}
			if got := err.Error(); got != tt.wantMsg {
				t.Errorf("VerifyEnvelope() error = %q, want %q", got, tt.wantMsg)
			}
		})
	}
}

// TestSignersOfEach: which key made which signature of a two-signature
// envelope, with no key id hint to go on; a changed payload was made by
// no key.
func TestSignersOfEach(t *testing.T) {
	t.Parallel()
	a, b, c := newSigner(t, "ecdsa"), newSigner(t, "ed25519"), newSigner(t, "ecdsa")
	env := signed(t, statement(t, attest.PredicateLink, "x"), a, b)
	items, err := attest.Read(line(t, env), "f.intoto.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	ids := func(each [][]*sign.Verifier) [][]string {
		out := [][]string{}
		for _, vs := range each {
			row := []string{}
			for _, v := range vs {
				row = append(row, v.KeyID())
			}
			out = append(out, row)
		}
		return out
	}
	each, err := items[0].SignersOfEach(keyring(t, c, b, a))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{a.KeyID()}, {b.KeyID()}}, ids(each)); diff != "" {
		t.Errorf("SignersOfEach (-want +got):\n%s", diff)
	}
	each, err = items[0].SignersOfEach(keyring(t, c))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{}, {}}, ids(each)); diff != "" {
		t.Errorf("SignersOfEach(other key) (-want +got):\n%s", diff)
	}
	changed := *items[0].Envelope
	changed.Payload = slices.Concat(changed.Payload, []byte(" "))
	it := attest.Item{Envelope: &changed}
	each, err = it.SignersOfEach(keyring(t, a, b))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([][]string{{}, {}}, ids(each)); diff != "" {
		t.Errorf("SignersOfEach(changed payload) (-want +got):\n%s", diff)
	}
}
