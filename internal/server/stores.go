package server

import (
	"context"

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// The server's needs of its storage, one interface per part of it. Every
// backend of internal/store has them all (SQLite, PostgreSQL, and the
// in-memory store for tests); the methods' contracts are those of
// [store.Log] and [store.Tokens].

// Appender appends verified entries to the log: the sequencer's one need.
type Appender interface {
	Append(ctx context.Context, entries []store.NewEntry) ([]store.Appended, store.Tree, error)
}

// TreeReader reads the log's tree and its stored hashes, for checkpoints,
// receipts and proofs.
type TreeReader interface {
	Tree(ctx context.Context) (store.Tree, error)
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
}

// EntryReader reads logged entries, by index and by subject.
type EntryReader interface {
	Entry(ctx context.Context, index int64) (*store.Entry, error)
	Entries(ctx context.Context, q store.Query) ([]*store.Entry, error)
}

// TokenFinder finds the token a request presents, by its secret's hash.
type TokenFinder interface {
	TokenByHash(ctx context.Context, h tlog.Hash) (*store.Token, error)
}

// IdentitySetter pins the storage to one log (origin and key).
type IdentitySetter interface {
	SetLogIdentity(ctx context.Context, id store.Identity) error
}

// TokenCreator stores a new token, for [CreateToken].
type TokenCreator interface {
	CreateToken(ctx context.Context, t *store.Token) error
}

// Store is everything a [Server] reads and writes.
type Store interface {
	Appender
	TreeReader
	EntryReader
	TokenFinder
	IdentitySetter
}
