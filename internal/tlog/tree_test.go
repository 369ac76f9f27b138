package tlog_test

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/consign-dev/consign/internal/tlog"
)

// memTree is an in-memory log using tlog's stored-hash layout, for tests.
type memTree struct {
	leaves [][]byte
	hashes []tlog.Hash
}

func (m *memTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.hashes)) {
			return nil, fmt.Errorf("hash %d not stored", x)
		}
		out[i] = m.hashes[x]
	}
	return out, nil
}

func (m *memTree) add(t testing.TB, leaf []byte) {
	t.Helper()
	hs, err := tlog.StoredHashes(int64(len(m.leaves)), tlog.LeafHash(leaf), m)
	if err != nil {
		t.Fatalf("StoredHashes: %v", err)
	}
	m.leaves = append(m.leaves, leaf)
	m.hashes = append(m.hashes, hs...)
}

func (m *memTree) root(t testing.TB, n int64) tlog.Hash {
	t.Helper()
	h, err := tlog.TreeHash(n, m)
	if err != nil {
		t.Fatalf("TreeHash(%d): %v", n, err)
	}
	return h
}

func newMemTree(t testing.TB, n int) *memTree {
	m := &memTree{}
	for i := 0; i < n; i++ {
		m.add(t, []byte(fmt.Sprintf("leaf %d", i)))
	}
	return m
}

// The naive RFC 6962 reference, straight from §2.1: MTH, PATH and PROOF by
// recursion over the leaf list, with no storage layout at all.

func refLeaf(b []byte) tlog.Hash { return sha256.Sum256(append([]byte{0}, b...)) }

func refNode(l, r tlog.Hash) tlog.Hash {
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// split is the largest power of two smaller than n (n > 1).
func split(n int) int {
	k := 1
	for k<<1 < n {
		k <<= 1
	}
	return k
}

func refRoot(d [][]byte) tlog.Hash {
	switch len(d) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return refLeaf(d[0])
	}
	k := split(len(d))
	return refNode(refRoot(d[:k]), refRoot(d[k:]))
}

func refPath(m int, d [][]byte) []tlog.Hash {
	if len(d) <= 1 {
		return nil
	}
	k := split(len(d))
	if m < k {
		return append(refPath(m, d[:k]), refRoot(d[k:]))
	}
	return append(refPath(m-k, d[k:]), refRoot(d[:k]))
}

func refProof(m int, d [][]byte) []tlog.Hash { return refSubproof(m, d, true) }

func refSubproof(m int, d [][]byte, b bool) []tlog.Hash {
	n := len(d)
	if m == n {
		if b {
			return nil
		}
		return []tlog.Hash{refRoot(d)}
	}
	k := split(n)
	if m <= k {
		return append(refSubproof(m, d[:k], b), refRoot(d[k:]))
	}
	return append(refSubproof(m-k, d[k:], false), refRoot(d[:k]))
}

func equalHashes(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOracle cross-checks roots, inclusion proofs and consistency proofs of
// the stored-hash implementation against the naive RFC 6962 recursion for
// every tree size, index and prefix up to 70 leaves.
func TestOracle(t *testing.T) {
	const max = 70
	m := newMemTree(t, max)
	for n := 0; n <= max; n++ {
		got, want := m.root(t, int64(n)), refRoot(m.leaves[:n])
		if got != want {
			t.Fatalf("TreeHash(%d) = %s, want %s", n, got, want)
		}
		for i := 0; i < n; i++ {
			p, err := tlog.ProveInclusion(int64(i), int64(n), m)
			if err != nil {
				t.Fatalf("ProveInclusion(%d, %d): %v", i, n, err)
			}
			if want := refPath(i, m.leaves[:n]); !equalHashes(p, want) {
				t.Fatalf("ProveInclusion(%d, %d) = %v, want %v", i, n, p, want)
			}
			if err := tlog.VerifyInclusion(p, uint64(i), uint64(n), refLeaf(m.leaves[i]), want); err != nil {
				t.Fatalf("VerifyInclusion(%d, %d) = %v, want nil", i, n, err)
			}
		}
		for o := 1; o <= n; o++ {
			p, err := tlog.ProveConsistency(int64(o), int64(n), m)
			if err != nil {
				t.Fatalf("ProveConsistency(%d, %d): %v", o, n, err)
			}
			if want := refProof(o, m.leaves[:n]); !equalHashes(p, want) {
				t.Fatalf("ProveConsistency(%d, %d) = %v, want %v", o, n, p, want)
			}
			if err := tlog.VerifyConsistency(p, uint64(o), refRoot(m.leaves[:o]), uint64(n), want); err != nil {
				t.Fatalf("VerifyConsistency(%d, %d) = %v, want nil", o, n, err)
			}
		}
	}
}

// TestEmptyTree checks the RFC 6962 root of the empty tree and that the empty
// tree is consistent with every tree by an empty proof only.
func TestEmptyTree(t *testing.T) {
	m := newMemTree(t, 5)
	if got, want := m.root(t, 0), tlog.Hash(sha256.Sum256(nil)); got != want || got != tlog.EmptyRoot {
		t.Fatalf("root of the empty tree = %s, want %s", got, want)
	}
	if err := tlog.VerifyConsistency(nil, 0, tlog.EmptyRoot, 5, m.root(t, 5)); err != nil {
		t.Errorf("VerifyConsistency(empty -> 5) = %v, want nil", err)
	}
	p, _ := tlog.ProveConsistency(2, 5, m)
	if err := tlog.VerifyConsistency(p, 0, tlog.EmptyRoot, 5, m.root(t, 5)); err == nil {
		t.Errorf("VerifyConsistency(empty -> 5) with a non-empty proof = nil, want an error")
	}
}

func sha(b []byte) tlog.Hash { return sha256.Sum256(b) }
