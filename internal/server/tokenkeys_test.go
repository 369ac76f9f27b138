package server_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/store"
)

// TestTokenKeysCap: a token names at most limits.TokenKeys keys: one
// more is refused at creation, with an error that names the bound, and
// nothing is stored; repeats of a key count once. A token with more keys
// that an older consign stored still publishes, signed by any of them.
func TestTokenKeysCap(t *testing.T) {
	e := newEnv(t, sqliteStore(t), server.Config{})
	keys := make([]*key, limits.TokenKeys+6)
	pems := make([][]byte, len(keys))
	for i := range keys {
		keys[i] = newKey(t)
		pems[i] = keys[i].pem
	}

	_, _, err := server.CreateToken(bg, e.st, server.TokenConfig{Name: "many", Products: []string{"app"}, Keys: pems[:limits.TokenKeys+1]})
	if want := fmt.Sprintf("a token may name at most %d keys, and %d are given", limits.TokenKeys, limits.TokenKeys+1); !errors.Is(err, server.ErrTokenConfig) || !strings.Contains(fmt.Sprint(err), want) {
		t.Fatalf("CreateToken with %d keys = %v, want server.ErrTokenConfig saying %q", limits.TokenKeys+1, err, want)
	}
	if toks, err := e.st.ListTokens(bg); err != nil || len(toks) != 0 {
		t.Fatalf("tokens stored after the refusal: %d (%v), want none", len(toks), err)
	}
	twice := append(append([][]byte{}, pems[:limits.TokenKeys]...), pems[0], pems[1])
	if _, tok, err := server.CreateToken(bg, e.st, server.TokenConfig{Name: "full", Products: []string{"app"}, Keys: twice}); err != nil || len(tok.Keys) != limits.TokenKeys {
		t.Fatalf("CreateToken with %d keys, two of them twice = %v, want a token of %d keys", limits.TokenKeys, err, limits.TokenKeys)
	}

	// An older consign's token of more keys, stored as it stored them.
	secret := server.TokenPrefix + strings.Repeat("A", 43)
	h := server.HashToken(secret)
	old := &store.Token{ID: fmt.Sprintf("%x", h[:8]), Name: "old", Hash: h, Products: []string{"app"}, Created: time.Now().UTC()}
	for _, p := range pems {
		old.Keys = append(old.Keys, string(p))
	}
	if err := e.st.CreateToken(bg, old); err != nil {
		t.Fatal(err)
	}
	c := e.client(secret)
	for _, k := range []*key{keys[0], keys[len(keys)-1]} {
		_, b := envelope(t, k, "app", fmt.Sprintf("old token %p", k))
		if res, err := c.Publish(bg, "app", [][]byte{b}); err != nil || len(res.Results) != 1 {
			t.Errorf("publish with a stored token of %d keys = %+v, %v; want it logged", len(old.Keys), res, err)
		}
	}
}
