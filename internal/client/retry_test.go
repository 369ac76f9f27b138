package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/client"
)

// busy answers the first n requests with status and Retry-After
// retryAfter, then body; it fails the test on a request of another
// method than method.
func busy(t *testing.T, n int32, status int, retryAfter, method, body string) (*httptest.Server, *atomic.Int32) {
	var got atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			t.Errorf("%s %s, want a %s", r.Method, r.URL, method)
		}
		if got.Add(1) <= n {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(status)
			w.Write([]byte(`{"title":"rate limit exceeded","detail":"rate limit exceeded; retry after 1s"}`))
			return
		}
		w.Write([]byte(body))
	}))
	t.Cleanup(hs.Close)
	return hs, &got
}

// busyThen is [busy] for publishes: one result per request.
func busyThen(t *testing.T, n int32, status int, retryAfter string) (*httptest.Server, *atomic.Int32) {
	return busy(t, n, status, retryAfter, http.MethodPost, `{"results":[{"index":7,"duplicate":true}]}`)
}

// TestPublishWaitsOutRetryAfter: a publish answered 429 or 503 is sent
// again after the server's Retry-After (publishing is idempotent), so a
// file of more envelopes than the token's burst is published in one run
// instead of failing at its third batch.
func TestPublishWaitsOutRetryAfter(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		hs, n := busyThen(t, 1, status, "1")
		var waits []time.Duration
		c, err := client.New(client.Config{URL: hs.URL, Token: "t", OnRetry: func(e *api.Error, d time.Duration) {
			if e.Status != status {
				t.Errorf("OnRetry's error has status %d, want %d", e.Status, status)
			}
			waits = append(waits, d)
		}})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Publish(context.Background(), "", [][]byte{[]byte(`{}`)})
		if err != nil {
			t.Fatalf("status %d: Publish = %v, want it sent again after Retry-After", status, err)
		}
		if got, want := n.Load(), int32(2); got != want {
			t.Errorf("status %d: %d requests, want %d", status, got, want)
		}
		if len(res.Results) != 1 || res.Results[0].Index != 7 {
			t.Errorf("status %d: results %+v, want the second answer's", status, res.Results)
		}
		if len(waits) != 1 || waits[0] != time.Second {
			t.Errorf("status %d: OnRetry waits %v, want [1s]", status, waits)
		}
	}
}

// TestPublishRetryBudget: an answer asking for a longer wait than the
// budget left, or a client told never to retry, returns the server's
// error at once; a context that ends during the wait ends the publish.
func TestPublishRetryBudget(t *testing.T) {
	tests := []struct {
		name       string
		retryAfter string
		maxWait    time.Duration
	}{
		{"longer than the budget", "3600", 0},
		{"no retries", "1", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs, n := busyThen(t, 100, http.StatusTooManyRequests, tt.retryAfter)
			c, err := client.New(client.Config{URL: hs.URL, Token: "t", MaxRetryWait: tt.maxWait})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Publish(context.Background(), "", [][]byte{[]byte(`{}`)})
			if !errors.Is(err, api.ErrRateLimited) {
				t.Fatalf("Publish = %v, want api.ErrRateLimited", err)
			}
			if got := n.Load(); got != 1 {
				t.Errorf("%d requests, want 1", got)
			}
		})
	}
	t.Run("context ends while waiting", func(t *testing.T) {
		hs, _ := busyThen(t, 100, http.StatusTooManyRequests, "3")
		ctx, cancel := context.WithCancel(context.Background())
		c, err := client.New(client.Config{URL: hs.URL, Token: "t", OnRetry: func(*api.Error, time.Duration) { cancel() }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Publish(ctx, "", [][]byte{[]byte(`{}`)}); !errors.Is(err, context.Canceled) {
			t.Fatalf("Publish = %v, want context.Canceled", err)
		}
	})
}

// TestGetsWaitOutRetryAfter: every read of the server (the checkpoint,
// proofs, an entry, the attestations about a subject) answered 429 or
// 503 is asked again after the server's Retry-After, as a publish is,
// and OnRetry hears of each wait; it used to fail at the first busy
// answer.
func TestGetsWaitOutRetryAfter(t *testing.T) {
	hash := strings.Repeat("A", 43) + "=" // base64 of 32 zero bytes
	gets := []struct {
		name string
		body string
		call func(context.Context, *client.Client) error
	}{
		{"checkpoint", "log.example\n1\n" + strings.Repeat("A", 43) + "=\n", func(ctx context.Context, c *client.Client) error {
			_, err := c.Checkpoint(ctx)
			return err
		}},
		{"entry", `{"index":3}`, func(ctx context.Context, c *client.Client) error {
			a, err := c.Entry(ctx, 3)
			if err == nil && a.Index != 3 {
				err = fmt.Errorf("entry %d, want 3", a.Index)
			}
			return err
		}},
		{"inclusion", `{"inclusionProof":["` + hash + `"]}`, func(ctx context.Context, c *client.Client) error {
			p, err := c.Inclusion(ctx, 0, 2)
			if err == nil && len(p) != 1 {
				err = fmt.Errorf("proof %v, want one hash", p)
			}
			return err
		}},
		{"consistency", `{"consistencyProof":["` + hash + `"]}`, func(ctx context.Context, c *client.Client) error {
			p, err := c.Consistency(ctx, 1, 2)
			if err == nil && len(p) != 1 {
				err = fmt.Errorf("proof %v, want one hash", p)
			}
			return err
		}},
		{"attestations", `{"attestations":[{"index":5}]}`, func(ctx context.Context, c *client.Client) error {
			all, err := c.Attestations(ctx, [32]byte{1})
			if err == nil && (len(all) != 1 || all[0].Index != 5) {
				err = fmt.Errorf("attestations %+v, want entry 5", all)
			}
			return err
		}},
	}
	for _, g := range gets {
		for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
			t.Run(fmt.Sprintf("%s/%d", g.name, status), func(t *testing.T) {
				t.Parallel()
				hs, n := busy(t, 1, status, "1", http.MethodGet, g.body)
				var waits []time.Duration
				c, err := client.New(client.Config{URL: hs.URL, OnRetry: func(e *api.Error, d time.Duration) {
					if e.Status != status {
						t.Errorf("OnRetry's error has status %d, want %d", e.Status, status)
					}
					waits = append(waits, d)
				}})
				if err != nil {
					t.Fatal(err)
				}
				if err := g.call(context.Background(), c); err != nil {
					t.Fatalf("%s = %v, want it asked again after Retry-After", g.name, err)
				}
				if got, want := n.Load(), int32(2); got != want {
					t.Errorf("%d requests, want %d", got, want)
				}
				if want := []time.Duration{time.Second}; !slices.Equal(waits, want) {
					t.Errorf("OnRetry waits %v, want %v", waits, want)
				}
			})
		}
	}
}

