package server_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/tlog"
)

// hostile is a server on 127.0.0.1 that answers GET /api/v1/attestations
// with pages is makes, and passes every other request to a real log.
func hostile(t *testing.T, real *env, page func(after int64, r *http.Request) any) *client.Client {
	t.Helper()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/attestations" {
			real.srv.ServeHTTP(w, r)
			return
		}
		after := int64(-1)
		if v := r.URL.Query().Get("after"); v != "" {
			after, _ = strconv.ParseInt(v, 10, 64)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(page(after, r))
	}))
	t.Cleanup(hs.Close)
	c, err := client.New(client.Config{URL: hs.URL, HTTP: hs.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// realPage is the real log's page of attestations about subject after the
// cursor after.
func realPage(t *testing.T, e *env, subject string, after int64) api.AttestationsResponse {
	q := "/api/v1/attestations?subject=sha256:" + hexOf(subject)
	if after >= 0 {
		q += "&after=" + strconv.FormatInt(after, 10)
	}
	status, _, body := e.get("", q)
	var p api.AttestationsResponse
	if err := json.Unmarshal(body, &p); status != http.StatusOK || err != nil {
		t.Errorf("GET %s = %d %s (%v)", q, status, body, err)
	}
	return p
}

// one is a page of the single entry a, with a next page after it.
func one(a api.Attestation) api.AttestationsResponse {
	return api.AttestationsResponse{Attestations: []api.Attestation{a}, Next: &a.Index}
}

// TestSecurityCase46_HostilePages: 'consign fetch' against a server that
// answers with endless, huge or inconsistent pages. Every page is capped
// in bytes and entries, all of them in count (and bytes), a page that
// repeats or goes back is refused, and with the log key every entry must
// be proven in one log that only grows: a receipt from a shrunk or forked
// tree, for another entry, or about another subject fails the fetch, and
// nothing is taken from the entries after it.
func TestSecurityCase46_HostilePages(t *testing.T) {
	signer, err := tlog.NewSigner("log.test/case46", mustEd25519(t))
	if err != nil {
		t.Fatal(err)
	}
	ci := newKey(t)
	// Two logs under one key that agree on nothing: what a log that forks
	// shows two clients.
	a := newEnv(t, memStore(), server.Config{Signer: signer})
	b := newEnv(t, memStore(), server.Config{Signer: signer})
	f := newEnv(t, memStore(), server.Config{Signer: signer})
	_, app1 := envelope(t, ci, "app", "one")
	_, app2 := envelope(t, ci, "app", "two")
	_, lib := envelope(t, ci, "lib", "three")
	_, x := envelope(t, ci, "lib", "x")
	_, y := envelope(t, ci, "lib", "y")
	for _, l := range []struct {
		e    *env
		envs [][]byte
	}{{a, [][]byte{app1, app2, lib}}, {b, [][]byte{x, app2}}, {f, [][]byte{app1, app2, x, y}}} {
		if _, err := l.e.client(l.e.token([]string{"acme"}, ci)).Publish(bg, "", l.envs); err != nil {
			t.Fatal(err)
		}
	}
	subject := digestOf("app")
	fetch := func(c *client.Client) (int, error) {
		return c.Fetch(bg, client.FetchConfig{Subject: subject, LogKey: a.verifier(), Write: func(*attest.Envelope, *tlog.Receipt) error { return nil }})
	}

	// The honest log: two attestations about app, each proven.
	if n, err := fetch(a.client("")); err != nil || n != 2 {
		t.Fatalf("Fetch from the honest log = %d, %v; want 2", n, err)
	}
	// Pages of one entry each, the log growing between them: accepted,
	// the growth proven by a consistency proof.
	grown := false
	c := hostile(t, a, func(after int64, r *http.Request) any {
		p := realPage(t, a, "app", after)
		if len(p.Attestations) == 0 {
			return p
		}
		if !grown {
			grown = true
			_, more := envelope(t, ci, "app", "three")
			if _, err := a.client(a.token([]string{"acme"}, ci)).Publish(bg, "", [][]byte{more}); err != nil {
				t.Error(err)
			}
		}
		return one(p.Attestations[0])
	})
	if n, err := fetch(c); err != nil || n != 3 || !grown {
		t.Fatalf("Fetch, one page at a time from a growing log = %d, %v; want 3", n, err)
	}

	entry := func(i int64) api.Attestation {
		p := realPage(t, a, "app", i-1)
		return p.Attestations[0]
	}
	tests := []struct {
		name    string
		page    func(after int64) any
		wantErr error
		wantMsg string
	}{
		{"more entries than asked for", func(after int64) any {
			var p api.AttestationsResponse
			for i := range int64(101) {
				p.Attestations = append(p.Attestations, api.Attestation{Index: i})
			}
			return p
		}, api.ErrServer, "a page of 101 attestations"},
		{"the same page again and again", func(after int64) any { return one(entry(0)) }, api.ErrServer, "do not move on"},
		{"a page that goes back", func(after int64) any {
			if after < 0 {
				return one(entry(1))
			}
			return one(entry(0))
		}, api.ErrServer, "entry 0 after entry 1"},
		{"a next cursor past the page", func(after int64) any {
			p := one(entry(0))
			next := int64(7)
			p.Next = &next
			return p
		}, api.ErrServer, "pages to 7 after entry 0"},
		{"a next cursor on an empty page", func(after int64) any {
			next := after + 1
			return api.AttestationsResponse{Attestations: []api.Attestation{}, Next: &next}
		}, api.ErrServer, "does not move on"},
		{"the receipt of another entry", func(after int64) any {
			e := entry(0)
			e.Receipt = entry(1).Receipt
			return api.AttestationsResponse{Attestations: []api.Attestation{e}}
		}, api.ErrServer, "comes with the receipt of entry 1"},
		{"an entry about another subject", func(after int64) any {
			p := realPage(t, a, "lib", -1)
			return api.AttestationsResponse{Attestations: p.Attestations}
		}, api.ErrServer, "is not about"},
		{"an entry with no envelope", func(after int64) any {
			return api.AttestationsResponse{Attestations: []api.Attestation{{Index: 0, Envelope: json.RawMessage(`{}`), Receipt: entry(0).Receipt}}}
		}, api.ErrServer, "no well-formed envelope"},
		{"a receipt relabelled for its entry", func(after int64) any {
			e := entry(1)
			e.Receipt = entry(0).Receipt
			e.Receipt.Index = 1 // the index matches, the proof does not
			return api.AttestationsResponse{Attestations: []api.Attestation{e}}
		}, tlog.ErrUnverified, "entry 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := fetch(hostile(t, a, func(after int64, _ *http.Request) any { return tt.page(after) }))
			if !errors.Is(err, tt.wantErr) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Fetch = %d, %v; want an error wrapping %v that says %q", n, err, tt.wantErr, tt.wantMsg)
			}
		})
	}

	// A rollback and a fork, each signed by the log's key: entry 0 proven
	// in a's tree of four entries, then entry 1 (the same envelope) proven
	// in b's tree of two, or in f's other tree of four.
	for _, tt := range []struct {
		name    string
		log     *env
		wantErr error
	}{
		{"a log that shrinks between pages", b, tlog.ErrRollback},
		{"a log that forks between pages", f, tlog.ErrFork},
	} {
		t.Run(tt.name, func(t *testing.T) {
			second := realPage(t, tt.log, "app", 0).Attestations
			if len(second) == 0 || second[0].Index != 1 {
				t.Fatalf("the other log's page after entry 0 = %+v", second)
			}
			c := hostile(t, a, func(after int64, _ *http.Request) any {
				if after < 0 {
					return one(entry(0))
				}
				return api.AttestationsResponse{Attestations: second[:1]}
			})
			written := 0
			n, err := c.Fetch(bg, client.FetchConfig{Subject: subject, LogKey: a.verifier(), Write: func(*attest.Envelope, *tlog.Receipt) error { written++; return nil }})
			if !errors.Is(err, tt.wantErr) || written != 1 {
				t.Errorf("Fetch = %d, %v after writing %d; want an error wrapping %v after the first entry", n, err, written, tt.wantErr)
			}
		})
	}
}

