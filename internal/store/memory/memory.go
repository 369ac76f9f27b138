// Package memory is a store.Store in process memory, for tests: fast, and
// gone when the process ends. It passes the conformance suite the SQLite
// and PostgreSQL stores pass; one mutex serialises appends, so only one
// process may use it (a database serialises them for the others).
package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/internal/batch"
	"github.com/consign-dev/consign/internal/tlog"
)

// Store is a store.Store in memory. Its zero value is not usable: call [New].
type Store struct {
	mu       sync.RWMutex
	tree     store.Tree
	hashes   []tlog.Hash // by storage index; always a prefix of the tree's
	entries  []*store.Entry
	keys     map[tlog.Hash]int64
	subjects map[tlog.Hash][]int64 // each by increasing index, once
	identity *store.Identity
	tokens   []*store.Token
	access   []store.Access
}

var _ store.Store = (*Store)(nil)

// New is an empty store.
func New() *Store {
	return &Store{tree: store.Tree{Root: tlog.EmptyRoot}, keys: map[tlog.Hash]int64{}, subjects: map[tlog.Hash][]int64{}}
}

// Close implements store.Store; the store stays usable.
func (s *Store) Close() error { return nil }

// Tree implements store.Log.
func (s *Store) Tree(context.Context) (store.Tree, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.tree, nil
}

// ReadHashes implements store.Log.
func (s *Store) ReadHashes(_ context.Context, indexes []int64) ([]tlog.Hash, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return readHashes(s.hashes, nil, indexes)
}

func readHashes(stored []tlog.Hash, overlay map[int64]tlog.Hash, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		switch h, ok := overlay[x]; {
		case x < 0:
			return nil, fmt.Errorf("%w: hash index %d", store.ErrInvalid, x)
		case ok:
			out[i] = h
		case x < int64(len(stored)):
			out[i] = stored[x]
		default:
			return nil, fmt.Errorf("%w: hash %d", store.ErrNotFound, x)
		}
	}
	return out, nil
}

// Append implements store.Log. Nothing changes unless all of it succeeds.
func (s *Store) Append(_ context.Context, entries []store.NewEntry) ([]store.Appended, store.Tree, error) {
	if len(entries) == 0 {
		return nil, store.Tree{}, fmt.Errorf("%w: nothing to append", store.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	overlay := map[int64]tlog.Hash{}
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return readHashes(s.hashes, overlay, idx) })
	existing := map[tlog.Hash]store.Appended{}
	for _, e := range entries {
		if x, ok := s.keys[e.Key]; ok {
			existing[e.Key] = store.Appended{Index: x, Leaf: s.entries[x].Leaf, Duplicate: true}
		}
	}
	plan, err := batch.Place(entries, s.tree.Size, existing, overlay, reader)
	if err != nil {
		return nil, store.Tree{}, fmt.Errorf("memory: %w", err)
	}
	out, fresh, size := plan.Out, plan.Fresh, plan.Size
	if len(fresh) == 0 {
		return out, s.tree, nil
	}
	root, err := tlog.TreeHash(size, reader)
	if err != nil {
		return nil, store.Tree{}, fmt.Errorf("memory: computing the root: %w", err)
	}
	// The new stored hashes follow the old ones, without a gap.
	for x := int64(len(s.hashes)); ; x++ {
		h, ok := overlay[x]
		if !ok {
			break
		}
		s.hashes = append(s.hashes, h)
	}
	for _, i := range fresh {
		s.add(entries[i], out[i].Index)
	}
	s.tree = store.Tree{Size: size, Root: root}
	return out, s.tree, nil
}

// add records e at index, with copies of its bytes.
func (s *Store) add(e store.NewEntry, index int64) {
	s.entries = append(s.entries, &store.Entry{Index: index, Leaf: slices.Clone(e.Leaf), Envelope: slices.Clone(e.Envelope), Product: e.Product})
	s.keys[e.Key] = index
	for _, d := range e.Subjects {
		if l := s.subjects[d]; len(l) == 0 || l[len(l)-1] != index {
			s.subjects[d] = append(l, index)
		}
	}
}

// Entry implements store.Log.
func (s *Store) Entry(_ context.Context, index int64) (*store.Entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if index < 0 || index >= int64(len(s.entries)) {
		return nil, fmt.Errorf("%w: entry %d", store.ErrNotFound, index)
	}
	return clone(s.entries[index]), nil
}

