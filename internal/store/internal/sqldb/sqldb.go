// Package sqldb is the database/sql implementation of store.Store shared by
// the sqlite and postgres backends; a Dialect supplies what differs.
package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/internal/batch"
	"github.com/consign-dev/consign/internal/tlog"
)

// Dialect is what differs between SQL databases.
type Dialect struct {
	// Name names the backend in errors.
	Name string
	// Numbered placeholders ($1, $2, ...) instead of '?'.
	Numbered bool
	// LockTree is the query that reads the tree row (size, root) inside an
	// append transaction and, with the transaction, serialises appends.
	LockTree string
	// MaxParams bounds the parameters of one statement.
	MaxParams int
	// PreparedAppends has an append run statements prepared once on the
	// appending connection, their rows sent in chunks of a few fixed
	// sizes (powers of two up to [maxChunk]) so that a few statements
	// serve every group size. SQLite (modernc) compiles every statement
	// it is given otherwise, which was ≈ 7 % of an append's CPU; pgx
	// keeps its own statement cache, and a chunk is a round trip there.
	PreparedAppends bool
	// UniqueViolation, when set, tells an insert refused for a key
	// already logged (entries.key). Appends then skip looking the keys
	// of their entries up while the last one found none logged: the
	// UNIQUE constraint refuses a logged key all the same, and an append
	// so refused runs again from the start, looking its keys up, as do
	// the appends after it until one finds no key logged. For SQLite,
	// where the lookup of a group's keys in the entries' key index cost
	// as much again as the index's own check on insert; on PostgreSQL a
	// refused insert aborts the transaction.
	UniqueViolation func(error) bool
	// KeysInMemory keeps the entries' keys out of any index: they are
	// rows of entry_keys (idx, key), appended in index order, and an
	// append finds the logged ones in a set in memory (keySet), caught
	// up with the file under the append's lock. A UNIQUE index on a
	// hash dirtied one random page per new entry, written to the WAL at
	// every commit and again at the checkpoint (issue 15). The lock that
	// serialises appends across processes makes the set's answer
	// exact: every key logged before the append is in it.
	KeysInMemory bool
}

// maxChunk is the most rows a prepared append statement writes.
const maxChunk = 64

// DB is a store.Store over database/sql.
type DB struct {
	db    *sql.DB // appends (and everything else when rdb is db)
	rdb   *sql.DB // reads
	d     Dialect
	stmts sync.Map // query -> *sql.Stmt on rdb

	// wstmts are the append's statements, prepared on db (query ->
	// *sql.Stmt), for Dialect.PreparedAppends. They are prepared before
	// an append's transaction starts: the transaction holds SQLite's one
	// appending connection.
	wmu    sync.Mutex
	wstmts map[string]*sql.Stmt

	// edge holds committed stored hashes: the subtree roots of the last
	// tree this DB appended to (its right edge), which the next append
	// needs. A committed hash never changes, so the cache is right
	// whatever other processes append in between; an index it misses is
	// read from the database.
	edgeMu sync.Mutex
	edge   map[int64]tlog.Hash

	// lookup has appends look their keys up first (Dialect.UniqueViolation).
	lookup atomic.Bool

	// keys are the logged keys, for Dialect.KeysInMemory.
	keys *keySet
}

// errLogged is an append's insert refused for a key already logged, when
// its keys were not looked up.
var errLogged = errors.New("a key is logged already")

// New wraps db, whose schema must already exist. Reads go to rdb, which may
// be db itself; a separate pool keeps readers from queueing in front of the
// appender (SQLite's single writer).
func New(db, rdb *sql.DB, d Dialect) *DB {
	s := &DB{db: db, rdb: rdb, d: d}
	if d.KeysInMemory {
		s.keys = &keySet{}
	}
	return s
}

