package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// countingStore counts token lookups.
type countingStore struct {
	store.Store
	lookups atomic.Int64
}

func (c *countingStore) TokenByHash(ctx context.Context, h tlog.Hash) (*store.Token, error) {
	c.lookups.Add(1)
	return c.Store.TokenByHash(ctx, h)
}

// TestSecurityCase48_TokenShape: a bearer token that is too long, too
// short or not of the alphabet tokens are made of is refused before it is
// hashed or looked up, with the answer an unknown token gets.
func TestSecurityCase48_TokenShape(t *testing.T) {
	cs := &countingStore{Store: memStore()}
	e := newEnv(t, cs, server.Config{})
	k := newKey(t)
	e.token([]string{"p"}, k)
	_, env := envelope(t, k, "a", "shape")
	before := cs.lookups.Load()
	unknownStatus, _, unknownBody := e.post("consign_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", env)
	if unknownStatus != 401 || cs.lookups.Load() != before+1 {
		t.Fatalf("an unknown token: %d after %d lookups, want 401 after one", unknownStatus, cs.lookups.Load()-before)
	}
	for name, token := range map[string]string{
		"60 KB of dots":         "consign_" + strings.Repeat(".", 60_000),
		"one character long":    "consign_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"one character short":   "consign_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"dots of the length":    "consign_" + strings.Repeat(".", 43),
		"standard base64 chars": "consign_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+/",
		"another prefix":        "hunter2_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	} {
		before := cs.lookups.Load()
		status, _, body := e.post(token, "", env)
		if status != unknownStatus || !bytes.Equal(body, unknownBody) {
			t.Errorf("%s: %d %s, want what an unknown token gets: %d %s", name, status, body, unknownStatus, unknownBody)
		}
		if n := cs.lookups.Load() - before; n != 0 {
			t.Errorf("%s: %d token lookups, want none", name, n)
		}
	}
}

