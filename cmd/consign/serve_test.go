package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/postgres"
	"github.com/consign-dev/consign/internal/store/sqlite"
	"github.com/consign-dev/consign/internal/testutil/pgtest"
	"github.com/consign-dev/consign/internal/tlog"
)

// serveProc is a 'consign serve' child process.
type serveProc struct {
	cmd *exec.Cmd
	url string
	out *lockedWriter
}

// startServe runs 'consign serve' (this test binary, as testscript.Main
// installs it in $PATH) and waits until it listens.
func startServe(t *testing.T, dir string, args ...string) *serveProc {
	t.Helper()
	ready := filepath.Join(dir, fmt.Sprintf("url-%d", time.Now().UnixNano()))
	cmd := exec.Command("consign", append([]string{"serve", "--addr", "127.0.0.1:0", "--ready-file", ready, "--rate", "-1"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	out := &lockedWriter{w: &strings.Builder{}}
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting consign serve: %v", err)
	}
	p := &serveProc{cmd: cmd, out: out}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if b, err := os.ReadFile(ready); err == nil && strings.HasSuffix(string(b), "\n") {
			p.url = strings.TrimSpace(string(b))
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("consign serve did not start: %s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type lockedWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// fixture is a functionary key and a token for it in st.
type fixture struct {
	signer *sign.Signer
	token  string
}

func newFixture(t *testing.T, st store.Store) *fixture {
	t.Helper()
	k, _ := sign.Generate(sign.Ed25519)
	s, err := sign.NewSigner(k)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, _ := sign.MarshalPublicKey(k.Public())
	tok, _, err := server.CreateToken(context.Background(), st, server.TokenConfig{Products: []string{"acme"}, Keys: [][]byte{pemKey}})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{signer: s, token: tok}
}

func (f *fixture) envelope(t *testing.T, n string) (*attest.Envelope, []byte) {
	pred, _ := json.Marshal(map[string]string{"n": n})
	st, err := attest.NewStatement("https://example.com/crash/v1", []attest.Subject{{Name: "app", Digest: map[string]string{"sha256": strings.Repeat("ab", 32)}}}, pred)
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.SignStatement(st, f.signer)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	return env, b
}

// acked is a receipt a client was handed, with what it is about.
type acked struct {
	pae     []byte
	receipt *tlog.Receipt
}

// publishUntil publishes from workers goroutines to url until stop is
// closed or the server fails, and returns every receipt handed out.
func publishUntil(t *testing.T, f *fixture, url string, workers int, stop <-chan struct{}, count *atomic.Int64, tag string) []acked {
	var mu sync.Mutex
	var out []acked
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _ := client.New(client.Config{URL: url, Token: f.token})
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				env, b := f.envelope(t, fmt.Sprintf("%s-%d-%d", tag, w, i))
				res, err := c.Publish(context.Background(), "", [][]byte{b})
				if err != nil {
					return // the server went away: this envelope was not acknowledged
				}
				mu.Lock()
				out = append(out, acked{attest.PAE(env.PayloadType, env.Payload), res.Results[0].Receipt})
				mu.Unlock()
				count.Add(1)
			}
		}()
	}
	wg.Wait()
	return out
}

// checkLog checks, against the live server at url: every acknowledged
// receipt verifies offline, its entry is in the log with the same leaf, the
// indices are contiguous, and every checkpoint handed out is consistent
// with (and no larger than) the server's current one.
func checkLog(t *testing.T, url string, logKey *tlog.Verifier, acks []acked) {
	t.Helper()
	ctx := context.Background()
	c, _ := client.New(client.Config{URL: url})
	cur, err := client.Watch(ctx, c, logKey, tlog.CheckpointOptions{}, nil)
	if err != nil {
		t.Fatalf("the server's checkpoint: %v", err)
	}
	seen := map[uint64]bool{}
	for _, a := range acks {
		v, err := tlog.VerifyReceiptFor(a.receipt, logKey, tlog.CheckpointOptions{}, a.pae)
		if err != nil {
			t.Fatalf("acknowledged receipt %d: %v", a.receipt.Index, err)
		}
		if seen[v.Index] {
			t.Fatalf("index %d acknowledged twice", v.Index)
		}
		seen[v.Index] = true
		if v.Checkpoint.Size > cur.Size {
			t.Fatalf("a receipt's checkpoint has %d entries, the log now %d: the checkpoint went backwards", v.Checkpoint.Size, cur.Size)
		}
		e, err := c.Entry(ctx, v.Index)
		if err != nil {
			t.Fatalf("acknowledged entry %d is gone: %v", v.Index, err)
		}
		if e.Receipt.Leaf != a.receipt.Leaf {
			t.Fatalf("entry %d changed: %q, acknowledged as %q", v.Index, e.Receipt.Leaf, a.receipt.Leaf)
		}
		p, err := c.Consistency(ctx, v.Checkpoint.Size, cur.Size)
		if err != nil {
			t.Fatal(err)
		}
		if err := tlog.CheckExtension(v.Checkpoint.Checkpoint, cur.Checkpoint, p); err != nil {
			t.Fatalf("checkpoint of size %d handed out before is not consistent with the current one: %v", v.Checkpoint.Size, err)
		}
	}
	for i := uint64(0); i < cur.Size; i++ {
		if _, err := c.Entry(ctx, i); err != nil {
			t.Fatalf("entry %d of %d: %v (indices must be contiguous)", i, cur.Size, err)
		}
	}
	t.Logf("%d acknowledged receipts verified; the log has %d entries", len(acks), cur.Size)
}

// TestSecurityCase75_CrashSafety kills 'consign serve' with SIGKILL while
// clients publish, twice, restarts it on the same SQLite file each time,
// and checks that every receipt handed out still verifies and names the
// same entry, the indices are contiguous, and the checkpoint never went back.
func TestSecurityCase75_CrashSafety(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "log.db")
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, st)
	st.Close()
	var all []acked
	var logKey *tlog.Verifier
	for round := 0; round < 2; round++ {
		p := startServe(t, dir, "--db", "sqlite:"+db)
		if logKey == nil {
			b, err := os.ReadFile(filepath.Join(dir, "log.pub"))
			if err != nil {
				t.Fatal(err)
			}
			if logKey, err = tlog.ParseVerifier(string(b)); err != nil {
				t.Fatal(err)
			}
		}
		stop := make(chan struct{})
		var count atomic.Int64
		done := make(chan []acked)
		go func() { done <- publishUntil(t, f, p.url, 8, stop, &count, fmt.Sprint("round", round)) }()
		for count.Load() < 150 {
			time.Sleep(5 * time.Millisecond)
		}
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		p.cmd.Wait()
		close(stop)
		all = append(all, <-done...)
	}
	p := startServe(t, dir, "--db", "sqlite:"+db)
	checkLog(t, p.url, logKey, all)
}

