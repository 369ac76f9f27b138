package tlog

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// Hash is a SHA-256 hash in the tree: a leaf hash, a node hash or a root.
// Its JSON and String forms are standard base64.
type Hash = tlog.Hash

// HashSize is the size of a [Hash] in bytes.
const HashSize = tlog.HashSize

// MaxProofHashes bounds the hashes of any proof: a tree of 2^63 leaves has
// height 63, and a consistency proof needs at most one more.
const MaxProofHashes = 64

// HashReader reads stored hashes by their storage index ([StoredHashIndex]).
// It MUST return exactly one hash per index, in order, or an error.
type HashReader = tlog.HashReader

// HashReaderFunc adapts a function to [HashReader].
type HashReaderFunc = tlog.HashReaderFunc

// EmptyRoot is the root of the empty tree: SHA-256 of nothing (RFC 6962 §2.1).
var EmptyRoot = Hash(sha256.Sum256(nil))

// LeafHash is the RFC 6962 hash of a leaf: SHA-256(0x00 || leaf).
func LeafHash(leaf []byte) Hash { return tlog.RecordHash(leaf) }

// NodeHash is the RFC 6962 hash of an interior node: SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash { return tlog.NodeHash(left, right) }

// StoredHashIndex is the storage index of the hash at level of the n'th
// subtree of that level (sumdb/tlog's layout).
func StoredHashIndex(level int, n int64) int64 { return tlog.StoredHashIndex(level, n) }

// StoredHashCount is the number of stored hashes for a tree of n leaves.
func StoredHashCount(n int64) int64 { return tlog.StoredHashCount(n) }

// StoredHashes returns the hashes to store when the leaf with hash h is
// appended as leaf number n (0-based), to be kept from index
// StoredHashCount(n) on. r must hold the hashes of leaves 0..n-1.
func StoredHashes(n int64, h Hash, r HashReader) ([]Hash, error) {
	return tlog.StoredHashesForRecordHash(n, h, r)
}

// TreeHash is the root of the tree of the first n leaves.
func TreeHash(n int64, r HashReader) (Hash, error) { return tlog.TreeHash(n, r) }

// ProveInclusion returns the RFC 6962 audit path of leaf index in the tree
// of size leaves. Requires 0 <= index < size.
func ProveInclusion(index, size int64, r HashReader) ([]Hash, error) {
	if index < 0 || index >= size {
		return nil, fmt.Errorf("%w: leaf %d of a tree of %d", ErrIndex, index, size)
	}
	p, err := tlog.ProveRecord(size, index, r)
	return []Hash(p), err
}

// VerifyInclusion checks that proof shows the leaf with hash leaf at index in
// the tree of size leaves with root root. It returns an error wrapping
// [ErrIndex] unless index < size <= 2^63-1, [ErrMalformed] for a proof of
// more than [MaxProofHashes] hashes, and [ErrInclusion] when the proof does
// not compute root. Hashes are compared byte for byte (security case 72 in docs/security.md).
func VerifyInclusion(proof []Hash, index, size uint64, leaf, root Hash) error {
	if size > math.MaxInt64 || index >= size {
		return fmt.Errorf("%w: leaf %d of a tree of %d", ErrIndex, index, size)
	}
	if len(proof) > MaxProofHashes {
		return fmt.Errorf("%w: inclusion proof of %d hashes", ErrMalformed, len(proof))
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), int64(size), root, int64(index), leaf); err != nil {
		return fmt.Errorf("%w: leaf %d of a tree of %d", ErrInclusion, index, size)
	}
	return nil
}

// ProveConsistency returns the RFC 6962 consistency proof from the tree of
// size oldSize to the tree of size newSize. Requires 0 <= oldSize <= newSize;
// the proof is empty when oldSize is 0 or equals newSize.
func ProveConsistency(oldSize, newSize int64, r HashReader) ([]Hash, error) {
	if oldSize < 0 || oldSize > newSize {
		return nil, fmt.Errorf("%w: consistency from %d to %d", ErrIndex, oldSize, newSize)
	}
	if oldSize == 0 || oldSize == newSize {
		return []Hash{}, nil
	}
	p, err := tlog.ProveTree(newSize, oldSize, r)
	return []Hash(p), err
}

// VerifyConsistency checks that proof shows the tree (newSize, newRoot)
// extends the tree (oldSize, oldRoot). Following RFC 9162 §2.1.4.2:
//   - oldSize > newSize is a rollback: [ErrRollback];
//   - oldSize == newSize needs an empty proof and equal roots, else [ErrFork];
//   - oldSize == 0 needs an empty proof (the empty tree is a prefix of every tree)
//     and the empty root;
//   - otherwise the proof must compute both roots exactly, else [ErrConsistency].
func VerifyConsistency(proof []Hash, oldSize uint64, oldRoot Hash, newSize uint64, newRoot Hash) error {
	switch {
	case oldSize > math.MaxInt64 || newSize > math.MaxInt64:
		return fmt.Errorf("%w: tree size over 2^63-1", ErrIndex)
	case len(proof) > MaxProofHashes:
		return fmt.Errorf("%w: consistency proof of %d hashes", ErrMalformed, len(proof))
	case oldSize > newSize:
		return fmt.Errorf("%w: from %d leaves to %d", ErrRollback, oldSize, newSize)
	case oldSize == newSize:
		if len(proof) != 0 {
			return fmt.Errorf("%w: a proof between trees of the same size must be empty", ErrConsistency)
		}
		if oldRoot != newRoot {
			return fmt.Errorf("%w: two roots for %d leaves: %s and %s", ErrFork, oldSize, oldRoot, newRoot)
		}
		return nil
	case oldSize == 0:
		if len(proof) != 0 {
			return fmt.Errorf("%w: a proof from the empty tree must be empty", ErrConsistency)
		}
		if oldRoot != EmptyRoot {
			return fmt.Errorf("%w: the empty tree's root is not %s", ErrConsistency, oldRoot)
		}
		return nil
	}
	if err := tlog.CheckTree(tlog.TreeProof(proof), int64(newSize), newRoot, int64(oldSize), oldRoot); err != nil {
		return fmt.Errorf("%w: from %d leaves to %d", ErrConsistency, oldSize, newSize)
	}
	return nil
}

// ParseHash decodes one hash in canonical standard base64.
func ParseHash(s string) (Hash, error) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != HashSize || strings.ContainsAny(s, "\r\n") {
		return Hash{}, fmt.Errorf("%w: hash %q is not base64 of 32 bytes", ErrMalformed, truncate(s))
	}
	return Hash(b), nil
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
