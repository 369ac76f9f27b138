package server

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// errTokenBusy is a publish refused because its token holds too much of
// the server at once: too many publishes, or too many body bytes, in
// flight (429 with Retry-After, see [Limits.TokenRequests] and
// [Limits.TokenInFlight]).
var errTokenBusy = errors.New("the token has too much in flight")

// tokenLoad is what the publishes of one token hold at once.
type tokenLoad struct {
	requests int // guarded by tokenLoads.mu
	bytes    atomic.Int64
}

// tokenLoads counts each token's publishes in flight and the body bytes
// they hold, so that one token, however many connections it spreads its
// bodies over, never holds all of [Limits.MaxInFlight]. A token has an
// entry only while it has a publish in flight: the map is bounded by the
// requests the server is serving.
type tokenLoads struct {
	mu sync.Mutex
	m  map[string]*tokenLoad
}

// acquire counts a publish of token id in flight, or refuses it with
// errTokenBusy when the token has max in flight already, or its bytes in
// flight and the request's declared length (0 or less if unknown) would
// pass maxBytes. A declared length over maxBytes by itself is left for
// the body's reader to refuse as too large. The caller releases what it
// acquired with [tokenLoads.release].
func (t *tokenLoads) acquire(id string, max int, declared, maxBytes int64) (*tokenLoad, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]*tokenLoad{}
	}
	tl := t.m[id]
	if tl == nil {
		tl = &tokenLoad{}
		t.m[id] = tl
	}
	if tl.requests >= max {
		return nil, tokenBusy(fmt.Sprintf("token %s has %d publishes in flight, its limit", id, tl.requests))
	}
	if held := tl.bytes.Load(); declared > 0 && declared <= maxBytes && held+declared > maxBytes {
		return nil, tokenBusy(fmt.Sprintf("token %s holds %d bytes of publish bodies in flight; %d more would pass its limit of %d", id, held, declared, maxBytes))
	}
	tl.requests++
	return tl, nil
}

// release ends a publish acquire counted, and returns the body bytes it held.
func (t *tokenLoads) release(id string, tl *tokenLoad, held int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tl.bytes.Add(-held)
	if tl.requests--; tl.requests == 0 {
		delete(t.m, id)
	}
}

// tokenBusy is errTokenBusy with why, to retry after a second: the
// token's other publishes end within their own deadlines.
func tokenBusy(why string) error {
	return &retryError{fmt.Errorf("%w: %s", errTokenBusy, why), time.Second}
}
