package sign

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"testing"

	"filippo.io/edwards25519"
)

// precomputed is v.Precomputed(), which must have made a table.
func precomputed(t testing.TB, pub ed25519.PublicKey) (plain, pre *Verifier) {
	t.Helper()
	v := uncheckedVerifier(t, pub)
	p := v.Precomputed()
	if p.ed == nil || v.ed != nil || p.KeyID() != v.KeyID() {
		t.Fatalf("Precomputed made no table of an Ed25519 key, or changed v")
	}
	if p.Precomputed() != p {
		t.Fatal("Precomputed of a precomputed verifier made another table")
	}
	return v, p
}

// uncheckedVerifier is a verifier of pub made without [CheckPublicKey],
// which refuses keys of small order: the table verifier is held to
// ed25519.Verify on keys of every order all the same.
func uncheckedVerifier(t testing.TB, pub ed25519.PublicKey) *Verifier {
	t.Helper()
	id, err := KeyID(pub)
	if err != nil {
		t.Fatal(err)
	}
	return &Verifier{pub: pub, id: id}
}

// agree checks that the table accepts sig over msg exactly when
// ed25519.Verify does, and the precomputed verifier exactly when a plain
// one does (through Verify and a prefixed Message; both also try
// Ed25519ph), and returns ed25519.Verify's answer.
func agree(t *testing.T, pre *Verifier, pub ed25519.PublicKey, msg, sig []byte) bool {
	t.Helper()
	want := len(sig) == ed25519.SignatureSize && ed25519.Verify(pub, msg, sig)
	if got := pre.ed.verify(nil, msg, sig); got != want {
		t.Fatalf("table verify = %v, ed25519.Verify = %v (key %x, sig %x)", got, want, pub, sig)
	}
	plain := &Verifier{pub: pre.pub, id: pre.id}
	wantV := plain.Verify(msg, sig) == nil
	if got := pre.Verify(msg, sig) == nil; got != wantV {
		t.Fatalf("Verify = %v, a plain verifier's = %v", got, wantV)
	}
	if len(msg) > 3 {
		if got := pre.VerifyMessage(NewPrefixedMessage(msg[:3], msg[3:]), sig) == nil; got != wantV {
			t.Fatalf("VerifyMessage of a prefixed message = %v, a plain verifier's = %v", got, wantV)
		}
	}
	return want
}

func TestPrecomputedEd25519MatchesStandardLibrary(t *testing.T) {
	for i := range 40 {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		_, pre := precomputed(t, pub)
		msg := bytes.Repeat([]byte{byte(i)}, 1+i*37)
		sig := ed25519.Sign(priv, msg)
		if !agree(t, pre, pub, msg, sig) {
			t.Fatal("a valid signature was refused")
		}
		for bit := i; bit < 512; bit += 41 {
			bad := bytes.Clone(sig)
			bad[bit/8] ^= 1 << (bit % 8)
			if agree(t, pre, pub, msg, bad) {
				t.Fatalf("signature with bit %d flipped accepted", bit)
			}
		}
		other := append(bytes.Clone(msg), 0)
		if agree(t, pre, pub, other, sig) {
			t.Fatal("signature accepted over another message")
		}
		// S + L is the same scalar, not canonical: refused.
		if agree(t, pre, pub, msg, addOrder(t, sig)) {
			t.Fatal("non-canonical S accepted")
		}
		if agree(t, pre, pub, msg, sig[:63]) || agree(t, pre, pub, msg, append(bytes.Clone(sig), 0)) {
			t.Fatal("signature of a wrong length accepted")
		}
	}
}

// addOrder returns sig with L added to its S (which stays under 2^256).
func addOrder(t *testing.T, sig []byte) []byte {
	t.Helper()
	l, _ := hex.DecodeString("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010")
	out := bytes.Clone(sig)
	carry := 0
	for i := range 32 {
		s := int(out[32+i]) + int(l[i]) + carry
		out[32+i], carry = byte(s), s>>8
	}
	if carry != 0 {
		t.Fatal("S + L overflows")
	}
	return out
}

// order8 is a point of order 8.
func order8(t *testing.T) *edwards25519.Point {
	t.Helper()
	b, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	p, err := new(edwards25519.Point).SetBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	four := new(edwards25519.Point).Add(p, p)
	four.Add(four, four)
	eight := new(edwards25519.Point).Add(four, four)
	if eight.Equal(edwards25519.NewIdentityPoint()) != 1 || four.Equal(edwards25519.NewIdentityPoint()) == 1 {
		t.Fatal("not a point of order 8")
	}
	return p
}

