package sign

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"testing"

	"filippo.io/edwards25519"
)

// tableMul is [s]P from t alone, P t's point: the identity plus addMul.
func tableMul(t *edTable, s *edwards25519.Scalar) []byte {
	var acc edPoint
	acc.identity()
	t.addMul(&acc, s)
	var enc [32]byte
	acc.bytes(&enc)
	return enc[:]
}

// edgeScalars are scalars whose signed-digit recoding is at its limits
// for windows of w bits: 0, 1, L−1, 2^252 and its neighbours, and those
// whose every window is 2^(w−1)−1, 2^(w−1) (a negative digit and a
// carry) or 2^w−1 (a carry through every window up to the last one),
// kept under 2^252 < L.
func edgeScalars(t *testing.T, w uint) []*edwards25519.Scalar {
	t.Helper()
	canonical := func(b []byte) *edwards25519.Scalar {
		s, err := edwards25519.NewScalar().SetCanonicalBytes(b)
		if err != nil {
			t.Fatalf("scalar %x: %v", b, err)
		}
		return s
	}
	le := func(set func(bit int) bool) []byte {
		b := make([]byte, 32)
		for bit := range 252 {
			if set(bit) {
				b[bit/8] |= 1 << (bit % 8)
			}
		}
		return b
	}
	one := canonical(append([]byte{1}, make([]byte, 31)...))
	minusOne := edwards25519.NewScalar().Subtract(edwards25519.NewScalar(), one)
	two252 := make([]byte, 32)
	two252[31] = 0x10
	p252 := canonical(two252)
	out := []*edwards25519.Scalar{
		edwards25519.NewScalar(), one, minusOne,
		edwards25519.NewScalar().Subtract(minusOne, one),
		p252, edwards25519.NewScalar().Subtract(p252, one), edwards25519.NewScalar().Add(p252, one),
		canonical(le(func(int) bool { return true })), // 2^252 − 1
	}
	for _, digit := range []int{1<<(w-1) - 1, 1 << (w - 1), 1<<w - 1, 1<<(w-1) + 1} {
		out = append(out, canonical(le(func(bit int) bool { return digit>>(bit%int(w))&1 == 1 })))
		// The same digits from the top window down only.
		out = append(out, canonical(le(func(bit int) bool { return bit >= 200 && digit>>(bit%int(w))&1 == 1 })))
	}
	// L − 2^(w·i) for each window i: a long run of carries into windows
	// of L's own digits.
	for i := 0; i*int(w) < 253; i++ {
		b := make([]byte, 32)
		b[i*int(w)/8] = 1 << (i * int(w) % 8)
		out = append(out, edwards25519.NewScalar().Subtract(edwards25519.NewScalar(), canonical(b)))
	}
	for range 64 {
		var b [64]byte
		rand.Read(b[:])
		s, _ := edwards25519.NewScalar().SetUniformBytes(b[:])
		out = append(out, s)
	}
	return out
}

// The tables multiply as edwards25519 does, for the scalars where a
// signed-digit recoding goes wrong if it does (carries into and out of
// the last window, the largest negative digit), on the base point and on
// keys of every order.
func TestEdTableScalarEdges(t *testing.T) {
	a := randomScalar(t)
	tor := order8(t)
	prime := new(edwards25519.Point).ScalarBaseMult(a)
	mixed := new(edwards25519.Point).Add(prime, tor)
	points := map[string]*edwards25519.Point{
		"prime order": prime, "mixed order": mixed, "order 8": tor,
		"identity": edwards25519.NewIdentityPoint(),
	}
	check := func(name string, tbl *edTable, p *edwards25519.Point) {
		for _, s := range edgeScalars(t, tbl.w) {
			want := new(edwards25519.Point).ScalarMult(s, p).Bytes()
			if got := tableMul(tbl, s); !bytes.Equal(got, want) {
				t.Errorf("%s, w = %d: [%x]P = %x from the table, %x by edwards25519", name, tbl.w, s.Bytes(), got, want)
			}
		}
	}
	check("base point", edBase(), edwards25519.NewGeneratorPoint())
	for name, p := range points {
		for _, w := range []uint{edKeyWindow, 6, 7, edBaseWindow} {
			check(name, newEdTable(p, w), p)
		}
	}
}

