package server

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

var (
	// ErrUnauthorized: no token, or a token the server does not know or has revoked (401).
	ErrUnauthorized = errors.New("a valid token is required")
	// ErrForbidden: the token may not do this (403).
	ErrForbidden = errors.New("the token may not do this")
	// ErrNotFound: no such entry, or none the caller may read (404).
	ErrNotFound = errors.New("not found")
	// ErrBadRequest: the request is malformed (400).
	ErrBadRequest = errors.New("bad request")
	// ErrTooLarge: the request is over a size or count limit (413).
	ErrTooLarge = errors.New("request too large")
	// ErrRateLimited: the token is over its rate (429).
	ErrRateLimited = errors.New("rate limit exceeded")
	// ErrOverloaded: the log's queue is full (503).
	ErrOverloaded = errors.New("the log is overloaded")
	// ErrServer: the server failed (5xx).
	ErrServer = errors.New("server error")
)

// retryError carries a Retry-After for ErrRateLimited and ErrOverloaded.
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string {
	return fmt.Sprintf("%v; retry after %s", e.err, e.after.Round(time.Second))
}
func (e *retryError) Unwrap() error { return e.err }

// retryAfterSeconds is the Retry-After header value for d: whole seconds, at least 1.
func retryAfterSeconds(d time.Duration) string {
	s := int64((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

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
	if e.Title != "" {
		msg += ": " + e.Title
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

func (e *Error) Unwrap() error {
	switch {
	case e.Status == 400:
		return ErrBadRequest
	case e.Status == 401:
		return ErrUnauthorized
	case e.Status == 403:
		return ErrForbidden
	case e.Status == 404:
		return ErrNotFound
	case e.Status == 413:
		return ErrTooLarge
	case e.Status == 429:
		return ErrRateLimited
	case e.Status == 503:
		return ErrOverloaded
	}
	return ErrServer
}
