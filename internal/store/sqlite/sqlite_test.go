package sqlite_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/sqlite"
	"github.com/consign-dev/consign/internal/store/storetest"
	"github.com/consign-dev/consign/internal/tlog"
)

func open(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open(%q): %v", path, err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s := open(t, filepath.Join(t.TempDir(), "log.db"))
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestReopen checks that the log and tokens are in the file: closing and
// reopening it gives the same tree, and appends go on from it.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "log.db")
	s := open(t, path)
	e := store.NewEntry{Key: sha256.Sum256([]byte("k")), Leaf: []byte("leaf\n"), Envelope: []byte("{}"), Product: "p"}
	_, tr, err := s.Append(ctx, []store.NewEntry{e})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetLogIdentity(ctx, store.Identity{Origin: "o", Key: "o+00000000+AQ=="}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, path)
	defer s.Close()
	if got, err := s.Tree(ctx); err != nil || got != tr {
		t.Fatalf("Tree after reopening = %+v, %v; want %+v", got, err, tr)
	}
	e2 := e
	e2.Key = sha256.Sum256([]byte("k2"))
	got, _, err := s.Append(ctx, []store.NewEntry{e, e2})
	if err != nil || !got[0].Duplicate || got[0].Index != 0 || got[1].Index != 1 {
		t.Fatalf("Append after reopening = %+v, %v", got, err)
	}
	if id, err := s.LogIdentity(ctx); err != nil || id.Origin != "o" {
		t.Errorf("LogIdentity after reopening = %+v, %v", id, err)
	}
}

func TestOpenRejects(t *testing.T) {
	for _, p := range []string{"", "a?b", "x#y", filepath.Join(t.TempDir(), "missing-dir", "log.db")} {
		if s, err := sqlite.Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) = nil error, want one", p)
		}
	}
}

// TestFileMode: a new database and its WAL are readable and writable by
// their owner only.
func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	s := open(t, path)
	defer s.Close()
	e := store.NewEntry{Key: sha256.Sum256([]byte("k")), Leaf: []byte("leaf\n"), Envelope: []byte("{}"), Product: "p"}
	if _, _, err := s.Append(context.Background(), []store.NewEntry{e}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, path + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%s has mode %v, want -rw-------", filepath.Base(p), got)
		}
	}
}

// TestRefuseWorldWritable: a database file every user may write is
// refused with ErrUnsafeFile, and left as it was.
func TestRefuseWorldWritable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	open(t, path).Close()
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	s, err := sqlite.Open(context.Background(), path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a world-writable database succeeded")
	}
	if !errors.Is(err, sqlite.ErrUnsafeFile) || !strings.Contains(err.Error(), "every user may write") {
		t.Errorf("Open = %v, want ErrUnsafeFile saying every user may write it", err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Error("the refused database changed")
	}
	if err := os.Chmod(path, 0o664); err != nil {
		t.Fatal(err)
	}
	open(t, path).Close() // group-writable is the owner's choice
}

// TestMigrateTokens opens a database made before tokens had a role and an
// expiry: the columns are added, and its tokens read back without either.
func TestMigrateTokens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE tokens (id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE, name TEXT NOT NULL, products TEXT NOT NULL, pubkeys TEXT NOT NULL, created INTEGER NOT NULL, revoked INTEGER)`,
		`INSERT INTO tokens VALUES ('old', x'` + strings.Repeat("ab", 32) + `', 'ci', '["p"]', '[]', 0, NULL)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	os.Chmod(path, 0o600)
	s := open(t, path)
	defer s.Close()
	list, err := s.ListTokens(ctx)
	if err != nil || len(list) != 1 || list[0].ID != "old" || list[0].Role != "" || !list[0].Expires.IsZero() {
		t.Fatalf("ListTokens of a migrated database = %+v, %v; want the old token, no role, no expiry", list, err)
	}
	tok := &store.Token{ID: "new", Hash: sha256.Sum256([]byte("new")), Products: []string{"p"}, Role: store.RoleInspector, Expires: time.Unix(1e9, 0).UTC()}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatalf("CreateToken in a migrated database: %v", err)
	}
}

