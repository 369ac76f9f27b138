package server_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/tlog"
)

// TestPublishTokenInFlight: one token that spreads slow publish bodies
// over a hundred connections holds no more than its own budget of the
// server (bytes, or publishes, in flight); its next publish is answered
// 429 with Retry-After and a problem that says why, while another token's
// publish is served. Before each token had a budget, the hundred bodies
// held all of the server's MaxInFlight and every other token got 503.
func TestPublishTokenInFlight(t *testing.T) {
	tests := []struct {
		name   string
		limits server.Limits
		// each is the body bytes every held connection sends.
		each       int
		wantDetail string
	}{
		{
			name:       "bytes",
			limits:     server.Limits{MaxInFlight: 256 << 10, TokenInFlight: 64 << 10},
			each:       4 << 10, // 100 of them: 400 KiB, past MaxInFlight
			wantDetail: "bytes of publish bodies in flight",
		},
		{
			name:       "requests",
			limits:     server.Limits{TokenRequests: 3},
			each:       1,
			wantDetail: "publishes in flight, its limit",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := tt.limits
			l.Rate, l.ReadTimeout, l.WriteTimeout, l.BodyIdle = -1, time.Hour, time.Hour, time.Hour
			e := newEnv(t, memStore(), server.Config{Limits: l})
			k := newKey(t)
			hog, other := e.token([]string{"p"}, k), e.token([]string{"p"}, k)
			var conns []net.Conn
			closeAll := func() {
				for _, c := range conns {
					c.Close()
				}
				conns = nil
			}
			defer closeAll()
			for range 100 {
				c, err := net.Dial("tcp", e.http.Listener.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				conns = append(conns, c)
				// A chunked body (of no declared length) of which a chunk
				// comes, and then nothing: the server holds what came.
				head := strings.Replace(publishHead(hog, 0), "Content-Length: 0", "Transfer-Encoding: chunked", 1)
				if _, err := fmt.Fprintf(c, "%s%x\r\n%s\r\n", head, tt.each, strings.Repeat(" ", tt.each)); err != nil {
					t.Fatal(err)
				}
			}
			// The server reads the held bodies as they come: the hog's
			// publishes succeed until it holds its budget.
			status, h, body := untilRefused(t, e, hog, k)
			var p api.Problem
			json.Unmarshal(body, &p)
			if status != 429 || h.Get("Retry-After") == "" || !strings.Contains(p.Detail, tt.wantDetail) {
				t.Fatalf("the hog's publish: %d (Retry-After %q) %s, want 429 with Retry-After saying %q", status, h.Get("Retry-After"), body, tt.wantDetail)
			}
			if want := "the token has too much in flight"; p.Title != want {
				t.Errorf("problem title %q, want %q", p.Title, want)
			}
			_, b := envelope(t, k, "a", "another token")
			if s, _, body := e.post(other, "", b); s != 200 {
				t.Errorf("another token's publish while the hog holds its budget: %d %s, want 200", s, body)
			}
			// Once its connections are gone, the hog publishes again.
			closeAll()
			untilAccepted(t, e, hog, k)
		})
	}
}

