package tlog_test

import (
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/consign-dev/consign/internal/tlog"
)

// FuzzParseVerifier: any text fails with ErrMalformed, or gives a key that
// parses back from its own text to the same key and origin.
func FuzzParseVerifier(f *testing.F) {
	s := newSigner(f, "fuzz.example/log")
	f.Add(s.VerifierKey())
	f.Add(s.VerifierKey() + "\n")
	parts := strings.SplitN(s.VerifierKey(), "+", 3)
	f.Add(parts[0] + "+" + strings.ToUpper(parts[1]) + "+" + parts[2]) // found by fuzzing
	f.Add(tlog.NewKeyVerifier(s.Verifier().PublicKey()).String())
	f.Add("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----\n")
	f.Fuzz(func(t *testing.T, text string) {
		v, err := tlog.ParseVerifier(text)
		if err != nil {
			if v != nil || !errors.Is(err, tlog.ErrMalformed) {
				t.Fatalf("ParseVerifier(%q) = %v, %v; want nil, ErrMalformed", text, v, err)
			}
			return
		}
		if len(v.PublicKey()) != ed25519.PublicKeySize {
			t.Fatalf("ParseVerifier(%q): a key of %d bytes", text, len(v.PublicKey()))
		}
		again, err := tlog.ParseVerifier(v.String())
		if err != nil || !again.PublicKey().Equal(v.PublicKey()) || again.Origin() != v.Origin() {
			t.Fatalf("ParseVerifier(%q) does not round-trip: %v", text, err)
		}
		if v.Origin() != "" { // a verifier key line has one text
			canonical, err := note.NewEd25519VerifierKey(v.Origin(), v.PublicKey())
			if err != nil || strings.TrimSuffix(text, "\n") != canonical {
				t.Fatalf("ParseVerifier(%q): a second text for the key %q", text, canonical)
			}
		}
	})
}

// FuzzParseWitness: a witness key that parses is exactly the canonical
// encoding of its name and key (one key, one text), and its cosignatures
// verify.
func FuzzParseWitness(f *testing.F) {
	c, err := tlog.NewCosigner("witness.example/w", ed25519.NewKeyFromSeed(make([]byte, 32)), func() time.Time { return time.Unix(1_800_000_000, 0) })
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c.VerifierKey())
	f.Add(c.VerifierKey() + "\n")
	f.Add(strings.ToUpper(c.VerifierKey()))
	f.Fuzz(func(t *testing.T, vkey string) {
		w, err := tlog.ParseWitness(vkey)
		if err != nil {
			if w != nil || !errors.Is(err, tlog.ErrMalformed) {
				t.Fatalf("ParseWitness(%q) = %v, %v; want nil, ErrMalformed", vkey, w, err)
			}
			return
		}
		if !tlog.ValidOrigin(w.Name()) {
			t.Fatalf("ParseWitness(%q): name %q", vkey, w.Name())
		}
		if w.Name() == c.Name() && w.KeyHash() == c.KeyHash() && strings.TrimSuffix(vkey, "\n") != c.VerifierKey() {
			t.Fatalf("ParseWitness(%q): a second text for the witness key %q", vkey, c.VerifierKey())
		}
	})
}

// FuzzParseHash: a hash that parses is its own canonical encoding.
func FuzzParseHash(f *testing.F) {
	f.Add(tlog.EmptyRoot.String())
	f.Add(strings.Repeat("A", 43) + "=")
	f.Add(strings.Repeat("A", 43) + "B")
	f.Fuzz(func(t *testing.T, s string) {
		h, err := tlog.ParseHash(s)
		if err != nil {
			if h != (tlog.Hash{}) || !errors.Is(err, tlog.ErrMalformed) {
				t.Fatalf("ParseHash(%q) = %v, %v", s, h, err)
			}
			return
		}
		if h.String() != s {
			t.Fatalf("ParseHash(%q).String() = %q", s, h.String())
		}
	})
}

// mutateProof changes proof as op says: 0 keeps it, 1 flips a bit of one hash,
// 2 drops one hash, 3 repeats one, 4 appends a hash of fill.
func mutateProof(proof []tlog.Hash, op uint8, pos uint16, fill byte) []tlog.Hash {
	p := slices.Clone(proof)
	switch op % 5 {
	case 1:
		if len(p) > 0 {
			p[int(pos)%len(p)][int(pos/8)%tlog.HashSize] ^= 1 << (pos % 8)
		}
	case 2:
		if len(p) > 0 {
			i := int(pos) % len(p)
			p = append(p[:i], p[i+1:]...)
		}
	case 3:
		if len(p) > 0 {
			i := int(pos) % len(p)
			p = slices.Insert(p, i, p[i])
		}
	case 4:
		var h tlog.Hash
		for i := range h {
			h[i] = fill
		}
		p = slices.Insert(p, int(pos)%(len(p)+1), h)
	}
	return p
}

