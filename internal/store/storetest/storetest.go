// Package storetest is the conformance suite every store.Store backend
// passes: call [Run] from the backend's tests with a function that opens a
// fresh, empty store.
package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// Run runs the conformance suite. open must return a new, empty store each
// time it is called, and arrange its cleanup with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		f    func(t *testing.T, s store.Store)
	}{
		{"Empty", testEmpty},
		{"AppendAndProve", testAppendAndProve},
		{"Dedup", testDedup},
		{"GroupSizes", testGroupSizes},
		{"Entries", testEntries},
		{"Identity", testIdentity},
		{"Tokens", testTokens},
		{"InspectorTokens", testInspectorTokens},
		{"ProductEntries", testProductEntries},
		{"AccessRecord", testAccessRecord},
		{"ConcurrentAppends", testConcurrentAppends},
		{"Invalid", testInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.f(t, open(t))
		})
	}
}

var ctx = context.Background()

// refRoot is the naive RFC 6962 root of leaves, independent of any storage layout.
func refRoot(leaves [][]byte) tlog.Hash {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1
	for k<<1 < len(leaves) {
		k <<= 1
	}
	l, r := refRoot(leaves[:k]), refRoot(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

func entry(name string, subjects ...string) store.NewEntry {
	e := store.NewEntry{
		Key:      sha256.Sum256([]byte("key " + name)),
		Leaf:     []byte("leaf " + name + "\n"),
		Envelope: []byte(`{"envelope":"` + name + `"}`),
		Product:  "product-a",
	}
	for _, s := range subjects {
		e.Subjects = append(e.Subjects, sha256.Sum256([]byte(s)))
	}
	return e
}

func hashReader(t *testing.T, s store.Store) tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return s.ReadHashes(ctx, idx) })
}