// TestWALEmptied: a WAL grown past its limit (here while a reader held an
// old snapshot, so that no checkpoint could copy it back, as under steady
// appends) is emptied by the appends that follow once nothing holds it, not
// left at its largest size, and the log in the file is whole.
func TestWALEmptied(t *testing.T) {
	ctx := context.Background()
	t.Cleanup(sqlite.SetCheckpointing(10*time.Millisecond, 64, 10*time.Millisecond))
	path := filepath.Join(t.TempDir(), "log.db")
	s := open(t, path)
	t.Cleanup(func() { s.Close() })

	reader, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	tx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM entries").Scan(&n); err != nil {
		t.Fatal(err)
	}
	env := bytes.Repeat([]byte("e"), 2000)
	var tree store.Tree
	for i := 0; i < 40; i++ {
		es := make([]store.NewEntry, 20)
		for j := range es {
			es[j] = store.NewEntry{Key: sha256.Sum256([]byte{byte(i), byte(j)}), Leaf: []byte{byte(i), byte(j)}, Envelope: env, Product: "p"}
		}
		if _, tree, err = s.Append(ctx, es); err != nil {
			t.Fatal(err)
		}
	}
	grown := walSize(t, path)
	if grown <= 64*4096 {
		t.Fatalf("the WAL holds %d bytes with a reader on an old snapshot; the test needs it past 64 pages", grown)
	}
	tx.Rollback()
	// Appends go on; one of them empties the WAL, and those after it write
	// a few frames to the emptied file.
	added := 0
	deadline := time.Now().Add(20 * time.Second)
	for walSize(t, path) > grown/4 {
		if time.Now().After(deadline) {
			t.Fatalf("the WAL still holds %d bytes (%d at its largest) after %d more appends: it is never emptied", walSize(t, path), grown, added)
		}
		k := sha256.Sum256([]byte(fmt.Sprint("more", added)))
		if _, tree, err = s.Append(ctx, []store.NewEntry{{Key: k, Leaf: k[:], Envelope: env, Product: "p"}}); err != nil {
			t.Fatal(err)
		}
		added++
		time.Sleep(10 * time.Millisecond)
	}
	// The emptied WAL is written again from its start: its file keeps the
	// space of walLimit frames rather than growing again from nothing.
	if got, want := walSize(t, path), int64(64*(4096+24)); got < want {
		t.Errorf("the emptied WAL's file holds %d bytes; want the %d of its first 64 frames kept", got, want)
	}
	if got, err := s.Tree(ctx); err != nil || got != tree {
		t.Fatalf("Tree after the WAL was emptied = %+v, %v; want %+v", got, err, tree)
	}
	if err := reader.QueryRowContext(ctx, "SELECT count(*) FROM entries").Scan(&n); err != nil || n != 800+added {
		t.Fatalf("the database holds %d entries (%v); want %d", n, err, 800+added)
	}
}

func walSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path + "-wal")
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// formats are a new file (keys in entry_keys, looked up in memory) and
// one made before entry_keys (keys in a UNIQUE column of entries, whose
// appends skip the lookup of their keys while the last one found none
// logged, and meet the logged ones as the constraint refuses them).
var formats = []struct {
	name string
	file func(t *testing.T) string
}{
	{"new", func(t *testing.T) string { return filepath.Join(t.TempDir(), "log.db") }},
	{"old", oldFile},
}

// oldFile is a database file as consign made it before entry_keys, with
// no entries yet.
func oldFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE entries (idx INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, leaf BLOB NOT NULL, envelope BLOB NOT NULL, product TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDuplicatesUnlooked publishes keys already logged, in both formats;
// in the old one, while appends skip the lookup of their keys (after one
// that found none logged) and while they look them up (after one that
// found some): each duplicate answers with its first entry, whatever the
// batch's chunking, and no entry is logged twice.
func TestDuplicatesUnlooked(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) { duplicatesUnlooked(t, f.file(t)) })
	}
}

func duplicatesUnlooked(t *testing.T, path string) {
	s := open(t, path)
	defer s.Close()
	l := newDupLog(t)
	l.append(s, "a", "b")
	l.append(s, "c", "a", "d")      // a is logged
	l.append(s, "e")                // none logged: the next append skips the lookup
	l.append(s, "f", "g", "b", "h") // b is logged, behind a chunk of new keys
	l.append(s, "b", "b")           // looked up
	l.append(s, "i")
	l.append(s, "j", "c")
	l.check(s)
}

