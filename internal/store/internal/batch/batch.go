// Package batch places a batch of new entries in a log: the one algorithm
// every store backend appends with, so that all of them deduplicate and
// hash alike.
package batch

import (
	"fmt"

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// Plan is where a batch goes.
type Plan struct {
	// Out has one result per entry, as store.Log.Append returns them.
	Out []store.Appended
	// Fresh are the positions in the batch of the entries that are new.
	Fresh []int
	// Size is the tree's size with the new entries.
	Size int64
}

// Place assigns indexes after a tree of size to entries: an entry whose
// key is in existing (keys already logged) or earlier in the batch is a
// duplicate; every other one is appended. The stored hashes each new
// entry adds go into overlay (by storage index), and are computed with
// reader, which MUST answer from overlay first.
func Place(entries []store.NewEntry, size int64, existing map[tlog.Hash]store.Appended, overlay map[int64]tlog.Hash, reader tlog.HashReader) (*Plan, error) {
	p := &Plan{Out: make([]store.Appended, len(entries)), Size: size}
	inBatch := map[tlog.Hash]int{}
	for i, e := range entries {
		if len(e.Leaf) == 0 {
			return nil, fmt.Errorf("%w: entry %d has no leaf", store.ErrInvalid, i)
		}
		if a, ok := existing[e.Key]; ok {
			p.Out[i] = a
			continue
		}
		if j, ok := inBatch[e.Key]; ok {
			p.Out[i] = store.Appended{Index: p.Out[j].Index, Leaf: p.Out[j].Leaf, Duplicate: true}
			continue
		}
		hashes, err := tlog.StoredHashes(p.Size, tlog.LeafHash(e.Leaf), reader)
		if err != nil {
			return nil, fmt.Errorf("computing tree hashes: %w", err)
		}
		base := tlog.StoredHashCount(p.Size)
		for k, h := range hashes {
			overlay[base+int64(k)] = h
		}
		p.Out[i] = store.Appended{Index: p.Size, Leaf: e.Leaf, Hashes: hashes}
		inBatch[e.Key] = i
		p.Fresh = append(p.Fresh, i)
		p.Size++
	}
	return p, nil
}
