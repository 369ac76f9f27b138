package server

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/postgres"
	"github.com/consign-dev/consign/internal/store/sqlite"
	"github.com/consign-dev/consign/internal/testutil/pgtest"
	"github.com/consign-dev/consign/internal/tlog"
)

// gatedStore holds the first Append until release is closed, so that a
// test can queue requests behind it and have them sequenced as one group;
// with fail set, it fails every Append without appending.
type gatedStore struct {
	store.Store
	entered chan struct{}
	release chan struct{}
	fail    error
	calls   int
}

func (g *gatedStore) Append(ctx context.Context, entries []store.NewEntry) ([]store.Appended, store.Tree, error) {
	g.calls++
	if g.calls == 1 {
		close(g.entered)
		<-g.release
	}
	if g.fail != nil {
		return nil, store.Tree{}, g.fail
	}
	return g.Store.Append(ctx, entries)
}

func testEntry(t *testing.T, product, note string) pendingEntry {
	t.Helper()
	pae := []byte("bench statement " + note)
	leaf, err := tlog.NewLeaf(time.Now(), pae, []tlog.LeafSignature{tlog.SignatureOf(strings.Repeat("ab", 32), pae)})
	if err != nil {
		t.Fatal(err)
	}
	return pendingEntry{leaf: leaf, key: dedupeKey(product, leaf.Key()), envelope: []byte(`{}`), product: product}
}

// TestSequencerGroup: requests queued while an append runs are appended
// as one group, in the order they were queued; the tokens of the group are
// read again before it is appended, so that a request whose token was
// revoked after it was authenticated fails alone (401) and nothing of it
// is logged; an append that fails answers every request of its group with
// the error and no receipt.
func TestSequencerGroup(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "log.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		sequencerGroup(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(context.Background(), pgtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		sequencerGroup(t, st)
	})
}

func sequencerGroup(t *testing.T, st store.Store) {
	ctx := context.Background()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := tlog.NewSigner("log.test/group", priv)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(ctx, Config{Store: st, Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	secretA, _, err := CreateToken(ctx, st, TokenConfig{Name: "a", Products: []string{"p"}})
	if err != nil {
		t.Fatal(err)
	}
	secretB, tokB, err := CreateToken(ctx, st, TokenConfig{Name: "b", Products: []string{"p"}})
	if err != nil {
		t.Fatal(err)
	}
	hashA, hashB := HashToken(secretA), HashToken(secretB)
	// B was accepted by the cache a moment before its revocation.
	srv.principals.put(hashB, &principal{token: tokB, hash: hashB})
	if err := st.RevokeToken(ctx, tokB.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	g := &gatedStore{Store: st, entered: make(chan struct{}), release: make(chan struct{})}
	q := newSequencer(g, time.Now, 16, 512, time.Minute, limits.PublishCheckRate, srv.stillValid, nil)
	defer q.close()
	first, err := q.submit(nil, []pendingEntry{testEntry(t, "p", "first")})
	if err != nil {
		t.Fatal(err)
	}
	<-g.entered
	var reqs []*appendRequest
	for i, tok := range []*tlog.Hash{&hashA, &hashB, &hashA} {
		r, err := q.submit(tok, []pendingEntry{testEntry(t, "p", fmt.Sprint("group ", i)), testEntry(t, "p", fmt.Sprint("group ", i, "b"))})
		if err != nil {
			t.Fatal(err)
		}
		reqs = append(reqs, r)
	}
	close(g.release)
	if res := <-first.done; res.err != nil || res.appended[0].Index != 0 {
		t.Fatalf("first request: %+v", res)
	}
	a1, b, a2 := <-reqs[0].done, <-reqs[1].done, <-reqs[2].done
	if !errors.Is(b.err, api.ErrUnauthorized) || b.appended != nil {
		t.Errorf("request with the revoked token: %+v, want ErrUnauthorized and nothing appended", b)
	}
	if srv.principals.get(hashB) != nil {
		t.Error("the revoked token is still in the cache of accepted tokens")
	}
	if a1.err != nil || a2.err != nil {
		t.Fatalf("requests with a valid token: %v, %v", a1.err, a2.err)
	}
	var got []int64
	for _, a := range append(a1.appended, a2.appended...) {
		got = append(got, a.Index)
	}
	if fmt.Sprint(got) != "[1 2 3 4]" || a1.tree != a2.tree || a1.tree.Size != 5 {
		t.Errorf("group appended at %v in tree %d / %d, want [1 2 3 4] in one tree of 5", got, a1.tree.Size, a2.tree.Size)
	}
	if g.calls != 2 {
		t.Errorf("%d appends, want 2 (the first request, then one group)", g.calls)
	}
	if tr, _ := st.Tree(ctx); tr.Size != 5 {
		t.Errorf("log size %d, want 5", tr.Size)
	}

	// A failed append: every request of its group gets the error, none a
	// result, and the log does not grow.
	boom := errors.New("commit failed")
	g2 := &gatedStore{Store: st, entered: make(chan struct{}), release: make(chan struct{}), fail: boom}
	q2 := newSequencer(g2, time.Now, 16, 512, time.Minute, limits.PublishCheckRate, srv.stillValid, nil)
	defer q2.close()
	var failing []*appendRequest
	for i := range 3 {
		r, err := q2.submit(&hashA, []pendingEntry{testEntry(t, "p", fmt.Sprint("failing ", i))})
		if err != nil {
			t.Fatal(err)
		}
		failing = append(failing, r)
		if i == 0 {
			<-g2.entered
		}
	}
	close(g2.release)
	for i, r := range failing {
		if res := <-r.done; !errors.Is(res.err, boom) || res.appended != nil {
			t.Errorf("request %d of a failed append: %+v", i, res)
		}
	}
	if tr, _ := st.Tree(ctx); tr.Size != 5 {
		t.Errorf("log size %d after a failed append, want 5", tr.Size)
	}
}

// deadlineStore records the deadline of each Append's context.
type deadlineStore struct {
	store.Store
	deadlines chan time.Time
}

func (d *deadlineStore) Append(ctx context.Context, entries []store.NewEntry) ([]store.Appended, store.Tree, error) {
	dl, _ := ctx.Deadline()
	d.deadlines <- dl
	return d.Store.Append(ctx, entries)
}

// TestSequencerAppendDeadline: a batch's append is given the sequencer's
// timeout plus its envelopes' bytes at the check rate, so that the append
// of a million-file link (hundreds of MB, a million subjects) is not cut
// off at the timeout of a small one.
func TestSequencerAppendDeadline(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "log.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	d := &deadlineStore{Store: st, deadlines: make(chan time.Time, 2)}
	q := newSequencer(d, time.Now, 16, 512, time.Minute, 1<<20, nil, nil)
	defer q.close()
	for _, tt := range []struct {
		name string
		size int
		want time.Duration
	}{
		{"small", 2, time.Minute},
		{"10 MiB", 10 << 20, time.Minute + 10*time.Second},
	} {
		e := testEntry(t, "p", tt.name)
		e.envelope = make([]byte, tt.size)
		before := time.Now()
		req, err := q.submit(nil, []pendingEntry{e})
		if err != nil {
			t.Fatal(err)
		}
		if res := <-req.done; res.err != nil {
			t.Fatalf("%s: append: %v", tt.name, res.err)
		}
		if got := (<-d.deadlines).Sub(before); got < tt.want {
			t.Errorf("%s envelope: the append's deadline is %s after it was submitted, want at least %s", tt.name, got, tt.want)
		}
	}
}