// TestTwoStoresOneFile appends through two stores of one file at once (as
// two consign serve processes do), each batch with an entry the other
// store appends too: SQLite's write lock serialises the appends, and an
// append finds the other's entry in its set of logged keys, caught up
// under the lock (new file), or by the UNIQUE constraint (old file).
func TestTwoStoresOneFile(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) {
			path := f.file(t)
			a := open(t, path)
			defer a.Close()
			b := open(t, path)
			defer b.Close()
			storetest.RunShared(t, a, b)
		})
	}
}

// TestDuplicatesAcrossStoresAndRestart appends, through two stores of one
// file and then a third opened after both closed (a restart), batches that
// repeat keys the other store logged, keys earlier in the same batch
// (also in a batch of several chunks), and keys logged before the restart,
// in both formats (in the old one, each store skipping the lookup of its
// keys at first; the comments below are about that one): every duplicate
// answers with the first entry's index and leaf (not its own, which
// differs), the tree grows by the new keys only, with no index skipped,
// and its root is the root of the leaves in index order.
func TestDuplicatesAcrossStoresAndRestart(t *testing.T) {
	for _, f := range formats {
		t.Run(f.name, func(t *testing.T) { duplicatesAcrossStoresAndRestart(t, f.file(t)) })
	}
}

func duplicatesAcrossStoresAndRestart(t *testing.T, path string) {
	a, b := open(t, path), open(t, path)
	l := newDupLog(t)
	l.append(a, "x", "y")                // a's next append skips the lookup
	l.append(b, "z", "x", "z", "w")      // b skips it: x is logged (by a), z twice in the batch
	l.append(a, "v", "w", "v")           // a still skips it: w was logged by b
	l.append(b, "u")                     // none logged
	l.append(b, "t", "t", "s", "u", "t") // u logged, t three times in the batch
	l.append(a, "r", "q")
	// A batch of 100 rows (chunks of 64, 32 and 4) whose duplicates of
	// logged keys sit in its second and last chunks, and of its own in
	// the last: the first chunk, inserted before the refusal, is undone.
	var big []string
	for i := range 100 {
		big = append(big, fmt.Sprintf("big%d", i))
	}
	big[80], big[97], big[98] = "w", "big5", "x"
	l.append(a, big...)
	for _, s := range []*sqlite.Store{a, b} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	c := open(t, path)
	defer c.Close()
	l.append(c, "p", "y", "p") // after the restart: y logged, p twice
	l.append(c, "o")
	l.append(c, "n", "q", "x", "o") // three logged behind a new one
	l.check(c)
}

// dupRounds appends, through two stores of path and then a third opened
// after both closed, batches that repeat keys the other store logged,
// keys earlier in the same batch and keys logged before the restart
// (TestDuplicatesAcrossStoresAndRestart's rounds, without its batch of
// several chunks).
func dupRounds(t *testing.T, path string, l *dupLog) {
	a, b := open(t, path), open(t, path)
	l.append(a, "x", "y")
	l.append(b, "z", "x", "z", "w")
	l.append(a, "v", "w", "v")
	l.append(b, "u")
	l.append(b, "t", "t", "s", "u", "t")
	l.append(a, "r", "q")
	for _, s := range []*sqlite.Store{a, b} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	c := open(t, path)
	defer c.Close()
	l.append(c, "p", "y", "p")
	l.append(c, "n", "q", "x", "o", "n")
	l.check(c)
}

