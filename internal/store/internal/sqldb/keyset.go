package sqldb

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// keySet is the set of logged keys of Dialect.KeysInMemory: the keys of
// entries [0, n), read from entry_keys. A key is a SHA-256, so its first
// 8 bytes place it; the rare key whose first 8 bytes an earlier key has
// goes to more, whole. The set holds no key it cannot prove from the
// file: an append catches it up under its lock, before it looks up, from
// the rows of entry_keys the set lacks (those other processes appended),
// and adds its own keys only once they are committed.
type keySet struct {
	mu   sync.Mutex // held for a whole append
	n    int64
	m    map[uint64]int64 // first 8 bytes of a key -> its entry's index
	more map[tlog.Hash]int64
}

func keyPrefix(k tlog.Hash) uint64 { return binary.BigEndian.Uint64(k[:8]) }

func (k *keySet) put(key tlog.Hash, idx int64) {
	p := keyPrefix(key)
	if _, ok := k.m[p]; ok {
		k.more[key] = idx
		return
	}
	k.m[p] = idx
}

// preload reads, before the first append, the keys committed so far from
// q, outside any append's transaction: a committed row of entry_keys
// never changes, so the set may take it before the append's lock, which
// that append then holds only for the keys appended meanwhile.
func (k *keySet) preload(ctx context.Context, q queryer) error {
	if k.m != nil {
		return nil
	}
	k.n, k.m, k.more = 0, map[uint64]int64{}, map[tlog.Hash]int64{}
	return k.read(ctx, q, "SELECT idx, key FROM entry_keys WHERE idx >= ? ORDER BY idx", k.n)
}

// catchUp reads the keys of entries [k.n, size) from the append's
// transaction. A tree smaller than the set (a file put back from a
// backup) has the set read again from the start.
func (k *keySet) catchUp(ctx context.Context, q queryer, size int64) error {
	if k.m == nil || k.n > size {
		k.n, k.m, k.more = 0, map[uint64]int64{}, map[tlog.Hash]int64{}
	}
	if k.n == size {
		return nil
	}
	if err := k.read(ctx, q, "SELECT idx, key FROM entry_keys WHERE idx >= ? AND idx < ? ORDER BY idx", k.n, size); err != nil {
		return err
	}
	if k.n != size {
		return fmt.Errorf("the log has %d entries but keys for %d", size, k.n)
	}
	return nil
}

// read adds the keys query returns, in index order from k.n.
func (k *keySet) read(ctx context.Context, q queryer, query string, args ...any) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var idx int64
		var key []byte
		if err := rows.Scan(&idx, &key); err != nil {
			return err
		}
		if idx != k.n || len(key) != tlog.HashSize {
			return fmt.Errorf("the key of entry %d is missing or corrupt", k.n)
		}
		k.put(tlog.Hash(key), idx)
		k.n++
	}
	return rows.Err()
}

// existing catches the set up with the tree of size the append holds
// locked, and finds the entries of the batch already logged: those whose
// key is the set's, compared whole with the key and leaf read back from
// the file.
func (k *keySet) existing(ctx context.Context, q queryer, size int64, entries []store.NewEntry, maxParams int) (map[tlog.Hash]store.Appended, error) {
	if err := k.catchUp(ctx, q, size); err != nil {
		return nil, err
	}
	var idxs []any
	seen := map[int64]bool{}
	for _, e := range entries {
		for _, idx := range k.candidates(e.Key) {
			if !seen[idx] {
				seen[idx] = true
				idxs = append(idxs, idx)
			}
		}
	}
	found := map[tlog.Hash]store.Appended{}
	for len(idxs) > 0 {
		n := min(len(idxs), maxParams)
		chunk := idxs[:n]
		idxs = idxs[n:]
		rows, err := q.QueryContext(ctx, "SELECT k.idx, k.key, e.leaf FROM entry_keys k JOIN entries e ON e.idx = k.idx WHERE k.idx IN ("+placeholders(n)+")", chunk...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var idx int64
			var key, leaf []byte
			if err := rows.Scan(&idx, &key, &leaf); err != nil {
				rows.Close()
				return nil, err
			}
			if len(key) != tlog.HashSize {
				rows.Close()
				return nil, fmt.Errorf("the key of entry %d is corrupt", idx)
			}
			found[tlog.Hash(key)] = store.Appended{Index: idx, Leaf: leaf, Duplicate: true}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	// found is keyed by the whole keys read back: a candidate that only
	// shares a key's first 8 bytes does not answer for it.
	return found, nil
}

// candidates are the indexes of the logged entries that may have key.
func (k *keySet) candidates(key tlog.Hash) []int64 {
	idx, ok := k.m[keyPrefix(key)]
	if !ok {
		return nil
	}
	if other, ok := k.more[key]; ok {
		return []int64{idx, other}
	}
	return []int64{idx}
}

// added records the keys an append committed: the set held the keys of
// entries [0, from), and the tree now has size entries.
func (k *keySet) added(entries []store.NewEntry, out []store.Appended, fresh []int, from, size int64) {
	if k.n != from {
		return // caught up next time
	}
	for _, i := range fresh {
		k.put(entries[i].Key, out[i].Index)
	}
	k.n = size
}