// Close closes the database.
func (s *DB) Close() error {
	s.stmts.Range(func(_, v any) bool { v.(*sql.Stmt).Close(); return true })
	s.wmu.Lock()
	for _, st := range s.wstmts {
		st.Close()
	}
	s.wstmts = nil
	s.wmu.Unlock()
	err := s.db.Close()
	if s.rdb != s.db {
		if rerr := s.rdb.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// prepared is query prepared once on the read pool.
func (s *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(query); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.rdb.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil, err
	}
	if old, loaded := s.stmts.LoadOrStore(query, st); loaded {
		st.Close()
		return old.(*sql.Stmt), nil
	}
	return st, nil
}

// The statements of an append, and the number of rows of each insert.
const (
	insertEntries = "INSERT INTO entries (idx, key, leaf, envelope, product)"
	// With Dialect.KeysInMemory, the keys go to entry_keys.
	insertEntriesNoKey = "INSERT INTO entries (idx, leaf, envelope, product)"
	insertKeys         = "INSERT INTO entry_keys (idx, key)"
	insertSubject      = "INSERT INTO subjects (digest, idx)"
	insertHash         = "INSERT INTO hashes (id, hash)"
	selectKeys         = "SELECT key, idx, leaf FROM entries WHERE key IN ("
	updateTree         = "UPDATE tree SET size = ?, root = ? WHERE id = 1 AND size = ?"
)

var insertWidths = map[string]int{insertEntries: 5, insertEntriesNoKey: 4, insertKeys: 2, insertSubject: 2, insertHash: 2}

// insertHeads are the inserts of an append to s.
func (s *DB) insertHeads() []string {
	if s.keys != nil {
		return []string{insertEntriesNoKey, insertKeys, insertSubject, insertHash}
	}
	return []string{insertEntries, insertSubject, insertHash}
}

// insertQuery is head's statement for n rows.
func insertQuery(head string, n int) string {
	row := "(" + placeholders(insertWidths[head]) + ")"
	return head + " VALUES " + strings.TrimSuffix(strings.Repeat(row+",", n), ",")
}

// keysQuery is the dedupe lookup of n keys.
func keysQuery(n int) string { return selectKeys + placeholders(n) + ")" }

// prepareAppends prepares every statement an append may run, once, on
// db; a failure is tried again at the next append.
func (s *DB) prepareAppends(ctx context.Context) (map[string]*sql.Stmt, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.wstmts != nil {
		return s.wstmts, nil
	}
	queries := []string{s.d.LockTree, updateTree}
	for n := 1; n <= maxChunk; n *= 2 {
		if s.keys == nil {
			queries = append(queries, keysQuery(n))
		}
		for _, head := range s.insertHeads() {
			queries = append(queries, insertQuery(head, n))
		}
	}
	m := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		st, err := s.db.PrepareContext(ctx, s.q(q))
		if err != nil {
			for _, st := range m {
				st.Close()
			}
			return nil, fmt.Errorf("%s: preparing the append's statements: %w", s.d.Name, err)
		}
		m[s.q(q)] = st
	}
	s.wstmts = m
	return m, nil
}

// chunkSize is the size of the next chunk of n rows for a prepared
// statement: the largest power of two not over n or maxChunk.
func chunkSize(n int) int {
	c := 1
	for c*2 <= n && c*2 <= maxChunk {
		c *= 2
	}
	return c
}

// appendTx is an append's transaction, with the statements prepared for
// it (nil without Dialect.PreparedAppends).
type appendTx struct {
	*sql.Tx
	stmts map[string]*sql.Stmt
}

// exec runs query in the transaction, prepared if it is one of the
// prepared statements.
func (tx appendTx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st, ok := tx.stmts[query]; ok {
		return tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, query, args...)
}

