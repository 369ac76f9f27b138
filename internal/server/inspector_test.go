package server_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/store"
)

// TestTokenExpiry checks that a token past its expiry is refused like an
// unknown one, by the API and by the portal's sign-in, and that an
// inspector token is made only read-only and with an expiry.
func TestTokenExpiry(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	e := newEnv(t, memStore(), server.Config{ReadTokenRequired: true, Now: clock})
	secret, _, err := server.CreateToken(bg, e.st, server.TokenConfig{Products: []string{"p"}, Role: store.RoleInspector, Expires: now.Add(time.Hour), Now: clock})
	if err != nil {
		t.Fatalf("CreateToken(inspector): %v", err)
	}
	h, err := server.ParseToken(secret)
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := e.srv.Inspector(bg, h); err != nil || tok.Role != store.RoleInspector {
		t.Fatalf("Inspector(valid) = %+v, %v", tok, err)
	}
	path := "/api/v1/log/checkpoint"
	// The API is not the inspector's: their views go through the portal,
	// which records each.
	if code, _, _ := e.get(secret, path); code != http.StatusUnauthorized {
		t.Errorf("GET %s with an inspector token = %d, want 401", path, code)
	}
	reading, _, err := server.CreateToken(bg, e.st, server.TokenConfig{Products: []string{"p"}, Expires: now.Add(time.Hour), Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	if code, _, body := e.get(reading, path); code != http.StatusOK {
		t.Fatalf("GET %s with a valid reading token = %d %s, want 200", path, code, body)
	}
	now = now.Add(time.Hour)
	if code, _, _ := e.get(reading, path); code != http.StatusUnauthorized {
		t.Errorf("GET %s with an expired token = %d, want 401", path, code)
	}
	if _, err := e.srv.Inspector(bg, h); !errors.Is(err, api.ErrUnauthorized) {
		t.Errorf("Inspector(expired) = %v, want ErrUnauthorized", err)
	}
	reader := e.token([]string{"p"})
	if _, err := e.srv.Inspector(bg, server.HashToken(reader)); !errors.Is(err, api.ErrUnauthorized) {
		t.Errorf("Inspector(a reading token) = %v, want ErrUnauthorized", err)
	}
	for name, cfg := range map[string]server.TokenConfig{
		"inspector without expiry": {Products: []string{"p"}, Role: store.RoleInspector},
		"already expired":          {Products: []string{"p"}, Expires: now.Add(-time.Second)},
		"unknown role":             {Products: []string{"p"}, Role: "admin"},
	} {
		if _, _, err := server.CreateToken(bg, e.st, cfg); !errors.Is(err, server.ErrTokenConfig) {
			t.Errorf("CreateToken(%s) = %v, want ErrTokenConfig", name, err)
		}
	}
}
