package sign_test

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/consign-dev/consign/internal/sign"
)

// spki encodes a SubjectPublicKeyInfo by hand, for keys the x509 package
// will not marshal (DSA, secp256k1, malformed Ed25519).
func spki(t *testing.T, oid asn1.ObjectIdentifier, params any, key []byte) []byte {
	t.Helper()
	alg := pkix.AlgorithmIdentifier{Algorithm: oid}
	if params != nil {
		p, err := asn1.Marshal(params)
		if err != nil {
			t.Fatal(err)
		}
		alg.Parameters = asn1.RawValue{FullBytes: p}
	}
	der, err := asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}{alg, asn1.BitString{Bytes: key, BitLength: 8 * len(key)}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// oddNumber is a random odd number of exactly bits bits: an RSA modulus as
// far as a key-policy check can tell.
func oddNumber(t *testing.T, bits int) *big.Int {
	t.Helper()
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), uint(bits-1)))
	if err != nil {
		t.Fatal(err)
	}
	n.SetBit(n, bits-1, 1)
	return n.SetBit(n, 0, 1)
}

func TestSecurityCase62_WeakAndUnsupportedKeys(t *testing.T) {
	mustDER := func(pub crypto.PublicKey) []byte {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	dsaParams := struct{ P, Q, G *big.Int }{oddNumber(t, 2048), oddNumber(t, 256), big.NewInt(2)}
	dsaY, err := asn1.Marshal(oddNumber(t, 2047))
	if err != nil {
		t.Fatal(err)
	}
	x25519, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secp256k1Point := append([]byte{4}, bytes.Repeat([]byte{7}, 64)...)

	tests := []struct {
		name string
		pub  crypto.PublicKey // checked with CheckPublicKey and NewVerifier, when set
		der  []byte           // checked with ParsePublicKey, when set
	}{
		{name: "RSA-1024", pub: &rsa.PublicKey{N: oddNumber(t, 1024), E: 65537}},
		{name: "RSA-2047", pub: &rsa.PublicKey{N: oddNumber(t, 2047), E: 65537}},
		{name: "RSA-2048 with e=3", pub: &rsa.PublicKey{N: oddNumber(t, 2048), E: 3}},
		{name: "RSA-2048 with e=1", pub: &rsa.PublicKey{N: oddNumber(t, 2048), E: 1}},
		{name: "RSA-2048 with e=65539", pub: &rsa.PublicKey{N: oddNumber(t, 2048), E: 65539}},
		{name: "ECDSA P-224", pub: ecKey(t, elliptic.P224()).Public()},
		{name: "Ed25519 of 31 bytes", pub: ed25519.PublicKey(make([]byte, 31)), der: spki(t, asn1.ObjectIdentifier{1, 3, 101, 112}, nil, make([]byte, 31))},
		{name: "Ed25519 of 33 bytes", pub: ed25519.PublicKey(make([]byte, 33))},
		{name: "X25519 (an encryption key)", pub: x25519.PublicKey()},
		{name: "a Go value that is no key", pub: "ssh-rsa AAAA"},
		{name: "DSA", der: spki(t, asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}, dsaParams, dsaY)},
		{name: "ECDSA secp256k1", der: spki(t, asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}, asn1.ObjectIdentifier{1, 3, 132, 0, 10}, secp256k1Point)},
	}
	for _, tt := range tests {
		if tt.pub != nil && tt.der == nil {
			if der, err := x509.MarshalPKIXPublicKey(tt.pub); err == nil {
				tt.der = der
			}
		}
		t.Run(tt.name, func(t *testing.T) {
			if tt.pub != nil {
				if err := sign.CheckPublicKey(tt.pub); !errors.Is(err, sign.ErrUnsupportedKey) {
					t.Errorf("CheckPublicKey = %v, want %v", err, sign.ErrUnsupportedKey)
				}
				if v, err := sign.NewVerifier(tt.pub); !errors.Is(err, sign.ErrUnsupportedKey) || v != nil {
					t.Errorf("NewVerifier = %v, %v; want nil, %v", v, err, sign.ErrUnsupportedKey)
				}
			}
			if tt.der != nil {
				// The package doc: "Anything else (RSA under 2048 bits,
				// small exponents, P-224, secp256k1, DSA, a malformed
				// Ed25519 key) is refused with ErrUnsupportedKey".
				k, err := sign.ParsePublicKey(pemOf(sign.PEMPublic, tt.der))
				if !errors.Is(err, sign.ErrUnsupportedKey) || k != nil {
					t.Errorf("ParsePublicKey = %v, %v; want nil, %v", k, err, sign.ErrUnsupportedKey)
				}
			}
		})
	}
	if err := sign.CheckPublicKey(nil); !errors.Is(err, sign.ErrInvalidKey) {
		t.Errorf("CheckPublicKey(nil) = %v, want %v", err, sign.ErrInvalidKey)
	}

	// What is supported passes, RSA-2048 included.
	for name, k := range supportedKeys(t) {
		if err := sign.CheckPublicKey(k.Public()); err != nil {
			t.Errorf("CheckPublicKey(%s) = %v, want nil", name, err)
		}
		if _, err := sign.ParsePublicKey(pemOf(sign.PEMPublic, mustDER(k.Public()))); err != nil {
			t.Errorf("ParsePublicKey(%s) = %v, want nil", name, err)
		}
	}
	// A weak key cannot sign either.
	if s, err := sign.NewSigner(rsa1024Key()); !errors.Is(err, sign.ErrUnsupportedKey) || s != nil {
		t.Errorf("NewSigner(RSA-1024) = %v, %v; want nil, %v", s, err, sign.ErrUnsupportedKey)
	}
	if s, err := sign.NewSigner(ecKey(t, elliptic.P224())); !errors.Is(err, sign.ErrUnsupportedKey) || s != nil {
		t.Errorf("NewSigner(P-224) = %v, %v; want nil, %v", s, err, sign.ErrUnsupportedKey)
	}
}

