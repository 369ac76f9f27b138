package server_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/server"
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
			deadline := time.Now().Add(guard)
			for i := 0; ; i++ {
				_, b := envelope(t, k, "a", fmt.Sprint("after ", i))
				s, _, body := e.post(hog, "", b)
				if s == 200 {
					break
				}
				if s != 429 || time.Now().After(deadline) {
					t.Fatalf("the hog's publish after its connections closed: %d %s, want 200", s, body)
				}
				time.Sleep(10 * time.Millisecond)
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
