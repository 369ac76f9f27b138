// Package sqlite is the store.Store of one SQLite file, through the pure-Go
// modernc.org/sqlite driver (no cgo).
//
// The database runs in WAL mode with synchronous=FULL, so a committed append
// survives a process crash and a power loss; appends take SQLite's write
// lock (BEGIN IMMEDIATE), which serialises them across every process that
// opens the file. Readers do not block the writer.
//
// The appending connection never checkpoints the WAL itself: a goroutine
// does it after appends, on a reading connection, so that copying pages
// into the database file stays off the append path. A checkpoint does not
// touch durability: a commit is durable once its WAL frames are synced.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"modernc.org/sqlite" // the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/internal/sqldb"
	"github.com/consign-dev/consign/internal/tlog"
)

// Store is a store.Store in one SQLite file.
type Store struct {
	*sqldb.DB
	wdb  *sql.DB // the appending connection
	rdb  *sql.DB
	kick chan struct{} // an append happened
	// full is set when a checkpoint found the WAL past walLimit: the next
	// append empties it.
	full atomic.Bool
	done chan struct{}
	wg   sync.WaitGroup
	stop sync.Once
}

// checkpointEvery is the least time between two WAL checkpoints. A page
// that appends change again and again (the tree row, the right edge of the
// entries and hashes tables, the inner pages of the key indexes) is copied
// into the database file once per checkpoint, however many commits wrote
// it since the last one: at 100 ms the checkpoints were 4 % of the
// server's CPU under 256 publishers (issue 15). A second keeps the WAL to
// a few megabytes at a thousand entries a second.
var checkpointEvery = time.Second

// walLimit is the WAL's size in frames (pages) past which it is emptied.
// Under steady appends a PASSIVE checkpoint never catches up with the
// writer: frames keep arriving while it copies, so the WAL never starts
// over and its file grows without end (1.9 GB after 12 s of appends in one
// goroutine, issue 15). Nor can a checkpoint on another connection empty
// it: the appender takes the write lock again as soon as it commits, and
// starves it. So the appending connection itself empties the WAL between
// two of its transactions, once a checkpoint has found it this large
// (restartWAL), and the file is then cut back to this size. 16,384 pages
// of 4 KiB is 64 MiB.
var walLimit = 16384

// walFrameSize is the size of a WAL frame of SQLite's default page size
// (4 KiB and a 24-byte header).
const walFrameSize = 4096 + 24

// busyTimeout is how long a connection waits for SQLite's locks.
const busyTimeout = 30 * time.Second

// truncateWait bounds how long emptying the WAL waits for readers on an
// older snapshot; appends wait meanwhile. One that cannot finish in time
// leaves the WAL for the next round.
var truncateWait = time.Second