func randomScalar(t *testing.T) *edwards25519.Scalar {
	t.Helper()
	var b [64]byte
	rand.Read(b[:])
	s, err := edwards25519.NewScalar().SetUniformBytes(b[:])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signRaw signs msg for the key encoded as pub with secret scalar a and
// nonce point R = [r]B + rExtra: S = r + H(R, pub, msg)·a.
func signRaw(a, r *edwards25519.Scalar, rExtra *edwards25519.Point, pub, msg []byte) (sig []byte, k *edwards25519.Scalar) {
	R := new(edwards25519.Point).ScalarBaseMult(r)
	if rExtra != nil {
		R.Add(R, rExtra)
	}
	h := sha512.New()
	h.Write(R.Bytes())
	h.Write(pub)
	h.Write(msg)
	k, _ = edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
	S := edwards25519.NewScalar().MultiplyAdd(k, a, r)
	return append(R.Bytes(), S.Bytes()...), k
}

// Keys and nonces with a part of small order are where a cofactored check
// (or a batch check) and the standard library's cofactorless one part: the
// table verifier must accept exactly what ed25519.Verify accepts.
func TestPrecomputedEd25519SmallOrder(t *testing.T) {
	tor := order8(t)
	a := randomScalar(t)
	// A mixed-order key: [a]B + T. [S]B - [k]A = R - [k]T, which is R
	// only when 8 divides k: about one message in 8 verifies.
	A := new(edwards25519.Point).ScalarBaseMult(a)
	A.Add(A, tor)
	pub := ed25519.PublicKey(A.Bytes())
	_, pre := precomputed(t, pub)
	var accepted, refused int
	for i := 0; i < 2000 && (accepted < 3 || refused < 3); i++ {
		msg := fmt.Appendf(nil, "message %d", i)
		sig, k := signRaw(a, randomScalar(t), nil, pub, msg)
		ok := agree(t, pre, pub, msg, sig)
		if want := k.Bytes()[0]%8 == 0; ok != want {
			t.Fatalf("k mod 8 = %d, accepted = %v", k.Bytes()[0]%8, ok)
		}
		if ok {
			accepted++
		} else {
			refused++
		}
	}
	if accepted < 3 || refused < 3 {
		t.Fatalf("mixed-order key: %d accepted, %d refused", accepted, refused)
	}

	// A nonce with a small-order part never verifies without the cofactor.
	pub2 := ed25519.PublicKey(new(edwards25519.Point).ScalarBaseMult(a).Bytes())
	_, pre2 := precomputed(t, pub2)
	for i := range 16 {
		msg := fmt.Appendf(nil, "torsion nonce %d", i)
		sig, _ := signRaw(a, randomScalar(t), tor, pub2, msg)
		if agree(t, pre2, pub2, msg, sig) {
			t.Fatal("a nonce with a small-order part verified")
		}
	}

	// The key of small order itself: [k]A is of small order, and any
	// S with R = [S]B - [k]A verifies when 8 divides k, as in the
	// standard library.
	pub3 := ed25519.PublicKey(tor.Bytes())
	_, pre3 := precomputed(t, pub3)
	for i := range 64 {
		msg := fmt.Appendf(nil, "small key %d", i)
		sig, _ := signRaw(edwards25519.NewScalar(), randomScalar(t), nil, pub3, msg)
		agree(t, pre3, pub3, msg, sig)
	}
}

// A key that is no point gets no table and verifies nothing, as before.
func TestPrecomputedEd25519NotAPoint(t *testing.T) {
	var pub ed25519.PublicKey
	for {
		pub = make([]byte, ed25519.PublicKeySize)
		rand.Read(pub)
		if _, err := new(edwards25519.Point).SetBytes(pub); err != nil {
			break
		}
	}
	v, err := NewVerifier(pub)
	if err != nil {
		// Refusing such a key outright keeps the property too: there is
		// then no verifier, table or not.
		return
	}
	if p := v.Precomputed(); p != v {
		t.Fatal("a table for a key that is no point")
	}
	sig := make([]byte, ed25519.SignatureSize)
	if v.Verify([]byte("m"), sig) == nil {
		t.Fatal("verified")
	}
}

// Ed25519ph signatures still verify through a precomputed verifier.
func TestPrecomputedEd25519ph(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, pre := precomputed(t, pub)
	msg := []byte("pre-hashed")
	d := sha512.Sum512(msg)
	sig, err := priv.Sign(nil, d[:], &ed25519.Options{Hash: crypto.SHA512})
	if err != nil {
		t.Fatal(err)
	}
	if err := pre.Verify(msg, sig); err != nil {
		t.Fatal(err)
	}
	if pre.ed.verify(nil, msg, sig) {
		t.Fatal("an Ed25519ph signature verified as pure Ed25519")
	}
}

func FuzzPrecomputedEd25519(f *testing.F) {
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))
	pub := priv.Public().(ed25519.PublicKey)
	msg := []byte("fuzz")
	sig := ed25519.Sign(priv, msg)
	f.Add(msg, sig)
	f.Add(msg, make([]byte, 64))
	f.Add([]byte{}, sig)
	v, err := NewVerifier(pub)
	if err != nil {
		f.Fatal(err)
	}
	pre := v.Precomputed()
	f.Fuzz(func(t *testing.T, msg, sig []byte) {
		if got, want := pre.ed.verify(nil, msg, sig), len(sig) == ed25519.SignatureSize && ed25519.Verify(pub, msg, sig); got != want {
			t.Fatalf("table verify = %v, ed25519.Verify = %v", got, want)
		}
	})
}

