package tlog_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/consign-dev/consign/internal/tlog"
)

// mutate returns the proofs that differ from p by one hash added, removed,
// or one bit flipped, each with a description.
func mutate(p []tlog.Hash) map[string][]tlog.Hash {
	out := map[string][]tlog.Hash{}
	if len(p) > 0 {
		out["last hash removed"] = append([]tlog.Hash(nil), p[:len(p)-1]...)
		out["first hash removed"] = append([]tlog.Hash(nil), p[1:]...)
	}
	out["zero hash appended"] = append(append([]tlog.Hash(nil), p...), tlog.Hash{})
	out["zero hash prepended"] = append([]tlog.Hash{{}}, p...)
	if len(p) > 0 {
		out["last hash repeated"] = append(append([]tlog.Hash(nil), p...), p[len(p)-1])
	}
	for i := range p {
		for _, bit := range []int{0, 7, 255} {
			q := append([]tlog.Hash(nil), p...)
			q[i][bit/8] ^= 1 << (bit % 8)
			out[fmt.Sprintf("hash %d bit %d flipped", i, bit)] = q
		}
		if i+1 < len(p) && p[i] != p[i+1] {
			q := append([]tlog.Hash(nil), p...)
			q[i], q[i+1] = q[i+1], q[i]
			out[fmt.Sprintf("hashes %d and %d swapped", i, i+1)] = q
		}
	}
	return out
}

// TestInclusionProbes checks that every mutation of a valid inclusion proof,
// and the valid proof with a wrong index, size, leaf or root, is rejected
// (merkle's TestVerifyInclusionProbes; security case 72 (docs/security.md)).
func TestInclusionProbes(t *testing.T) {
	m := newMemTree(t, 37)
	for _, tc := range []struct{ index, size int64 }{{0, 1}, {0, 2}, {1, 2}, {5, 8}, {6, 37}, {35, 37}, {36, 37}, {16, 33}} {
		root := m.root(t, tc.size)
		leaf := tlog.LeafHash(m.leaves[tc.index])
		p, err := tlog.ProveInclusion(tc.index, tc.size, m)
		if err != nil {
			t.Fatal(err)
		}
		idx, size := uint64(tc.index), uint64(tc.size)
		if err := tlog.VerifyInclusion(p, idx, size, leaf, root); err != nil {
			t.Fatalf("VerifyInclusion(%d, %d) = %v, want nil", idx, size, err)
		}
		probes := map[string]func() error{}
		for name, q := range mutate(p) {
			probes[name] = func() error { return tlog.VerifyInclusion(q, idx, size, leaf, root) }
		}
		probes["index+1"] = func() error { return tlog.VerifyInclusion(p, idx+1, size, leaf, root) }
		if idx > 0 {
			probes["index-1"] = func() error { return tlog.VerifyInclusion(p, idx-1, size, leaf, root) }
		}
		probes["index == size"] = func() error { return tlog.VerifyInclusion(p, size, size, leaf, root) }
		// A size that changes the tree's height changes the proof's shape.
		// (A size of the same shape computes the same root: only the signed
		// checkpoint binds the size to the root, which is why receipts
		// always carry one.)
		probes["size*2"] = func() error { return tlog.VerifyInclusion(p, idx, size*2, leaf, root) }
		probes["size 2^64-1"] = func() error { return tlog.VerifyInclusion(p, idx, math.MaxUint64, leaf, root) }
		probes["size 2^63"] = func() error { return tlog.VerifyInclusion(p, idx, 1<<63, leaf, root) }
		probes["size 0"] = func() error { return tlog.VerifyInclusion(p, idx, 0, leaf, root) }
		probes["leaf hash is the raw leaf digest (no 0x00 prefix)"] = func() error {
			return tlog.VerifyInclusion(p, idx, size, sha(m.leaves[tc.index]), root)
		}
		probes["another leaf"] = func() error {
			return tlog.VerifyInclusion(p, idx, size, tlog.LeafHash([]byte("another")), root)
		}
		probes["root differs by 0x20 in one byte"] = func() error {
			r := root
			r[3] ^= 0x20
			return tlog.VerifyInclusion(p, idx, size, leaf, r)
		}
		probes["root of a smaller tree"] = func() error {
			return tlog.VerifyInclusion(p, idx, size, leaf, m.root(t, tc.size-1))
		}
		for name, probe := range probes {
			if err := probe(); err == nil {
				t.Errorf("VerifyInclusion(index %d, size %d) with %s = nil, want an error", idx, size, name)
			} else if !errors.Is(err, tlog.ErrUnverified) && !errors.Is(err, tlog.ErrMalformed) {
				t.Errorf("VerifyInclusion with %s = %v, want a tlog error", name, err)
			}
		}
	}
}

