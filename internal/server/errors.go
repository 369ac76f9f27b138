package server

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// retryError carries a Retry-After for [api.ErrRateLimited] and [api.ErrOverloaded].
// Its message names the same whole seconds as the header, never "0s".
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string {
	return fmt.Sprintf("%v; retry after %ss", e.err, retryAfterSeconds(e.after))
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

// ErrLimits is returned by [New] and [Limits.Validate] for limits that
// make no sense together.
var ErrLimits = errors.New("server: inconsistent limits")

// ErrTokenConfig is returned by [CreateToken] for settings no token may
// have (no product, a bad product name, too many keys, a role or expiry
// that does not fit): the caller's, not a server's, request.
var ErrTokenConfig = errors.New("invalid token settings")
