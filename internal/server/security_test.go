package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/postgres"
	"github.com/consign-dev/consign/internal/testutil/pgtest"
	"github.com/consign-dev/consign/internal/tlog"
)

// TestSecurityCase76_Authz: anonymous and unknown, revoked or read-only
// tokens cannot publish; a token cannot publish for another product or
// another key's signatures; with reads restricted, a token reads its own
// products only and cannot tell another product's entry from a missing one;
// and no leaf carries content.
func TestSecurityCase76_Authz(t *testing.T) {
	e := newEnv(t, memStore(), server.Config{ReadTokenRequired: true})
	k1, k2 := newKey(t), newKey(t)
	u1 := e.token([]string{"p1"}, k1)
	u2 := e.token([]string{"p2"}, k2)
	reader1 := e.token([]string{"p1"})
	revoked := e.token([]string{"p1"}, k1)
	toks, _ := e.st.ListTokens(bg)
	if err := e.st.RevokeToken(bg, toks[len(toks)-1].ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	_, env1 := envelope(t, k1, "app", "p1's")
	_, env2 := envelope(t, k2, "secret-app", "p2's restricted statement")

	unknownStatus, _, unknownBody := e.post("consign_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "", env1)
	for _, tt := range []struct {
		name, token, query string
		body               []byte
		want               int
	}{
		{"anonymous", "", "", env1, 401},
		{"not a consign token", "hunter2", "", env1, 401},
		{"revoked token", revoked, "", env1, 401},
		{"read-only token", reader1, "", env1, 403},
		{"U1 for product p2", u1, "?product=p2", env1, 403},
		{"U1 with p2's key's signature", u1, "", env2, 403},
		{"U2 with p1's key's signature", u2, "", env1, 403},
	} {
		status, h, body := e.post(tt.token, tt.query, tt.body)
		if status != tt.want {
			t.Errorf("%s: POST = %d %s, want %d", tt.name, status, body, tt.want)
		}
		if h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: Content-Type %q, want problem details", tt.name, h.Get("Content-Type"))
		}
		if tt.want == 401 && (status != unknownStatus || !bytes.Equal(body, unknownBody)) {
			t.Errorf("%s: answered %d %s; an unknown token got %d %s (they must not differ)", tt.name, status, body, unknownStatus, unknownBody)
		}
	}
	if tr, _ := e.st.Tree(bg); tr.Size != 0 {
		t.Fatalf("refused requests logged %d entries", tr.Size)
	}
	if s, _, b := e.post(u1, "", env1); s != 200 {
		t.Fatalf("U1 publishing its own: %d %s", s, b)
	}
	if s, _, b := e.post(u2, "", env2); s != 200 {
		t.Fatalf("U2 publishing its own: %d %s", s, b)
	}

	// Reads need a token, and see their products only.
	for _, path := range []string{"/api/v1/entries/0", "/api/v1/log/checkpoint", "/api/v1/attestations?subject=sha256:" + hexOf("app"), "/api/v1/log/proof/consistency?from=1"} {
		if s, _, _ := e.get("", path); s != 401 {
			t.Errorf("anonymous GET %s = %d, want 401", path, s)
		}
	}
	okStatus, _, _ := e.get(reader1, "/api/v1/entries/0")
	forbiddenStatus, _, forbiddenBody := e.get(reader1, "/api/v1/entries/1") // p2's entry
	missingStatus, _, missingBody := e.get(reader1, "/api/v1/entries/999")
	if okStatus != 200 || forbiddenStatus != 404 || forbiddenStatus != missingStatus || !bytes.Equal(forbiddenBody, missingBody) {
		t.Errorf("reader of p1: own entry %d; p2's entry %d %s; missing entry %d %s. Want 200, then two identical 404s", okStatus, forbiddenStatus, forbiddenBody, missingStatus, missingBody)
	}
	s, _, body := e.get(reader1, "/api/v1/attestations?subject=sha256:"+hexOf("secret-app"))
	if s != 200 || strings.Contains(string(body), "envelope\":{") {
		t.Errorf("reader of p1 asking for p2's subject = %d %s, want an empty list", s, body)
	}
	// What the public log holds about p2's entry: digests only.
	ent, _ := e.st.Entry(bg, 1)
	var envMap map[string]any
	json.Unmarshal(env2, &envMap)
	for _, secret := range []string{"p2", "secret-app", hexOf("secret-app"), "restricted", envMap["payload"].(string)[:20]} {
		if strings.Contains(string(ent.Leaf), secret) {
			t.Errorf("the leaf holds %q; leaves must hold digests only:\n%s", secret, ent.Leaf)
		}
	}
}

// blockingStore holds every Append until released, to fill the queue.
type blockingStore struct {
	store.Store
	entered chan struct{}
	release chan struct{}
}

func (b *blockingStore) Append(ctx context.Context, es []store.NewEntry) ([]store.Appended, store.Tree, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.Store.Append(ctx, es)
}

// TestSecurityCase77_Limits: past its rate a token gets 429 with
// Retry-After; oversized bodies, batches and envelopes get 413 before any
// signature is checked; a full queue gets 503 with Retry-After.
func TestSecurityCase77_Limits(t *testing.T) {
	t.Run("rate", func(t *testing.T) {
		e := newEnv(t, memStore(), server.Config{Limits: server.Limits{Rate: 2, Burst: 5}})
		k := newKey(t)
		tok := e.token([]string{"p"}, k)
		var statuses []int
		var retry string
		for i := 0; i < 20; i++ { // a burst of requests from one principal
			_, b := envelope(t, k, "a", fmt.Sprint(i))
			s, h, _ := e.post(tok, "", b)
			statuses = append(statuses, s)
			if s == 429 && retry == "" {
				retry = h.Get("Retry-After")
			}
		}
		if statuses[0] != 200 || statuses[4] != 200 || statuses[19] != 429 || retry == "" || retry == "0" {
			t.Errorf("statuses %v, Retry-After %q; want 200s up to the burst of 5, then 429 with Retry-After", statuses, retry)
		}
		// Another token is not throttled by the first one's burst.
		other := e.token([]string{"p"}, k)
		_, b := envelope(t, k, "a", "other")
		if s, _, body := e.post(other, "", b); s != 200 {
			t.Errorf("another token: %d %s, want 200", s, body)
		}
	})
	t.Run("sizes", func(t *testing.T) {
		e := newEnv(t, memStore(), server.Config{Limits: server.Limits{MaxBody: 8 << 10, MaxBatch: 3, MaxEnvelope: 2 << 10}})
		k := newKey(t)
		tok := e.token([]string{"p"}, k)
		_, one := envelope(t, k, "a", "small")
		four := bytes.Repeat(append(one, '\n'), 4)
		_, big := envelope(t, k, "a", strings.Repeat("x", 3<<10))
		for name, body := range map[string][]byte{
			"body over 8 KiB":     bytes.Repeat([]byte(" "), 9<<10),
			"4 envelopes, max 3":  four,
			"envelope over 2 KiB": big,
		} {
			if s, _, b := e.post(tok, "", body); s != 413 {
				t.Errorf("%s: %d %s, want 413", name, s, b)
			}
		}
		if s, _, b := e.post(tok, "", one); s != 200 {
			t.Errorf("a small envelope: %d %s", s, b)
		}
	})
	t.Run("bytes in flight", func(t *testing.T) {
		// Bodies held in the handler keep their bytes counted: a body that
		// would pass MaxInFlight is told to come back, and is taken once
		// the others are gone. Here two tokens may hold half the server
		// each, the most a token may; with the default share, a third,
		// two cannot fill it (TestPublishTwoTokensLeaveAThird).
		l := server.Limits{MaxInFlight: 12 << 10, TokenInFlight: 6 << 10, Rate: -1, ReadTimeout: time.Hour, WriteTimeout: time.Hour, BodyIdle: time.Hour}
		e := newEnv(t, memStore(), server.Config{Limits: l})
		k := newKey(t)
		tok1, tok2, tok3 := e.token([]string{"p"}, k), e.token([]string{"p"}, k), e.token([]string{"p"}, k)
		conns := []net.Conn{holdBody(t, e, tok1, 6<<10), holdBody(t, e, tok2, 6<<10)} // 12 KiB - 2 bytes
		s, h, b := untilRefused(t, e, tok3, k)
		if s != 503 || h.Get("Retry-After") == "" {
			t.Errorf("a body past the bytes in flight: %d (Retry-After %q) %s, want 503 with Retry-After", s, h.Get("Retry-After"), b)
		}
		for _, c := range conns {
			c.Close()
		}
		untilAccepted(t, e, tok3, k)
	})
	t.Run("queue", func(t *testing.T) {
		bs := &blockingStore{Store: memStore(), entered: make(chan struct{}, 100), release: make(chan struct{})}
		e := newEnv(t, bs, server.Config{Limits: server.Limits{Queue: 1}})
		k := newKey(t)
		tok := e.token([]string{"p"}, k)
		var wg sync.WaitGroup
		statuses := make(chan int, 10)
		retries := make(chan string, 10)
		send := func(i int) {
			defer wg.Done()
			_, b := envelope(t, k, "a", fmt.Sprint(i))
			s, h, _ := e.post(tok, "", b)
			statuses <- s
			if s == 503 {
				retries <- h.Get("Retry-After")
			}
		}
		wg.Add(1)
		go send(0)
		<-bs.entered // the first batch is in the database
		for i := 1; i <= 6; i++ {
			wg.Add(1)
			go send(i)
		}
		// At most one request fits in the queue; the others are told to come back.
		deadline := time.After(10 * time.Second)
		for n := 0; n < 5; n++ {
			select {
			case s := <-statuses:
				if s != 503 {
					t.Fatalf("a request past the queue got %d, want 503", s)
				}
			case <-deadline:
				t.Fatalf("requests past a full queue waited instead of getting 503")
			}
		}
		close(bs.release)
		wg.Wait()
		close(statuses)
		for s := range statuses {
			if s != 200 {
				t.Errorf("a queued request got %d after the log resumed, want 200", s)
			}
		}
		if r := <-retries; r == "" {
			t.Errorf("503 without Retry-After")
		}
	})
}

// TestSecurityCase77_SlowClients: clients that send their headers a byte
// at a time are cut off by the header timeout, and while they hang on,
// every publish still succeeds.
func TestSecurityCase77_SlowClients(t *testing.T) {
	st := sqliteStore(t)
	signer, _ := tlog.NewSigner("log.test/slow", mustEd25519(t))
	srv, err := server.New(bg, server.Config{Store: st, Signer: signer, Limits: server.Limits{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := server.Start(srv, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer run.Shutdown(bg)
	k := newKey(t)
	tok, _, _ := server.CreateToken(bg, st, server.TokenConfig{Products: []string{"p"}, Keys: [][]byte{k.pem}})

	const slow = 100
	// cut reports, per slow client, whether the server closed its
	// connection (true) or the client gave up after 10 s (false): the
	// header timeout is 300 ms, so a client still connected then was held.
	cut := make(chan bool, slow)
	for i := 0; i < slow; i++ {
		conn, err := net.Dial("tcp", run.Addr.String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		go func() {
			start := time.Now()
			conn.Write([]byte("POST /api/v1/attestations HTTP/1.1\r\nHost: x\r\n"))
			buf := make([]byte, 1)
			for time.Since(start) < 10*time.Second {
				if _, err := conn.Write([]byte("X")); err != nil {
					cut <- true
					return
				}
				conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				if _, err := conn.Read(buf); err != nil && !isTimeout(err) {
					cut <- true
					return
				}
			}
			cut <- false
		}()
	}
	// Publishing goes on while they hang on: every publish succeeds. How
	// fast is for bench/loadgen, not for a test.
	c, _ := client.New(client.Config{URL: run.URL, Token: tok})
	for i := 0; i < 20; i++ {
		_, b := envelope(t, k, "a", fmt.Sprint(i))
		if _, err := c.Publish(bg, "", [][]byte{b}); err != nil {
			t.Fatalf("publishing while slow clients hang on: %v", err)
		}
	}
	held := 0
	for i := 0; i < slow; i++ {
		if !<-cut {
			held++
		}
	}
	if held > 0 {
		t.Errorf("%d of %d slow clients were still connected after 10 s; the header timeout is 300ms", held, slow)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TestSecurityCase74_ConcurrentPublishers: 16 publishers x 500 envelopes
// at once. Every envelope gets one index, the indices are contiguous with
// no duplicates, every receipt verifies, and every checkpoint a publisher
// saw is consistent with the final one.
func TestSecurityCase74_ConcurrentPublishers(t *testing.T) {
	concurrentPublishers(t, sqliteStore(t), 16, 500)
}

func concurrentPublishers(t *testing.T, st store.Store, publishers, each int) {
	e := newEnv(t, st, server.Config{Limits: server.Limits{Rate: -1}})
	k := newKey(t)
	tok := e.token([]string{"p"}, k)
	type got struct {
		pae     []byte
		receipt *tlog.Receipt
	}
	results := make([][]got, publishers)
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := e.client(tok)
			for i := 0; i < each; i++ {
				env, b := envelope(t, k, fmt.Sprintf("artifact-%d", p), fmt.Sprintf("%d/%d", p, i))
				res, err := c.Publish(bg, "", [][]byte{b})
				if err != nil {
					errs <- fmt.Errorf("publisher %d, envelope %d: %w", p, i, err)
					return
				}
				results[p] = append(results[p], got{attest.PAE(env.PayloadType, env.Payload), res.Results[0].Receipt})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	tree, err := e.st.Tree(bg)
	if err != nil {
		t.Fatal(err)
	}
	if want := int64(publishers * each); tree.Size != want {
		t.Fatalf("log size %d, want %d", tree.Size, want)
	}
	final := tlog.Checkpoint{Origin: e.signer.Origin(), Size: uint64(tree.Size), Root: tree.Root}
	seen := make([]bool, tree.Size)
	checkpoints := map[uint64]tlog.Checkpoint{}
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return e.st.ReadHashes(bg, idx) })
	for _, rs := range results {
		for _, g := range rs {
			v, err := tlog.VerifyReceiptFor(g.receipt, e.verifier(), tlog.CheckpointOptions{}, g.pae)
			if err != nil {
				t.Fatalf("receipt %d: %v", g.receipt.Index, err)
			}
			if seen[v.Index] {
				t.Fatalf("index %d handed out twice", v.Index)
			}
			seen[v.Index] = true
			if prev, ok := checkpoints[v.Checkpoint.Size]; ok && prev != v.Checkpoint.Checkpoint {
				t.Fatalf("two checkpoints of size %d", v.Checkpoint.Size)
			}
			checkpoints[v.Checkpoint.Size] = v.Checkpoint.Checkpoint
		}
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("index %d was never handed out: indices are not contiguous", i)
		}
	}
	for size, cp := range checkpoints {
		p, err := tlog.ProveConsistency(int64(size), tree.Size, reader)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckExtension(cp, final, p); err != nil {
			t.Fatalf("checkpoint of size %d is not consistent with the final one: %v", size, err)
		}
	}
	t.Logf("%d entries, %d distinct checkpoints (group commits)", tree.Size, len(checkpoints))
}

// fakeLog serves checkpoints and consistency proofs of whichever tree a
// test points it at: an honest log that can be made to lie.
type fakeLog struct {
	mu     sync.Mutex
	signer *tlog.Signer
	tree   *memLog
	size   int64
	served string // overrides /api/v1/log/key
}

type memLog struct{ hashes []tlog.Hash }

func (m *memLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m.hashes[x]
	}
	return out, nil
}

func buildLog(t testing.TB, n int, fork int) *memLog {
	m := &memLog{}
	for i := 0; i < n; i++ {
		leaf := fmt.Sprintf("leaf %d", i)
		if i == fork {
			leaf = "forked leaf"
		}
		hs, err := tlog.StoredHashes(int64(i), tlog.LeafHash([]byte(leaf)), m)
		if err != nil {
			t.Fatal(err)
		}
		m.hashes = append(m.hashes, hs...)
	}
	return m
}

func (f *fakeLog) set(tree *memLog, size int64) {
	f.mu.Lock()
	f.tree, f.size = tree, size
	f.mu.Unlock()
}

func (f *fakeLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch r.URL.Path {
	case "/api/v1/log/checkpoint":
		root, _ := tlog.TreeHash(f.size, f.tree)
		b, _ := f.signer.Sign(tlog.Checkpoint{Origin: f.signer.Origin(), Size: uint64(f.size), Root: root})
		w.Write(b)
	case "/api/v1/log/proof/consistency":
		var from, to int64
		fmt.Sscan(r.URL.Query().Get("from"), &from)
		fmt.Sscan(r.URL.Query().Get("to"), &to)
		p, err := tlog.ProveConsistency(from, to, f.tree)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"consistencyProof": p})
	case "/api/v1/log/key":
		io.WriteString(w, f.served)
	default:
		http.NotFound(w, r)
	}
}

// TestSecurityCase69_RollbackAndFork: a watcher holding (1000, R1) is then
// served (990, R0) and (1000, R1'): both raise the alarm and (1000, R1)
// stays the checkpoint to trust; growth from it is accepted.
func TestSecurityCase69_RollbackAndFork(t *testing.T) {
	signer, _ := tlog.NewSigner("log.test/fork", mustEd25519(t))
	honest, forked := buildLog(t, 1200, -1), buildLog(t, 1000, 995)
	f := &fakeLog{signer: signer}
	hs := httptest.NewServer(f)
	defer hs.Close()
	c, _ := client.New(client.Config{URL: hs.URL})
	v := signer.Verifier()

	f.set(honest, 1000)
	trusted, err := client.Watch(bg, c, v, tlog.CheckpointOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	f.set(honest, 990)
	if _, err := client.Watch(bg, c, v, tlog.CheckpointOptions{}, &trusted.Checkpoint); !errors.Is(err, tlog.ErrRollback) {
		t.Errorf("Watch after the log shrank = %v, want ErrRollback", err)
	}
	f.set(forked, 1000)
	if _, err := client.Watch(bg, c, v, tlog.CheckpointOptions{}, &trusted.Checkpoint); !errors.Is(err, tlog.ErrFork) {
		t.Errorf("Watch of a fork of the same size = %v, want ErrFork", err)
	}
	// A fork that is also longer fails its consistency proof.
	longFork := buildLog(t, 1100, 995)
	f.set(longFork, 1100)
	if _, err := client.Watch(bg, c, v, tlog.CheckpointOptions{}, &trusted.Checkpoint); !errors.Is(err, tlog.ErrConsistency) {
		t.Errorf("Watch of a longer fork = %v, want ErrConsistency", err)
	}
	f.set(honest, 1200)
	next, err := client.Watch(bg, c, v, tlog.CheckpointOptions{}, &trusted.Checkpoint)
	if err != nil || next.Size != 1200 {
		t.Errorf("Watch of honest growth = %+v, %v", next, err)
	}
}

// TestSecurityCase39_KeyFromTheCaller: a log that serves its own (attacker)
// key and signs with it is rejected by a watcher that pinned the real key;
// the served key is never consulted.
func TestSecurityCase39_KeyFromTheCaller(t *testing.T) {
	real, _ := tlog.NewSigner("log.test/pinned", mustEd25519(t))
	attacker, _ := tlog.NewSigner("log.test/pinned", mustEd25519(t))
	f := &fakeLog{signer: attacker, served: attacker.VerifierKey() + "\n"}
	f.set(buildLog(t, 10, -1), 10)
	hs := httptest.NewServer(f)
	defer hs.Close()
	c, _ := client.New(client.Config{URL: hs.URL})
	if _, err := client.Watch(bg, c, real.Verifier(), tlog.CheckpointOptions{}, nil); !errors.Is(err, tlog.ErrCheckpointSignature) {
		t.Errorf("Watch(a log signing with the key it serves, real key pinned) = %v, want ErrCheckpointSignature", err)
	}
}

// TestSecurityCase74_ConcurrentPublishersPostgres is the same on PostgreSQL.
func TestSecurityCase74_ConcurrentPublishersPostgres(t *testing.T) {
	st, err := postgres.Open(bg, pgtest.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	concurrentPublishers(t, st, 16, 100)
}

// TestSecurityCase73_ServerIndexBounds: negative, huge, fractional and
// out-of-range indices and sizes get a 4xx problem, never a panic or a 5xx.
func TestSecurityCase73_ServerIndexBounds(t *testing.T) {
	e := newEnv(t, memStore(), server.Config{})
	k := newKey(t)
	c := e.client(e.token([]string{"p"}, k))
	for i := 0; i < 3; i++ {
		_, b := envelope(t, k, "a", fmt.Sprint(i))
		if _, err := c.Publish(bg, "", [][]byte{b}); err != nil {
			t.Fatal(err)
		}
	}
	for path, want := range map[string]int{
		"/api/v1/entries/-1":                                                           400,
		"/api/v1/entries/3":                                                            404,
		"/api/v1/entries/18446744073709551615":                                         400,
		"/api/v1/entries/9223372036854775807":                                          404,
		"/api/v1/entries/1.0":                                                          400,
		"/api/v1/entries/01":                                                           400,
		"/api/v1/log/proof/inclusion?index=3":                                          400,
		"/api/v1/log/proof/inclusion?index=0&size=4":                                   400,
		"/api/v1/log/proof/inclusion?index=-1":                                         400,
		"/api/v1/log/proof/inclusion?index=0&size=0":                                   400,
		"/api/v1/log/proof/inclusion?index=1e3":                                        400,
		"/api/v1/log/proof/consistency?from=4":                                         400,
		"/api/v1/log/proof/consistency?from=2&to=1":                                    400,
		"/api/v1/log/proof/consistency?from=0&to=18446744073709551615":                 400,
		"/api/v1/attestations?subject=sha256:XYZ":                                      400,
		"/api/v1/attestations?subject=sha1:" + strings.Repeat("a", 40):                 400,
		"/api/v1/attestations?subject=sha256:" + strings.Repeat("A", 64):               400,
		"/api/v1/attestations?subject=sha256:" + strings.Repeat("a", 64) + "&limit=0":  400,
		"/api/v1/attestations?subject=sha256:" + strings.Repeat("a", 64) + "&after=-5": 400,
		"/api/v1/nothing":                                                              404,
	} {
		status, h, body := e.get("", path)
		if status != want || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s = %d %s, want %d with problem details", path, status, body, want)
		}
	}
	if s, _, b := e.get("", "/api/v1/log/proof/inclusion?index=2&size=3"); s != 200 {
		t.Errorf("a valid proof request: %d %s", s, b)
	}
}
