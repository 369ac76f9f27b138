package sign_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/sign"
)

// fuzzKeys are real key files of every kind consign reads: private keys
// (PKCS #8, SEC 1, PKCS #1), public keys (PKIX, PKCS #1) and a certificate.
func fuzzKeys(f *testing.F) [][]byte {
	var out [][]byte
	add := func(typ string, der []byte, err error) {
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
	}
	for _, alg := range []string{sign.ECDSAP256, sign.Ed25519} {
		k, err := sign.Generate(alg)
		if err != nil {
			f.Fatal(err)
		}
		priv, err := sign.MarshalPrivateKeyUnencryptedUnsafe(k)
		if err != nil {
			f.Fatal(err)
		}
		pub, err := sign.MarshalPublicKey(k.Public())
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, priv, pub)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(ec)
	add("EC PRIVATE KEY", sec1, err)
	r := rsaKey()
	add("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(r), nil)
	add("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&r.PublicKey), nil)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz"}, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<31, 0)}
	cert, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ec.PublicKey, ec)
	add("CERTIFICATE", cert, err)
	return out
}

// FuzzParsePublicKey: any input fails with ErrInvalidKey and no key, or
// gives a key consign's policy allows, which marshals and parses back to
// the same key.
func FuzzParsePublicKey(f *testing.F) {
	for _, k := range fuzzKeys(f) {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := sign.ParsePublicKey(data)
		if err != nil {
			if pub != nil || !errors.Is(err, sign.ErrInvalidKey) {
				t.Fatalf("ParsePublicKey = %v, %v; want nil, ErrInvalidKey", pub, err)
			}
			return
		}
		if err := sign.CheckPublicKey(pub); err != nil {
			t.Fatalf("ParsePublicKey gave a key the policy refuses: %v", err)
		}
		roundTripPublic(t, pub)
		v, pemBytes, err := sign.ParseVerifier(data)
		if err != nil || !sign.Equal(v.Public(), pub) {
			t.Fatalf("ParseVerifier disagrees with ParsePublicKey: %v", err)
		}
		if again, err := sign.ParsePublicKey(pemBytes); err != nil || !sign.Equal(again, pub) {
			t.Fatalf("ParseVerifier's PEM does not parse back to the key: %v", err)
		}
		if id, err := sign.KeyID(pub); err != nil || id != v.KeyID() {
			t.Fatalf("ParseVerifier's key id %s, KeyID %s, %v", v.KeyID(), id, err)
		}
	})
}

// FuzzParsePrivateKey: any input fails with a key error and no key, or
// gives a signer whose public key the policy allows and which marshals and
// parses back to the same key. Encrypted keys are not opened (scrypt would
// make every run slow): the password function refuses.
func FuzzParsePrivateKey(f *testing.F) {
	for _, k := range fuzzKeys(f) {
		f.Add(k)
	}
	errNoPass := errors.New("no password in the fuzzer")
	pass := func(bool) ([]byte, error) { return nil, errNoPass }
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := sign.ParsePrivateKey(data, pass)
		if err != nil {
			if k != nil || !(errors.Is(err, sign.ErrInvalidKey) || errors.Is(err, errNoPass)) {
				t.Fatalf("ParsePrivateKey = %v, %v; want nil, ErrInvalidKey", k, err)
			}
			return
		}
		if err := sign.CheckPublicKey(k.Public()); err != nil {
			t.Fatalf("ParsePrivateKey gave a key the policy refuses: %v", err)
		}
		b, err := sign.MarshalPrivateKeyUnencryptedUnsafe(k)
		if err != nil {
			t.Fatalf("MarshalPrivateKeyUnencryptedUnsafe: %v", err)
		}
		again, err := sign.ParsePrivateKey(b, pass)
		if err != nil || !sign.Equal(again.Public(), k.Public()) {
			t.Fatalf("a private key does not round-trip: %v", err)
		}
		roundTripPublic(t, k.Public())
	})
}

func roundTripPublic(t *testing.T, pub crypto.PublicKey) {
	t.Helper()
	b, err := sign.MarshalPublicKey(pub)
	if err != nil {
		t.Fatalf("MarshalPublicKey: %v", err)
	}
	again, err := sign.ParsePublicKey(b)
	if err != nil || !sign.Equal(again, pub) {
		t.Fatalf("a public key does not round-trip: %v", err)
	}
}