// TestVerifierNeverPanics feeds signatures of every length up to 600 bytes
// and of odd shapes to each kind of verifier (go-tuf b69fc50: ed25519.Verify
// panicked on a wrong-length key).
func TestVerifierNeverPanics(t *testing.T) {
	msg := []byte("m")
	for name, k := range supportedKeys(t) {
		v, err := sign.NewVerifier(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n <= 600; n += 7 {
			for _, fill := range []byte{0x00, 0x30, 0xff} {
				sig := bytes.Repeat([]byte{fill}, n)
				func() {
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("%s: Verify(%d bytes of %#x) panicked: %v", name, n, fill, r)
						}
					}()
					if err := v.Verify(msg, sig); !errors.Is(err, sign.ErrBadSignature) {
						t.Errorf("%s: Verify(%d bytes of %#x) = %v, want %v", name, n, fill, err, sign.ErrBadSignature)
					}
					if err := v.VerifyDigest(crypto.SHA256, make([]byte, 32), sig); !errors.Is(err, sign.ErrBadSignature) {
						t.Errorf("%s: VerifyDigest(%d bytes of %#x) = %v, want %v", name, n, fill, err, sign.ErrBadSignature)
					}
				}()
			}
		}
	}
}

type ecdsaSig struct{ R, S *big.Int }

