package sign_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/sign"
)

// Throw-away keys, made once per test binary (RSA generation is slow).
var (
	rsaKey = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	})
	rsa1024Key = sync.OnceValue(func() *rsa.PrivateKey {
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			panic(err)
		}
		return k
	})
)

func ecKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func edKey(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// supportedKeys are one key of every algorithm consign signs and verifies with.
func supportedKeys(t testing.TB) map[string]crypto.Signer {
	return map[string]crypto.Signer{
		"ecdsa-p256": ecKey(t, elliptic.P256()),
		"ecdsa-p384": ecKey(t, elliptic.P384()),
		"ecdsa-p521": ecKey(t, elliptic.P521()),
		"ed25519":    edKey(t),
		"rsa-2048":   rsaKey(),
	}
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("%s = %v, want nil", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Errorf("%s = %v, want an error wrapping %v", what, err, want)
	}
}

func TestGenerate(t *testing.T) {
	tests := []struct {
		alg     string
		want    string
		wantErr error
	}{
		{"", "ecdsa-p256", nil},
		{sign.ECDSAP256, "ecdsa-p256", nil},
		{sign.Ed25519, "ed25519", nil},
		{"rsa", "", sign.ErrUnsupportedKey},
		{"ECDSA-P256", "", sign.ErrUnsupportedKey},
		{"ecdsa-p224", "", sign.ErrUnsupportedKey},
	}
	for _, tt := range tests {
		k, err := sign.Generate(tt.alg)
		wantErr(t, "Generate("+tt.alg+")", err, tt.wantErr)
		if err != nil {
			if k != nil {
				t.Errorf("Generate(%q) returned a key with its error", tt.alg)
			}
			continue
		}
		if got := sign.Algorithm(k.Public()); got != tt.want {
			t.Errorf("Generate(%q) made a %s key, want %s", tt.alg, got, tt.want)
		}
		if err := sign.CheckPublicKey(k.Public()); err != nil {
			t.Errorf("CheckPublicKey(Generate(%q)) = %v", tt.alg, err)
		}
	}
}

func TestSignVerify(t *testing.T) {
	msg := []byte("DSSEv1 28 application/vnd.in-toto+json 2 {}")
	for name, key := range supportedKeys(t) {
		t.Run(name, func(t *testing.T) {
			s, err := sign.NewSigner(key)
			if err != nil {
				t.Fatalf("NewSigner = %v", err)
			}
			v, err := sign.NewVerifier(key.Public())
			if err != nil {
				t.Fatalf("NewVerifier = %v", err)
			}
			if s.KeyID() != v.KeyID() {
				t.Errorf("signer key id %s != verifier key id %s", s.KeyID(), v.KeyID())
			}
			if got := sign.Algorithm(s.Public()); got != name {
				t.Errorf("Algorithm = %q, want %q", got, name)
			}
			sig, err := s.Sign(msg)
			if err != nil {
				t.Fatalf("Sign = %v", err)
			}
			if err := v.Verify(msg, sig); err != nil {
				t.Errorf("Verify(own signature) = %v", err)
			}
			// SignPrefixed signs the concatenation, wherever it is cut.
			for _, cut := range []int{0, 7, len(msg)} {
				psig, err := s.SignPrefixed(msg[:cut], msg[cut:])
				if err != nil {
					t.Fatalf("SignPrefixed = %v", err)
				}
				if err := v.Verify(msg, psig); err != nil {
					t.Errorf("Verify(SignPrefixed cut at %d) = %v", cut, err)
				}
				if err := v.Verify(msg[cut:], psig); cut > 0 && err == nil {
					t.Errorf("SignPrefixed cut at %d verified without its prefix", cut)
				}
			}
			other := append(append([]byte(nil), msg...), '!')
			tests := []struct {
				name     string
				msg, sig []byte
			}{
				{"another message", other, sig},
				{"empty signature", msg, nil},
				{"signature of another message", msg, mustSign(t, s, other)},
				{"signature by another key", msg, mustSign(t, mustSigner(t, edKey(t)), msg)},
			}
			for _, tt := range tests {
				if err := v.Verify(tt.msg, tt.sig); !errors.Is(err, sign.ErrBadSignature) {
					t.Errorf("Verify(%s) = %v, want %v", tt.name, err, sign.ErrBadSignature)
				}
			}
			// Every byte+1 and every truncation of the signature fails, and
			// nothing panics (x/mod note_test style).
			for i := range sig {
				m := append([]byte(nil), sig...)
				m[i]++
				if v.Verify(msg, m) == nil {
					t.Errorf("Verify passed with signature byte %d changed", i)
				}
			}
			for n := range len(sig) {
				if v.Verify(msg, sig[:n]) == nil {
					t.Errorf("Verify passed with the signature cut to %d bytes", n)
				}
			}
			if v.Verify(msg, append(append([]byte(nil), sig...), 0)) == nil {
				t.Errorf("Verify passed with a byte appended to the signature")
			}
		})
	}
}

func mustSigner(t *testing.T, k crypto.Signer) *sign.Signer {
	t.Helper()
	s, err := sign.NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustSign(t *testing.T, s *sign.Signer, msg []byte) []byte {
	t.Helper()
	sig, err := s.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestVerifyAcceptsEd25519phAndRSAPSS(t *testing.T) {
	msg := []byte("a blob")
	ed := edKey(t)
	d := sha512.Sum512(msg)
	ph, err := ed.Sign(rand.Reader, d[:], &ed25519.Options{Hash: crypto.SHA512})
	if err != nil {
		t.Fatal(err)
	}
	v, err := sign.NewVerifier(ed.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(msg, ph); err != nil {
		t.Errorf("Verify(Ed25519ph signature) = %v, want nil", err)
	}
	if err := v.VerifyDigest(crypto.SHA512, d[:], ph); err != nil {
		t.Errorf("VerifyDigest(SHA-512, Ed25519ph) = %v, want nil", err)
	}

	h := sha256.Sum256(msg)
	pss, err := rsa.SignPSS(rand.Reader, rsaKey(), crypto.SHA256, h[:], nil)
	if err != nil {
		t.Fatal(err)
	}
	rv, err := sign.NewVerifier(rsaKey().Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := rv.Verify(msg, pss); err != nil {
		t.Errorf("Verify(RSA-PSS signature) = %v, want nil", err)
	}
}

func TestVerifyDigest(t *testing.T) {
	blob := []byte("artifact bytes")
	d256 := sha256.Sum256(blob)
	d512 := sha512.Sum512(blob)
	ec := ecKey(t, elliptic.P256())
	ecSig, err := ecdsa.SignASN1(rand.Reader, ec, d256[:])
	if err != nil {
		t.Fatal(err)
	}
	rsaSig, err := rsa.SignPKCS1v15(rand.Reader, rsaKey(), crypto.SHA256, d256[:])
	if err != nil {
		t.Fatal(err)
	}
	ed := edKey(t)
	edPlain := ed25519.Sign(ed, blob)
	verifier := func(pub crypto.PublicKey) *sign.Verifier {
		v, err := sign.NewVerifier(pub)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name    string
		v       *sign.Verifier
		h       crypto.Hash
		digest  []byte
		sig     []byte
		wantErr error
	}{
		{"ecdsa sha256", verifier(ec.Public()), crypto.SHA256, d256[:], ecSig, nil},
		{"rsa sha256", verifier(rsaKey().Public()), crypto.SHA256, d256[:], rsaSig, nil},
		{"ecdsa, digest of another blob", verifier(ec.Public()), crypto.SHA256, make([]byte, 32), ecSig, sign.ErrBadSignature},
		{"ecdsa, digest of the wrong size", verifier(ec.Public()), crypto.SHA256, d256[:31], ecSig, sign.ErrBadSignature},
		{"ecdsa, sha512 digest", verifier(ec.Public()), crypto.SHA512, d512[:], ecSig, sign.ErrBadSignature},
		{"unavailable hash", verifier(ec.Public()), crypto.Hash(0), d256[:], ecSig, sign.ErrBadSignature},
		{"empty signature", verifier(ec.Public()), crypto.SHA256, d256[:], nil, sign.ErrBadSignature},
		{"ed25519 cannot have signed a sha256 digest", verifier(ed.Public()), crypto.SHA256, d256[:], edPlain, sign.ErrBadSignature},
		{"pure ed25519 over the blob is no digest signature", verifier(ed.Public()), crypto.SHA512, d512[:], edPlain, sign.ErrBadSignature},
	}
	for _, tt := range tests {
		wantErr(t, "VerifyDigest("+tt.name+")", tt.v.VerifyDigest(tt.h, tt.digest, tt.sig), tt.wantErr)
	}
}

func TestPrivateKeyEncryptedRoundTrip(t *testing.T) {
	key := ecKey(t, elliptic.P256())
	data, err := sign.MarshalPrivateKey(key, []byte("s3cret"))
	if err != nil {
		t.Fatalf("MarshalPrivateKey = %v", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != sign.PEMSigstoreEncrypted {
		t.Fatalf("MarshalPrivateKey wrote %q, want a %q PEM block", data, sign.PEMSigstoreEncrypted)
	}
	if bytes.Contains(data, []byte("PRIVATE KEY-----\nMIG")) {
		t.Errorf("the encrypted key looks like plain PKCS #8")
	}
	calls := 0
	pass := func(pw string) sign.PassFunc {
		return func(confirm bool) ([]byte, error) {
			calls++
			if confirm {
				t.Errorf("PassFunc called with confirm=true when reading a key")
			}
			return []byte(pw), nil
		}
	}
	got, err := sign.ParsePrivateKey(data, pass("s3cret"))
	if err != nil {
		t.Fatalf("ParsePrivateKey(right password) = %v", err)
	}
	if !key.Equal(got) {
		t.Errorf("ParsePrivateKey returned another key")
	}
	// cosign's older block type is read the same way.
	cosignType := pemOf(sign.PEMCosignEncrypted, block.Bytes)
	if k, err := sign.ParsePrivateKey(cosignType, pass("wrong")); !errors.Is(err, sign.ErrWrongPassword) || k != nil {
		t.Errorf("ParsePrivateKey(wrong password) = %v, %v; want nil, %v", k, err, sign.ErrWrongPassword)
	}
	if calls != 2 {
		t.Errorf("PassFunc called %d times, want 2", calls)
	}
	// No PassFunc, or one that fails: no key, the reason kept.
	if _, err := sign.ParsePrivateKey(data, nil); !errors.Is(err, sign.ErrNoPassword) {
		t.Errorf("ParsePrivateKey(no PassFunc) = %v, want %v", err, sign.ErrNoPassword)
	}
	errTTY := errors.New("no terminal")
	if _, err := sign.ParsePrivateKey(data, func(bool) ([]byte, error) { return nil, errTTY }); !errors.Is(err, errTTY) {
		t.Errorf("ParsePrivateKey(failing PassFunc) = %v, want %v", err, errTTY)
	}
	// A box that is not the encrypted container at all.
	if _, err := sign.ParsePrivateKey(pemOf(sign.PEMSigstoreEncrypted, []byte("not json")), pass("s3cret")); !errors.Is(err, sign.ErrInvalidKey) || errors.Is(err, sign.ErrWrongPassword) {
		t.Errorf("ParsePrivateKey(garbage box) = %v, want %v and not a wrong password", err, sign.ErrInvalidKey)
	}
}

func TestParsePrivateKey(t *testing.T) {
	ec := ecKey(t, elliptic.P256())
	pkcs8 := func(k any) []byte {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return pemOf(sign.PEMPrivate, der)
	}
	sec1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	unsafe, err := sign.MarshalPrivateKeyUnencryptedUnsafe(ec)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sign.MarshalPublicKey(ec.Public())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		want    crypto.PublicKey
		wantErr error
	}{
		{"PKCS #8 ECDSA", pkcs8(ec), ec.Public(), nil},
		{"unencrypted, as consign writes it", unsafe, ec.Public(), nil},
		{"SEC 1", pemOf(sign.PEMECPrivate, sec1), ec.Public(), nil},
		{"PKCS #8 Ed25519", pkcs8(edKey(t)), nil, nil},
		{"PKCS #1 RSA", pemOf(sign.PEMRSAPrivate, x509.MarshalPKCS1PrivateKey(rsaKey())), rsaKey().Public(), nil},
		{"PKCS #1 RSA-1024", pemOf(sign.PEMRSAPrivate, x509.MarshalPKCS1PrivateKey(rsa1024Key())), nil, sign.ErrUnsupportedKey},
		{"PKCS #8 P-224", pkcs8(ecKey(t, elliptic.P224())), nil, sign.ErrUnsupportedKey},
		{"public key", pub, nil, sign.ErrNotPrivateKey},
		{"certificate", pemOf(sign.PEMCertificate, selfSigned(t, ec)), nil, sign.ErrNotPrivateKey},
		{"unknown block type", pemOf("OPENSSH PRIVATE KEY", []byte{1, 2, 3}), nil, sign.ErrInvalidKey},
		{"corrupt DER", pemOf(sign.PEMPrivate, []byte{0x30, 0x03, 1, 2}), nil, sign.ErrInvalidKey},
		{"no PEM", []byte("hello"), nil, sign.ErrInvalidKey},
		{"empty", nil, nil, sign.ErrInvalidKey},
		{"two keys", append(pkcs8(ec), pkcs8(ec)...), nil, sign.ErrInvalidKey},
		{"truncated PEM", pkcs8(ec)[:60], nil, sign.ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := sign.ParsePrivateKey(tt.data, func(bool) ([]byte, error) {
				t.Errorf("PassFunc called for an unencrypted input")
				return nil, nil
			})
			wantErr(t, "ParsePrivateKey", err, tt.wantErr)
			if err != nil {
				if k != nil {
					t.Errorf("ParsePrivateKey returned a key with error %v", err)
				}
				return
			}
			if tt.want != nil && !sign.Equal(tt.want, k.Public()) {
				t.Errorf("ParsePrivateKey returned another key")
			}
		})
	}
}

func selfSigned(t *testing.T, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test"}, NotBefore: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestParsePublicKey(t *testing.T) {
	ec := ecKey(t, elliptic.P256())
	pub, err := sign.MarshalPublicKey(ec.Public())
	if err != nil {
		t.Fatal(err)
	}
	unsafe, err := sign.MarshalPrivateKeyUnencryptedUnsafe(ec)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		data    []byte
		want    crypto.PublicKey
		wantErr error
	}{
		{"PKIX", pub, ec.Public(), nil},
		{"PKIX with text around it", append(append([]byte("a comment\n"), pub...), "trailing\n"...), ec.Public(), nil},
		{"certificate", pemOf(sign.PEMCertificate, selfSigned(t, ec)), ec.Public(), nil},
		{"PKCS #1 RSA public key", pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey().PublicKey)), rsaKey().Public(), nil},
		{"private key", unsafe, nil, sign.ErrNotPublicKey},
		{"encrypted private key", pemOf(sign.PEMSigstoreEncrypted, []byte("{}")), nil, sign.ErrNotPublicKey},
		{"two public keys", append(append([]byte(nil), pub...), pub...), nil, sign.ErrInvalidKey},
		{"corrupt DER", pemOf(sign.PEMPublic, []byte("not DER")), nil, sign.ErrInvalidKey},
		{"unknown block type", pemOf("SSH2 PUBLIC KEY", []byte{1}), nil, sign.ErrInvalidKey},
		{"garbage", []byte{0xff, 0x00, 0x17}, nil, sign.ErrInvalidKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := sign.ParsePublicKey(tt.data)
			wantErr(t, "ParsePublicKey", err, tt.wantErr)
			if err != nil {
				if k != nil {
					t.Errorf("ParsePublicKey returned a key with error %v", err)
				}
				return
			}
			if !sign.Equal(tt.want, k) {
				t.Errorf("ParsePublicKey returned another key")
			}
		})
	}
}

func TestKeyID(t *testing.T) {
	keys := supportedKeys(t)
	seen := map[string]string{}
	for name, k := range keys {
		id, err := sign.KeyID(k.Public())
		if err != nil {
			t.Fatalf("KeyID(%s) = %v", name, err)
		}
		der, err := x509.MarshalPKIXPublicKey(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(der)
		if want := hex.EncodeToString(sum[:]); id != want {
			t.Errorf("KeyID(%s) = %s, want the hex SHA-256 of its SPKI %s", name, id, want)
		}
		if prev, dup := seen[id]; dup {
			t.Errorf("KeyID(%s) = KeyID(%s)", name, prev)
		}
		seen[id] = name
		// The same key read back from PEM has the same id.
		data, err := sign.MarshalPublicKey(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		back, err := sign.ParsePublicKey(data)
		if err != nil {
			t.Fatal(err)
		}
		if id2, _ := sign.KeyID(back); id2 != id {
			t.Errorf("KeyID(%s) changed across a PEM round trip: %s, %s", name, id, id2)
		}
		if !sign.Equal(k.Public(), back) {
			t.Errorf("Equal(%s, its PEM round trip) = false", name)
		}
	}
	if _, err := sign.KeyID(nil); !errors.Is(err, sign.ErrInvalidKey) {
		t.Errorf("KeyID(nil) = %v, want %v", err, sign.ErrInvalidKey)
	}
	if sign.Equal(nil, keys["ed25519"].Public()) || sign.Equal(keys["ed25519"].Public(), nil) || sign.Equal(keys["ed25519"].Public(), keys["ecdsa-p256"].Public()) {
		t.Errorf("Equal says different keys are equal")
	}
}

func TestNewSignerAndVerifierRefuseNoKey(t *testing.T) {
	if s, err := sign.NewSigner(nil); !errors.Is(err, sign.ErrInvalidKey) || s != nil {
		t.Errorf("NewSigner(nil) = %v, %v; want nil, %v", s, err, sign.ErrInvalidKey)
	}
	if v, err := sign.NewVerifier(nil); !errors.Is(err, sign.ErrInvalidKey) || v != nil {
		t.Errorf("NewVerifier(nil) = %v, %v; want nil, %v", v, err, sign.ErrInvalidKey)
	}
	if !strings.HasPrefix(sign.Algorithm("not a key"), "string") {
		t.Errorf("Algorithm(non-key) = %q, want its Go type", sign.Algorithm("not a key"))
	}
}

// ParseVerifier gives what ParsePublicKey, NewVerifier and MarshalPublicKey
// give one after the other, and refuses what ParsePublicKey refuses.
func TestParseVerifier(t *testing.T) {
	inputs := map[string][]byte{}
	for name, k := range supportedKeys(t) {
		der, err := x509.MarshalPKIXPublicKey(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		inputs[name] = pemOf(sign.PEMPublic, der)
	}
	ec := ecKey(t, elliptic.P256())
	inputs["certificate"] = pemOf(sign.PEMCertificate, selfSigned(t, ec))
	inputs["PKCS #1 RSA public key"] = pemOf("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rsaKey().PublicKey))
	p256, _ := x509.MarshalPKIXPublicKey(ec.Public())
	inputs["P-256 with its point cut short"] = pemOf(sign.PEMPublic, p256[:len(p256)-1])
	bad := bytes.Clone(p256)
	bad[len(bad)-1] ^= 1 // no longer on the curve
	inputs["P-256 point off the curve"] = pemOf(sign.PEMPublic, bad)
	inputs["corrupt DER"] = pemOf(sign.PEMPublic, []byte("not DER"))
	inputs["garbage"] = []byte{0xff, 0x00, 0x17}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			v, gotPEM, err := sign.ParseVerifier(data)
			pub, wantErr := sign.ParsePublicKey(data)
			if wantErr != nil {
				if err == nil || err.Error() != wantErr.Error() {
					t.Fatalf("ParseVerifier error %v, ParsePublicKey error %v", err, wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := sign.NewVerifier(pub)
			if err != nil {
				t.Fatal(err)
			}
			wantPEM, err := sign.MarshalPublicKey(pub)
			if err != nil {
				t.Fatal(err)
			}
			der, _ := x509.MarshalPKIXPublicKey(pub)
			if v.KeyID() != want.KeyID() || !sign.Equal(v.Public(), pub) {
				t.Errorf("ParseVerifier key id %s, want %s", v.KeyID(), want.KeyID())
			}
			if !bytes.Equal(gotPEM, wantPEM) || !bytes.Equal(wantPEM, pemOf(sign.PEMPublic, der)) {
				t.Errorf("ParseVerifier PEM\n%s\nMarshalPublicKey\n%s\nencoding/pem\n%s", gotPEM, wantPEM, pemOf(sign.PEMPublic, der))
			}
		})
	}
}
