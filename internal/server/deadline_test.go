package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/tlog"
)

// guard bounds how long a test waits for the server before it fails
// rather than hangs: far beyond every deadline the tests set, it measures
// nothing.
const guard = 30 * time.Second

// startLimited runs a server with limits on 127.0.0.1, as 'consign serve'
// does, and returns its address and a publishing token with its key.
func startLimited(t *testing.T, l server.Limits) (*server.Running, string, *key) {
	t.Helper()
	st := sqliteStore(t)
	signer, err := tlog.NewSigner("log.test/deadline", mustEd25519(t))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(bg, server.Config{Store: st, Signer: signer, Limits: l})
	if err != nil {
		t.Fatal(err)
	}
	run, err := server.Start(srv, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Shutdown(bg) })
	k := newKey(t)
	tok, _, err := server.CreateToken(bg, st, server.TokenConfig{Products: []string{"p"}, Keys: [][]byte{k.pem}})
	if err != nil {
		t.Fatal(err)
	}
	return run, tok, k
}

// publishHead is the header of a publish request of n body bytes.
func publishHead(tok string, n int) string {
	return fmt.Sprintf("POST /api/v1/attestations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/jsonl\r\nContent-Length: %d\r\n\r\n", tok, n)
}

// cutOff reads the server's answer on conn, which must come before the
// guard, and then the connection's end.
func cutOff(t *testing.T, conn net.Conn) (int, api.Problem) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(guard))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer from the server within %s: %v", guard, err)
	}
	var p api.Problem
	json.NewDecoder(resp.Body).Decode(&p)
	resp.Body.Close()
	// A close shows as EOF, or as a reset when the client's own drip
	// reached the server after it had closed: bytes unread at close make
	// the kernel answer with RST. Either way the connection is gone; a
	// timeout or a byte would mean it was kept open.
	if _, err := br.ReadByte(); err != io.EOF && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("after its answer the server kept the connection open (read: %v), want it closed", err)
	}
	return resp.StatusCode, p
}

// TestPublishBodyStalled: a publish whose sender stops mid-body is answered
// 408 and its connection closed once no byte has come for the body's idle
// time, although the server's read timeout for a whole request is an hour.
func TestPublishBodyStalled(t *testing.T) {
	// A rate of a byte a second leaves the idle time the only bound that
	// can cut this sender off: with the default rate, the body's first
	// bytes read a few milliseconds late on a loaded machine made the rate
	// deadline (the first idle time of grace) fall before the idle one, and
	// the answer named the rate.
	run, tok, _ := startLimited(t, server.Limits{ReadTimeout: time.Hour, WriteTimeout: time.Hour, BodyIdle: 200 * time.Millisecond, BodyRate: 1})
	conn, err := net.Dial("tcp", run.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, publishHead(tok, 100_000)+`{"payloadType":"application/vnd.in-toto+json","payload":"`); err != nil {
		t.Fatal(err)
	}
	status, p := cutOff(t, conn)
	if status != http.StatusRequestTimeout {
		t.Errorf("status %d (%s), want 408", status, p.Detail)
	}
	if want := "no byte of the body came for 200ms"; !strings.Contains(p.Detail, want) {
		t.Errorf("detail %q, want it to say %q", p.Detail, want)
	}
}

// TestPublishBodyDrip: a sender that keeps within the idle time by
// sending a byte now and then, far below the body's minimum rate, is cut
// off with a 408 that says so; so is one that sends most of its body at
// once, far ahead of that rate, before it drips: bytes sent ahead buy no
// more than the idle time, not the hour or more the rest of a large body
// would take at the minimum rate (held all the while against the server's
// in-flight budget).
func TestPublishBodyDrip(t *testing.T) {
	// A byte every 20ms keeps well within the 2s idle time, even on a
	// loaded machine; at 50 bytes a second the rate cuts it off after
	// some 2s. 60,000 bytes at once are a minute at 1000 bytes a second.
	for _, ahead := range []int{0, 60_000} {
		t.Run(fmt.Sprintf("%d bytes ahead", ahead), func(t *testing.T) {
			run, tok, _ := startLimited(t, server.Limits{ReadTimeout: time.Hour, WriteTimeout: time.Hour, BodyIdle: 2 * time.Second, BodyRate: 1000})
			conn, err := net.Dial("tcp", run.Addr.String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, publishHead(tok, 100_000)+strings.Repeat(" ", ahead)); err != nil {
				t.Fatal(err)
			}
			defer drip(conn, 20*time.Millisecond)()
			status, p := cutOff(t, conn)
			if status != http.StatusRequestTimeout {
				t.Errorf("status %d (%s), want 408", status, p.Detail)
			}
			if want := "the body came at less than 1000 bytes a second"; !strings.Contains(p.Detail, want) {
				t.Errorf("detail %q, want it to say %q", p.Detail, want)
			}
		})
	}
}

// drip writes a space to conn every period until the function it returns
// is called.
func drip(conn net.Conn, period time.Duration) (stop func()) {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(period):
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// slowBody gives b in pieces of n bytes, each after a pause.
type slowBody struct {
	b     []byte
	n     int
	pause time.Duration
}

func (s *slowBody) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	time.Sleep(s.pause)
	n := copy(p[:min(len(p), s.n)], s.b)
	s.b = s.b[n:]
	return n, nil
}

// TestPublishBodySlowSteady: a body that keeps arriving is read however
// long it takes, past the server's read and write timeouts for a whole
// request (300ms each; the body takes over a second), and its answer is
// due after its checks, not at the write timeout from the request's start.
func TestPublishBodySlowSteady(t *testing.T) {
	const timeout = 300 * time.Millisecond
	// A CheckRate of 100 bytes a second gives the envelope's checks some
	// ten seconds: the answer does not race the 300ms write timeout.
	run, tok, k := startLimited(t, server.Limits{ReadTimeout: timeout, WriteTimeout: timeout, BodyIdle: 10 * time.Second, BodyRate: 1, CheckRate: 100})
	_, env := envelope(t, k, "slow", "steady")
	// 25 pieces 50ms apart: at least 1.25s, over four times the timeouts.
	body := &slowBody{b: env, n: len(env)/25 + 1, pause: 50 * time.Millisecond}
	req, err := http.NewRequest(http.MethodPost, run.URL+"/api/v1/attestations", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(env))
	req.Header.Set("Authorization", "Bearer "+tok)
	start := time.Now()
	resp, err := (&http.Client{Timeout: guard}).Do(req)
	if err != nil {
		t.Fatalf("publishing a body that took %s: %v", time.Since(start), err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, b.Bytes())
	}
	var out api.PublishResponse
	if err := json.Unmarshal(b.Bytes(), &out); err != nil || len(out.Results) != 1 || out.Results[0].Receipt == nil {
		t.Fatalf("answer %s (%v), want one receipt", b.Bytes(), err)
	}
}
