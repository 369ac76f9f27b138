package pack

import (
	"errors"
	"sync"
	"testing"

	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// memState is a verify.StateStore in memory.
type memState struct {
	mu sync.Mutex
	m  map[string]verify.State
}

func (s *memState) Load(p string) (verify.State, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[p]
	return st, ok, nil
}

func (s *memState) Save(p string, st verify.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]verify.State{}
	}
	s.m[p] = s.m[p].Merge(st)
	return nil
}

// TestSecurityCase27_PackCheckpointRollback: once a pack of a product
// carrying a checkpoint of N entries verified, a pack of the same log with
// fewer entries is a rollback and one with N entries and another root a
// fork; a pack of the same or a larger log passes and, remembered, moves
// the mark forward, and a checkpoint of another log replaces the old
// log's.
func TestSecurityCase27_PackCheckpointRollback(t *testing.T) {
	root := func(s string) tlog.Hash { return tlog.LeafHash([]byte(s)) }
	cp := func(origin string, size uint64, r string) *tlog.Checkpoint {
		return &tlog.Checkpoint{Origin: origin, Size: size, Root: root(r)}
	}
	store := &memState{}
	steps := []struct {
		name     string
		cp       *tlog.Checkpoint
		wantErr  error
		wantSize uint64
	}{
		{"first pack", cp("log/a", 5, "five"), nil, 5},
		{"the same checkpoint again", cp("log/a", 5, "five"), nil, 5},
		{"a newer pack", cp("log/a", 8, "eight"), nil, 8},
		{"an older pack", cp("log/a", 5, "five"), verify.ErrRollback, 8},
		{"the same size, another root", cp("log/a", 8, "other"), tlog.ErrFork, 8},
		{"a pack of another log", cp("log/b", 2, "two"), nil, 2},
		{"the first log again, older than its last", cp("log/a", 5, "five"), nil, 5},
	}
	for _, s := range steps {
		verdict, err := checkLogState(store, "acme", s.cp)
		if err != nil {
			t.Fatalf("%s: checkLogState error = %v", s.name, err)
		}
		if !errors.Is(verdict, s.wantErr) || (s.wantErr == nil) != (verdict == nil) {
			t.Errorf("%s: verdict = %v, want %v", s.name, verdict, s.wantErr)
		}
		if verdict == nil {
			if err := rememberLog(store, "acme", s.cp); err != nil {
				t.Fatal(err)
			}
		}
		if st, _, _ := store.Load("acme"); st.Log.Size != s.wantSize {
			t.Errorf("%s: remembered %+v, want size %d", s.name, st.Log, s.wantSize)
		}
	}
	if _, ok, _ := store.Load("other-product"); ok {
		t.Errorf("another product has state")
	}
}
