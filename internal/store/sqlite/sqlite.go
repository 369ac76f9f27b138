// Package sqlite is the store.Store of one SQLite file, through the pure-Go
// modernc.org/sqlite driver (no cgo).
//
// The database runs in WAL mode with synchronous=FULL, so a committed append
// survives a process crash and a power loss; appends take SQLite's write
// lock (BEGIN IMMEDIATE), which serialises them across every process that
// opens the file. Readers do not block the writer.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/internal/sqldb"
	"github.com/consign-dev/consign/internal/tlog"
)

// Store is a store.Store in one SQLite file.
type Store struct {
	*sqldb.DB
}

var dialect = sqldb.Dialect{
	Name:      "sqlite",
	LockTree:  "SELECT size, root FROM tree WHERE id = 1",
	MaxParams: 30000,
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS log_identity (id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL, vkey TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS tree (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, root BLOB NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS hashes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, leaf BLOB NOT NULL, envelope BLOB NOT NULL, product TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS subjects (digest BLOB NOT NULL, idx INTEGER NOT NULL, PRIMARY KEY (digest, idx)) WITHOUT ROWID`,
	`CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, hash BLOB NOT NULL UNIQUE, name TEXT NOT NULL, products TEXT NOT NULL, pubkeys TEXT NOT NULL, created INTEGER NOT NULL, revoked INTEGER)`,
}

// Open opens (creating if needed) the SQLite database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("%w: SQLite path %q (it must be non-empty, without '?' or '#')", store.ErrInvalid, path)
	}
	q := url.Values{}
	for _, p := range []string{"busy_timeout(30000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(0)", "cache_size(-16384)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	// One connection writes (SQLite has one writer anyway); a pool reads, so
	// readers never queue in front of the appender.
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening SQLite database %q: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db); err != nil {
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
	return &Store{sqldb.New(db, rdb, dialect)}, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, s := range schema {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("creating the schema: %w", err)
		}
	}
	empty := tlog.EmptyRoot
	if _, err := tx.ExecContext(ctx, `INSERT INTO tree (id, size, root) VALUES (1, 0, ?) ON CONFLICT (id) DO NOTHING`, empty[:]); err != nil {
		return fmt.Errorf("creating the tree: %w", err)
	}
	return tx.Commit()
}
