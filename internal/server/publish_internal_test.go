package server

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/tlog"
)

// TestCanonicalEnvelope: prepare stores Envelope.MarshalJSON's output,
// which must be what json.Marshal writes (and the log stored before).
func TestCanonicalEnvelope(t *testing.T) {
	for _, env := range []*attest.Envelope{
		{PayloadType: "application/vnd.in-toto+json", Payload: []byte(`{"a":"<b>&"}`), Signatures: []attest.Signature{{KeyID: "k<1>&\u2028", Sig: []byte{0, 1, 255}}}},
		{PayloadType: "x\u2029\xff", Payload: nil, Signatures: nil},
	} {
		got, err := env.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("MarshalJSON = %s, json.Marshal = %s", got, want)
		}
	}
}

// TestPublishResponseJSON checks the hand-written encoder of the publish
// answer against encoding/json.
func TestPublishResponseJSON(t *testing.T) {
	rc := &tlog.Receipt{Origin: "log.test/<&>", Index: 7, Leaf: "consign.dev/leaf/v1\ntime x\n", Proof: []tlog.Hash{{1}, {2}}, Checkpoint: "log.test\n8\nabc=\n\n— log.test sig\n"}
	for _, r := range []api.PublishResponse{
		{},
		{Results: []api.PublishResult{}},
		{Results: []api.PublishResult{{Index: 7, Receipt: rc}}},
		{Results: []api.PublishResult{{Index: 7, Duplicate: true, Receipt: rc}, {Index: 1 << 62}, {Index: 0, Receipt: &tlog.Receipt{}}}},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendPublishJSON(nil, &r); string(got) != string(want) {
			t.Errorf("appendPublishJSON =\n%s\nwant\n%s", got, want)
		}
	}
}

// The key cache gives the first maxKeyTables Ed25519 keys of a generation
// verifiers with precomputed tables, and no more: the tables' memory is
// bounded whatever keys tokens name.
func TestKeyCacheTables(t *testing.T) {
	var c keyCache
	for i := range maxKeyTables + 3 {
		pemKey := newKeyPEM(t)
		v, err := c.verifier(pemKey)
		if err != nil {
			t.Fatal(err)
		}
		// Precomputed returns a verifier that has its table as it is.
		if got, want := v.Precomputed() == v, i < maxKeyTables; got != want {
			t.Fatalf("key %d: precomputed %v, want %v", i, got, want)
		}
		if again, _ := c.verifier(pemKey); again != v {
			t.Fatalf("key %d: not cached", i)
		}
	}
	if c.tables != maxKeyTables {
		t.Fatalf("%d tables, want %d", c.tables, maxKeyTables)
	}
}

// Tokens that name many keys keep verifiers of many generations of the
// key cache alive (a principal holds its token's verifiers, and the
// principal cache turns over by tokens, not keys): the tables held stay
// within 2·maxKeyTables all the same, here with every verifier of three
// generations still held.
func TestKeyCacheTablesHeldAcrossGenerations(t *testing.T) {
	var c keyCache
	var held []*sign.Verifier
	tables := 0
	for range 2*4096 + 1 {
		pemKey := newKeyPEM(t)
		v, err := c.verifier(pemKey)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, v)
		if v.Precomputed() == v {
			tables++
		}
	}
	if tables > 2*maxKeyTables || tables < maxKeyTables {
		t.Fatalf("%d verifiers held have tables, want %d to %d", tables, maxKeyTables, 2*maxKeyTables)
	}
	runtime.KeepAlive(held)
}

// newKeyPEM is the PEM public key of a new Ed25519 key.
func newKeyPEM(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := sign.MarshalPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pemKey)
}

// deadlineWriter records the read deadlines a handler sets.
type deadlineWriter struct {
	http.ResponseWriter
	set []time.Time
}

func (w *deadlineWriter) SetReadDeadline(t time.Time) error {
	w.set = append(w.set, t)
	return nil
}

// A paced body sets the connection's read deadline only when it moves:
// the first read keeps the deadline pace set (each call takes the
// runtime's timer lock), and later reads move it as the bytes come:
// at most one call per read, pace's included.
func TestPacedBodySetsDeadlineOnce(t *testing.T) {
	s := &Server{cfg: Config{Limits: Limits{BodyIdle: time.Minute, BodyRate: 1000}}}
	w := &deadlineWriter{ResponseWriter: httptest.NewRecorder()}
	body := s.pace(w, io.NopCloser(strings.NewReader(strings.Repeat("x", 5000))))
	buf := make([]byte, 1000)
	reads := 0
	for {
		reads++
		if _, err := body.Read(buf); err != nil {
			break
		}
	}
	if len(w.set) == 0 || len(w.set) > reads {
		t.Fatalf("%d deadlines set for %d reads", len(w.set), reads)
	}
	for i := 1; i < len(w.set); i++ {
		if w.set[i].Equal(w.set[i-1]) {
			t.Fatalf("deadline %d set again unchanged: %v", i, w.set)
		}
	}
}

// The key cache builds a key's table outside its lock, so that requests
// for other keys go on meanwhile (it was built holding the lock, 96 KiB of
// multiples per key), and requests for the same new key made at once all
// get the one verifier the first made: one table for the key, counted
// once, not one per request held by each principal.
func TestKeyCacheBuildsTablesOutsideLock(t *testing.T) {
	var c keyCache
	cached := newKeyPEM(t)
	if _, err := c.verifier(cached); err != nil {
		t.Fatal(err)
	}
	pemKey := newKeyPEM(t)
	const n = 8
	got := make([]*sign.Verifier, n)
	var wg sync.WaitGroup
	var builds atomic.Int32
	testOnlyBuildingTable = func() {
		if builds.Add(1) > 1 {
			return
		}
		if !c.mu.TryLock() {
			t.Error("the key cache's lock is held while a table is built")
			return
		}
		c.mu.Unlock()
		if _, err := c.verifier(cached); err != nil {
			t.Error(err)
		}
		for i := 1; i < n; i++ { // the same key, asked for while it is made
			wg.Go(func() {
				v, err := c.verifier(pemKey)
				if err != nil {
					t.Error(err)
				}
				got[i] = v
			})
		}
		time.Sleep(50 * time.Millisecond) // for them to reach the cache
	}
	t.Cleanup(func() { testOnlyBuildingTable = nil })
	v, err := c.verifier(pemKey)
	if err != nil {
		t.Fatal(err)
	}
	got[0] = v
	wg.Wait()
	for i, g := range got {
		if g != v {
			t.Errorf("request %d got another verifier than the first", i)
		}
	}
	if v.Precomputed() != v {
		t.Error("the new key's verifier has no table")
	}
	if b, tables, live := builds.Load(), c.tables, c.live.Load(); b != 1 || tables != 2 || live != 2 {
		t.Errorf("%d tables built for the new key, %d counted, %d alive; want 1, and 2 with the cached key's", b, tables, live)
	}
}