// TestInteriorNodeAsLeaf is the RFC 6962 second-preimage probe: the
// concatenation of two leaf hashes, presented as a leaf, must not verify
// where the interior node they make sits (security case 72 in docs/security.md).
func TestInteriorNodeAsLeaf(t *testing.T) {
	m := newMemTree(t, 4)
	root := m.root(t, 4)
	l0, l1 := tlog.LeafHash(m.leaves[0]), tlog.LeafHash(m.leaves[1])
	fake := append(append([]byte(nil), l0[:]...), l1[:]...)
	p, _ := tlog.ProveInclusion(0, 2, m) // the path of node (0,1) in a tree of 4, shifted up
	full, _ := tlog.ProveInclusion(0, 4, m)
	// At level 1 the node (0,1) has the audit path [hash of leaves 2,3].
	if err := tlog.VerifyInclusion(full[1:], 0, 2, tlog.LeafHash(fake), root); err == nil {
		t.Errorf("an interior node presented as a leaf verified")
	}
	if err := tlog.VerifyInclusion(p, 0, 2, tlog.NodeHash(l0, l1), root); err == nil {
		t.Errorf("an interior node hash verified as a leaf hash of a tree of 2")
	}
}

// TestConsistencyProbes is the probe list of security case 69 (docs/security.md): a proof from
// size1 to size2 must fail when size2 < size1, when size1 is 0 with a
// non-empty proof, when size1 == size2 with a non-empty proof, when the
// proof is empty and size1 < size2, and when one hash is added, removed or
// bit-flipped (merkle's TestVerifyConsistencyProbes).
func TestSecurityCase69_ConsistencyProbes(t *testing.T) {
	m := newMemTree(t, 40)
	for _, tc := range []struct{ old, new int64 }{{1, 2}, {1, 8}, {3, 7}, {4, 8}, {6, 8}, {7, 40}, {16, 33}, {32, 40}, {39, 40}} {
		oldRoot, newRoot := m.root(t, tc.old), m.root(t, tc.new)
		p, err := tlog.ProveConsistency(tc.old, tc.new, m)
		if err != nil {
			t.Fatal(err)
		}
		o, n := uint64(tc.old), uint64(tc.new)
		if err := tlog.VerifyConsistency(p, o, oldRoot, n, newRoot); err != nil {
			t.Fatalf("VerifyConsistency(%d, %d) = %v, want nil", o, n, err)
		}
		probes := map[string]func() error{
			"size2 < size1":                  func() error { return tlog.VerifyConsistency(p, n, newRoot, o, oldRoot) },
			"size1 = 0":                      func() error { return tlog.VerifyConsistency(p, 0, oldRoot, n, newRoot) },
			"size1 = size2, non-empty proof": func() error { return tlog.VerifyConsistency(p, n, newRoot, n, newRoot) },
			"empty proof, size1 < size2":     func() error { return tlog.VerifyConsistency(nil, o, oldRoot, n, newRoot) },
			"size1+1":                        func() error { return tlog.VerifyConsistency(p, o+1, oldRoot, n, newRoot) },
			"size2*2":                        func() error { return tlog.VerifyConsistency(p, o, oldRoot, n*2, newRoot) },
			"size2 = 2^64-1":                 func() error { return tlog.VerifyConsistency(p, o, oldRoot, math.MaxUint64, newRoot) },
			"old root flipped":               func() error { r := oldRoot; r[0] ^= 1; return tlog.VerifyConsistency(p, o, r, n, newRoot) },
			"new root flipped":               func() error { r := newRoot; r[31] ^= 0x20; return tlog.VerifyConsistency(p, o, oldRoot, n, r) },
			"roots swapped":                  func() error { return tlog.VerifyConsistency(p, o, newRoot, n, oldRoot) },
		}
		for name, q := range mutate(p) {
			probes[name] = func() error { return tlog.VerifyConsistency(q, o, oldRoot, n, newRoot) }
		}
		for name, probe := range probes {
			if err := probe(); err == nil {
				t.Errorf("VerifyConsistency(%d -> %d) with %s = nil, want an error", o, n, name)
			}
		}
	}
	// Same size, same root, empty proof: the same tree.
	r := m.root(t, 10)
	if err := tlog.VerifyConsistency(nil, 10, r, 10, r); err != nil {
		t.Errorf("VerifyConsistency(10 -> 10, same root) = %v, want nil", err)
	}
}