// FuzzEdTableScalar multiplies the base point and a mixed-order point by
// any scalar below 2^253 (reduced mod L) from the tables and by
// edwards25519.
func FuzzEdTableScalar(f *testing.F) {
	f.Add(make([]byte, 32))
	f.Add(bytes.Repeat([]byte{0xff}, 32))
	f.Add(bytes.Repeat([]byte{0x80}, 32))
	f.Add(bytes.Repeat([]byte{0x10}, 32))
	var seed [64]byte
	seed[0] = 3
	a, _ := edwards25519.NewScalar().SetUniformBytes(seed[:])
	enc, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	b, err := new(edwards25519.Point).SetBytes(enc) // of order 8
	if err != nil {
		f.Fatal(err)
	}
	mixed := new(edwards25519.Point).ScalarBaseMult(a)
	mixed.Add(mixed, b)
	key := newEdTable(mixed, edKeyWindow)
	f.Fuzz(func(t *testing.T, in []byte) {
		var wide [64]byte
		copy(wide[:32], in)
		wide[31] &= 0x1f
		s, _ := edwards25519.NewScalar().SetUniformBytes(wide[:])
		if got, want := tableMul(edBase(), s), new(edwards25519.Point).ScalarBaseMult(s).Bytes(); !bytes.Equal(got, want) {
			t.Fatalf("[%x]B = %x from the table, want %x", s.Bytes(), got, want)
		}
		if got, want := tableMul(key, s), new(edwards25519.Point).ScalarMult(s, mixed).Bytes(); !bytes.Equal(got, want) {
			t.Fatalf("[%x]A = %x from the table, want %x", s.Bytes(), got, want)
		}
	})
}

// Goroutines that each make tables of new keys and check signatures with
// them, and with one key's table shared by all, agree with ed25519.Verify
// (run with -race: the base point's table is made on first use, by any
// of them).
func TestPrecomputedEd25519Concurrent(t *testing.T) {
	shared, sharedPriv, _ := ed25519.GenerateKey(rand.Reader)
	_, sharedPre := precomputed(t, shared)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 4 {
				pub, priv, _ := ed25519.GenerateKey(rand.Reader)
				v, err := NewVerifier(pub)
				if err != nil {
					errs <- err
					return
				}
				pre := v.Precomputed()
				msg := fmt.Appendf(nil, "goroutine %d message %d", g, i)
				if pre.Verify(msg, ed25519.Sign(priv, msg)) != nil || sharedPre.Verify(msg, ed25519.Sign(sharedPriv, msg)) != nil {
					errs <- fmt.Errorf("goroutine %d: a valid signature refused", g)
					return
				}
				if pre.Verify(msg, ed25519.Sign(sharedPriv, msg)) == nil {
					errs <- fmt.Errorf("goroutine %d: another key's signature accepted", g)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// FuzzPrecomputedEd25519Keys checks signatures made by keys of every
// order, [a]B + [i]T with T of order 8, over nonces [r]B + [j]T, and the
// same with S changed by d, against ed25519.Verify: the fuzzer reaches
// both verdicts (R = [S]B − [k]A holds when [j]T = −[k·i]T), which random
// signatures under one key never do.
func FuzzPrecomputedEd25519Keys(f *testing.F) {
	f.Add([]byte{1}, []byte{2}, uint8(0), uint8(0), []byte("m"), uint8(0))
	f.Add([]byte{1}, []byte{2}, uint8(1), uint8(7), []byte("m"), uint8(0))
	f.Add([]byte{}, []byte{2}, uint8(4), uint8(4), []byte{}, uint8(1))
	enc, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	tor, err := new(edwards25519.Point).SetBytes(enc)
	if err != nil {
		f.Fatal(err)
	}
	multiple := func(i uint8) *edwards25519.Point {
		p := edwards25519.NewIdentityPoint()
		for range i % 8 {
			p.Add(p, tor)
		}
		return p
	}
	scalar := func(b []byte) *edwards25519.Scalar {
		var wide [64]byte
		copy(wide[:], b)
		s, _ := edwards25519.NewScalar().SetUniformBytes(wide[:])
		return s
	}
	f.Fuzz(func(t *testing.T, aIn, rIn []byte, i, j uint8, msg []byte, d uint8) {
		a, r := scalar(aIn), scalar(rIn)
		A := new(edwards25519.Point).ScalarBaseMult(a)
		A.Add(A, multiple(i))
		pub := ed25519.PublicKey(A.Bytes())
		// Made without CheckPublicKey, which refuses the keys of small
		// order (i a multiple of 8 away from a = 0): the table is held to
		// ed25519.Verify on every key.
		pre := uncheckedVerifier(t, pub).Precomputed()
		if pre.ed == nil {
			t.Fatal("no table for a point")
		}
		sig, _ := signRaw(a, r, multiple(j), pub, msg)
		if d != 0 {
			s, _ := edwards25519.NewScalar().SetCanonicalBytes(sig[32:])
			s.Add(s, scalar([]byte{d}))
			copy(sig[32:], s.Bytes())
		}
		if got, want := pre.ed.verify(nil, msg, sig), ed25519.Verify(pub, msg, sig); got != want {
			t.Fatalf("key %x sig %x: table verify = %v, ed25519.Verify = %v", pub, sig, got, want)
		}
	})
}
