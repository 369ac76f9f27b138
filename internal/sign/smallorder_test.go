package sign_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"testing"

	"filippo.io/edwards25519"

	"github.com/consign-dev/consign/internal/sign"
)

// An Ed25519 public key of small order (the identity, and the seven other
// points of the torsion subgroup, in canonical and non-canonical
// encodings) is refused, from a PEM file and as a key: under it one
// signature, R the identity and S zero, passes ed25519.Verify for every
// message, so anyone could sign as its holder. Keys with a prime-order
// part, a small-order part added or not, are accepted as before.
func TestSmallOrderEd25519KeysRefused(t *testing.T) {
	enc, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	tor, err := new(edwards25519.Point).SetBytes(enc) // of order 8
	if err != nil {
		t.Fatal(err)
	}
	var keys []ed25519.PublicKey
	p := edwards25519.NewIdentityPoint()
	for range 8 {
		keys = append(keys, p.Bytes())
		p = new(edwards25519.Point).Add(p, tor)
	}
	identitySigned := bytes.Clone(keys[0]) // x = 0 with the sign bit set
	identitySigned[31] |= 0x80
	identityPlusP := bytes.Repeat([]byte{0xff}, 32) // y = p + 1
	identityPlusP[0], identityPlusP[31] = 0xee, 0x7f
	keys = append(keys, identitySigned, identityPlusP)

	forged := append(bytes.Clone(keys[0]), make([]byte, 32)...)
	for _, msg := range []string{"any statement", "another one"} {
		if !ed25519.Verify(keys[0], []byte(msg), forged) {
			t.Fatalf("the identity key's forged signature does not verify %q: the premise of this test is gone", msg)
		}
	}
	for _, pub := range keys {
		if _, err := sign.NewVerifier(pub); !errors.Is(err, sign.ErrUnsupportedKey) {
			t.Errorf("NewVerifier(%x) = %v, want ErrUnsupportedKey", []byte(pub), err)
		}
		der := append([]byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}, pub...)
		file := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		if _, _, err := sign.ParseVerifier(file); !errors.Is(err, sign.ErrUnsupportedKey) {
			t.Errorf("ParseVerifier(key %x) = %v, want ErrUnsupportedKey", []byte(pub), err)
		}
	}

	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	var a [64]byte
	rand.Read(a[:])
	s, _ := edwards25519.NewScalar().SetUniformBytes(a[:])
	mixed := new(edwards25519.Point).Add(new(edwards25519.Point).ScalarBaseMult(s), tor)
	for _, k := range []ed25519.PublicKey{pub, mixed.Bytes()} {
		if _, err := sign.NewVerifier(k); err != nil {
			t.Errorf("NewVerifier(%x) = %v, want a verifier", []byte(k), err)
		}
	}
	v, _ := sign.NewVerifier(pub)
	if err := v.Verify([]byte("m"), ed25519.Sign(priv, []byte("m"))); err != nil {
		t.Errorf("a generated key's signature: %v", err)
	}
}
