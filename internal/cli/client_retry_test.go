package cli_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestReadsWaitOutBusyServer: 'consign log checkpoint' against a server
// that answers 503 with Retry-After twice, then the checkpoint, asks
// again after each wait, says so on stderr each time, and prints the
// checkpoint; it used to fail at the first 503.
func TestReadsWaitOutBusyServer(t *testing.T) {
	const note = "log.example/retry\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	var n atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"title":"the log is overloaded","detail":"the sequencer queue is full"}`))
			return
		}
		w.Write([]byte(note))
	}))
	defer hs.Close()
	code, stdout, stderr := runConsign("log", "checkpoint", "--server", hs.URL)
	if code != 0 || stdout != note {
		t.Fatalf("consign log checkpoint = exit %d, stdout %q, stderr %q; want 0 and the checkpoint", code, stdout, stderr)
	}
	if got, want := strings.Count(stderr, "; trying again in 1s\n"), 2; got != want {
		t.Errorf("stderr has %d lines of waiting, want %d:\n%s", got, want, stderr)
	}
	if got, want := n.Load(), int32(3); got != want {
		t.Errorf("%d requests, want %d", got, want)
	}
}

// TestReadsRetryBudgetSpent: a server that asks for a longer wait than
// consign gives a command in all is not waited for: the error says how
// long it asked for and consign's budget, and the hint what to do.
func TestReadsRetryBudgetSpent(t *testing.T) {
	var n atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		w.Write([]byte(`{"title":"rate limit exceeded","detail":"token over its rate"}`))
	}))
	defer hs.Close()
	code, stdout, stderr := runConsign("log", "checkpoint", "--server", hs.URL)
	if code != 1 || stdout != "" || n.Load() != 1 {
		t.Fatalf("consign log checkpoint = exit %d, stdout %q after %d requests; want 1, nothing, 1", code, stdout, n.Load())
	}
	for _, want := range []string{
		"the server asks for a wait of 1h0m0s, longer than the 5m0s in all this client waits for a busy server: try again later\n",
		"consign: hint: the server kept refusing this token's requests after consign waited as it asked (up to 5 minutes in all for a command)",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr:\n%s\nwant %q", stderr, want)
		}
	}
}