// TestGetRetryBudget: a read whose server asks for a longer wait than is
// left of MaxRetryWait fails with the server's error at once, and the
// pages of one EachAttestation share one budget: a server that answers
// each page busy once does not make the client wait more than
// MaxRetryWait in all.
func TestGetRetryBudget(t *testing.T) {
	hs, n := busy(t, 100, http.StatusServiceUnavailable, "3600", http.MethodGet, "")
	c, err := client.New(client.Config{URL: hs.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Checkpoint(context.Background()); !errors.Is(err, api.ErrOverloaded) {
		t.Fatalf("Checkpoint = %v, want api.ErrOverloaded", err)
	}
	if got := n.Load(); got != 1 {
		t.Errorf("%d requests, want 1", got)
	}

	// Every page is busy once, then served, and pages on to the next:
	// with a budget of 2 s the third page's wait is over it.
	var reqs atomic.Int32
	pages := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reqs.Add(1)%2 == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		i := int(reqs.Load() / 2)
		fmt.Fprintf(w, `{"attestations":[{"index":%d}],"next":%d}`, i, i)
	}))
	defer pages.Close()
	var waited time.Duration
	c, err = client.New(client.Config{URL: pages.URL, MaxRetryWait: 2 * time.Second, OnRetry: func(_ *api.Error, d time.Duration) { waited += d }})
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	err = c.EachAttestation(context.Background(), [32]byte{1}, func(api.Attestation) error { got++; return nil })
	if !errors.Is(err, api.ErrRateLimited) {
		t.Fatalf("EachAttestation = %v, want api.ErrRateLimited once the budget is spent", err)
	}
	if got != 2 || waited != 2*time.Second {
		t.Errorf("EachAttestation took %d pages after waiting %v in all, want 2 pages and 2s", got, waited)
	}
}