func testEmpty(t *testing.T, s store.Store) {
	tr, err := s.Tree(ctx)
	if err != nil || tr.Size != 0 || tr.Root != tlog.EmptyRoot {
		t.Fatalf("Tree() of a new store = %+v, %v; want size 0 and the empty root", tr, err)
	}
	if _, err := s.Entry(ctx, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Entry(0) of a new store = %v, want ErrNotFound", err)
	}
	if _, err := s.ReadHashes(ctx, []int64{0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadHashes(0) of a new store = %v, want ErrNotFound", err)
	}
	if _, err := s.LogIdentity(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("LogIdentity of a new store = %v, want ErrNotFound", err)
	}
}

func testAppendAndProve(t *testing.T, s store.Store) {
	var leaves [][]byte
	n := 0
	for _, batch := range []int{1, 1, 3, 8, 20, 1, 70} {
		var es []store.NewEntry
		for i := 0; i < batch; i++ {
			es = append(es, entry(fmt.Sprint(n), fmt.Sprint("subject", n)))
			n++
		}
		got, tr, err := s.Append(ctx, es)
		if err != nil {
			t.Fatalf("Append(%d entries): %v", batch, err)
		}
		for i, a := range got {
			want := int64(len(leaves) + i)
			if a.Index != want || a.Duplicate || string(a.Leaf) != string(es[i].Leaf) {
				t.Fatalf("Append result %d = %+v, want index %d, new", i, a, want)
			}
		}
		for _, e := range es {
			leaves = append(leaves, e.Leaf)
		}
		if tr.Size != int64(len(leaves)) || tr.Root != refRoot(leaves) {
			t.Fatalf("tree after %d leaves = %+v, want root %s", len(leaves), tr, refRoot(leaves))
		}
		if cur, err := s.Tree(ctx); err != nil || cur != tr {
			t.Fatalf("Tree() = %+v, %v; want %+v", cur, err, tr)
		}
		// Every leaf has a valid inclusion proof against the new root, and the
		// tree is consistent with every earlier size.
		r := hashReader(t, s)
		for i := range leaves {
			p, err := tlog.ProveInclusion(int64(i), tr.Size, r)
			if err != nil {
				t.Fatalf("ProveInclusion(%d, %d): %v", i, tr.Size, err)
			}
			if err := tlog.VerifyInclusion(p, uint64(i), uint64(tr.Size), tlog.LeafHash(leaves[i]), tr.Root); err != nil {
				t.Fatalf("VerifyInclusion(%d, %d): %v", i, tr.Size, err)
			}
		}
		for old := 1; old <= len(leaves); old++ {
			p, err := tlog.ProveConsistency(int64(old), tr.Size, r)
			if err != nil {
				t.Fatalf("ProveConsistency(%d, %d): %v", old, tr.Size, err)
			}
			if err := tlog.VerifyConsistency(p, uint64(old), refRoot(leaves[:old]), uint64(tr.Size), tr.Root); err != nil {
				t.Fatalf("VerifyConsistency(%d, %d): %v", old, tr.Size, err)
			}
		}
	}
	e, err := s.Entry(ctx, 5)
	if err != nil || e.Index != 5 || string(e.Leaf) != "leaf 5\n" || string(e.Envelope) != `{"envelope":"5"}` || e.Product != "product-a" {
		t.Errorf("Entry(5) = %+v, %v", e, err)
	}
	if _, err := s.Entry(ctx, int64(n)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Entry(size) = %v, want ErrNotFound", err)
	}
}

// testGroupSizes appends groups around and past the sizes a backend may
// split its statements at (powers of two, 64 rows), with duplicates of
// earlier groups and of the same group and two subjects an entry: every
// new entry is stored once, at its index, with its leaf, envelope and
// subjects, and every duplicate answers with the first one.
func testGroupSizes(t *testing.T, s store.Store) {
	var leaves [][]byte
	n := 0
	for _, size := range []int{1, 2, 3, 63, 64, 65, 127, 128, 130, 200} {
		var es []store.NewEntry
		for i := 0; i < size; i++ {
			switch {
			case i%10 == 3 && n > 0:
				es = append(es, entry(fmt.Sprint(n/2), fmt.Sprint("subject", n/2), "shared")) // logged earlier
			case i%10 == 7:
				es = append(es, es[i-1]) // earlier in this group
			default:
				es = append(es, entry(fmt.Sprint(n), fmt.Sprint("subject", n), "shared"))
				n++
			}
		}
		got, tr, err := s.Append(ctx, es)
		if err != nil {
			t.Fatalf("Append(%d entries): %v", size, err)
		}
		for i, a := range got {
			if a.Duplicate {
				// Its first copy, in an earlier group or earlier in this one.
				want := slices.IndexFunc(leaves, func(l []byte) bool { return string(l) == string(es[i].Leaf) })
				if want < 0 || a.Index != int64(want) || string(a.Leaf) != string(es[i].Leaf) {
					t.Fatalf("group of %d: result %d = %+v, want a duplicate of entry %d", size, i, a, want)
				}
				continue
			}
			if a.Index != int64(len(leaves)) || string(a.Leaf) != string(es[i].Leaf) {
				t.Fatalf("group of %d: result %d = %+v, want index %d, new", size, i, a, len(leaves))
			}
			leaves = append(leaves, es[i].Leaf)
		}
		if tr.Size != int64(len(leaves)) || tr.Root != refRoot(leaves) {
			t.Fatalf("tree after a group of %d = %+v, want size %d, root %s", size, tr, len(leaves), refRoot(leaves))
		}
	}
	for i, l := range leaves {
		e, err := s.Entry(ctx, int64(i))
		name := strings.TrimSuffix(strings.TrimPrefix(string(l), "leaf "), "\n")
		if err != nil || string(e.Leaf) != string(l) || string(e.Envelope) != `{"envelope":"`+name+`"}` {
			t.Fatalf("Entry(%d) = %+v, %v; want leaf %q", i, e, err, l)
		}
		es, err := s.Entries(ctx, store.Query{Subject: sha256.Sum256([]byte("subject" + name)), After: -1, Limit: 10})
		if err != nil || len(es) != 1 || es[0].Index != int64(i) {
			t.Fatalf("Entries(subject of entry %d) = %d entries, %v; want entry %d", i, len(es), err, i)
		}
	}
	all, err := s.Entries(ctx, store.Query{Subject: sha256.Sum256([]byte("shared")), After: -1, Limit: 10000})
	if err != nil || len(all) != len(leaves) {
		t.Fatalf("Entries(shared subject) = %d entries, %v; want %d", len(all), err, len(leaves))
	}
}

func testDedup(t *testing.T, s store.Store) {
	a, b, c := entry("a"), entry("b"), entry("c")
	if _, _, err := s.Append(ctx, []store.NewEntry{a, b}); err != nil {
		t.Fatal(err)
	}
	// The same attestation again, accepted later: its leaf differs (another
	// time) but its key does not. The earlier entry stands.
	again := a
	again.Leaf = []byte("leaf a, later\n")
	got, tr, err := s.Append(ctx, []store.NewEntry{again, c, c})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Appended{
		{Index: 0, Leaf: a.Leaf, Duplicate: true},
		{Index: 2, Leaf: c.Leaf},
		{Index: 2, Leaf: c.Leaf, Duplicate: true},
	}
	for i := range want {
		if got[i].Index != want[i].Index || string(got[i].Leaf) != string(want[i].Leaf) || got[i].Duplicate != want[i].Duplicate {
			t.Errorf("Append result %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if tr.Size != 3 || tr.Root != refRoot([][]byte{a.Leaf, b.Leaf, c.Leaf}) {
		t.Errorf("tree = %+v, want 3 leaves", tr)
	}
	// A batch of duplicates only leaves the tree as it was.
	got, tr2, err := s.Append(ctx, []store.NewEntry{b})
	if err != nil || tr2 != tr || !got[0].Duplicate || got[0].Index != 1 {
		t.Errorf("Append(duplicate only) = %+v, %+v, %v; want the tree unchanged", got, tr2, err)
	}
}

func testEntries(t *testing.T, s store.Store) {
	es := []store.NewEntry{entry("0", "S", "T"), entry("1", "T"), entry("2", "S", "S"), entry("3"), entry("4", "S")}
	es[4].Product = "product-b"
	if _, _, err := s.Append(ctx, es); err != nil {
		t.Fatal(err)
	}
	S := tlog.Hash(sha256.Sum256([]byte("S")))
	indexes := func(q store.Query) []int64 {
		t.Helper()
		got, err := s.Entries(ctx, q)
		if err != nil {
			t.Fatalf("Entries(%+v): %v", q, err)
		}
		var out []int64
		for _, e := range got {
			out = append(out, e.Index)
		}
		return out
	}
	for _, tt := range []struct {
		q    store.Query
		want []int64
	}{
		{store.Query{Subject: S, After: -1, Limit: 10}, []int64{0, 2, 4}},
		{store.Query{Subject: S, After: 0, Limit: 10}, []int64{2, 4}},
		{store.Query{Subject: S, After: -1, Limit: 2}, []int64{0, 2}},
		{store.Query{Subject: S, After: -1, Limit: 10, Products: []string{"product-b"}}, []int64{4}},
		{store.Query{Subject: S, After: -1, Limit: 10, Products: []string{"product-a", "product-b"}}, []int64{0, 2, 4}},
		{store.Query{Subject: S, After: -1, Limit: 10, Products: []string{}}, nil},
		{store.Query{Subject: S, After: -1, Limit: 10, Products: []string{"product-c"}}, nil},
		{store.Query{Subject: sha256.Sum256([]byte("U")), After: -1, Limit: 10}, nil},
	} {
		if got := indexes(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("Entries(%+v) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func testIdentity(t *testing.T, s store.Store) {
	id := store.Identity{Origin: "log.example", Key: "log.example+01234567+AQ=="}
	if err := s.SetLogIdentity(ctx, id); err != nil {
		t.Fatalf("SetLogIdentity: %v", err)
	}
	if err := s.SetLogIdentity(ctx, id); err != nil {
		t.Errorf("SetLogIdentity(the same again) = %v, want nil", err)
	}
	if got, err := s.LogIdentity(ctx); err != nil || got != id {
		t.Errorf("LogIdentity = %+v, %v; want %+v", got, err, id)
	}
	for _, other := range []store.Identity{{Origin: "log.example", Key: "log.example+89abcdef+AQ=="}, {Origin: "other", Key: id.Key}} {
		if err := s.SetLogIdentity(ctx, other); !errors.Is(err, store.ErrIdentity) {
			t.Errorf("SetLogIdentity(%+v) over %+v = %v, want ErrIdentity", other, id, err)
		}
	}
}

func testTokens(t *testing.T, s store.Store) {
	now := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	t1 := &store.Token{ID: "t1", Hash: sha256.Sum256([]byte("secret 1")), Name: "ci", Products: []string{"p1", "p2"}, Keys: []string{"-----BEGIN PUBLIC KEY-----\nA\n-----END PUBLIC KEY-----\n"}, Created: now}
	t2 := &store.Token{ID: "t2", Hash: sha256.Sum256([]byte("secret 2")), Products: []string{"p1"}, Created: now.Add(time.Second)}
	for _, tok := range []*store.Token{t2, t1} {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatalf("CreateToken(%s): %v", tok.ID, err)
		}
	}
	got, err := s.TokenByHash(ctx, sha256.Sum256([]byte("secret 1")))
	if err != nil || got.ID != "t1" || got.Name != "ci" || !slices.Equal(got.Products, t1.Products) || !slices.Equal(got.Keys, t1.Keys) || !got.Created.Equal(now) || !got.Revoked.IsZero() {
		t.Fatalf("TokenByHash = %+v, %v; want %+v", got, err, t1)
	}
	if got, err := s.TokenByHash(ctx, sha256.Sum256([]byte("secret 2"))); err != nil || len(got.Keys) != 0 {
		t.Errorf("TokenByHash(read-only token) = %+v, %v", got, err)
	}
	if _, err := s.TokenByHash(ctx, sha256.Sum256([]byte("secret 3"))); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TokenByHash(unknown) = %v, want ErrNotFound", err)
	}
	list, err := s.ListTokens(ctx)
	if err != nil || len(list) != 2 || list[0].ID != "t1" || list[1].ID != "t2" {
		t.Fatalf("ListTokens = %+v, %v; want t1, t2", list, err)
	}
	if err := s.RevokeToken(ctx, "t1", now.Add(time.Hour)); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	if err := s.RevokeToken(ctx, "t1", now.Add(2*time.Hour)); err != nil {
		t.Errorf("RevokeToken(again) = %v, want nil", err)
	}
	if got, _ := s.TokenByHash(ctx, t1.Hash); !got.Revoked.Equal(now.Add(time.Hour)) {
		t.Errorf("revoked at %v, want the first revocation %v", got.Revoked, now.Add(time.Hour))
	}
	if err := s.RevokeToken(ctx, "nope", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokeToken(unknown) = %v, want ErrNotFound", err)
	}
}

// testConcurrentAppends appends from many goroutines at once: every entry
// gets exactly one index, the indices are contiguous, and the root is the
// root of the leaves in index order.
func testConcurrentAppends(t *testing.T, s store.Store) {
	const workers, batches, per = 8, 12, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < batches; b++ {
				var es []store.NewEntry
				for i := 0; i < per; i++ {
					es = append(es, entry(fmt.Sprintf("w%d-b%d-%d", w, b, i)))
				}
				es = append(es, entry("shared")) // every batch also carries one shared entry
				if _, _, err := s.Append(ctx, es); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Append: %v", err)
	}
	tr, err := s.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(workers*batches*per + 1); tr.Size != want {
		t.Fatalf("size after concurrent appends = %d, want %d", tr.Size, want)
	}
	var leaves [][]byte
	seen := map[string]bool{}
	for i := int64(0); i < tr.Size; i++ {
		e, err := s.Entry(ctx, i)
		if err != nil {
			t.Fatalf("Entry(%d): %v (indices must be contiguous)", i, err)
		}
		if seen[string(e.Leaf)] {
			t.Fatalf("leaf %q logged twice", e.Leaf)
		}
		seen[string(e.Leaf)] = true
		leaves = append(leaves, e.Leaf)
	}
	if tr.Root != refRoot(leaves) {
		t.Fatalf("root after concurrent appends is not the root of the leaves in index order")
	}
}

func testInvalid(t *testing.T, s store.Store) {
	if _, _, err := s.Append(ctx, nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Append(nothing) = %v, want ErrInvalid", err)
	}
	if _, err := s.Entries(ctx, store.Query{Limit: 0}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Entries(limit 0) = %v, want ErrInvalid", err)
	}
	if _, err := s.ReadHashes(ctx, []int64{-1}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("ReadHashes(-1) = %v, want ErrInvalid", err)
	}
	if _, err := s.Entry(ctx, -1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Entry(-1) = %v, want ErrNotFound", err)
	}
	if err := s.SetLogIdentity(ctx, store.Identity{}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("SetLogIdentity(empty) = %v, want ErrInvalid", err)
	}
}

// RunShared appends through two stores opened on one database at the same
// time and checks they hold one log: contiguous indices, no entry twice,
// the same tree seen through both.
func RunShared(t *testing.T, a, b store.Store) {
	const batches, per = 20, 4
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w, s := range []store.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < batches; i++ {
				var es []store.NewEntry
				for j := 0; j < per; j++ {
					es = append(es, entry(fmt.Sprintf("s%d-%d-%d", w, i, j)))
				}
				es = append(es, entry(fmt.Sprintf("both-%d", i)))
				if _, _, err := s.Append(ctx, es); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	ta, err1 := a.Tree(ctx)
	tb, err2 := b.Tree(ctx)
	if err1 != nil || err2 != nil || ta != tb {
		t.Fatalf("the two stores see different trees: %+v %v, %+v %v", ta, err1, tb, err2)
	}
	if want := int64(2*batches*per + batches); ta.Size != want {
		t.Fatalf("size = %d, want %d", ta.Size, want)
	}
	var leaves [][]byte
	for i := int64(0); i < ta.Size; i++ {
		e, err := b.Entry(ctx, i)
		if err != nil {
			t.Fatalf("Entry(%d): %v", i, err)
		}
		leaves = append(leaves, e.Leaf)
	}
	if refRoot(leaves) != ta.Root {
		t.Fatalf("root is not the root of the leaves in index order")
	}
}
