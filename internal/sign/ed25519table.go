package sign

import (
	"crypto/ed25519"
	"crypto/fips140"
	"crypto/sha512"
	"crypto/subtle"
	"sync"

	"filippo.io/edwards25519"
	"filippo.io/edwards25519/field"
)

// edNiels is a point in affine Niels form, (y+x, y−x, 2d·x·y): what a
// mixed addition to an extended point needs, with no Z and nothing to
// convert per addition (7 field multiplications, where adding two
// [edwards25519.Point]s takes 9).
type edNiels struct{ ypx, ymx, t2d field.Element }

// edTable holds multiples of one point for variable-time scalar
// multiplication by signed radix-2^w digits: m[i·2^(w−1) + j] is
// (j+1)·2^(w·i) times the point, so [s]P is the sum of at most ⌈253/w⌉
// entries and no doubling. Its size is ⌈253/w⌉·2^(w−1)·120 bytes: 96 KiB
// for w = 5 (a key's table), 480 KiB for w = 8 (the base point's, made
// once).
type edTable struct {
	w uint
	m []edNiels
}

// edD2 is 2·d, d the curve's constant −121665/121666.
var edD2 = func() *field.Element {
	d, err := new(field.Element).SetBytes([]byte{
		0xa3, 0x78, 0x59, 0x13, 0xca, 0x4d, 0xeb, 0x75,
		0xab, 0xd8, 0x41, 0x41, 0x4d, 0x0a, 0x70, 0x00,
		0x98, 0xe8, 0x79, 0x77, 0x79, 0x40, 0xc7, 0x8c,
		0x73, 0xfe, 0x6f, 0x2b, 0xee, 0x6c, 0x03, 0x52})
	if err != nil {
		panic(err)
	}
	return d.Add(d, d)
}()

// edWindows is the number of radix-2^w digits of a scalar below 2^253.
func edWindows(w uint) int { return (253 + int(w) - 1) / int(w) }

func newEdTable(p *edwards25519.Point, w uint) *edTable {
	n, half := edWindows(w), 1<<(w-1)
	pts := make([]edwards25519.Point, n*half)
	base := new(edwards25519.Point).Set(p)
	for i := range n {
		row := pts[i*half : (i+1)*half]
		row[0].Set(base)
		for j := 1; j < half; j++ {
			row[j].Add(&row[j-1], base)
		}
		base.Add(&row[half-1], &row[half-1]) // 2^w·2^(w·i)
	}
	// To affine Niels form, with one inversion for all the Zs
	// (Montgomery's trick): prefix[k] is the product of the first k Zs.
	t := &edTable{w: w, m: make([]edNiels, len(pts))}
	prefix := make([]field.Element, len(pts)+1)
	prefix[0].One()
	for k := range pts {
		_, _, z, _ := pts[k].ExtendedCoordinates()
		prefix[k+1].Multiply(&prefix[k], z)
	}
	var inv, zinv field.Element
	inv.Invert(&prefix[len(pts)])
	for k := len(pts) - 1; k >= 0; k-- {
		x, y, z, tt := pts[k].ExtendedCoordinates()
		zinv.Multiply(&inv, &prefix[k]) // 1/Z_k
		inv.Multiply(&inv, z)           // 1/(Z_0···Z_(k−1))
		e := &t.m[k]
		e.ypx.Add(y, x)
		e.ypx.Multiply(&e.ypx, &zinv)
		e.ymx.Subtract(y, x)
		e.ymx.Multiply(&e.ymx, &zinv)
		e.t2d.Multiply(tt, edD2)
		e.t2d.Multiply(&e.t2d, &zinv)
	}
	return t
}

// edPoint is a point in extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z,
// x·y = T/Z: the accumulator of [edTable.addMul].
type edPoint struct{ x, y, z, t field.Element }

func (v *edPoint) identity() {
	v.x.Zero()
	v.y.One()
	v.z.One()
	v.t.Zero()
}