func BenchmarkVerifyEd25519(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := bytes.Repeat([]byte("x"), 1500)
	sig := ed25519.Sign(priv, msg)
	plain, pre := precomputed(b, pub)
	for _, c := range []struct {
		name string
		v    *Verifier
	}{{"standard", plain}, {"precomputed", pre}} {
		b.Run(c.name, func(b *testing.B) {
			m := NewMessage(msg)
			for b.Loop() {
				if c.v.VerifyMessage(m, sig) != nil {
					b.Fatal("refused")
				}
			}
		})
	}
}

// Non-canonical encodings of a key (y + p, or x = 0 with the sign bit
// set) are decoded as ed25519.Verify decodes them and hashed as written;
// a non-canonical encoding of R never verifies, as [S]B - [k]A is
// compared as its canonical encoding. The table verifier agrees on each.
func TestPrecomputedEd25519NonCanonical(t *testing.T) {
	enc := func(y byte, top byte) ed25519.PublicKey {
		b := make([]byte, 32)
		b[0] = y
		b[31] = top
		return b
	}
	// y = p + y' for y' < 19: 0xed + y' then 0xff..., 0x7f.
	plusP := func(y byte) ed25519.PublicKey {
		b := bytes.Repeat([]byte{0xff}, 32)
		b[0], b[31] = 0xed+y, 0x7f
		return b
	}
	keys := []ed25519.PublicKey{enc(1, 0x80), plusP(1), plusP(1), enc(0, 0x80), plusP(0)}
	keys[2][31] |= 0x80
	tested := 0
	for _, pub := range keys {
		if _, err := new(edwards25519.Point).SetBytes(pub); err != nil {
			continue // no point: no table (TestPrecomputedEd25519NotAPoint)
		}
		tested++
		_, pre := precomputed(t, pub)
		for i := range 16 {
			msg := fmt.Appendf(nil, "non-canonical key %d", i)
			sig, _ := signRaw(edwards25519.NewScalar(), randomScalar(t), nil, pub, msg)
			agree(t, pre, pub, msg, sig)
		}
	}
	if tested < 3 {
		t.Fatalf("%d non-canonical key encodings tested, want 3 or more", tested)
	}
	// R the identity, written non-canonically: [S]B - [k]A is the
	// identity for S = k·a, encoded canonically, never as R was written.
	a := randomScalar(t)
	pub := ed25519.PublicKey(new(edwards25519.Point).ScalarBaseMult(a).Bytes())
	_, pre := precomputed(t, pub)
	for _, R := range [][]byte{enc(1, 0), enc(1, 0x80), plusP(1)} {
		msg := []byte("identity nonce")
		h := sha512.New()
		h.Write(R)
		h.Write(pub)
		h.Write(msg)
		k, _ := edwards25519.NewScalar().SetUniformBytes(h.Sum(nil))
		sig := append(bytes.Clone(R), edwards25519.NewScalar().Multiply(k, a).Bytes()...)
		got := agree(t, pre, pub, msg, sig)
		if canonical := bytes.Equal(R, enc(1, 0)); got != canonical {
			t.Fatalf("R %x: accepted = %v", R, got)
		}
	}
}
