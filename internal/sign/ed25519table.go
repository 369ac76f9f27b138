package sign

import (
	"crypto/ed25519"
	"crypto/fips140"
	"crypto/sha512"
	"crypto/subtle"
	"sync"

	"filippo.io/edwards25519"
)

// edTable holds multiples of one point for variable-time scalar
// multiplication by signed radix-32 digits: m[i][j] is (j+1)·32^i times the
// point, so [s]P is the sum of at most 52 entries and no doubling. It is
// 52·16 points, 130 KiB.
type edTable struct {
	m [52][16]edwards25519.Point
}

func newEdTable(p *edwards25519.Point) *edTable {
	t := new(edTable)
	base := new(edwards25519.Point).Set(p)
	for i := range t.m {
		t.m[i][0].Set(base)
		for j := 1; j < len(t.m[i]); j++ {
			t.m[i][j].Add(&t.m[i][j-1], base)
		}
		base.Add(&t.m[i][15], &t.m[i][15]) // 32·32^i
	}
	return t
}

// addMul adds [s]P to acc, P the table's point.
func (t *edTable) addMul(acc *edwards25519.Point, s *edwards25519.Scalar) {
	// Signed radix-32 digits of the canonical scalar (< 2^253): digits 0
	// to 50 in [-16, 15], the last in [0, 1].
	var b [33]byte
	copy(b[:], s.Bytes())
	var d [52]int8
	for i := range 51 {
		bit := 5 * i
		w := uint16(b[bit/8]) | uint16(b[bit/8+1])<<8
		d[i] = int8(w >> (bit % 8) & 31)
	}
	for i := range 51 {
		c := (d[i] + 16) >> 5
		d[i] -= c << 5
		d[i+1] += c
	}
	for i, x := range d {
		switch {
		case x > 0:
			acc.Add(acc, &t.m[i][x-1])
		case x < 0:
			acc.Subtract(acc, &t.m[i][-x-1])
		}
	}
}

// edBase is the table of the base point, made on first use.
var edBase = sync.OnceValue(func() *edTable { return newEdTable(edwards25519.NewGeneratorPoint()) })

// edKey is an Ed25519 public key with the table of its negation, for
// checking many signatures by it: about 0.5x the instructions of
// [ed25519.Verify], which decodes the key and doubles 253 times for every
// signature.
type edKey struct {
	pub    ed25519.PublicKey
	minusA *edTable
}

// newEdKey returns pub's table, or nil when pub is not a point (which
// [ed25519.Verify] refuses every signature of) or FIPS 140-3 mode is on
// (the module's own Ed25519 verifies then).
func newEdKey(pub ed25519.PublicKey) *edKey {
	if fips140.Enabled() || len(pub) != ed25519.PublicKeySize {
		return nil
	}
	a, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return nil
	}
	return &edKey{pub: pub, minusA: newEdTable(new(edwards25519.Point).Negate(a))}
}

// verify is [ed25519.Verify] of prefix+msg, step for step as the standard
// library's verifyWithDom (RFC 8032 5.1.7, without the cofactor: the
// encoding of [S]B - [k]A must be R's bytes, S canonical), with the two
// scalar multiplications made from tables instead of by doubling. The point
// computed is the same group element (a sum of multiples by the same
// integers), so it accepts exactly what ed25519.Verify accepts, keys with
// a small-order part included.
func (k *edKey) verify(prefix, msg, sig []byte) bool {
	if len(sig) != ed25519.SignatureSize || sig[63]&224 != 0 {
		return false
	}
	h := sha512.New()
	h.Write(sig[:32])
	h.Write(k.pub)
	h.Write(prefix)
	h.Write(msg)
	var sum [sha512.Size]byte
	kh, err := edwards25519.NewScalar().SetUniformBytes(h.Sum(sum[:0]))
	if err != nil {
		return false
	}
	s, err := edwards25519.NewScalar().SetCanonicalBytes(sig[32:])
	if err != nil {
		return false
	}
	r := edwards25519.NewIdentityPoint()
	edBase().addMul(r, s)
	k.minusA.addMul(r, kh)
	return subtle.ConstantTimeCompare(sig[:32], r.Bytes()) == 1
}
