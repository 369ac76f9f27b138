package sign_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/consign-dev/consign/internal/sign"
)

// A message given as a prefix and a body is the message prefix+body
// wherever it is split, and one flipped byte anywhere in either part fails
// the check: ECDSA and RSA hash the parts where they lie, pure Ed25519
// joins them.
func TestVerifyPrefixedMessage(t *testing.T) {
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, edk, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	whole := []byte("DSSEv1 28 application/vnd.in-toto+json 20 {\"_type\":\"x\",\"a\":1}")
	for name, key := range map[string]crypto.Signer{"ecdsa": ek, "ed25519": edk, "rsa": rk} {
		t.Run(name, func(t *testing.T) {
			s, err := sign.NewSigner(key)
			if err != nil {
				t.Fatal(err)
			}
			v, err := sign.NewVerifier(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			sig, err := s.Sign(whole)
			if err != nil {
				t.Fatal(err)
			}
			for cut := 0; cut <= len(whole); cut++ {
				if err := v.VerifyMessage(sign.NewPrefixedMessage(whole[:cut], whole[cut:]), sig); err != nil {
					t.Fatalf("split at %d: VerifyMessage = %v, want nil", cut, err)
				}
			}
			const cut = 39 // inside the head, as PAE's is
			for i := range whole {
				bad := append([]byte(nil), whole...)
				bad[i] ^= 0x01
				if err := v.VerifyMessage(sign.NewPrefixedMessage(bad[:cut], bad[cut:]), sig); err == nil {
					t.Fatalf("byte %d flipped: VerifyMessage = nil, want an error", i)
				}
			}
		})
	}
}