// QueryContext implements queryer, prepared if query is one of the
// prepared statements.
func (tx appendTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st, ok := tx.stmts[query]; ok {
		return tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// stmtQueryer runs a prepared statement's query, ignoring the query text.
type stmtQueryer struct{ st *sql.Stmt }

func (q stmtQueryer) QueryContext(ctx context.Context, _ string, args ...any) (*sql.Rows, error) {
	return q.st.QueryContext(ctx, args...)
}

// q rewrites '?' placeholders for the dialect.
func (s *DB) q(query string) string {
	if !s.d.Numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Tree implements store.Log.
func (s *DB) Tree(ctx context.Context) (store.Tree, error) {
	const query = "SELECT size, root FROM tree WHERE id = 1"
	st, err := s.prepared(ctx, query)
	if err != nil {
		return store.Tree{}, fmt.Errorf("%s: reading the tree: %w", s.d.Name, err)
	}
	return s.readTree(ctx, stmtQueryer{st}, query)
}

func (s *DB) readTree(ctx context.Context, q queryer, query string) (store.Tree, error) {
	rows, err := q.QueryContext(ctx, s.q(query))
	if err != nil {
		return store.Tree{}, fmt.Errorf("%s: reading the tree: %w", s.d.Name, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return store.Tree{}, fmt.Errorf("%s: reading the tree: %w", s.d.Name, err)
		}
		return store.Tree{}, fmt.Errorf("%s: the tree row is missing", s.d.Name)
	}
	var t store.Tree
	var root []byte
	if err := rows.Scan(&t.Size, &root); err != nil {
		return store.Tree{}, fmt.Errorf("%s: reading the tree: %w", s.d.Name, err)
	}
	if len(root) != tlog.HashSize || t.Size < 0 {
		return store.Tree{}, fmt.Errorf("%s: the tree row is corrupt", s.d.Name)
	}
	t.Root = tlog.Hash(root)
	return t, rows.Err()
}

// ReadHashes implements store.Log.
func (s *DB) ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error) {
	return s.readHashes(ctx, s.rdb, indexes, nil)
}

// maxPreparedHashes is the most hashes read by a prepared statement.
const maxPreparedHashes = tlog.MaxProofHashes

// readHashes reads hashes, first from overlay (hashes written in the
// current, uncommitted batch), then from q.
func (s *DB) readHashes(ctx context.Context, q queryer, indexes []int64, overlay map[int64]tlog.Hash) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64
	for _, x := range indexes {
		if x < 0 {
			return nil, fmt.Errorf("%w: hash index %d", store.ErrInvalid, x)
		}
		if _, ok := overlay[x]; !ok {
			missing = append(missing, x)
		}
	}
	found := make(map[int64]tlog.Hash, len(missing))
	for len(missing) > 0 {
		n := min(len(missing), s.d.MaxParams)
		chunk := missing[:n]
		missing = missing[n:]
		args := make([]any, len(chunk))
		for i, x := range chunk {
			args[i] = x
		}
		query := "SELECT id, hash FROM hashes WHERE id IN (" + placeholders(len(chunk)) + ")"
		if q == s.rdb && len(chunk) <= maxPreparedHashes {
			// Proofs read at most 64 hashes: prepare those queries once.
			st, err := s.prepared(ctx, query)
			if err != nil {
				return nil, fmt.Errorf("%s: reading hashes: %w", s.d.Name, err)
			}
			q = stmtQueryer{st}
		}
		rows, err := q.QueryContext(ctx, s.q(query), args...)
		if err != nil {
			return nil, fmt.Errorf("%s: reading hashes: %w", s.d.Name, err)
		}
		for rows.Next() {
			var id int64
			var h []byte
			if err := rows.Scan(&id, &h); err != nil {
				rows.Close()
				return nil, fmt.Errorf("%s: reading hashes: %w", s.d.Name, err)
			}
			if len(h) != tlog.HashSize {
				rows.Close()
				return nil, fmt.Errorf("%s: stored hash %d is corrupt", s.d.Name, id)
			}
			found[id] = tlog.Hash(h)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: reading hashes: %w", s.d.Name, err)
		}
	}
	for i, x := range indexes {
		if h, ok := overlay[x]; ok {
			out[i] = h
			continue
		}
		h, ok := found[x]
		if !ok {
			return nil, fmt.Errorf("%w: hash %d", store.ErrNotFound, x)
		}
		out[i] = h
	}
	return out, nil
}

// Append implements store.Log.
func (s *DB) Append(ctx context.Context, entries []store.NewEntry) ([]store.Appended, store.Tree, error) {
	if len(entries) == 0 {
		return nil, store.Tree{}, fmt.Errorf("%w: nothing to append", store.ErrInvalid)
	}
	if s.keys != nil {
		// One append at a time reads and grows the set.
		s.keys.mu.Lock()
		defer s.keys.mu.Unlock()
		if err := s.keys.preload(ctx, s.rdb); err != nil {
			return nil, store.Tree{}, fmt.Errorf("%s: reading the logged keys: %w", s.d.Name, err)
		}
		return s.append(ctx, entries, true)
	}
	if s.d.UniqueViolation != nil && !s.lookup.Load() {
		out, tree, err := s.append(ctx, entries, false)
		if !errors.Is(err, errLogged) {
			return out, tree, err
		}
		s.lookup.Store(true)
	}
	return s.append(ctx, entries, true)
}

// append is Append, looking the entries' keys up first or, without
// lookup, failing with errLogged if one is logged already.
func (s *DB) append(ctx context.Context, entries []store.NewEntry, lookup bool) ([]store.Appended, store.Tree, error) {
	var stmts map[string]*sql.Stmt
	if s.d.PreparedAppends {
		var err error
		if stmts, err = s.prepareAppends(ctx); err != nil {
			return nil, store.Tree{}, err
		}
	}
	stx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, store.Tree{}, fmt.Errorf("%s: starting an append: %w", s.d.Name, err)
	}
	defer stx.Rollback()
	tx := appendTx{stx, stmts}
	tree, err := s.readTree(ctx, tx, s.d.LockTree)
	if err != nil {
		return nil, store.Tree{}, err
	}
	existing := map[tlog.Hash]store.Appended{}
	if s.keys != nil {
		if existing, err = s.keys.existing(ctx, tx, tree.Size, entries, s.d.MaxParams); err != nil {
			return nil, store.Tree{}, fmt.Errorf("%s: looking up entries: %w", s.d.Name, err)
		}
	} else if lookup {
		if existing, err = s.existing(ctx, tx, entries); err != nil {
			return nil, store.Tree{}, err
		}
		if s.d.UniqueViolation != nil && len(existing) == 0 {
			s.lookup.Store(false)
		}
	}
	overlay := map[int64]tlog.Hash{}
	known := s.edgeHashes()
	reader := tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hs := make([]tlog.Hash, len(indexes))
		var missing []int64
		for i, x := range indexes {
			if h, ok := overlay[x]; ok {
				hs[i] = h
			} else if h, ok := known[x]; ok {
				hs[i] = h
			} else {
				missing = append(missing, x)
			}
		}
		if len(missing) == 0 {
			return hs, nil
		}
		got, err := s.readHashes(ctx, tx, missing, nil)
		if err != nil {
			return nil, err
		}
		for i, x := range missing {
			known[x] = got[i]
		}
		for i, x := range indexes {
			if _, ok := overlay[x]; !ok {
				hs[i] = known[x]
			}
		}
		return hs, nil
	})
	plan, err := batch.Place(entries, tree.Size, existing, overlay, reader)
	if err != nil {
		return nil, store.Tree{}, fmt.Errorf("%s: %w", s.d.Name, err)
	}
	out, fresh, size := plan.Out, plan.Fresh, plan.Size
	if len(fresh) == 0 {
		return out, tree, tx.Commit()
	}
	edge := map[int64]tlog.Hash{}
	root, err := tlog.TreeHash(size, tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		hs, err := reader.ReadHashes(indexes)
		if err == nil {
			for i, x := range indexes {
				edge[x] = hs[i]
			}
		}
		return hs, err
	}))
	if err != nil {
		return nil, store.Tree{}, fmt.Errorf("%s: computing the root: %w", s.d.Name, err)
	}
	if err := s.insertEntries(ctx, tx, entries, out, fresh); err != nil {
		if !lookup && s.d.UniqueViolation != nil && s.d.UniqueViolation(err) {
			return nil, store.Tree{}, errLogged
		}
		return nil, store.Tree{}, err
	}
	if err := s.insertHashes(ctx, tx, overlay); err != nil {
		return nil, store.Tree{}, err
	}
	res, err := tx.exec(ctx, s.q(updateTree), size, root[:], tree.Size)
	if err != nil {
		return nil, store.Tree{}, fmt.Errorf("%s: updating the tree: %w", s.d.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return nil, store.Tree{}, fmt.Errorf("%s: the tree changed during an append (is the lock working?)", s.d.Name)
	}
	if err := tx.Commit(); err != nil {
		return nil, store.Tree{}, fmt.Errorf("%s: committing an append: %w", s.d.Name, err)
	}
	// Only now are the edge's hashes committed, and so safe to cache;
	// and the new keys logged.
	s.edgeMu.Lock()
	s.edge = edge
	s.edgeMu.Unlock()
	if s.keys != nil {
		s.keys.added(entries, out, fresh, tree.Size, size)
	}
	return out, store.Tree{Size: size, Root: root}, nil
}

