package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/client"
)

// guard bounds how long a test waits for the client before it fails rather
// than hangs: far beyond every timeout the tests set, it measures nothing.
const guard = 30 * time.Second

// within runs call and returns its error, failing the test if it has not
// returned within the guard.
func within(t *testing.T, call func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- call() }()
	select {
	case err := <-done:
		return err
	case <-time.After(guard):
		t.Fatalf("the client still waited after %s", guard)
		return nil
	}
}

// silent accepts connections and, with read, reads what they send; it
// never answers. Its connections close when the test ends.
func silent(t *testing.T, read bool) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			if read {
				go io.Copy(io.Discard, c)
			}
		}
	}()
	return "http://" + ln.Addr().String()
}

// bigEnvelope is a line of n bytes; the client sends it as it is.
func bigEnvelope(n int) []byte { return bytes.Repeat([]byte("x"), n) }

func newIdleClient(t *testing.T, url string, idle time.Duration) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{URL: url, Token: "t", IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStalledServer: a server that stops moving bytes, at any point of a
// request, fails the request once the idle timeout passes, with an error
// wrapping client.ErrStalled that says where it stalled.
func TestStalledServer(t *testing.T) {
	ctx := context.Background()
	const idle = 200 * time.Millisecond
	stop := make(chan struct{})
	answerStops := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		io.WriteString(w, "origin\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer answerStops.Close()
	defer close(stop)
	for _, tt := range []struct {
		name, url, want string
		call            func(*client.Client) error
	}{
		{"no answer", silent(t, true), "no answer within 200ms of sending the request",
			func(c *client.Client) error { _, err := c.Checkpoint(ctx); return err }},
		{"the body not taken", silent(t, false), "the server took no byte of the request for 200ms",
			func(c *client.Client) error {
				_, err := c.Publish(ctx, "", [][]byte{bigEnvelope(64 << 20)})
				return err
			}},
		{"the answer stops", answerStops.URL, "the server sent no byte of its answer for 200ms (7 bytes read)",
			func(c *client.Client) error { _, err := c.Checkpoint(ctx); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newIdleClient(t, tt.url, idle)
			err := within(t, func() error { return tt.call(c) })
			if !errors.Is(err, client.ErrStalled) {
				t.Fatalf("error %v, want client.ErrStalled", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to say %q", err, tt.want)
			}
		})
	}
}

// TestSlowServerKeepsMoving: a big body the server takes slowly, for
// longer than the idle timeout in all, and an answer that comes after
// more than the idle timeout, as a server's checks of a big body take,
// succeed: only a time without a byte moving fails a request.
func TestSlowServerKeepsMoving(t *testing.T) {
	const idle = 200 * time.Millisecond
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 1<<20)
		for {
			if _, err := io.ReadFull(r.Body, buf); err != nil {
				break
			}
			time.Sleep(idle / 4)
		}
		// The checks of the body: 16 MiB at limits.PublishCheckRate
		// give it 16 seconds more than the idle timeout.
		time.Sleep(3 * idle)
		io.WriteString(w, `{"results":[{"index":0,"duplicate":false,"receipt":null}]}`)
	}))
	defer hs.Close()
	c := newIdleClient(t, hs.URL, idle)
	err := within(t, func() error {
		_, err := c.Publish(context.Background(), "", [][]byte{bigEnvelope(16 << 20)})
		return err
	})
	if err != nil {
		t.Fatalf("Publish to a slow server that keeps moving: %v", err)
	}
}

// TestInterruptedWhileStalled: cancelling the context (consign's SIGINT
// and SIGTERM do) ends a request the server holds at once, as a
// cancellation, not a stall.
func TestInterruptedWhileStalled(t *testing.T) {
	c := newIdleClient(t, silent(t, true), time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err := within(t, func() error { _, err := c.Checkpoint(ctx); return err })
	if !errors.Is(err, context.Canceled) || errors.Is(err, client.ErrStalled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

// TestDrippingServer: a server that sends its answer a byte at a time,
// each within the idle timeout, far below limits.PublishBodyRate, is cut
// off once past the first idle timeout it falls behind that rate: a byte
// a minute would otherwise hold the client for as long as the answer's
// cap allows (years).
func TestDrippingServer(t *testing.T) {
	const idle = 200 * time.Millisecond
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "10000")
		for {
			if _, err := io.WriteString(w, " "); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(idle / 4):
			}
		}
	}))
	defer hs.Close()
	c := newIdleClient(t, hs.URL, idle)
	err := within(t, func() error { _, err := c.Checkpoint(context.Background()); return err })
	if !errors.Is(err, client.ErrStalled) {
		t.Fatalf("error %v, want client.ErrStalled", err)
	}
	if want := "the server sent its answer at less than 65536 bytes a second"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q, want it to say %q", err, want)
	}
}