// add sets v to v + q (sub false) or v − q (sub true): the mixed addition
// of [edwards25519.Point.Add]'s formulas (projP1xP1.AddAffine and
// SubAffine, then back to extended coordinates).
func (v *edPoint) add(q *edNiels, sub bool) {
	var ypx, ymx, pp, mm, tt2d, z2, x1, y1, z1, t1 field.Element
	ypx.Add(&v.y, &v.x)
	ymx.Subtract(&v.y, &v.x)
	if sub {
		pp.Multiply(&ypx, &q.ymx)
		mm.Multiply(&ymx, &q.ypx)
	} else {
		pp.Multiply(&ypx, &q.ypx)
		mm.Multiply(&ymx, &q.ymx)
	}
	tt2d.Multiply(&v.t, &q.t2d)
	z2.Add(&v.z, &v.z)
	x1.Subtract(&pp, &mm)
	y1.Add(&pp, &mm)
	if sub {
		z1.Subtract(&z2, &tt2d)
		t1.Add(&z2, &tt2d)
	} else {
		z1.Add(&z2, &tt2d)
		t1.Subtract(&z2, &tt2d)
	}
	v.x.Multiply(&x1, &t1)
	v.y.Multiply(&y1, &z1)
	v.z.Multiply(&z1, &t1)
	v.t.Multiply(&x1, &y1)
}

// bytes is the point's canonical 32-byte encoding, as
// [edwards25519.Point.Bytes] writes it.
func (v *edPoint) bytes(out *[32]byte) {
	var zinv, x, y field.Element
	zinv.Invert(&v.z)
	x.Multiply(&v.x, &zinv)
	y.Multiply(&v.y, &zinv)
	copy(out[:], y.Bytes())
	out[31] |= byte(x.IsNegative() << 7)
}

// addMul adds [s]P to acc, P the table's point.
func (t *edTable) addMul(acc *edPoint, s *edwards25519.Scalar) {
	// Signed radix-2^w digits of the canonical scalar (< 2^253): all in
	// [−2^(w−1), 2^(w−1)), the last one non-negative (its bits and a
	// carry stay below 2^(w−1) for w from 5 to 8).
	w := t.w
	var b [35]byte
	copy(b[:], s.Bytes())
	var d [64]int32
	n, half := edWindows(w), int32(1)<<(w-1)
	mask := uint32(1)<<w - 1
	for i := range n {
		bit := uint(i) * w
		x := uint32(b[bit/8]) | uint32(b[bit/8+1])<<8 | uint32(b[bit/8+2])<<16
		d[i] = int32(x >> (bit % 8) & mask)
	}
	for i := range n - 1 {
		c := (d[i] + half) >> w
		d[i] -= c << w
		d[i+1] += c
	}
	for i, x := range d[:n] {
		switch {
		case x > 0:
			acc.add(&t.m[int32(i)*half+x-1], false)
		case x < 0:
			acc.add(&t.m[int32(i)*half-x-1], true)
		}
	}
}

// The digit widths of the tables: the base point's, made once, with
// fewer digits; and each key's, made for every key a server sees.
const (
	edBaseWindow = 8
	edKeyWindow  = 5
)

// edBase is the table of the base point, made on first use.
var edBase = sync.OnceValue(func() *edTable { return newEdTable(edwards25519.NewGeneratorPoint(), edBaseWindow) })

// edKey is an Ed25519 public key with the table of its negation, for
// checking many signatures by it: about 0.35x the instructions of
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
	return &edKey{pub: pub, minusA: newEdTable(new(edwards25519.Point).Negate(a), edKeyWindow)}
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
	var r edPoint
	r.identity()
	edBase().addMul(&r, s)
	k.minusA.addMul(&r, kh)
	var enc [32]byte
	r.bytes(&enc)
	return subtle.ConstantTimeCompare(sig[:32], enc[:]) == 1
}
