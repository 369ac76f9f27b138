// Package postgres is the store.Store of a PostgreSQL database, through
// pgx's database/sql driver.
//
// Appends lock the one tree row (SELECT ... FOR UPDATE) for their
// transaction, so any number of consign serve processes over one database
// append to one log, one batch at a time, with no coordination between the
// processes themselves. The tables live in the connection's search_path,
// so one database can hold several logs in several schemas.
package postgres

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver

	"github.com/consign-dev/consign/internal/store/internal/sqldb"
	"github.com/consign-dev/consign/internal/tlog"
)

// Store is a store.Store in a PostgreSQL database.
type Store struct {
	*sqldb.DB
}

var dialect = sqldb.Dialect{
	Name:      "postgres",
	Numbered:  true,
	LockTree:  "SELECT size, root FROM tree WHERE id = 1 FOR UPDATE",
	MaxParams: 60000,
}

var schema = []string{
	`CREATE TABLE IF NOT EXISTS log_identity (id INTEGER PRIMARY KEY CHECK (id = 1), origin TEXT NOT NULL, vkey TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS tree (id INTEGER PRIMARY KEY CHECK (id = 1), size BIGINT NOT NULL, root BYTEA NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS hashes (id BIGINT PRIMARY KEY, hash BYTEA NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS entries (idx BIGINT PRIMARY KEY, key BYTEA NOT NULL UNIQUE, leaf BYTEA NOT NULL, envelope BYTEA NOT NULL, product TEXT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS subjects (digest BYTEA NOT NULL, idx BIGINT NOT NULL, PRIMARY KEY (digest, idx))`,
	`CREATE TABLE IF NOT EXISTS tokens (id TEXT PRIMARY KEY, hash BYTEA NOT NULL UNIQUE, name TEXT NOT NULL, products TEXT NOT NULL, pubkeys TEXT NOT NULL, created BIGINT NOT NULL, revoked BIGINT)`,
	`ALTER TABLE tokens ADD COLUMN IF NOT EXISTS role TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE tokens ADD COLUMN IF NOT EXISTS expires BIGINT`,
	`CREATE INDEX IF NOT EXISTS entries_product ON entries (product, idx)`,
	`CREATE TABLE IF NOT EXISTS access (seq BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, token_id TEXT NOT NULL, token_name TEXT NOT NULL, product TEXT NOT NULL, action TEXT NOT NULL, path TEXT NOT NULL)`,
}

// schemaLock is the advisory lock key that serialises schema creation
// between processes starting at once.
const schemaLock = 0x636f6e7369676e // "consign"

// Open connects to the PostgreSQL database at dsn (a postgres:// URL or a
// key=value connection string) and creates consign's tables if needed.
func Open(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening PostgreSQL database: %w", err)
	}
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(16)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing PostgreSQL database: %w", err)
	}
	return &Store{sqldb.New(db, db, dialect)}, nil
}

func migrate(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", schemaLock); err != nil {
		return fmt.Errorf("locking the schema: %w", err)
	}
	for _, s := range schema {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("creating the schema: %w", err)
		}
	}
	empty := tlog.EmptyRoot
	if _, err := tx.ExecContext(ctx, `INSERT INTO tree (id, size, root) VALUES (1, 0, $1) ON CONFLICT (id) DO NOTHING`, empty[:]); err != nil {
		return fmt.Errorf("creating the tree: %w", err)
	}
	return tx.Commit()
}