// TestKeysOutsideEntries: a new file holds the entries' keys in
// entry_keys, one row per entry in index order and no index on them (a
// UNIQUE index on a hash wrote one random page per new entry), and no key
// column in entries, so that an older consign, which would append
// without looking keys up, cannot append to it; it can still read it.
func TestKeysOutsideEntries(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "log.db")
	l := newDupLog(t)
	dupRounds(t, path, l)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT idx, key FROM entry_keys ORDER BY idx")
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for rows.Next() {
		var idx int64
		var key []byte
		if err := rows.Scan(&idx, &key); err != nil {
			t.Fatal(err)
		}
		if idx != n || !bytes.Equal(key, keyOf(l, idx)) {
			t.Errorf("entry_keys row %d: index %d key %x; want index %d and its entry's key", n, idx, key, n)
		}
		n++
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if n != int64(len(l.leaves)) {
		t.Errorf("entry_keys has %d rows; the log %d entries", n, len(l.leaves))
	}
	var indexes, keyColumns int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM pragma_index_list('entry_keys')").Scan(&indexes); err != nil || indexes != 0 {
		t.Errorf("entry_keys has %d indexes (%v); want none", indexes, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM pragma_table_info('entries') WHERE name = 'key'").Scan(&keyColumns); err != nil || keyColumns != 0 {
		t.Errorf("entries has %d key columns (%v); want none", keyColumns, err)
	}
	// As consign before entry_keys appended, and read.
	k := sha256.Sum256([]byte("old consign"))
	if _, err := db.ExecContext(ctx, "INSERT INTO entries (idx, key, leaf, envelope, product) VALUES (?, ?, ?, ?, ?)", len(l.leaves), k[:], []byte("leaf"), []byte("{}"), "p"); err == nil {
		t.Error("an insert into entries with a key column succeeded; an older consign could append without its dedupe")
	}
	var leaf []byte
	if err := db.QueryRowContext(ctx, "SELECT leaf FROM entries WHERE idx = 0").Scan(&leaf); err != nil || !bytes.Equal(leaf, l.leaves[0]) {
		t.Errorf("reading entry 0 as an older consign: %q, %v", leaf, err)
	}
}

// TestMissingKeyRefusesAppends: a new file whose entry_keys lacks the key
// of a logged entry (a damaged file) fails every append with an error
// naming it, rather than logging that entry's envelope again.
func TestMissingKeyRefusesAppends(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "log.db")
	l := newDupLog(t)
	s := open(t, path)
	l.append(s, "a", "b", "c")
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM entry_keys WHERE idx = 1"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s = open(t, path)
	defer s.Close()
	for range 2 {
		k := sha256.Sum256([]byte("b"))
		_, _, err := s.Append(ctx, []store.NewEntry{{Key: k, Leaf: []byte("b again\n"), Envelope: []byte("{}"), Product: "p"}})
		if err == nil || !strings.Contains(err.Error(), "entry 1") {
			t.Fatalf("Append to a file missing the key of entry 1: %v; want an error naming it", err)
		}
	}
	if tr, err := s.Tree(ctx); err != nil || tr.Size != 3 {
		t.Fatalf("Tree = %d, %v; want the 3 entries only", tr.Size, err)
	}
}

// keyOf is the key of the entry at idx.
func keyOf(l *dupLog, idx int64) []byte {
	for n, i := range l.index {
		if i == idx {
			k := l.key(n)
			return k[:]
		}
	}
	return nil
}

// TestKeyPrefixCollisions logs keys that all share their first 8 bytes
// (which place a key in the set of logged keys): each is logged once, and
// each duplicate answers with its own key's entry, not another's, across
// two stores on one file and after a restart.
func TestKeyPrefixCollisions(t *testing.T) {
	l := newDupLog(t)
	l.key = func(n string) tlog.Hash {
		k := sha256.Sum256([]byte(n))
		copy(k[:8], "collide!")
		return k
	}
	dupRounds(t, filepath.Join(t.TempDir(), "log.db"), l)
}

// TestOldFileKeepsUniqueKeys opens a file made before entry_keys (its
// entries with a UNIQUE key column and a few logged): appends go on
// deduplicating through that column, across two stores and a restart, and
// the file keeps its layout.
func TestOldFileKeepsUniqueKeys(t *testing.T) {
	ctx := context.Background()
	path := oldFile(t)
	l := newDupLog(t)
	s := open(t, path)
	l.append(s, "old1", "old2", "old1")
	s.Close()
	dupRounds(t, path, l)
	s = open(t, path)
	l.append(s, "old2", "x", "fresh")
	l.check(s)
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables, keyed int
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_schema WHERE name = 'entry_keys'").Scan(&tables); err != nil || tables != 0 {
		t.Errorf("the old file has %d entry_keys tables (%v); want none", tables, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT COUNT(DISTINCT key) FROM entries").Scan(&keyed); err != nil || keyed != len(l.leaves) {
		t.Errorf("the old file's entries hold %d keys (%v); want %d", keyed, err, len(l.leaves))
	}
}

