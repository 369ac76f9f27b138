package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/store"
)

// heldAppend holds the first Append until release is closed.
type heldAppend struct {
	store.Store
	entered, release chan struct{}
	first            bool
}

func (h *heldAppend) Append(ctx context.Context, entries []store.NewEntry) ([]store.Appended, store.Tree, error) {
	if !h.first {
		h.first = true
		close(h.entered)
		<-h.release
	}
	return h.Store.Append(ctx, entries)
}

// TestPublishTokenBudgetHeldWhileQueued: a publisher that hangs up once
// its publish is with the sequencer does not get its budget back until
// the sequencer is done with the entries (which hold the body's bytes):
// its next publish is refused 429 while they wait. Before, the budget came
// back at the hang-up, and a token that posted and hung up again and
// again had the queue (4096 requests deep) hold its bodies beyond its
// budget and the server's MaxInFlight.
func TestPublishTokenBudgetHeldWhileQueued(t *testing.T) {
	k := newKey(t)
	_, body := envelope(t, k, "a", "queued")
	st := &heldAppend{Store: memStore(), entered: make(chan struct{}), release: make(chan struct{})}
	released := false
	defer func() {
		if !released {
			close(st.release)
		}
	}()
	l := server.Limits{Rate: -1, TokenInFlight: int64(len(body) + len(body)/2)}
	e := newEnv(t, st, server.Config{Limits: l})
	tok := e.token([]string{"p"}, k)
	// The server's own handler, on 127.0.0.1, telling when a publish's
	// handler has returned.
	returned := make(chan struct{}, 16)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.srv.ServeHTTP(w, r)
		returned <- struct{}{}
	}))
	defer hs.Close()
	post := func(ctx context.Context, b []byte) (int, string, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, hs.URL+"/api/v1/attestations", bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := hs.Client().Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		var out bytes.Buffer
		out.ReadFrom(resp.Body)
		return resp.StatusCode, out.String(), nil
	}

	ctx, cancel := context.WithCancel(context.Background())
	hungUp := make(chan error, 1)
	go func() {
		_, _, err := post(ctx, body)
		hungUp <- err
	}()
	select {
	case <-st.entered:
	case <-time.After(guard):
		t.Fatal("the publish never reached the store")
	}
	cancel() // the publisher hangs up while its entry is being appended
	<-hungUp
	select {
	case <-returned:
	case <-time.After(guard):
		t.Fatal("the hung-up publish's handler never returned")
	}

	// As large again: over the budget while the first one's bytes are held.
	other := append([]byte(`{"x":"`), bytes.Repeat([]byte("y"), len(body)-8)...)
	other = append(other, `"}`...)
	status, answer, err := post(context.Background(), other)
	if err != nil {
		t.Fatal(err)
	}
	var p api.Problem
	json.Unmarshal([]byte(answer), &p)
	if status != http.StatusTooManyRequests || !strings.Contains(p.Detail, "bytes of publish bodies in flight") {
		t.Errorf("a publish while the hung-up one's entry waits for the log: %d %s, want 429: the token's bytes are in flight", status, answer)
	}

	// Once the append is done, the budget is back.
	close(st.release)
	released = true
	deadline := time.Now().Add(guard)
	for i := 0; ; i++ {
		_, b := envelope(t, k, "a", fmt.Sprint("after ", i))
		s, answer, err := post(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		if s == http.StatusOK {
			break
		}
		if s != http.StatusTooManyRequests || time.Now().After(deadline) {
			t.Fatalf("a publish once the append is done: %d %s, want 200", s, answer)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
