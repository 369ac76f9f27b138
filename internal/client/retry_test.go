package client_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/client"
)

// busyThen answers the first busy publishes with status and Retry-After
// retryAfter, then one result per request.
func busyThen(busy int32, status int, retryAfter string) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= busy {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", retryAfter)
			w.WriteHeader(status)
			w.Write([]byte(`{"title":"rate limit exceeded","detail":"rate limit exceeded; retry after 1s"}`))
			return
		}
		w.Write([]byte(`{"results":[{"index":7,"duplicate":true}]}`))
	}))
	return hs, &n
}

// TestPublishWaitsOutRetryAfter: a publish answered 429 or 503 is sent
// again after the server's Retry-After (publishing is idempotent), so a
// file of more envelopes than the token's burst is published in one run
// instead of failing at its third batch.
func TestPublishWaitsOutRetryAfter(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		hs, n := busyThen(1, status, "1")
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
		hs.Close()
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
			hs, n := busyThen(100, http.StatusTooManyRequests, tt.retryAfter)
			defer hs.Close()
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
		hs, _ := busyThen(100, http.StatusTooManyRequests, "3")
		defer hs.Close()
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
