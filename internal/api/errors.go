package api

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// The errors of the API, one per status. The server's handlers return
// them; an [Error] a client receives unwraps to the one of its status.
var (
	// ErrUnauthorized: no token, or a token the server does not know or has revoked (401).
	ErrUnauthorized = errors.New("a valid token is required")
	// ErrForbidden: the token may not do this (403).
	ErrForbidden = errors.New("the token may not do this")
	// ErrNotFound: no such entry, or none the caller may read (404).
	ErrNotFound = errors.New("not found")
	// ErrBadRequest: the request is malformed (400).
	ErrBadRequest = errors.New("bad request")
	// ErrTimeout: the request's body stopped arriving, or came too slowly (408).
	ErrTimeout = errors.New("the request came too slowly")
	// ErrTooLarge: the request is over a size or count limit (413).
	ErrTooLarge = errors.New("request too large")
	// ErrRateLimited: the token is over its rate (429).
	ErrRateLimited = errors.New("rate limit exceeded")
	// ErrOverloaded: the log's queue is full (503).
	ErrOverloaded = errors.New("the log is overloaded")
	// ErrServer: the server failed (5xx), or answered what a server of this
	// API never answers.
	ErrServer = errors.New("server error")
)

// Error is a problem a server answered with, as a client sees it. It
// unwraps to the sentinel of its status (ErrUnauthorized for 401, ...).
type Error struct {
	Status     int
	Title      string
	Detail     string
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("server answered %d", e.Status)
	// A detail that starts with the title already says it: never "the
	// token may not do this: the token may not do this: ...".
	if e.Title != "" && !strings.HasPrefix(e.Detail, e.Title) {
		msg += ": " + e.Title
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *Error) Unwrap() error {
	switch e.Status {
	case 400:
		return ErrBadRequest
	case 401:
		return ErrUnauthorized
	case 403:
		return ErrForbidden
	case 404:
		return ErrNotFound
	case 408:
		return ErrTimeout
	case 413:
		return ErrTooLarge
	case 429:
		return ErrRateLimited
	case 503:
		return ErrOverloaded
	}
	return ErrServer
}
