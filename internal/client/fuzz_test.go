package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/tlog"
)

// fuzzAnswer is what the hostile server of FuzzClientResponse answers.
type fuzzAnswer struct {
	mu       sync.Mutex
	status   int
	body     []byte
	requests int
}

func (a *fuzzAnswer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	a.requests++
	status, body := a.status, a.body
	a.mu.Unlock()
	w.WriteHeader(status)
	w.Write(body)
}

// maxClientRequests is the most requests one client call may make of a
// hostile server: paging must end.
const maxClientRequests = 2000

// FuzzClientResponse answers every client call with fuzzed bytes and
// status: the client never panics, never trusts a malformed answer, and
// never follows a server forever.
func FuzzClientResponse(f *testing.F) {
	ans := &fuzzAnswer{}
	hs := httptest.NewServer(ans)
	f.Cleanup(hs.Close)
	c, err := client.New(client.Config{URL: hs.URL, Token: "tok", HTTP: hs.Client(), MaxResponse: 1 << 20, MaxRetryWait: -1})
	if err != nil {
		f.Fatal(err)
	}
	h := tlog.EmptyRoot.String()
	f.Add(uint8(0), uint16(200), []byte(`{"results":[{"index":1}]}`))
	f.Add(uint8(1), uint16(200), []byte(`{"attestations":[{"index":0,"envelope":{},"receipt":null}],"next":1}`))
	f.Add(uint8(1), uint16(200), []byte(`{"attestations":[],"next":0}`))
	f.Add(uint8(2), uint16(200), []byte(`{"index":3,"envelope":{}}`))
	f.Add(uint8(3), uint16(200), []byte("log.example\n1\n"+h+"\n\n"))
	f.Add(uint8(4), uint16(200), []byte(`{"consistencyProof":["`+h+`"]}`))
	f.Add(uint8(5), uint16(200), []byte(`{"inclusionProof":["`+h+`","`+h+`"]}`))
	f.Add(uint8(0), uint16(429), []byte(`{"status":429,"title":"rate limit exceeded"}`))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, call uint8, status uint16, body []byte) {
		code := int(status)
		if code < 200 || code > 599 { // 1xx answers are not final answers
			code = 200 + code%400
		}
		ans.mu.Lock()
		ans.status, ans.body, ans.requests = code, body, 0
		ans.mu.Unlock()
		var err error
		switch call % 6 {
		case 0:
			var r *api.PublishResponse
			if r, err = c.Publish(ctx, "app", [][]byte{[]byte(`{}`)}); err == nil && len(r.Results) != 1 {
				t.Fatalf("Publish of one envelope = %d results", len(r.Results))
			}
		case 1:
			_, err = c.Attestations(ctx, tlog.EmptyRoot)
		case 2:
			_, err = c.Entry(ctx, 1)
		case 3:
			_, err = c.Checkpoint(ctx)
		case 4:
			var p []tlog.Hash
			if p, err = c.Consistency(ctx, 1, 2); err == nil && len(p) > tlog.MaxProofHashes {
				t.Fatalf("a proof of %d hashes", len(p))
			}
		case 5:
			var p []tlog.Hash
			if p, err = c.Inclusion(ctx, 0, 2); err == nil && len(p) > tlog.MaxProofHashes {
				t.Fatalf("a proof of %d hashes", len(p))
			}
		}
		if err == nil && code/100 != 2 {
			t.Fatalf("call %d succeeded on a %d answer", call%6, code)
		}
		if ans.requests > maxClientRequests {
			t.Fatalf("call %d made %d requests of one server", call%6, ans.requests)
		}
	})
}
