package server_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/postgres"
	"github.com/consign-dev/consign/internal/store/sqlite"
	"github.com/consign-dev/consign/internal/testutil/pgtest"
	"github.com/consign-dev/consign/internal/tlog"
)

// TestCachedTokenLimits: a token a server has accepted (and so keeps)
// publishes no more than its row allows: not for another product, not
// once it has expired, and not once it is revoked, even when the
// revocation lands while publishes with it are in flight. A publish that
// starts after RevokeToken returns is never logged.
func TestCachedTokenLimits(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(bg, filepath.Join(t.TempDir(), "log.db"))
		if err != nil {
			t.Fatal(err)
		}
		cachedTokenLimits(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(bg, pgtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		cachedTokenLimits(t, st)
	})
}

func cachedTokenLimits(t *testing.T, st store.Store) {
	t.Cleanup(func() { st.Close() })
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := tlog.NewSigner("log.test/cache", priv)
	if err != nil {
		t.Fatal(err)
	}
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	srv, err := server.New(bg, server.Config{Store: st, Signer: signer, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	h := httptest.NewServer(srv)
	t.Cleanup(func() { h.Close(); srv.Close() })
	hs := h.URL
	k := newKey(t)
	mint := func(products []string, expires time.Time) (string, *store.Token) {
		secret, tok, err := server.CreateToken(bg, st, server.TokenConfig{Name: "ci", Products: products, Keys: [][]byte{k.pem}, Expires: expires, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		return secret, tok
	}
	connect := func(secret string) *client.Client {
		c, err := client.New(client.Config{URL: hs, Token: secret})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	publish := func(c *client.Client, product, note string) error {
		_, b := envelope(t, k, "app", note)
		_, err := c.Publish(bg, product, [][]byte{b})
		return err
	}

	// Scope: accepted (and cached) for product a, then asked for b.
	secret, _ := mint([]string{"a"}, time.Time{})
	c := connect(secret)
	if err := publish(c, "a", "scope 1"); err != nil {
		t.Fatalf("publish for its product: %v", err)
	}
	if err := publish(c, "b", "scope 2"); err == nil {
		t.Error("a cached token for product a published for product b")
	}

	// Expiry: accepted a second before it expires, then the clock passes it.
	secret, _ = mint([]string{"a"}, now().Add(time.Second))
	c = connect(secret)
	if err := publish(c, "a", "expiry 1"); err != nil {
		t.Fatalf("publish before expiry: %v", err)
	}
	clock.Add(int64(2 * time.Second))
	if err := publish(c, "a", "expiry 2"); err == nil {
		t.Error("a cached token published after it expired")
	}

	// Revocation under load: publishes race the revocation; none that
	// starts after RevokeToken returns may be logged.
	secret, tok := mint([]string{"a"}, time.Time{})
	var revoked atomic.Bool
	var late, early atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := connect(secret)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				after := revoked.Load()
				err := publish(c, "a", fmt.Sprint("race ", w, " ", i))
				switch {
				case err == nil && after:
					late.Add(1)
				case err == nil:
					early.Add(1)
				}
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	if err := st.RevokeToken(bg, tok.ID, now()); err != nil {
		t.Fatal(err)
	}
	revoked.Store(true)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	if early.Load() == 0 {
		t.Error("no publish was logged before the revocation: the race was not run")
	}
	if n := late.Load(); n > 0 {
		t.Errorf("%d publishes that started after the revocation were logged", n)
	}
}