// TestSecurityCase74_TwoServersOnePostgres runs two 'consign serve'
// processes on one PostgreSQL database with one log key, publishes through
// both at once, kills one with SIGKILL mid-way, and checks that the log is
// one log: contiguous indices, no index twice, every acknowledged receipt
// valid and consistent with the final checkpoint.
func TestSecurityCase74_TwoServersOnePostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	dir := t.TempDir()
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, st)
	st.Close()
	_, priv, _ := ed25519.GenerateKey(nil)
	pemKey, _ := sign.MarshalPrivateKeyUnencryptedUnsafe(priv)
	keyFile := filepath.Join(dir, "log.key")
	if err := os.WriteFile(keyFile, pemKey, 0o600); err != nil {
		t.Fatal(err)
	}
	a := startServe(t, dir, "--db", dsn, "--log-key", keyFile, "--origin", "log.test/two")
	b := startServe(t, dir, "--db", dsn, "--log-key", keyFile)
	logKey := tlog.NewKeyVerifier(priv.Public().(ed25519.PublicKey))

	stopA, stopB := make(chan struct{}), make(chan struct{})
	var countA, countB atomic.Int64
	doneA, doneB := make(chan []acked), make(chan []acked)
	go func() { doneA <- publishUntil(t, f, a.url, 4, stopA, &countA, "a") }()
	go func() { doneB <- publishUntil(t, f, b.url, 4, stopB, &countB, "b") }()
	for countA.Load() < 100 {
		time.Sleep(5 * time.Millisecond)
	}
	a.cmd.Process.Signal(syscall.SIGKILL)
	a.cmd.Wait()
	close(stopA)
	for countB.Load() < 200 {
		time.Sleep(5 * time.Millisecond)
	}
	close(stopB)
	acks := append(<-doneA, <-doneB...)
	if !strings.Contains(b.out.String(), "log origin: log.test/two") {
		t.Errorf("the second server did not take the log's origin from the database: %s", b.out.String())
	}
	checkLog(t, b.url, logKey, acks)
}
