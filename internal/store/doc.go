// Package store persists consign's transparency log and its tokens: the
// entries, the tree's stored hashes (in the index layout of
// golang.org/x/mod/sumdb/tlog, so every proof is O(log n) reads), the tree's
// size and root, the subject index, the log's identity, and the publishing
// and reading tokens.
//
// # Contract
//
// [Log.Append] appends a batch of entries in one database transaction that
// also writes their tree hashes and the new size and root: after a crash the
// database holds either all of a batch or none of it, and the size, root,
// entries and hashes always agree. Appends are serialised by the database (a
// write lock on SQLite, a row lock on PostgreSQL), never by process memory, so
// any number of processes may append to one database and share one log.
// Entries are deduplicated on their key: appending an entry whose key is
// already logged returns the existing entry's index and leaf, not a new one.
//
// Backends live in their own packages, sqlite and postgres; storetest is the
// conformance suite both pass.
//
// # Errors
//
// [ErrNotFound] for a missing entry, hash or token; [ErrIdentity] when a
// database already belongs to another log; [ErrInvalid] for arguments a
// caller should not have passed.
package store
