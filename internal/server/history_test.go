package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/store"
)

// rewritten is a store whose tree root can be swapped, as a log rewritten
// under the server would show.
type rewritten struct {
	store.Store
	root *store.Tree
}

func (s rewritten) Tree(ctx context.Context) (store.Tree, error) {
	t, err := s.Store.Tree(ctx)
	if err == nil && s.root != nil && s.root.Size == t.Size {
		t.Root = s.root.Root
	}
	return t, err
}

// TestCheckpointHistory: each checkpoint served is recorded once, with a
// verified consistency proof from the one before; the history keeps the
// last 16; a root that does not extend the last one served is recorded as
// inconsistent, with the reason.
func TestCheckpointHistory(t *testing.T) {
	st := rewritten{Store: memStore(), root: new(store.Tree)}
	e := newEnv(t, st, server.Config{})
	k := newKey(t)
	tok := e.token([]string{"p"}, k)
	checkpoint := func() {
		t.Helper()
		if code, _, body := e.get(tok, "/api/v1/log/checkpoint"); code != http.StatusOK {
			t.Fatalf("GET checkpoint = %d %s", code, body)
		}
	}
	checkpoint()
	for i := range 20 {
		_, line := envelope(t, k, "a", strings.Repeat("x", i))
		if code, _, body := e.post(tok, "", line); code != http.StatusOK {
			t.Fatalf("publish = %d %s", code, body)
		}
		checkpoint()
		checkpoint() // the same tree: not recorded twice
	}
	h := e.srv.CheckpointHistory()
	if len(h) != 16 {
		t.Fatalf("history holds %d checkpoints, want 16", len(h))
	}
	for i, r := range h {
		if want := int64(20 - i); r.Size != want || r.From != want-1 || !r.Consistent || r.ProofHashes == 0 && r.From > 0 {
			t.Errorf("history[%d] = %+v, want size %d consistent with %d", i, r, want, want-1)
		}
	}

	// The store answers another root for the next size.
	_, line := envelope(t, k, "b", "rewritten")
	if code, _, body := e.post(tok, "", line); code != http.StatusOK {
		t.Fatalf("publish = %d %s", code, body)
	}
	*st.root = store.Tree{Size: 21, Root: [32]byte{1}}
	checkpoint()
	got := e.srv.CheckpointHistory()[0]
	if got.Size != 21 || got.Consistent || !strings.Contains(got.Problem, "consisten") {
		t.Errorf("after a rewritten root, history[0] = %+v, want an inconsistency from 20", got)
	}
}