// dupLog appends batches of named keys and checks the answers: a key's
// first entry is logged at the next index, and every later one (whose
// leaf differs, as it names its round) answers with that entry's index
// and leaf, marked a duplicate; the tree grows by the new keys only and
// its root is the root of the leaves in index order.
type dupLog struct {
	t      *testing.T
	index  map[string]int64
	leaves [][]byte
	round  int
	key    func(name string) tlog.Hash
}

func newDupLog(t *testing.T) *dupLog {
	return &dupLog{t: t, index: map[string]int64{}, key: func(n string) tlog.Hash { return sha256.Sum256([]byte(n)) }}
}

func (l *dupLog) append(s *sqlite.Store, names ...string) {
	t := l.t
	t.Helper()
	l.round++
	es := make([]store.NewEntry, len(names))
	for i, n := range names {
		es[i] = store.NewEntry{Key: l.key(n), Leaf: fmt.Appendf(nil, "leaf %s round %d #%d\n", n, l.round, i), Envelope: []byte("{}"), Product: "p"}
	}
	got, tr, err := s.Append(context.Background(), es)
	if err != nil {
		t.Fatalf("round %d: Append: %v", l.round, err)
	}
	for i, n := range names {
		want, logged := l.index[n]
		if !logged {
			want = int64(len(l.leaves))
			l.index[n] = want
			l.leaves = append(l.leaves, es[i].Leaf)
		}
		if got[i].Index != want || got[i].Duplicate != logged || !bytes.Equal(got[i].Leaf, l.leaves[want]) {
			t.Errorf("round %d: %q = index %d duplicate %v leaf %q, want index %d duplicate %v leaf %q",
				l.round, n, got[i].Index, got[i].Duplicate, got[i].Leaf, want, logged, l.leaves[want])
		}
	}
	if tr.Size != int64(len(l.leaves)) || tr.Root != root(t, l.leaves) {
		t.Fatalf("round %d: tree size %d, want %d; or its root is not the leaves'", l.round, tr.Size, len(l.leaves))
	}
}

// check reads every entry back from s: each key's first leaf at its
// index, and nothing past the tree.
func (l *dupLog) check(s *sqlite.Store) {
	t := l.t
	t.Helper()
	ctx := context.Background()
	for n, i := range l.index {
		e, err := s.Entry(ctx, i)
		if err != nil || !bytes.Equal(e.Leaf, l.leaves[i]) {
			t.Errorf("Entry(%d) = %v, %v; want %q's first leaf", i, e, err, n)
		}
	}
	if _, err := s.Entry(ctx, int64(len(l.leaves))); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Entry(%d) past the tree: %v, want ErrNotFound", len(l.leaves), err)
	}
}

