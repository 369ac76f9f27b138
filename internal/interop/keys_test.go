package interop

import (
	"bytes"
	"crypto"
	"encoding/pem"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/consign-dev/consign/internal/sign"
)

func passwordFunc(pw string) func(bool) ([]byte, error) {
	return func(bool) ([]byte, error) { return []byte(pw), nil }
}

// TestConsignKeyFilesLoadInCosign: a key pair written by consign opens in
// cosign with its password, is the same key on both sides (same public key,
// same SPKI key id), and each side verifies what the other signs with it.
func TestConsignKeyFilesLoadInCosign(t *testing.T) {
	t.Parallel()
	msg := []byte("a message signed by one implementation and verified by the other")
	for _, alg := range []string{sign.ECDSAP256, sign.Ed25519} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			kf := consignKey(t, t.TempDir(), "consign", alg)
			privPEM := readFile(t, kf.Priv)
			if block, _ := pem.Decode(privPEM); block == nil || block.Type != cosign.SigstorePrivateKeyPemType {
				t.Fatalf("consign wrote a private key PEM block %v, want type %q", block, cosign.SigstorePrivateKeyPemType)
			}

			// Ed25519 keys load as cosign loads them for verify-blob and
			// attest (Ed25519ph, the default) and as for offline sign-blob
			// (pure Ed25519, no load options).
			loadOpts := map[string]*[]signature.LoadOption{"cosign-default": nil, "no-options": {}}
			for name, opts := range loadOpts {
				sv, err := cosign.LoadPrivateKey(privPEM, []byte(testPassword), opts)
				if err != nil {
					t.Fatalf("cosign.LoadPrivateKey(consign key, %s) = %v", name, err)
				}
				pub, err := sv.PublicKey()
				if err != nil {
					t.Fatalf("cosign: PublicKey() = %v", err)
				}
				if !sign.Equal(kf.Public, pub) {
					t.Fatalf("cosign loaded public key %v, consign's is %v", pub, kf.Public)
				}
				if got, want := spkiID(t, pub), kf.Signer.KeyID(); got != want {
					t.Errorf("key id: cosign side %s, consign side %s", got, want)
				}

				// cosign signs, consign verifies.
				sig, err := sv.SignMessage(bytes.NewReader(msg))
				if err != nil {
					t.Fatalf("cosign SignMessage() = %v", err)
				}
				v, err := sign.NewVerifier(kf.Public)
				if err != nil {
					t.Fatal(err)
				}
				if err := v.Verify(msg, sig); err != nil {
					t.Errorf("%s: consign Verify(cosign's signature) = %v, want nil", name, err)
				}
				if err := v.Verify(append(msg, '!'), sig); !errors.Is(err, sign.ErrBadSignature) {
					t.Errorf("%s: consign Verify(cosign's signature, other message) = %v, want %v", name, err, sign.ErrBadSignature)
				}
			}

			// consign signs, cosign verifies (with the loader cosign uses for
			// a .pub given to verify commands: pure Ed25519, SHA-256 for P-256).
			sig, err := kf.Signer.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			cv, err := signature.LoadVerifier(kf.Public, crypto.SHA256)
			if err != nil {
				t.Fatalf("signature.LoadVerifier() = %v", err)
			}
			if err := cv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(msg)); err != nil {
				t.Errorf("cosign VerifySignature(consign's signature) = %v, want nil", err)
			}
			if err := cv.VerifySignature(bytes.NewReader(sig), bytes.NewReader(append(msg, '!'))); err == nil {
				t.Errorf("cosign VerifySignature(consign's signature, other message) = nil, want an error")
			}

			// The public key file is read by cosign's PEM parser too.
			pub, err := cryptoutils.UnmarshalPEMToPublicKey(readFile(t, kf.Pub))
			if err != nil {
				t.Fatalf("cryptoutils.UnmarshalPEMToPublicKey(consign .pub) = %v", err)
			}
			if !sign.Equal(kf.Public, pub) {
				t.Errorf("cosign read %v from consign's .pub, want %v", pub, kf.Public)
			}

			// Negative control: the wrong password opens nothing in cosign.
			if _, err := cosign.LoadPrivateKey(privPEM, []byte("not the password"), nil); err == nil {
				t.Errorf("cosign.LoadPrivateKey(consign key, wrong password) = nil error, want one")
			}
		})
	}
}