// fuzzLeaves is a tree of n leaves, each its index.
func fuzzLeaves(n int) [][]byte {
	d := make([][]byte, n)
	for i := range d {
		d[i] = binary.BigEndian.AppendUint32(nil, uint32(i))
	}
	return d
}

// maxFuzzTree is the largest tree the proof fuzzers build.
const maxFuzzTree = 70

// FuzzVerifyInclusion checks VerifyInclusion against the naive RFC 6962
// recursion. The fuzzer takes a real proof (leaf i of a tree of n), changes
// it, and claims an index and a size; the root given is the real root of a
// tree of the claimed size, as a signed checkpoint binds a root to its size.
// Exactly the real proof of the real leaf at the claimed place verifies.
func FuzzVerifyInclusion(f *testing.F) {
	f.Add(uint8(7), uint8(3), uint8(7), uint8(3), uint8(0), uint16(0), byte(0))
	f.Add(uint8(8), uint8(3), uint8(7), uint8(3), uint8(0), uint16(0), byte(0))
	f.Add(uint8(1), uint8(0), uint8(1), uint8(0), uint8(4), uint16(0), byte(1))
	f.Add(uint8(64), uint8(63), uint8(65), uint8(63), uint8(1), uint16(9), byte(0))
	d := fuzzLeaves(maxFuzzTree)
	f.Fuzz(func(t *testing.T, n, i, claimN, claimI, op uint8, pos uint16, fill byte) {
		size := int(n)%maxFuzzTree + 1
		index := int(i) % size
		cn, ci := int(claimN)%(maxFuzzTree+1), int(claimI)%(maxFuzzTree+2)
		proof := mutateProof(refPath(index, d[:size]), op, pos, fill)
		err := tlog.VerifyInclusion(proof, uint64(ci), uint64(cn), refLeaf(d[index]), refRoot(d[:cn]))
		genuine := ci == index && ci < cn && slices.Equal(proof, refPath(ci, d[:cn]))
		if (err == nil) != genuine {
			t.Fatalf("VerifyInclusion(proof of leaf %d of %d, op %d, claimed %d of %d) = %v; genuine %v", index, size, op%5, ci, cn, err, genuine)
		}
	})
}

// FuzzVerifyConsistency checks VerifyConsistency against the naive RFC 6962
// recursion in the same way: a real proof from o to n leaves, changed, and
// claimed sizes with their real roots.
func FuzzVerifyConsistency(f *testing.F) {
	f.Add(uint8(7), uint8(3), uint8(7), uint8(3), uint8(0), uint16(0), byte(0))
	f.Add(uint8(8), uint8(8), uint8(8), uint8(8), uint8(4), uint16(0), byte(0))
	f.Add(uint8(37), uint8(1), uint8(73), uint8(2), uint8(0), uint16(0), byte(0))
	f.Add(uint8(64), uint8(1), uint8(64), uint8(2), uint8(2), uint16(3), byte(0))
	d := fuzzLeaves(maxFuzzTree)
	f.Fuzz(func(t *testing.T, n, o, claimN, claimO, op uint8, pos uint16, fill byte) {
		size := int(n)%maxFuzzTree + 1
		old := int(o)%size + 1
		cn, co := int(claimN)%(maxFuzzTree+1), int(claimO)%(maxFuzzTree+1)
		proof := mutateProof(consistencyProof(old, d[:size]), op, pos, fill)
		err := tlog.VerifyConsistency(proof, uint64(co), refRoot(d[:co]), uint64(cn), refRoot(d[:cn]))
		if co > cn { // a rollback, whatever the proof
			if !errors.Is(err, tlog.ErrRollback) {
				t.Fatalf("VerifyConsistency(%d to %d) = %v, want ErrRollback", co, cn, err)
			}
			return
		}
		genuine := slices.Equal(proof, consistencyProof(co, d[:cn]))
		if (err == nil) != genuine {
			t.Fatalf("VerifyConsistency(proof from %d to %d, op %d, claimed %d to %d) = %v; genuine %v", old, size, op%5, co, cn, err, genuine)
		}
	})
}

// consistencyProof is the naive proof from m leaves to all of d: empty
// from the empty tree and to the same tree.
func consistencyProof(m int, d [][]byte) []tlog.Hash {
	if m == 0 || m == len(d) {
		return []tlog.Hash{}
	}
	return refProof(m, d)
}