// rawRequest sends head (a request line and headers, without the blank
// line) on a new connection to e, then body in the background, and returns
// the status the server answers with within 10 seconds.
func (e *env) rawRequest(head string, body func(w *bufio.Writer) error) int {
	e.t.Helper()
	u, _ := url.Parse(e.http.URL)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	w := bufio.NewWriter(conn)
	fmt.Fprintf(w, "%s\r\nHost: %s\r\n\r\n", head, u.Host)
	if err := w.Flush(); err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		go body(w)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		e.t.Fatalf("reading the answer to %q: %v", head, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSecurityCase52_ServerExhaustion: a publish declaring a 1 GiB body is
// refused with 413 before a byte of it is read; an endless chunked body is
// refused with 413 once past the cap, while it is still being sent; an
// envelope of a payload type the log does not take is 400; requests with
// made-up methods and paths are answered as problems.
func TestSecurityCase52_ServerExhaustion(t *testing.T) {
	e := newEnv(t, memStore(), server.Config{Limits: server.Limits{MaxBody: 1 << 20}})
	k := newKey(t)
	tok := e.token([]string{"p"}, k)
	auth := "POST /api/v1/attestations HTTP/1.1\r\nAuthorization: Bearer " + tok
	if s := e.rawRequest(auth+"\r\nContent-Length: 1073741824", nil); s != 413 {
		t.Errorf("a declared 1 GiB body: %d, want 413 before the body is sent", s)
	}
	endless := func(w *bufio.Writer) error {
		chunk := strings.Repeat("x", 32<<10)
		for {
			if _, err := fmt.Fprintf(w, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
				return err
			}
			if err := w.Flush(); err != nil {
				return err
			}
		}
	}
	if s := e.rawRequest(auth+"\r\nTransfer-Encoding: chunked", endless); s != 413 {
		t.Errorf("an endless chunked body: %d, want 413", s)
	}

	_, env := envelope(t, k, "a", "kind")
	var m map[string]any
	json.Unmarshal(env, &m)
	m["payloadType"] = "application/vnd.cncf.notary.payload.v1+json"
	other, _ := json.Marshal(m)
	if s, _, b := e.post(tok, "", other); s != 400 {
		t.Errorf("an envelope of another payload type: %d %s, want 400", s, b)
	}

	for i := range 200 {
		req, _ := http.NewRequest(fmt.Sprintf("FOO%d", i), fmt.Sprintf("%s/x/%d", e.http.URL, i), nil)
		s, h, _ := e.do(req)
		if s != 404 && s != 405 || !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("FOO%d /x/%d: %d %s, want a 404 or 405 problem", i, i, s, h.Get("Content-Type"))
		}
	}
}

// TestDedupePerProduct: an envelope another product logged is logged anew
// for the product it is published for, so that the answer does not tell
// the publisher that (or where) another product has it; within a product
// it is a duplicate, as before.
func TestDedupePerProduct(t *testing.T) {
	e := newEnv(t, memStore(), server.Config{ReadTokenRequired: true})
	k := newKey(t)
	u1 := e.token([]string{"p1"}, k)
	u2 := e.token([]string{"p2"}, k)
	_, env := envelope(t, k, "a", "in two products")
	publish := func(token string) api.PublishResult {
		t.Helper()
		s, _, b := e.post(token, "", env)
		var r api.PublishResponse
		if s != 200 || json.Unmarshal(b, &r) != nil || len(r.Results) != 1 {
			t.Fatalf("publish: %d %s", s, b)
		}
		return r.Results[0]
	}
	first := publish(u1)
	second := publish(u2)
	if second.Duplicate || second.Index == first.Index {
		t.Errorf("p2 publishing what p1 logged: index %d, duplicate %v; want a new entry (p1's is %d)", second.Index, second.Duplicate, first.Index)
	}
	if again := publish(u2); !again.Duplicate || again.Index != second.Index {
		t.Errorf("p2 publishing it again: index %d, duplicate %v; want a duplicate of %d", again.Index, again.Duplicate, second.Index)
	}
	if again := publish(u1); !again.Duplicate || again.Index != first.Index {
		t.Errorf("p1 publishing it again: index %d, duplicate %v; want a duplicate of %d", again.Index, again.Duplicate, first.Index)
	}
	if s, _, _ := e.get(u2, fmt.Sprintf("/api/v1/entries/%d", first.Index)); s != 404 {
		t.Errorf("p2 reading p1's entry: %d, want 404", s)
	}
}

// TestPublishBodyShapes: the body read as a stream takes what the body
// read whole did: one envelope pretty-printed over lines, and JSON Lines
// with blank lines, CRLF endings and indentation between them.
func TestPublishBodyShapes(t *testing.T) {
	e := newEnv(t, memStore(), server.Config{})
	k := newKey(t)
	tok := e.token([]string{"p"}, k)
	envA, a := envelope(t, k, "a", "pretty")
	pretty, _ := json.MarshalIndent(envA, "  ", "  ")
	_, b := envelope(t, k, "b", "line 1")
	_, c := envelope(t, k, "c", "line 2")
	for name, tt := range map[string]struct {
		body []byte
		n    int
	}{
		"pretty-printed": {append([]byte("\n\n"), pretty...), 1},
		"JSON Lines":     {[]byte("\r\n  " + string(b) + "  \r\n\r\n\t" + string(c) + "\r\n\n"), 2},
		"one line":       {a, 1},
	} {
		s, _, body := e.post(tok, "", tt.body)
		var r api.PublishResponse
		if s != 200 || json.Unmarshal(body, &r) != nil || len(r.Results) != tt.n {
			t.Errorf("%s: %d %s, want %d results", name, s, body, tt.n)
		}
	}
	if s, _, body := e.post(tok, "", []byte("{\n\"payloadType\": 1,\n")); s != 400 {
		t.Errorf("a broken envelope over lines: %d %s, want 400", s, body)
	}
	if s, _, body := e.post(tok, "", []byte(" \n\n\t\r\n")); s != 400 {
		t.Errorf("a blank body: %d %s, want 400", s, body)
	}
}