// TestSecurityCase46_EndlessPages: a server that pages forever, a hundred
// entries at a time, each moving on, is stopped at limits.Envelopes
// entries, with none of them kept; a page over the byte cap is refused.
func TestSecurityCase46_EndlessPages(t *testing.T) {
	e := newEnv(t, memStore(), server.Config{})
	pages := 0
	c := hostile(t, e, func(after int64, _ *http.Request) any {
		pages++
		p := api.AttestationsResponse{}
		for i := range int64(100) {
			p.Attestations = append(p.Attestations, api.Attestation{Index: after + 1 + i, Envelope: json.RawMessage(`{}`)})
		}
		next := after + 100
		p.Next = &next
		return p
	})
	seen := 0
	err := c.EachAttestation(bg, digestOf("app"), func(api.Attestation) error { seen++; return nil })
	if !errors.Is(err, limits.ErrTooLarge) || seen > limits.Envelopes {
		t.Errorf("endless pages: %v after %d entries in %d pages; want ErrTooLarge after at most %d", err, seen, pages, limits.Envelopes)
	}

	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"attestations":[`)
		for i := range 20000 {
			fmt.Fprintf(w, `{"index":%d,"envelope":{"payload":"%s"}},`, i, strings.Repeat("A", 100))
		}
	}))
	defer huge.Close()
	small, err := client.New(client.Config{URL: huge.URL, HTTP: huge.Client(), MaxResponse: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	seen = 0
	err = small.EachAttestation(bg, digestOf("app"), func(api.Attestation) error { seen++; return nil })
	if !errors.Is(err, limits.ErrTooLarge) || seen != 0 {
		t.Errorf("a page of 2 MiB, 1 MiB allowed: %v after %d entries; want ErrTooLarge and none taken", err, seen)
	}
}

// TestFetchRetryBudget: one Fetch waits out busy answers within one
// budget (MaxRetryWait), its pages and the consistency proofs it asks for
// alike: a server that spends the budget on the first page and then
// answers the proof busy fails the fetch, rather than each proof of a
// growing log starting a budget of its own (a hostile server made one
// fetch of n entries wait n times MaxRetryWait).
func TestFetchRetryBudget(t *testing.T) {
	a := newEnv(t, memStore(), server.Config{})
	ci := newKey(t)
	_, app1 := envelope(t, ci, "app", "one")
	_, app2 := envelope(t, ci, "app", "two")
	if _, err := a.client(a.token([]string{"acme"}, ci)).Publish(bg, "", [][]byte{app1, app2}); err != nil {
		t.Fatal(err)
	}
	// Pages of one entry, the log growing after the first: the second
	// entry's receipt is proven in a larger tree than the first's, and
	// the fetch asks for a consistency proof.
	var pages, proofs atomic.Int32
	grown := false
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		busy := func() {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		switch r.URL.Path {
		case "/api/v1/attestations":
			if pages.Add(1) == 1 {
				busy()
				return
			}
			after := int64(-1)
			if v := r.URL.Query().Get("after"); v != "" {
				after, _ = strconv.ParseInt(v, 10, 64)
			}
			p := realPage(t, a, "app", after)
			if len(p.Attestations) > 0 {
				p = one(p.Attestations[0])
				if !grown {
					grown = true
					_, more := envelope(t, ci, "lib", "three")
					if _, err := a.client(a.token([]string{"acme"}, ci)).Publish(bg, "", [][]byte{more}); err != nil {
						t.Error(err)
					}
				}
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(p)
		case "/api/v1/log/proof/consistency":
			if proofs.Add(1) == 1 {
				busy()
				return
			}
			a.srv.ServeHTTP(w, r)
		default:
			a.srv.ServeHTTP(w, r)
		}
	}))
	defer hs.Close()
	var waited time.Duration
	c, err := client.New(client.Config{URL: hs.URL, HTTP: hs.Client(), MaxRetryWait: time.Second, OnRetry: func(_ *api.Error, d time.Duration) { waited += d }})
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Fetch(bg, client.FetchConfig{Subject: digestOf("app"), LogKey: a.verifier(), Write: func(*attest.Envelope, *tlog.Receipt) error { return nil }})
	if !errors.Is(err, api.ErrOverloaded) || waited != time.Second || proofs.Load() != 1 {
		t.Errorf("Fetch = %d, %v after waiting %v, %d proof requests; want api.ErrOverloaded after 1s and one request for the proof", n, err, waited, proofs.Load())
	}
}