// edgeHashes is a copy of the cached right edge.
func (s *DB) edgeHashes() map[int64]tlog.Hash {
	s.edgeMu.Lock()
	defer s.edgeMu.Unlock()
	m := make(map[int64]tlog.Hash, len(s.edge))
	for k, v := range s.edge {
		m[k] = v
	}
	return m
}

// existing finds the entries of the batch already logged.
func (s *DB) existing(ctx context.Context, tx appendTx, entries []store.NewEntry) (map[tlog.Hash]store.Appended, error) {
	found := map[tlog.Hash]store.Appended{}
	keys := make([]any, 0, len(entries))
	for _, e := range entries {
		keys = append(keys, e.Key[:])
	}
	for len(keys) > 0 {
		n := min(len(keys), s.d.MaxParams)
		if tx.stmts != nil {
			n = chunkSize(len(keys))
		}
		chunk := keys[:n]
		keys = keys[n:]
		rows, err := tx.QueryContext(ctx, s.q(keysQuery(len(chunk))), chunk...)
		if err != nil {
			return nil, fmt.Errorf("%s: looking up entries: %w", s.d.Name, err)
		}
		for rows.Next() {
			var k, leaf []byte
			var idx int64
			if err := rows.Scan(&k, &idx, &leaf); err != nil {
				rows.Close()
				return nil, fmt.Errorf("%s: looking up entries: %w", s.d.Name, err)
			}
			found[tlog.Hash(k)] = store.Appended{Index: idx, Leaf: leaf, Duplicate: true}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: looking up entries: %w", s.d.Name, err)
		}
	}
	return found, nil
}

