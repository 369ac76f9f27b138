package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/tlog"
)

// endless answers every request with 200 and a body that never ends,
// counting the bytes the client took.
type endless struct{ written atomic.Int64 }

func (e *endless) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	chunk := []byte(`{"attestations":[` + strings.Repeat(" ", 32<<10))
	for {
		n, err := w.Write(chunk)
		e.written.Add(int64(n))
		if err != nil {
			return
		}
		chunk = []byte(strings.Repeat(" ", 32<<10))
	}
}

// TestSecurityCase47_EndlessResponse: every call of the client against a
// server whose answer never ends stops at its cap with an error wrapping
// limits.ErrTooLarge that names the limit, having read little more than
// the cap; an answer declaring a huge length is refused before a byte of
// it is read.
func TestSecurityCase47_EndlessResponse(t *testing.T) {
	ctx := context.Background()
	srv := &endless{}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	const slack = 16 << 20 // what the connection's buffers hold beyond the cap
	newClient := func(max int64) *client.Client {
		c, err := client.New(client.Config{URL: hs.URL, HTTP: hs.Client(), MaxResponse: max})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	def, small := newClient(0), newClient(1<<20)
	for _, tt := range []struct {
		name string
		cap  int64
		call func() error
	}{
		{"Publish of one envelope", 128 << 10, func() error { _, err := def.Publish(ctx, "", [][]byte{[]byte("{}")}); return err }},
		{"Attestations, a 1 MiB cap", 1 << 20, func() error { _, err := small.Attestations(ctx, tlog.Hash{}); return err }},
		{"Entry", int64(limits.LogEnvelope) + 1<<20, func() error { _, err := def.Entry(ctx, 1); return err }},
		{"Checkpoint", tlog.MaxCheckpointSize, func() error { _, err := def.Checkpoint(ctx); return err }},
		{"Inclusion", 64 << 10, func() error { _, err := def.Inclusion(ctx, 1, 2); return err }},
		{"Consistency", 64 << 10, func() error { _, err := def.Consistency(ctx, 1, 2); return err }},
	} {
		before := srv.written.Load()
		start := time.Now()
		err := tt.call()
		// The handler stops writing when the client hangs up.
		time.Sleep(50 * time.Millisecond)
		read := srv.written.Load() - before
		if !errors.Is(err, limits.ErrTooLarge) || !strings.Contains(err.Error(), "over the limit") {
			t.Errorf("%s: %v, want an error wrapping limits.ErrTooLarge naming the limit", tt.name, err)
		}
		if read > tt.cap+slack {
			t.Errorf("%s: the client took %d MiB of an endless answer, want about %d KiB", tt.name, read>>20, tt.cap>>10)
		}
		t.Logf("%s: %v after %d KiB in %v", tt.name, err, read>>10, time.Since(start).Round(time.Millisecond))
	}

	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "2147483648")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer huge.Close()
	c, _ := client.New(client.Config{URL: huge.URL, HTTP: &http.Client{Timeout: 10 * time.Second}})
	start := time.Now()
	_, err := c.Attestations(ctx, tlog.Hash{})
	if !errors.Is(err, limits.ErrTooLarge) || !strings.Contains(err.Error(), "2147483648 bytes") || time.Since(start) > 5*time.Second {
		t.Errorf("a declared 2 GiB answer: %v after %v, want ErrTooLarge at once, naming its length", err, time.Since(start))
	}
}

// TestNewBadURL: each unusable server URL is named (credentials hidden,
// even when it does not parse) with what to change.
func TestNewBadURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"localhost:8080", `bad server URL: "localhost:8080" has no scheme: add http:// or https://`},
		{"127.0.0.1", `bad server URL: "127.0.0.1" has no scheme: add http:// or https://`},
		{"ftp://log.example", `bad server URL: "ftp://log.example": the scheme must be http:// or https://, not ftp://`},
		{"http://", `bad server URL: "http://" has no host: write it as http://HOST[:PORT]`},
		{"https://u:secret@log.example", `bad server URL: "https://u:xxxxx@log.example" holds credentials: pass a token with --token or $CONSIGN_TOKEN instead`},
		{"http://u:secret@%zz", `bad server URL: "http://xxxxx@%zz": invalid URL escape "%zz"`},
	}
	for _, tt := range tests {
		_, err := client.New(client.Config{URL: tt.url})
		if !errors.Is(err, client.ErrURL) {
			t.Errorf("New(%q) = %v, want ErrURL", tt.url, err)
			continue
		}
		if got := err.Error(); got != tt.want {
			t.Errorf("New(%q) = %q, want %q", tt.url, got, tt.want)
		}
		if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "unparseable") {
			t.Errorf("New(%q) = %q shows the password or hides the URL", tt.url, err)
		}
	}
}