// root is the RFC 6962 root of leaves.
func root(t *testing.T, leaves [][]byte) tlog.Hash {
	t.Helper()
	var stored []tlog.Hash
	r := tlog.HashReaderFunc(func(xs []int64) ([]tlog.Hash, error) {
		hs := make([]tlog.Hash, len(xs))
		for i, x := range xs {
			hs[i] = stored[x]
		}
		return hs, nil
	})
	for i, l := range leaves {
		hs, err := tlog.StoredHashes(int64(i), tlog.LeafHash(l), r)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	h, err := tlog.TreeHash(int64(len(leaves)), r)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// crashWriterEnv names the database a test binary started by
// TestDuplicatesAfterKilledWriter appends to until it is killed (see
// TestMain).
const crashWriterEnv = "CONSIGN_TEST_SQLITE_CRASH_WRITER"

// crashEntry is the entry of name a killed writer and its successor
// both append: the leaf names the key, so no two keys share a leaf.
func crashEntry(name string) store.NewEntry {
	return store.NewEntry{Key: sha256.Sum256([]byte(name)), Leaf: []byte("leaf " + name + "\n"), Envelope: []byte("{}"), Product: "p"}
}

// TestMain runs the test binary as the writer TestDuplicatesAfterKilledWriter
// kills, when it starts it so, and the tests otherwise.
func TestMain(m *testing.M) {
	if path := os.Getenv(crashWriterEnv); path != "" {
		if err := crashWriter(path); err != nil {
			fmt.Fprintln(os.Stderr, "crash writer:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashWriter appends to the database at path until it is killed: batches
// of eight new keys, every other one with a key of the batch before (so
// that appends keep skipping the lookup and being refused), each
// acknowledged on stdout once Append returns.
func crashWriter(path string) error {
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		return err
	}
	for i := range 100000 {
		var es []store.NewEntry
		for j := range 8 {
			es = append(es, crashEntry(fmt.Sprintf("c%d-%d", i, j)))
		}
		if i%2 == 1 {
			es = append(es, crashEntry(fmt.Sprintf("c%d-3", i-1)))
		}
		if _, _, err := s.Append(context.Background(), es); err != nil {
			return err
		}
		fmt.Printf("ok %d\n", i)
	}
	return s.Close()
}

// TestDuplicatesAfterKilledWriter kills (SIGKILL) a process appending to
// a SQLite file mid-stream, then appends its keys again from a store
// opened on the file (which skips the lookup at first): every batch the
// writer acknowledged is logged, indexes are contiguous with no key
// twice, the root is the leaves', and each duplicate answers with the
// entry the writer logged.
func TestDuplicatesAfterKilledWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), crashWriterEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	sc := bufio.NewScanner(out)
	for acked < 40 && sc.Scan() {
		fmt.Sscanf(sc.Text(), "ok %d", &acked)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for sc.Scan() { // acknowledged before it died
		fmt.Sscanf(sc.Text(), "ok %d", &acked)
	}
	cmd.Wait()
	if acked < 40 {
		t.Fatalf("the writer acknowledged %d batches before it ended, want 41", acked+1)
	}
	ctx := context.Background()
	s := open(t, path)
	defer s.Close()
	tr, err := s.Tree(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Size%8 != 0 || tr.Size < int64(8*(acked+1)) {
		t.Fatalf("tree size %d after %d acknowledged batches of 8 new keys", tr.Size, acked+1)
	}
	index := map[string]int64{}
	var leaves [][]byte
	for i := range tr.Size {
		e, err := s.Entry(ctx, i)
		if err != nil {
			t.Fatalf("Entry(%d): %v", i, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(string(e.Leaf), "leaf "), "\n")
		if _, twice := index[name]; twice {
			t.Fatalf("%q logged twice", name)
		}
		index[name] = i
		leaves = append(leaves, e.Leaf)
	}
	if tr.Root != root(t, leaves) {
		t.Fatal("the root is not the root of the leaves in index order")
	}
	batches := int(tr.Size / 8)
	for i := range batches {
		for j := range 8 {
			if _, ok := index[fmt.Sprintf("c%d-%d", i, j)]; !ok {
				t.Fatalf("c%d-%d of batch %d of %d logged is missing", i, j, i, batches)
			}
		}
	}
	// The keys again, behind a new one, the last batch's first.
	names := []string{"after the crash"}
	for i := range batches {
		names = append(names, fmt.Sprintf("c%d-%d", batches-1-i, i%8))
	}
	var es []store.NewEntry
	for _, n := range names {
		es = append(es, crashEntry(n))
	}
	got, tr2, err := s.Append(ctx, es)
	if err != nil {
		t.Fatal(err)
	}
	if tr2.Size != tr.Size+1 || got[0].Index != tr.Size || got[0].Duplicate {
		t.Fatalf("after the crash: tree size %d, new entry %+v; want size %d and index %d", tr2.Size, got[0], tr.Size+1, tr.Size)
	}
	for i, n := range names[1:] {
		if a := got[i+1]; !a.Duplicate || a.Index != index[n] || string(a.Leaf) != "leaf "+n+"\n" {
			t.Errorf("%q = index %d duplicate %v, want index %d duplicate", n, a.Index, a.Duplicate, index[n])
		}
	}
}
