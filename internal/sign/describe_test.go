package sign_test

import (
	"crypto"
	"errors"
	"testing"

	"github.com/consign-dev/consign/internal/sign"
)

func TestDescribe(t *testing.T) {
	k, err := sign.Generate(sign.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := sign.KeyID(k.Public())
	pub, _ := sign.MarshalPublicKey(k.Public())
	plain, _ := sign.MarshalPrivateKeyUnencryptedUnsafe(k)
	enc, err := sign.MarshalPrivateKey(k, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		data     []byte
		wantKind string
		wantID   string
		wantErr  error
	}{
		{"public", pub, "public key", id, nil},
		{"unencrypted private", plain, "UNENCRYPTED private key", id, nil},
		{"encrypted private", enc, "encrypted private key (cosign format)", "that of its .pub file", nil},
		{"not a key", []byte("-----BEGIN NOTHING-----\n-----END NOTHING-----\n"), "", "", sign.ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sign.Describe(tt.data)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Describe = %+v, %v; want %v", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got.Kind != tt.wantKind || got.KeyID != tt.wantID {
				t.Errorf("Describe = %+v, %v; want %q, %q", got, err, tt.wantKind, tt.wantID)
			}
		})
	}
}

func TestNewKeyPair(t *testing.T) {
	for _, pw := range [][]byte{nil, []byte("pw")} {
		var pass sign.PassFunc
		if pw != nil {
			pass = func(bool) ([]byte, error) { return pw, nil }
		}
		kp, err := sign.NewKeyPair(sign.Ed25519, pass)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := sign.ParsePublicKey(kp.Public)
		if err != nil {
			t.Fatal(err)
		}
		if id, _ := sign.KeyID(pub); id != kp.KeyID || kp.Algorithm != sign.Algorithm(pub) {
			t.Errorf("NewKeyPair: key id %s, algorithm %s; the public key says %s, %s", kp.KeyID, kp.Algorithm, id, sign.Algorithm(pub))
		}
		priv, err := sign.ParsePrivateKey(kp.Private, func(bool) ([]byte, error) { return pw, nil })
		if err != nil {
			t.Fatalf("ParsePrivateKey(NewKeyPair(password %q)) = %v", pw, err)
		}
		if !priv.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(pub) {
			t.Errorf("the private key is not the public key's")
		}
		if info, _ := sign.Describe(kp.Private); (pw == nil) != (info.Kind == "UNENCRYPTED private key") {
			t.Errorf("NewKeyPair(password %q) wrote a %s", pw, info.Kind)
		}
	}
	asked := false
	if _, err := sign.NewKeyPair("dsa", func(bool) ([]byte, error) { asked = true; return nil, nil }); !errors.Is(err, sign.ErrUnsupportedKey) || asked {
		t.Errorf("NewKeyPair(dsa) = %v (password asked: %v), want ErrUnsupportedKey before any password", err, asked)
	}
}