var dialect = sqldb.Dialect{
	Name:      "sqlite",
	LockTree:  "SELECT size, root FROM tree WHERE id = 1",
	MaxParams: 30000,
	// modernc compiles every statement it runs otherwise.
	PreparedAppends: true,
	UniqueViolation: func(err error) bool {
		var e *sqlite.Error
		return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	},
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS log_identity (id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL, vkey TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS tree (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, root BLOB NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS hashes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS subjects (digest BLOB NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (digest, idx)) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE, name TEXT NOT NULL, products TEXT NOT NULL, pubkeys TEXT NOT NULL, created INTEGER NOT NULL, revoked INTEGER)`,
	`CREATE INDEX IF NOT EXISTS entries_product ON entries (product, idx)`,
	`CREATE TABLE IF NOT EXISTS access (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, token_id TEXT NOT NULL, token_name TEXT NOT NULL, product TEXT NOT NULL, action TEXT NOT NULL, path TEXT NOT NULL)`,
}

// entriesTables are the tables of the entries in a new database: their
// dedupe keys in entry_keys, by index, not in a UNIQUE column of entries
// (sqldb.Dialect.KeysInMemory). A file made before has entries with a
// UNIQUE key column (oldEntriesTable), and keeps it: appends to it look
// keys up in that index. An older consign cannot append to a new file
// (entries has no key column for its insert) but can read it.
var entriesTables = []string{
	`CREATE TABLE entries (idx INTEGER PRIMARY KEY, leaf BLOB NOT NULL, envelope BLOB NOT NULL, product TEXT NOT NULL)`,
	`CREATE TABLE entry_keys (idx INTEGER PRIMARY KEY, key BLOB NOT NULL)`,
}

// oldEntriesTable is the entries table of files made before entry_keys.
const oldEntriesTable = `CREATE TABLE entries (idx INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, leaf BLOB NOT NULL, envelope BLOB NOT NULL, product TEXT NOT NULL)`

// tokenColumns are the tokens table's columns added after its first
// version, added to a database that lacks them.
var tokenColumns = map[string]string{"role": "TEXT NOT NULL DEFAULT ''", "expires": "INTEGER"}

// ErrUnsafeFile is returned for a database file that every user may write.
var ErrUnsafeFile = errors.New("unsafe database file")

// Open opens the SQLite database at path, creating it readable and
// writable by its owner only (SQLite gives its WAL the same mode). It
// refuses, with an error wrapping [ErrUnsafeFile], a database file that
// every user may write: anyone could rewrite the log.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("%w: SQLite path %q (it must be non-empty, without '?' or '#')", store.ErrInvalid, path)
	}
	if err := prepareFile(path); err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range []string{fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()), "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(0)", "cache_size(-16384)", "temp_store(MEMORY)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	q.Add("_pragma", "wal_autocheckpoint(0)")
	// A restarted WAL keeps at most walLimit frames of its file.
	q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walLimit*walFrameSize))
	wdsn := "file:" + path + "?" + q.Encode()
	// One connection writes (SQLite has one writer anyway); a pool reads, so
	// readers never queue in front of the appender.
	db, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("opening SQLite database %q: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	keysInMemory, err := migrate(ctx, db)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening SQLite database %q: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("opening SQLite database %q: %w", path, err)
	}
	n := 2*runtime.GOMAXPROCS(0) + 2
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	d := dialect
	if keysInMemory {
		d.KeysInMemory, d.UniqueViolation = true, nil
	}
	s := &Store{DB: sqldb.New(db, rdb, d), wdb: db, rdb: rdb, kick: make(chan struct{}, 1), done: make(chan struct{})}
	s.wg.Add(1)
	go s.checkpointer()
	return s, nil
}

// Append implements store.Log, and has the WAL checkpointed afterwards.
func (s *Store) Append(ctx context.Context, entries []store.NewEntry) ([]store.Appended, store.Tree, error) {
	out, tree, err := s.DB.Append(ctx, entries)
	if s.full.CompareAndSwap(true, false) {
		s.restartWAL(ctx)
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	return out, tree, err
}

// checkpointer copies the WAL into the database file after appends, at
// most once per checkpointEvery, without blocking the appender (PASSIVE).
func (s *Store) checkpointer() {
	defer s.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case <-s.kick:
		}
		var busy, frames, done int
		// An error (such as SQLITE_BUSY) leaves the WAL for the next round.
		err := s.rdb.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done)
		if err == nil && frames > walLimit {
			s.full.Store(true)
		}
		select {
		case <-s.done:
			return
		case <-time.After(checkpointEvery):
		}
	}
}

// restartWAL checkpoints the whole WAL on the appending connection,
// between two appends, waiting at most truncateWait for readers (RESTART):
// the next append then writes its frames from the start of the WAL file
// again, and cuts the file back to walLimit frames (journal_size_limit).
// The file is not emptied (TRUNCATE did, issue 15): its first walLimit
// frames are then written over rather than grown again page by page, which
// made every frame's write allocate file space and page cache that the
// next truncation threw away (the ftruncate alone was 1 % of the server's
// CPU under 256 publishers). An error leaves the WAL for the next round;
// the append before it has committed whatever happens here.
func (s *Store) restartWAL(ctx context.Context) {
	c, err := s.wdb.Conn(ctx)
	if err != nil {
		return
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", truncateWait.Milliseconds())); err != nil {
		return
	}
	var busy, frames, done int
	_ = c.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &frames, &done)
	// The connection appends next: give it back its own timeout.
	_, _ = c.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds()))
}

// Close stops the checkpointer and closes the database.
func (s *Store) Close() error {
	s.stop.Do(func() { close(s.done) })
	s.wg.Wait()
	return s.DB.Close()
}

// prepareFile creates the database file with mode 0600, or checks that an
// existing one is not writable by every user.
func prepareFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		return f.Close()
	}
	if !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating SQLite database %q: %w", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("opening SQLite database %q: %w", path, err)
	}
	if fi.Mode().Perm()&0o002 != 0 {
		return fmt.Errorf("%w: SQLite database %q has mode %v: every user may write it, and so rewrite the log (chmod o-w it)", ErrUnsafeFile, path, fi.Mode().Perm())
	}
	return nil
}

// migrate creates the schema, or completes that of an older file, and
// tells whether the file keeps its keys in entry_keys (entriesTables).
func migrate(ctx context.Context, db *sql.DB) (keysInMemory bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var tables, keyColumns int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'entries'`).Scan(&tables); err != nil {
		return false, fmt.Errorf("reading the schema: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('entries') WHERE name = 'key'`).Scan(&keyColumns); err != nil {
		return false, fmt.Errorf("reading the schema: %w", err)
	}
	keysInMemory = keyColumns == 0
	if tables == 0 {
		for _, s := range entriesTables {
			if _, err := tx.ExecContext(ctx, s); err != nil {
				return false, fmt.Errorf("creating the schema: %w", err)
			}
		}
	}
	for _, s := range schema {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return false, fmt.Errorf("creating the schema: %w", err)
		}
	}
	for _, name := range []string{"role", "expires"} {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info('tokens') WHERE name = ?`, name).Scan(&n); err != nil {
			return false, fmt.Errorf("reading the tokens table: %w", err)
		}
		if n == 0 {
			if _, err := tx.ExecContext(ctx, "ALTER TABLE tokens ADD COLUMN "+name+" "+tokenColumns[name]); err != nil {
				return false, fmt.Errorf("adding the tokens' %s: %w", name, err)
			}
		}
	}
	empty := tlog.EmptyRoot
	if _, err := tx.ExecContext(ctx, `INSERT INTO tree (id, size, root) VALUES (1, 0, ?) ON CONFLICT (id) DO NOTHING`, empty[:]); err != nil {
		return false, fmt.Errorf("creating the tree: %w", err)
	}
	return keysInMemory, tx.Commit()
}