// insertRows inserts rows into head's table with multi-row VALUES statements.
func (s *DB) insertRows(ctx context.Context, tx appendTx, head string, rows [][]any) error {
	width := insertWidths[head]
	per := max(1, s.d.MaxParams/width)
	for len(rows) > 0 {
		n := min(len(rows), per)
		if tx.stmts != nil {
			n = chunkSize(len(rows))
		}
		chunk := rows[:n]
		rows = rows[n:]
		args := make([]any, 0, n*width)
		for _, r := range chunk {
			args = append(args, r...)
		}
		if _, err := tx.exec(ctx, s.q(insertQuery(head, n)), args...); err != nil {
			return fmt.Errorf("%s: %s: %w", s.d.Name, head, err)
		}
	}
	return nil
}

func (s *DB) insertEntries(ctx context.Context, tx appendTx, entries []store.NewEntry, out []store.Appended, fresh []int) error {
	var rows, keys, subjects [][]any
	for _, i := range fresh {
		e := entries[i]
		if s.keys != nil {
			rows = append(rows, []any{out[i].Index, e.Leaf, e.Envelope, e.Product})
			keys = append(keys, []any{out[i].Index, e.Key[:]})
		} else {
			rows = append(rows, []any{out[i].Index, e.Key[:], e.Leaf, e.Envelope, e.Product})
		}
		seen := map[tlog.Hash]bool{}
		for _, d := range e.Subjects {
			if !seen[d] {
				seen[d] = true
				subjects = append(subjects, []any{d[:], out[i].Index})
			}
		}
	}
	if s.keys != nil {
		if err := s.insertRows(ctx, tx, insertEntriesNoKey, rows); err != nil {
			return err
		}
		if err := s.insertRows(ctx, tx, insertKeys, keys); err != nil {
			return err
		}
	} else if err := s.insertRows(ctx, tx, insertEntries, rows); err != nil {
		return err
	}
	return s.insertRows(ctx, tx, insertSubject, subjects)
}

// insertHashes inserts hashes by increasing id: every row then goes at
// the end of the table, where the B-tree appends without searching or
// splitting a page in the middle (a map's order made every group's rows
// land in random order at the table's right edge).
func (s *DB) insertHashes(ctx context.Context, tx appendTx, hashes map[int64]tlog.Hash) error {
	ids := slices.Sorted(maps.Keys(hashes))
	rows := make([][]any, len(ids))
	for i, id := range ids {
		h := hashes[id]
		rows[i] = []any{id, h[:]}
	}
	return s.insertRows(ctx, tx, insertHash, rows)
}

// Entry implements store.Log.
func (s *DB) Entry(ctx context.Context, index int64) (*store.Entry, error) {
	if index < 0 {
		return nil, fmt.Errorf("%w: entry %d", store.ErrNotFound, index)
	}
	es, err := s.entries(ctx, "SELECT idx, leaf, envelope, product FROM entries WHERE idx = ?", index)
	if err != nil {
		return nil, err
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("%w: entry %d", store.ErrNotFound, index)
	}
	return es[0], nil
}