// TestHostileRetryAfter: a server whose Retry-After asks for a wait longer
// than the budget, however it writes it, is not asked again: seconds past
// what a time.Duration holds (they overflowed: 20211507185753197 s made a
// wait of 512 ns, so the default budget of 5 min lasted some 600 million
// requests; 9223372037 s made -292 years, waited as 1 s), more seconds
// than 64 bits hold, or an HTTP-date far ahead (RFC 9110 allows one; it
// was read as no Retry-After, a wait of 1 s). A date past is no wait
// asked for: the least wait, 1 s.
func TestHostileRetryAfter(t *testing.T) {
	for _, ra := range []string{
		"20211507185753197",
		"9223372037",
		"99999999999999999999999",
		"Fri, 01 Jan 2100 00:00:00 GMT",
		"Fri Jan  1 00:00:00 2100", // asctime's form, which RFC 9110 allows too
	} {
		t.Run(ra, func(t *testing.T) {
			t.Parallel()
			hs, n := busy(t, 100, http.StatusTooManyRequests, ra, http.MethodGet, "log.example\n1\n"+strings.Repeat("A", 43)+"=\n")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var waits []time.Duration
			c, err := client.New(client.Config{URL: hs.URL, OnRetry: func(_ *api.Error, d time.Duration) {
				waits = append(waits, d)
				cancel() // a client that would wait stops here, not after 100 requests
			}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Checkpoint(ctx); !errors.Is(err, api.ErrRateLimited) {
				t.Errorf("Checkpoint = %v, want api.ErrRateLimited", err)
			}
			if len(waits) != 0 || n.Load() != 1 {
				t.Errorf("waits %v and %d requests, want none and 1", waits, n.Load())
			}
		})
	}
	t.Run("a date past", func(t *testing.T) {
		hs, n := busy(t, 1, http.StatusTooManyRequests, "Sun, 06 Nov 1994 08:49:37 GMT", http.MethodGet, "log.example\n1\n"+strings.Repeat("A", 43)+"=\n")
		var waits []time.Duration
		c, err := client.New(client.Config{URL: hs.URL, OnRetry: func(_ *api.Error, d time.Duration) { waits = append(waits, d) }})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Checkpoint(context.Background()); err != nil {
			t.Fatalf("Checkpoint = %v", err)
		}
		if want := []time.Duration{time.Second}; !slices.Equal(waits, want) || n.Load() != 2 {
			t.Errorf("waits %v and %d requests, want %v and 2", waits, n.Load(), want)
		}
	})
}

// TestRetryBudgetPerClient: the retry budget is the client's, for all its
// calls, not each call's: a command that makes several calls (a monitor's
// checkpoint and consistency proof, a fetch's pages and proofs, reads one
// after the other) waits no more than MaxRetryWait for all of them. Each
// call used to have a budget of its own, so n calls could wait n times it.
// Past the budget the error says so, and still is the server's answer.
func TestRetryBudgetPerClient(t *testing.T) {
	hash := strings.Repeat("A", 43) + "="
	var reqs atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reqs.Add(1)%2 == 1 { // every call is answered busy once, then served
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		switch r.URL.Path {
		case "/api/v1/log/checkpoint":
			w.Write([]byte("log.example\n1\n" + hash + "\n"))
		default:
			w.Write([]byte(`{"consistencyProof":["` + hash + `"]}`))
		}
	}))
	defer hs.Close()
	var waited time.Duration
	c, err := client.New(client.Config{URL: hs.URL, MaxRetryWait: 2 * time.Second, OnRetry: func(_ *api.Error, d time.Duration) { waited += d }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Checkpoint(context.Background()); err != nil {
		t.Fatalf("Checkpoint = %v", err)
	}
	if _, err := c.Consistency(context.Background(), 1, 2); err != nil {
		t.Fatalf("Consistency = %v", err)
	}
	_, err = c.Checkpoint(context.Background())
	var be *client.RetryBudgetError
	if !errors.As(err, &be) || !errors.Is(err, client.ErrRetryBudget) || !errors.Is(err, api.ErrOverloaded) {
		t.Fatalf("a third call after 2s of waits = %v, want a RetryBudgetError wrapping api.ErrOverloaded", err)
	}
	if be.Wait != time.Second || be.Waited != 2*time.Second || be.Budget != 2*time.Second {
		t.Errorf("RetryBudgetError %+v, want a wait of 1s after 2s of 2s", be)
	}
	if want := "the server asks for a wait of 1s, and 2s of the 2s in all this client waits for a busy server is spent: try again later"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to say %q", err, want)
	}
	if got, want := reqs.Load(), int32(5); waited != 2*time.Second || got != want {
		t.Errorf("waited %v in all over %d requests, want 2s and %d", waited, got, want)
	}
}

// TestRetryBudgetConcurrent: calls of one client made at once share its
// budget: however many wait together, the waits taken add up to no more
// than MaxRetryWait.
func TestRetryBudgetConcurrent(t *testing.T) {
	hs, _ := busy(t, 1<<30, http.StatusTooManyRequests, "1", http.MethodGet, "")
	var mu sync.Mutex
	var waited time.Duration
	c, err := client.New(client.Config{URL: hs.URL, MaxRetryWait: 3 * time.Second, OnRetry: func(_ *api.Error, d time.Duration) {
		mu.Lock()
		waited += d
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := c.Checkpoint(context.Background()); !errors.Is(err, client.ErrRetryBudget) || !errors.Is(err, api.ErrRateLimited) {
				t.Errorf("Checkpoint = %v, want the budget spent on a rate-limited server", err)
			}
		})
	}
	wg.Wait()
	if waited != 3*time.Second {
		t.Errorf("8 calls at once waited %v in all, want the budget of 3s", waited)
	}
}
