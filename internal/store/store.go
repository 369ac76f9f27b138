package store

import (
	"context"
	"time"

	"github.com/consign-dev/consign/internal/tlog"
)

// Entry is one logged attestation.
type Entry struct {
	Index int64
	// Leaf is the leaf record the tree commits to (a [tlog.Leaf] encoding).
	Leaf []byte
	// Envelope is the DSSE envelope, JSON.
	Envelope []byte
	// Product is the product the entry was published for.
	Product string
}

// NewEntry is an entry to append.
type NewEntry struct {
	// Key identifies the attestation for deduplication ([tlog.Leaf.Key]).
	Key tlog.Hash
	// Leaf is the leaf record to log.
	Leaf     []byte
	Envelope []byte
	Product  string
	// Subjects are the SHA-256 digests of the statement's subjects, for [Query].
	Subjects []tlog.Hash
}

// Appended is the outcome of appending one [NewEntry].
type Appended struct {
	Index int64
	// Leaf is the leaf at Index: the new one, or the earlier one for a duplicate.
	Leaf []byte
	// Duplicate is set when the entry's key was already logged (or appeared
	// earlier in the same batch) and nothing new was written for it.
	Duplicate bool
	// Hashes are the stored hashes the entry added to the tree, from storage
	// index tlog.StoredHashCount(Index) on; nil for a duplicate. They are
	// committed when Append returns, so a caller may cache them.
	Hashes []tlog.Hash
}

// Tree is the log's size and root.
type Tree struct {
	Size int64
	Root tlog.Hash
}

// Identity is what a database's log is: its origin and its public key
// (a signed-note verifier key). It is set once.
type Identity struct {
	Origin string
	Key    string
}

// Query selects entries by subject.
type Query struct {
	// Subject is the SHA-256 digest the entries' statements must name.
	Subject tlog.Hash
	// Products, when not nil, limits the answer to entries of these products;
	// an empty non-nil list matches nothing.
	Products []string
	// After skips entries with an index at or below it; -1 starts at the beginning.
	After int64
	// Limit is the most entries returned; it must be positive.
	Limit int
}

// ProductQuery selects the entries of one product.
type ProductQuery struct {
	Product string
	// After skips entries with an index at or below it; -1 starts at the beginning.
	After int64
	// Limit is the most entries returned; it must be positive.
	Limit int
}

// Log is the transparency log's storage.
type Log interface {
	// Append appends entries in one transaction, serialised with every other
	// Append on the database, and returns one Appended per entry, in order,
	// and the tree after the transaction. It MUST NOT return before the
	// transaction is durable. entries must be non-empty.
	Append(ctx context.Context, entries []NewEntry) ([]Appended, Tree, error)
	// Tree is the log's current size and root.
	Tree(ctx context.Context) (Tree, error)
	// ReadHashes returns the stored hashes at the given storage indexes, in
	// order; a hash not stored yet is [ErrNotFound].
	ReadHashes(ctx context.Context, indexes []int64) ([]tlog.Hash, error)
	// Entry returns the entry at index, or [ErrNotFound].
	Entry(ctx context.Context, index int64) (*Entry, error)
	// Entries returns the entries matching q, by increasing index.
	Entries(ctx context.Context, q Query) ([]*Entry, error)
	// ProductEntries returns the entries of one product matching q, by
	// increasing index.
	ProductEntries(ctx context.Context, q ProductQuery) ([]*Entry, error)
	// LogIdentity is the identity set by SetLogIdentity, or [ErrNotFound].
	LogIdentity(ctx context.Context) (Identity, error)
	// SetLogIdentity sets the log's identity if none is set; if one is, it
	// returns [ErrIdentity] unless it is id.
	SetLogIdentity(ctx context.Context, id Identity) error
}

// Token is a publishing or reading credential. Only its hash is stored.
type Token struct {
	// ID names the token in lists and revocations; it is not a secret.
	ID string
	// Hash is the SHA-256 of the token's secret.
	Hash tlog.Hash
	// Name is a label for people.
	Name string
	// Products the token may publish and read for.
	Products []string
	// Keys are the PEM public keys whose signatures the token may publish;
	// a token without keys can only read.
	Keys    []string
	Created time.Time
	// Revoked is when the token was revoked; zero while it is valid.
	Revoked time.Time
	// Role is [RoleInspector] for a token that signs in to the inspection
	// portal, and empty for a publishing or reading token.
	Role string
	// Expires, when not zero, is when the token stops being valid.
	Expires time.Time
}

// RoleInspector is the role of a token that signs in to the inspection portal.
const RoleInspector = "inspector"

// Tokens stores tokens.
type Tokens interface {
	// CreateToken stores t.
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns the token whose secret hashes to h, revoked or not, or [ErrNotFound].
	TokenByHash(ctx context.Context, h tlog.Hash) (*Token, error)
	// ListTokens returns every token, oldest first.
	ListTokens(ctx context.Context) ([]*Token, error)
	// RevokeToken revokes the token id at time at; revoking a revoked token
	// keeps the first time. It returns [ErrNotFound] for an unknown id.
	RevokeToken(ctx context.Context, id string, at time.Time) error
}

// Access is one page view or download by an inspector, as the access
// record keeps it.
type Access struct {
	Time time.Time
	// TokenID and TokenName say who: the inspector's token and its label.
	TokenID, TokenName string
	// Product is the product whose evidence was looked at.
	Product string
	// Action is "view" or "download".
	Action string
	// Path is what was looked at: the page's path and query.
	Path string
}

// AccessQuery selects access records.
type AccessQuery struct {
	// Products, when not nil, limits the answer to these products; an empty
	// non-nil list matches nothing.
	Products []string
	// TokenID, when set, also matches every record of that token, whatever
	// its product (an inspector sees their own pages that name no product).
	TokenID string
	// Limit is the most records returned, newest first; it must be positive.
	Limit int
}

// AccessRecord is the append-only record of what inspectors looked at.
type AccessRecord interface {
	// RecordAccess appends a to the record. It MUST NOT return before a is durable.
	RecordAccess(ctx context.Context, a Access) error
	// Accesses returns the records matching q, newest first.
	Accesses(ctx context.Context, q AccessQuery) ([]Access, error)
}

// Store is a whole database.
type Store interface {
	Log
	Tokens
	AccessRecord
	Close() error
}