// Entries implements store.Log.
func (s *DB) Entries(ctx context.Context, q store.Query) ([]*store.Entry, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("%w: limit %d", store.ErrInvalid, q.Limit)
	}
	if q.Products != nil && len(q.Products) == 0 {
		return nil, nil
	}
	query := "SELECT e.idx, e.leaf, e.envelope, e.product FROM subjects s JOIN entries e ON e.idx = s.idx WHERE s.digest = ? AND s.idx > ?"
	args := []any{q.Subject[:], q.After}
	if q.Products != nil {
		if len(q.Products) > s.d.MaxParams-3 {
			return nil, fmt.Errorf("%w: %d products", store.ErrInvalid, len(q.Products))
		}
		query += " AND e.product IN (" + placeholders(len(q.Products)) + ")"
		for _, p := range q.Products {
			args = append(args, p)
		}
	}
	query += " ORDER BY s.idx LIMIT ?"
	args = append(args, q.Limit)
	return s.entries(ctx, query, args...)
}

func (s *DB) entries(ctx context.Context, query string, args ...any) ([]*store.Entry, error) {
	rows, err := s.rdb.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("%s: reading entries: %w", s.d.Name, err)
	}
	defer rows.Close()
	var out []*store.Entry
	for rows.Next() {
		e := &store.Entry{}
		if err := rows.Scan(&e.Index, &e.Leaf, &e.Envelope, &e.Product); err != nil {
			return nil, fmt.Errorf("%s: reading entries: %w", s.d.Name, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: reading entries: %w", s.d.Name, err)
	}
	return out, nil
}

// ProductEntries implements store.Log.
func (s *DB) ProductEntries(ctx context.Context, q store.ProductQuery) ([]*store.Entry, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("%w: limit %d", store.ErrInvalid, q.Limit)
	}
	return s.entries(ctx, "SELECT idx, leaf, envelope, product FROM entries WHERE product = ? AND idx > ? ORDER BY idx LIMIT ?", q.Product, q.After, q.Limit)
}

// RecordAccess implements store.AccessRecord.
func (s *DB) RecordAccess(ctx context.Context, a store.Access) error {
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO access (at, token_id, token_name, product, action, path) VALUES (?, ?, ?, ?, ?, ?)"),
		a.Time.UnixNano(), a.TokenID, a.TokenName, a.Product, a.Action, a.Path)
	if err != nil {
		return fmt.Errorf("%s: recording an access: %w", s.d.Name, err)
	}
	return nil
}

// Accesses implements store.AccessRecord.
func (s *DB) Accesses(ctx context.Context, q store.AccessQuery) ([]store.Access, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("%w: limit %d", store.ErrInvalid, q.Limit)
	}
	query := "SELECT at, token_id, token_name, product, action, path FROM access"
	var args []any
	if q.Products != nil {
		if len(q.Products) > s.d.MaxParams-2 {
			return nil, fmt.Errorf("%w: %d products", store.ErrInvalid, len(q.Products))
		}
		// product IN () is not SQL: an empty list is a product no record has.
		products := append([]string{}, q.Products...)
		if len(products) == 0 {
			products = []string{""}
			if q.TokenID == "" {
				return nil, nil
			}
		}
		query += " WHERE (product IN (" + placeholders(len(products)) + ")"
		for _, p := range products {
			args = append(args, p)
		}
		if q.TokenID != "" {
			query += " AND product <> '' OR token_id = ?"
			args = append(args, q.TokenID)
		}
		query += ")"
	}
	query += " ORDER BY seq DESC LIMIT ?"
	rows, err := s.rdb.QueryContext(ctx, s.q(query), append(args, q.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("%s: reading the access record: %w", s.d.Name, err)
	}
	defer rows.Close()
	var out []store.Access
	for rows.Next() {
		var a store.Access
		var at int64
		if err := rows.Scan(&at, &a.TokenID, &a.TokenName, &a.Product, &a.Action, &a.Path); err != nil {
			return nil, fmt.Errorf("%s: reading the access record: %w", s.d.Name, err)
		}
		a.Time = time.Unix(0, at).UTC()
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: reading the access record: %w", s.d.Name, err)
	}
	return out, nil
}

// LogIdentity implements store.Log.
func (s *DB) LogIdentity(ctx context.Context) (store.Identity, error) {
	var id store.Identity
	err := s.rdb.QueryRowContext(ctx, s.q("SELECT origin, vkey FROM log_identity WHERE id = 1")).Scan(&id.Origin, &id.Key)
	if errors.Is(err, sql.ErrNoRows) {
		return store.Identity{}, fmt.Errorf("%w: the database has no log identity yet", store.ErrNotFound)
	}
	if err != nil {
		return store.Identity{}, fmt.Errorf("%s: reading the log identity: %w", s.d.Name, err)
	}
	return id, nil
}

