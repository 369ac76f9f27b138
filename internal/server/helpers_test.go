package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/memory"
	"github.com/consign-dev/consign/internal/store/postgres"
	"github.com/consign-dev/consign/internal/store/sqlite"
	"github.com/consign-dev/consign/internal/tlog"
)

var bg = context.Background()

// env is a running server over a store, with its log key and a
// function to make tokens.
type env struct {
	t      testing.TB
	st     store.Store
	signer *tlog.Signer
	srv    *server.Server
	http   *httptest.Server
}

// The stores the server runs over.
var (
	_ server.Store = (*sqlite.Store)(nil)
	_ server.Store = (*postgres.Store)(nil)
	_ server.Store = (*memory.Store)(nil)
)

// memStore is an in-memory store, for tests of the server rather than of
// its storage.
func memStore() store.Store { return memory.New() }

func sqliteStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(bg, filepath.Join(t.TempDir(), "log.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newEnv(t testing.TB, st store.Store, cfg server.Config) *env {
	t.Helper()
	if cfg.Signer == nil {
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		signer, err := tlog.NewSigner("log.test/"+t.Name(), priv)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Signer = signer
	}
	cfg.Store = st
	signer := cfg.Signer
	srv, err := server.New(bg, cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() { hs.Close(); srv.Close() })
	return &env{t: t, st: st, signer: signer, srv: srv, http: hs}
}

// key is a functionary key.
type key struct {
	signer *sign.Signer
	pem    []byte
}

func newKey(t testing.TB) *key {
	t.Helper()
	priv, err := sign.Generate(sign.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	pemKey, err := sign.MarshalPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return &key{signer: s, pem: pemKey}
}

func (e *env) token(products []string, keys ...*key) string {
	e.t.Helper()
	var pems [][]byte
	for _, k := range keys {
		pems = append(pems, k.pem)
	}
	secret, _, err := server.CreateToken(bg, e.st, server.TokenConfig{Name: "test", Products: products, Keys: pems})
	if err != nil {
		e.t.Fatalf("CreateToken: %v", err)
	}
	return secret
}

func (e *env) client(token string) *client.Client {
	e.t.Helper()
	c, err := client.New(client.Config{URL: e.http.URL, Token: token, HTTP: e.http.Client()})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// artifact is the digest of a made-up artifact named name.
func artifact(name string) digest.Set {
	sum := tlog.LeafHash([]byte(name)) // any 32 bytes will do
	return digest.Set{digest.SHA256: fmt.Sprintf("%x", sum[:])}
}

// envelope signs a statement about the artifact named subject.
func envelope(t testing.TB, k *key, subject, note string) (*attest.Envelope, []byte) {
	t.Helper()
	pred, _ := json.Marshal(map[string]string{"note": note})
	st, err := attest.NewStatement("https://example.com/test/v1", []attest.Subject{{Name: subject, Digest: artifact(subject)}}, pred)
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.SignStatement(st, k.signer)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return env, b
}

// post sends a raw publish request and returns the status and body.
func (e *env) post(token, query string, body []byte) (int, http.Header, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/api/v1/attestations"+query, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

func (e *env) get(token, path string) (int, http.Header, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.http.URL+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.do(req)
}

func (e *env) do(req *http.Request) (int, http.Header, []byte) {
	e.t.Helper()
	resp, err := e.http.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(resp.Body)
	return resp.StatusCode, resp.Header, b.Bytes()
}

func (e *env) verifier() *tlog.Verifier { return e.signer.Verifier() }

func mustEd25519(t testing.TB) ed25519.PrivateKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func hexOf(name string) string {
	d := digestOf(name)
	return fmt.Sprintf("%x", d[:])
}
