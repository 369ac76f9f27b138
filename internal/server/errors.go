package server

import (
	"fmt"
	"strconv"
	"time"
)

// retryError carries a Retry-After for [api.ErrRateLimited] and [api.ErrOverloaded].
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