func clone(e *store.Entry) *store.Entry {
	return &store.Entry{Index: e.Index, Leaf: slices.Clone(e.Leaf), Envelope: slices.Clone(e.Envelope), Product: e.Product}
}

// Entries implements store.Log.
func (s *Store) Entries(_ context.Context, q store.Query) ([]*store.Entry, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("%w: limit %d", store.ErrInvalid, q.Limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*store.Entry
	for _, x := range s.subjects[q.Subject] {
		if len(out) == q.Limit {
			break
		}
		e := s.entries[x]
		if x <= q.After || q.Products != nil && !slices.Contains(q.Products, e.Product) {
			continue
		}
		out = append(out, clone(e))
	}
	return out, nil
}

// ProductEntries implements store.Log.
func (s *Store) ProductEntries(_ context.Context, q store.ProductQuery) ([]*store.Entry, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("%w: limit %d", store.ErrInvalid, q.Limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*store.Entry
	for _, e := range s.entries[max(0, min(q.After+1, int64(len(s.entries)))):] {
		if len(out) == q.Limit {
			break
		}
		if e.Product == q.Product {
			out = append(out, clone(e))
		}
	}
	return out, nil
}

// RecordAccess implements store.AccessRecord.
func (s *Store) RecordAccess(_ context.Context, a store.Access) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a.Time = a.Time.UTC()
	s.access = append(s.access, a)
	return nil
}

// Accesses implements store.AccessRecord.
func (s *Store) Accesses(_ context.Context, q store.AccessQuery) ([]store.Access, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("%w: limit %d", store.ErrInvalid, q.Limit)
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []store.Access
	for i := len(s.access) - 1; i >= 0 && len(out) < q.Limit; i-- {
		if a := s.access[i]; q.Products == nil || slices.Contains(q.Products, a.Product) || q.TokenID != "" && a.TokenID == q.TokenID {
			out = append(out, a)
		}
	}
	return out, nil
}

// LogIdentity implements store.Log.
func (s *Store) LogIdentity(context.Context) (store.Identity, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.identity == nil {
		return store.Identity{}, fmt.Errorf("%w: the store has no log identity yet", store.ErrNotFound)
	}
	return *s.identity, nil
}

// SetLogIdentity implements store.Log.
func (s *Store) SetLogIdentity(_ context.Context, id store.Identity) error {
	if id.Origin == "" || id.Key == "" {
		return fmt.Errorf("%w: empty log identity", store.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.identity == nil {
		s.identity = &id
	}
	if got := *s.identity; got != id {
		return fmt.Errorf("%w: it is the log %q with key %s", store.ErrIdentity, got.Origin, got.Key)
	}
	return nil
}

// CreateToken implements store.Tokens.
func (s *Store) CreateToken(_ context.Context, t *store.Token) error {
	if t.ID == "" || len(t.Products) == 0 {
		return fmt.Errorf("%w: a token needs an id and a product", store.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range s.tokens {
		if o.ID == t.ID || o.Hash == t.Hash {
			return fmt.Errorf("%w: a token with id %q or its hash exists", store.ErrInvalid, t.ID)
		}
	}
	c := cloneToken(t)
	c.Created, c.Revoked = t.Created.UTC(), time.Time{}
	if !t.Expires.IsZero() {
		c.Expires = t.Expires.UTC()
	}
	s.tokens = append(s.tokens, c)
	return nil
}

func cloneToken(t *store.Token) *store.Token {
	c := *t
	c.Products, c.Keys = slices.Clone(t.Products), slices.Clone(t.Keys)
	return &c
}

// TokenByHash implements store.Tokens.
func (s *Store) TokenByHash(_ context.Context, h tlog.Hash) (*store.Token, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, t := range s.tokens {
		if t.Hash == h {
			return cloneToken(t), nil
		}
	}
	return nil, fmt.Errorf("%w: token", store.ErrNotFound)
}

// ListTokens implements store.Tokens.
func (s *Store) ListTokens(context.Context) ([]*store.Token, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*store.Token, len(s.tokens))
	for i, t := range s.tokens {
		out[i] = cloneToken(t)
	}
	slices.SortStableFunc(out, func(a, b *store.Token) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// RevokeToken implements store.Tokens.
func (s *Store) RevokeToken(_ context.Context, id string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.tokens {
		if t.ID == id {
			if t.Revoked.IsZero() {
				t.Revoked = at.UTC()
			}
			return nil
		}
	}
	return fmt.Errorf("%w: token %q", store.ErrNotFound, id)
}