// TestCosignKeyFilesLoadInConsign: key pairs made by cosign (its default
// ECDSA P-256 and Ed25519) open in consign with their password, and consign
// computes the same key id as an independent SPKI hash of cosign's key.
func TestCosignKeyFilesLoadInConsign(t *testing.T) {
	t.Parallel()
	ed, err := signature.GetAlgorithmDetails(protocommon.PublicKeyDetails_PKIX_ED25519)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		algo    *signature.AlgorithmDetails // nil: cosign.GenerateKeyPair, cosign generate-key-pair's default
		wantAlg string
	}{
		{name: "ecdsa-p256-default", algo: nil, wantAlg: "ecdsa-p256"},
		{name: "ed25519", algo: &ed, wantAlg: "ed25519"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var kb *cosign.KeysBytes
			var err error
			if tt.algo == nil {
				kb, err = cosign.GenerateKeyPair(passwordFunc(testPassword))
			} else {
				kb, err = cosign.GenerateKeyPairWithAlgorithm(tt.algo, passwordFunc(testPassword))
			}
			if err != nil {
				t.Fatalf("cosign key generation = %v", err)
			}
			priv, err := sign.ParsePrivateKey(kb.PrivateBytes, func(bool) ([]byte, error) { return []byte(testPassword), nil })
			if err != nil {
				t.Fatalf("sign.ParsePrivateKey(cosign.key) = %v", err)
			}
			pub, err := sign.ParsePublicKey(kb.PublicBytes)
			if err != nil {
				t.Fatalf("sign.ParsePublicKey(cosign.pub) = %v", err)
			}
			if !sign.Equal(priv.Public(), pub) {
				t.Fatalf("consign read a private key whose public half %v is not cosign.pub's %v", priv.Public(), pub)
			}
			if got := sign.Algorithm(pub); got != tt.wantAlg {
				t.Errorf("sign.Algorithm(cosign.pub) = %q, want %q", got, tt.wantAlg)
			}
			cosignPub, err := cryptoutils.UnmarshalPEMToPublicKey(kb.PublicBytes)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sign.KeyID(pub)
			if err != nil {
				t.Fatal(err)
			}
			if want := spkiID(t, cosignPub); got != want {
				t.Errorf("sign.KeyID(cosign.pub) = %s, want %s (SHA-256 of cosign's SPKI)", got, want)
			}
			s, err := sign.NewSigner(priv)
			if err != nil {
				t.Fatal(err)
			}
			if s.KeyID() != got {
				t.Errorf("signer key id %s, public key id %s", s.KeyID(), got)
			}

			// The files also load through consign's CLI (what a user does).
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "cosign.pub"), kb.PublicBytes)
			r := wantExit(t, 0, "inspect", filepath.Join(dir, "cosign.pub"))
			if !bytes.Contains([]byte(r.Stdout), []byte(got)) {
				t.Errorf("consign inspect cosign.pub does not show key id %s:\n%s", got, r.Stdout)
			}

			// Negative control: the wrong password is reported as such.
			if _, err := sign.ParsePrivateKey(kb.PrivateBytes, func(bool) ([]byte, error) { return []byte("wrong"), nil }); !errors.Is(err, sign.ErrWrongPassword) {
				t.Errorf("sign.ParsePrivateKey(cosign.key, wrong password) = %v, want %v", err, sign.ErrWrongPassword)
			}
		})
	}
}
