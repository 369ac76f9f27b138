package store

import "errors"

var (
	// ErrNotFound is returned for an entry, hash or token that is not stored.
	ErrNotFound = errors.New("not found")
	// ErrIdentity is returned when the database already holds another log
	// (another origin or another log key).
	ErrIdentity = errors.New("the database holds another log")
	// ErrInvalid is returned for arguments no caller should pass (a negative
	// index, an empty key).
	ErrInvalid = errors.New("invalid store request")
)
