package cli

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/consign-dev/consign/internal/tlog"
)

func TestLogKeyFlags(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	s, err := tlog.NewSigner("log.example/cli", priv)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pub, vkey := filepath.Join(dir, "log.pub"), filepath.Join(dir, "log.vkey")
	os.WriteFile(pub, s.PublicKeyPEM(), 0o644)
	os.WriteFile(vkey, []byte(s.VerifierKey()+"\n"), 0o644)
	tests := []struct {
		name       string
		flags      logKeyFlags
		wantOrigin string
		wantCode   int
		wantErr    error
	}{
		{"none", logKeyFlags{}, "", 0, nil},
		{"verifier key", logKeyFlags{path: vkey}, "log.example/cli", 0, nil},
		{"verifier key, its origin", logKeyFlags{path: vkey, origin: "log.example/cli"}, "log.example/cli", 0, nil},
		{"PEM with origin", logKeyFlags{path: pub, origin: "log.example/cli"}, "log.example/cli", 0, nil},
		{"PEM without origin", logKeyFlags{path: pub}, "", ExitUsage, tlog.ErrNoOrigin},
		{"verifier key, another origin", logKeyFlags{path: vkey, origin: "log.example/other"}, "", ExitUsage, tlog.ErrOrigin},
		{"origin alone", logKeyFlags{origin: "log.example/cli"}, "", ExitUsage, nil},
		{"no such file", logKeyFlags{path: filepath.Join(dir, "none")}, "", ExitError, os.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.flags.load()
			if tt.wantCode == 0 {
				if err != nil || (v == nil) != (tt.wantOrigin == "") || (v != nil && v.Origin() != tt.wantOrigin) {
					t.Fatalf("load() = %v, %v; want origin %q", v, err, tt.wantOrigin)
				}
				return
			}
			if code, _ := classify(err); err == nil || code != tt.wantCode || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Errorf("load() = %v, %v (exit %d); want exit %d, %v", v, err, code, tt.wantCode, tt.wantErr)
			}
		})
	}
}
