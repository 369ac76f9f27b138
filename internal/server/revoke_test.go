package server_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
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

// TestRevokeIsImmediate: once RevokeToken returns, the very next publish
// and read with the token are refused, by every server over the database,
// even servers that accepted the token a moment before.
func TestRevokeIsImmediate(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "log.db")
		revokeIsImmediate(t, func() store.Store {
			st, err := sqlite.Open(bg, path)
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := pgtest.DSN(t)
		revokeIsImmediate(t, func() store.Store {
			st, err := postgres.Open(bg, dsn)
			if err != nil {
				t.Fatal(err)
			}
			return st
		})
	})
}

func revokeIsImmediate(t *testing.T, open func() store.Store) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := tlog.NewSigner("log.test/revoke", priv)
	if err != nil {
		t.Fatal(err)
	}
	// Two servers, each with its own connections, as two processes would be.
	var stores []store.Store
	var urls []string
	for range 2 {
		st := open()
		srv, err := server.New(bg, server.Config{Store: st, Signer: signer, ReadTokenRequired: true})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		t.Cleanup(func() { hs.Close(); srv.Close(); st.Close() })
		stores, urls = append(stores, st), append(urls, hs.URL)
	}
	k := newKey(t)
	secret, tok, err := server.CreateToken(bg, stores[0], server.TokenConfig{Name: "ci", Products: []string{"p"}, Keys: [][]byte{k.pem}})
	if err != nil {
		t.Fatal(err)
	}
	clients := make([]*client.Client, len(urls))
	for i, u := range urls {
		if clients[i], err = client.New(client.Config{URL: u, Token: secret}); err != nil {
			t.Fatal(err)
		}
	}
	for round := range 3 {
		// Each server accepts the token just before the revocation.
		for i, c := range clients {
			_, b := envelope(t, k, "app", fmt.Sprint("before ", round, i))
			if _, err := c.Publish(bg, "", [][]byte{b}); err != nil {
				t.Fatalf("server %d: Publish before revoking: %v", i, err)
			}
			if _, err := c.Checkpoint(bg); err != nil {
				t.Fatalf("server %d: Checkpoint before revoking: %v", i, err)
			}
		}
		if round < 2 {
			continue
		}
		if err := stores[1].RevokeToken(bg, tok.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		for i, c := range clients {
			_, b := envelope(t, k, "app", fmt.Sprint("after ", i))
			if _, err := c.Publish(bg, "", [][]byte{b}); err == nil {
				t.Errorf("server %d: Publish right after the revocation succeeded, want 401", i)
			}
			if _, err := c.Checkpoint(bg); err == nil {
				t.Errorf("server %d: Checkpoint (reads need a token) right after the revocation succeeded, want 401", i)
			}
			// The refused publish took the token out of the server's
			// cache: the next one is refused before its body is read.
			req, _ := http.NewRequest(http.MethodPost, urls[i]+"/api/v1/attestations", strings.NewReader("not an envelope"))
			req.Header.Set("Authorization", "Bearer "+secret)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("server %d: a malformed publish with the revoked token: status %d, want 401", i, resp.StatusCode)
			}
		}
	}
	if tr, _ := stores[0].Tree(bg); tr.Size != 6 {
		t.Errorf("log size %d, want 6 (nothing logged after the revocation)", tr.Size)
	}
}