// SetLogIdentity implements store.Log.
func (s *DB) SetLogIdentity(ctx context.Context, id store.Identity) error {
	if id.Origin == "" || id.Key == "" {
		return fmt.Errorf("%w: empty log identity", store.ErrInvalid)
	}
	if _, err := s.db.ExecContext(ctx, s.q("INSERT INTO log_identity (id, origin, vkey) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING"), id.Origin, id.Key); err != nil {
		return fmt.Errorf("%s: setting the log identity: %w", s.d.Name, err)
	}
	got, err := s.LogIdentity(ctx)
	if err != nil {
		return err
	}
	if got != id {
		return fmt.Errorf("%w: it is the log %q with key %s", store.ErrIdentity, got.Origin, got.Key)
	}
	return nil
}

// CreateToken implements store.Tokens.
func (s *DB) CreateToken(ctx context.Context, t *store.Token) error {
	if t.ID == "" || len(t.Products) == 0 {
		return fmt.Errorf("%w: a token needs an id and a product", store.ErrInvalid)
	}
	products, _ := json.Marshal(t.Products)
	keys, _ := json.Marshal(append([]string{}, t.Keys...))
	var expires sql.NullInt64
	if !t.Expires.IsZero() {
		expires = sql.NullInt64{Int64: t.Expires.UnixNano(), Valid: true}
	}
	_, err := s.db.ExecContext(ctx, s.q("INSERT INTO tokens (id, hash, name, products, pubkeys, created, revoked, role, expires) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)"),
		t.ID, t.Hash[:], t.Name, string(products), string(keys), t.Created.UnixNano(), t.Role, expires)
	if err != nil {
		return fmt.Errorf("%s: storing the token: %w", s.d.Name, err)
	}
	return nil
}

const tokenColumns = "id, hash, name, products, pubkeys, created, revoked, role, expires"

func scanToken(rows *sql.Rows) (*store.Token, error) {
	t := &store.Token{}
	var hash []byte
	var products, keys string
	var created int64
	var revoked, expires sql.NullInt64
	if err := rows.Scan(&t.ID, &hash, &t.Name, &products, &keys, &created, &revoked, &t.Role, &expires); err != nil {
		return nil, err
	}
	if len(hash) != tlog.HashSize || json.Unmarshal([]byte(products), &t.Products) != nil || json.Unmarshal([]byte(keys), &t.Keys) != nil {
		return nil, fmt.Errorf("token %s is corrupt", t.ID)
	}
	t.Hash = tlog.Hash(hash)
	t.Created = time.Unix(0, created).UTC()
	if revoked.Valid {
		t.Revoked = time.Unix(0, revoked.Int64).UTC()
	}
	if expires.Valid {
		t.Expires = time.Unix(0, expires.Int64).UTC()
	}
	return t, nil
}

func (s *DB) tokens(ctx context.Context, query string, args ...any) ([]*store.Token, error) {
	st, err := s.prepared(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("%s: reading tokens: %w", s.d.Name, err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: reading tokens: %w", s.d.Name, err)
	}
	defer rows.Close()
	var out []*store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("%s: reading tokens: %w", s.d.Name, err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: reading tokens: %w", s.d.Name, err)
	}
	return out, nil
}

// TokenByHash implements store.Tokens.
func (s *DB) TokenByHash(ctx context.Context, h tlog.Hash) (*store.Token, error) {
	ts, err := s.tokens(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE hash = ?", h[:])
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("%w: token", store.ErrNotFound)
	}
	return ts[0], nil
}

// ListTokens implements store.Tokens.
func (s *DB) ListTokens(ctx context.Context) ([]*store.Token, error) {
	return s.tokens(ctx, "SELECT "+tokenColumns+" FROM tokens ORDER BY created, id")
}

// RevokeToken implements store.Tokens.
func (s *DB) RevokeToken(ctx context.Context, id string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, s.q("UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL"), at.UnixNano(), id)
	if err != nil {
		return fmt.Errorf("%s: revoking the token: %w", s.d.Name, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	ts, err := s.tokens(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE id = ?", id)
	if err != nil {
		return err
	}
	if len(ts) == 0 {
		return fmt.Errorf("%w: token %q", store.ErrNotFound, id)
	}
	return nil
}

var _ store.Store = (*DB)(nil)