func TestSecurityCase63_SignatureMalleability(t *testing.T) {
	msg := []byte("DSSEv1 28 application/vnd.in-toto+json 2 {}")
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		t.Run(curve.Params().Name, func(t *testing.T) {
			s := mustSigner(t, ecKey(t, curve))
			v, err := sign.NewVerifier(s.Public())
			if err != nil {
				t.Fatal(err)
			}
			der := mustSign(t, s, msg)
			var sig ecdsaSig
			if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) != 0 {
				t.Fatalf("signature is not DER: %v", err)
			}
			n := curve.Params().N
			marshal := func(r, s *big.Int) []byte {
				b, err := asn1.Marshal(ecdsaSig{r, s})
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			// Documented behaviour: Go's crypto/ecdsa does not enforce low S,
			// so the (r, N-s) twin of a valid signature verifies too. consign
			// keys nothing on signature bytes (security case 63 in docs/security.md: dedup by key
			// and payload), so accepting both is consistent.
			if err := v.Verify(msg, marshal(sig.R, new(big.Int).Sub(n, sig.S))); err != nil {
				t.Errorf("Verify(high/low-S twin) = %v; Go accepts it, and this test documents that", err)
			}
			size := (curve.Params().BitSize + 7) / 8
			tests := []struct {
				name string
				sig  []byte
			}{
				{"r with a redundant leading 0x00", derPadded(sig.R, sig.S)},
				{"BER long-form length", berLongForm(der)},
				{"trailing byte", append(append([]byte(nil), der...), 0)},
				{"raw r||s (P1363)", append(sig.R.FillBytes(make([]byte, size)), sig.S.FillBytes(make([]byte, size))...)},
				{"s = 0", marshal(sig.R, big.NewInt(0))},
				{"r = 0", marshal(big.NewInt(0), sig.S)},
				{"s + N", marshal(sig.R, new(big.Int).Add(sig.S, n))},
				{"negative s", marshal(sig.R, new(big.Int).Neg(sig.S))},
				{"r and s swapped", marshal(sig.S, sig.R)},
			}
			for _, tt := range tests {
				if err := v.Verify(msg, tt.sig); !errors.Is(err, sign.ErrBadSignature) {
					t.Errorf("Verify(%s) = %v, want %v", tt.name, err, sign.ErrBadSignature)
				}
			}
		})
	}

	t.Run("Ed25519", func(t *testing.T) {
		k := edKey(t)
		v, err := sign.NewVerifier(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		sig := ed25519.Sign(k, msg)
		if err := v.Verify(msg, sig); err != nil {
			t.Fatalf("Verify(valid) = %v", err)
		}
		// S + L names the same scalar modulo L; RFC 8032 requires S < L.
		malleated := append(append([]byte(nil), sig[:32]...), addL(sig[32:])...)
		if err := v.Verify(msg, malleated); !errors.Is(err, sign.ErrBadSignature) {
			t.Errorf("Verify(S+L) = %v, want %v", err, sign.ErrBadSignature)
		}
		for _, n := range []int{63, 65} {
			sig2 := make([]byte, n)
			copy(sig2, sig)
			if err := v.Verify(msg, sig2); !errors.Is(err, sign.ErrBadSignature) {
				t.Errorf("Verify(%d-byte signature) = %v, want %v", n, err, sign.ErrBadSignature)
			}
		}
	})
}

// derPadded encodes (r, s) with one more leading 0x00 before r than DER allows.
func derPadded(r, s *big.Int) []byte {
	integer := func(x *big.Int, pad bool) []byte {
		b := x.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		if pad {
			b = append([]byte{0}, b...)
		}
		return append([]byte{0x02, byte(len(b))}, b...)
	}
	body := append(integer(r, true), integer(s, false)...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// berLongForm rewrites a short-form DER SEQUENCE length in long form.
func berLongForm(der []byte) []byte {
	if der[1]&0x80 != 0 { // P-521 signatures already need the long form: add a zero length byte
		n := int(der[1] & 0x7f)
		return append(append([]byte{0x30, byte(0x80 | (n + 1)), 0}, der[2:2+n]...), der[2+n:]...)
	}
	return append([]byte{0x30, 0x81, der[1]}, der[2:]...)
}

// addL returns the little-endian 32-byte scalar sLE + L (L: the order of
// Ed25519's base point).
func addL(sLE []byte) []byte {
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	be := make([]byte, 32)
	for i := range 32 {
		be[i] = sLE[31-i]
	}
	sum := new(big.Int).Add(new(big.Int).SetBytes(be), l).FillBytes(make([]byte, 32))
	out := make([]byte, 32)
	for i := range 32 {
		out[i] = sum[31-i]
	}
	return out
}

// TestSecurityCase16_VerifierIsSafeForConcurrentUse uses one Verifier of
// each kind from 100 goroutines (run under -race).
func TestSecurityCase16_VerifierIsSafeForConcurrentUse(t *testing.T) {
	msg := []byte("m")
	type pair struct {
		v        *sign.Verifier
		good     []byte
		bad      []byte
		wantName string
	}
	var pairs []pair
	for name, k := range map[string]crypto.Signer{"ed25519": edKey(t), "ecdsa": ecKey(t, elliptic.P256())} {
		s := mustSigner(t, k)
		v, err := sign.NewVerifier(k.Public())
		if err != nil {
			t.Fatal(err)
		}
		pairs = append(pairs, pair{v, mustSign(t, s, msg), mustSign(t, mustSigner(t, edKey(t)), msg), name})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 1000)
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, p := range pairs {
				if err := p.v.Verify(msg, p.good); err != nil {
					errs <- fmt.Errorf("%s: Verify(good) = %v", p.wantName, err)
				}
				if err := p.v.Verify(msg, p.bad); err == nil {
					errs <- fmt.Errorf("%s: Verify(bad) passed", p.wantName)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