// untilAccepted publishes small envelopes signed by k with token until
// one is answered 200; it fails the test on any answer but 200, 429 and
// 503, or if none is 200 within the guard.
func untilAccepted(t *testing.T, e *env, token string, k *key) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for i := 0; ; i++ {
		_, b := envelope(t, k, "a", fmt.Sprint("after ", i))
		s, _, body := e.post(token, "", b)
		if s == 200 {
			return
		}
		if (s != 429 && s != 503) || time.Now().After(deadline) {
			t.Fatalf("publish once the held bodies are gone: %d %s, want 200", s, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// holdBody opens a connection that publishes with token a body of n
// bytes, of which it sends all but the last: the server reads and holds
// them, counted in flight, until the connection closes.
func holdBody(t *testing.T, e *env, token string, n int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", e.http.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := fmt.Fprintf(c, "%s%s", publishHead(token, n), strings.Repeat(" ", n-1)); err != nil {
		t.Fatal(err)
	}
	return c
}

// TestPublishTwoTokensLeaveAThird: with the default share of the bytes in
// flight, a third of the server's, two tokens that each try to hold more
// than the whole server (slow bodies over many connections) hold no more
// than their shares, and a third token's publish is served. With a share
// of one largest body (the default before), out of two, they held all of
// it and every other token got 503.
func TestPublishTwoTokensLeaveAThird(t *testing.T) {
	l := server.Limits{MaxInFlight: 48 << 10, Rate: -1, ReadTimeout: time.Hour, WriteTimeout: time.Hour, BodyIdle: time.Hour}
	e := newEnv(t, memStore(), server.Config{Limits: l})
	k := newKey(t)
	hog1, hog2, third := e.token([]string{"p"}, k), e.token([]string{"p"}, k), e.token([]string{"p"}, k)
	for _, hog := range []string{hog1, hog2} {
		// 60 × 1 KiB, more than the server's 48 KiB: the hog holds its
		// share (16 KiB) but for less than a probe's envelope.
		for range 60 {
			holdBody(t, e, hog, 1<<10)
		}
		// The hog's publish is refused for its own share, not the server's.
		s, _, body := untilRefused(t, e, hog, k)
		if s != 429 {
			t.Fatalf("a hog's publish: %d %s, want 429 (its share of the bytes in flight)", s, body)
		}
	}
	_, b := envelope(t, k, "a", "the third token")
	if s, _, body := e.post(third, "", b); s != 200 {
		t.Errorf("a third token's publish while two hold their shares: %d %s, want 200", s, body)
	}
}

// Limits that let one token hold more than half the server are refused.
func TestLimitsValidate(t *testing.T) {
	tests := []struct {
		name string
		l    server.Limits
		ok   bool
	}{
		{"defaults", server.Limits{}, true},
		{"half", server.Limits{MaxInFlight: 1 << 20, TokenInFlight: 512 << 10}, true},
		{"a token's share alone, at most half the default", server.Limits{TokenInFlight: limits.PublishInFlight / 2}, true},
		{"over half", server.Limits{MaxInFlight: 1 << 20, TokenInFlight: 512<<10 + 1}, false},
		{"over the server's", server.Limits{MaxInFlight: 1 << 20, TokenInFlight: 2 << 20}, false},
		{"over half the default", server.Limits{TokenInFlight: limits.PublishInFlight/2 + 1}, false},
		{"a third of the server's is none", server.Limits{MaxInFlight: 2}, false},
		{"a third of the server's is one byte", server.Limits{MaxInFlight: 3}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.l.Validate()
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, server.ErrLimits)) {
				t.Fatalf("Validate() = %v, want ok %v (or ErrLimits)", err, tt.ok)
			}
			signer, err := tlog.NewSigner("log.test/limits", mustEd25519(t))
			if err != nil {
				t.Fatal(err)
			}
			srv, err := server.New(bg, server.Config{Store: memStore(), Signer: signer, Limits: tt.l})
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, server.ErrLimits)) {
				t.Errorf("New() = %v, want ok %v (or ErrLimits)", err, tt.ok)
			}
			if err == nil {
				srv.Close()
			}
		})
	}
}

// untilRefused publishes small envelopes signed by k with token until one
// is not answered 200, and returns that answer; it fails the test if
// every publish within the guard succeeds.
func untilRefused(t *testing.T, e *env, token string, k *key) (int, http.Header, []byte) {
	t.Helper()
	deadline := time.Now().Add(guard)
	for i := 0; time.Now().Before(deadline); i++ {
		_, b := envelope(t, k, "a", fmt.Sprint("probe ", i))
		s, h, body := e.post(token, "", b)
		if s != 200 {
			return s, h, body
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("every publish within %s was answered 200", guard)
	return 0, nil, nil
}
