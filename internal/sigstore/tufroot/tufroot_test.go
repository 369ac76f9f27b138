package tufroot_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/consign-dev/consign/internal/sigstore/tufroot"
	"github.com/consign-dev/consign/internal/testutil/tufrepo"
)

func fetch(r *tufrepo.Repo, cache string) ([]byte, error) {
	return tufroot.Fetch(context.Background(), tufroot.Config{URL: r.URL, Root: r.Root, CacheDir: cache})
}

func trustedRoot(t *testing.T) []byte {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "testdata", "sigstore", "public-good.trusted_root.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFetch(t *testing.T) {
	want := trustedRoot(t)
	r := tufrepo.New(t, want)
	cache := t.TempDir()
	got, err := fetch(r, cache)
	if err != nil {
		t.Fatalf("Fetch = %v", err)
	}
	if string(got) != string(want) {
		t.Errorf("Fetch returned %d bytes, not the target's %d", len(got), len(want))
	}
	// A second fetch, from the cache, sees the new target.
	next := append([]byte(nil), want...)
	next = append(next, '\n')
	r.SetTarget(next)
	if got, err = fetch(r, cache); err != nil || string(got) != string(next) {
		t.Errorf("Fetch after a new target = %d bytes, %v; want the new target", len(got), err)
	}
}

// TestFetchRootRotation: the client walks from root version 1 to a version
// 2 whose root key is new, signed by the old key and the new.
func TestFetchRootRotation(t *testing.T) {
	r := tufrepo.New(t, trustedRoot(t))
	old := r.Keys[metadata.ROOT]
	key, err := metadata.KeyFromPublicKey(old.Public())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.RootMeta.Signed.RevokeKey(key.ID(), metadata.ROOT); err != nil {
		t.Fatal(err)
	}
	r.Keys[metadata.ROOT] = tufrepo.NewKey(t)
	r.AddKey(metadata.ROOT, r.Keys[metadata.ROOT])
	r.RootMeta.Signed.Version++
	r.SignRoot(old, r.Keys[metadata.ROOT])
	if _, err := fetch(r, t.TempDir()); err != nil {
		t.Fatalf("Fetch over a rotated root = %v", err)
	}
}

func TestFetchRefused(t *testing.T) {
	tests := []struct {
		name    string
		mangle  func(t *testing.T, r *tufrepo.Repo, cache string)
		wantErr error
	}{
		{"timestamp signed by another key", func(t *testing.T, r *tufrepo.Repo, _ string) {
			r.SignTimestamp(tufrepo.NewKey(t))
		}, tufroot.ErrTUF},
		{"expired timestamp", func(t *testing.T, r *tufrepo.Repo, _ string) {
			r.Timestamp.Signed.Expires = time.Now().Add(-time.Hour).UTC()
			r.SignTimestamp(r.Keys[metadata.TIMESTAMP])
		}, tufroot.ErrTUF},
		{"expired targets", func(t *testing.T, r *tufrepo.Repo, _ string) {
			r.Targets.Signed.Expires = time.Now().Add(-time.Hour).UTC()
			r.SetTarget(trustedRoot(t))
		}, tufroot.ErrTUF},
		{"root version 2 not signed by version 1's key", func(t *testing.T, r *tufrepo.Repo, _ string) {
			r.RootMeta.Signed.Version++
			r.SignRoot(tufrepo.NewKey(t))
		}, tufroot.ErrTUF},
		{"rollback to a timestamp seen before", func(t *testing.T, r *tufrepo.Repo, cache string) {
			old, err := os.ReadFile(filepath.Join(r.Dir, "timestamp.json"))
			if err != nil {
				t.Fatal(err)
			}
			r.SetTarget(append(trustedRoot(t), ' '))
			if _, err := fetch(r, cache); err != nil {
				t.Fatalf("Fetch before the rollback = %v", err)
			}
			if err := os.WriteFile(filepath.Join(r.Dir, "timestamp.json"), old, 0o600); err != nil {
				t.Fatal(err)
			}
		}, tufroot.ErrTUF},
		{"target changed after signing", func(t *testing.T, r *tufrepo.Repo, _ string) {
			h := sha256.Sum256(trustedRoot(t))
			path := filepath.Join(r.Dir, "targets", fmt.Sprintf("%x.%s", h, tufroot.Target))
			b := trustedRoot(t)
			b[len(b)/2]++
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, tufroot.ErrTUF},
		{"target is not a trusted root", func(t *testing.T, r *tufrepo.Repo, _ string) {
			r.SetTarget([]byte(`{"mediaType": "not a trusted root"}`))
		}, tufroot.ErrTrustedRoot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tufrepo.New(t, trustedRoot(t))
			cache := t.TempDir()
			tt.mangle(t, r, cache)
			got, err := fetch(r, cache)
			if !errors.Is(err, tt.wantErr) || got != nil {
				t.Errorf("Fetch = %d bytes, %v; want %v", len(got), err, tt.wantErr)
			}
		})
	}
}

// TestFetchAnotherRoot: the public-good TUF root does not verify a
// repository of another instance.
func TestFetchAnotherRoot(t *testing.T) {
	r := tufrepo.New(t, trustedRoot(t))
	_, err := tufroot.Fetch(context.Background(), tufroot.Config{URL: r.URL, CacheDir: t.TempDir()})
	if !errors.Is(err, tufroot.ErrTUF) {
		t.Errorf("Fetch with the public-good root = %v, want %v", err, tufroot.ErrTUF)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []tufroot.Config{
		{},
		{CacheDir: "x", URL: "file:///etc"},
		{CacheDir: "x", URL: "tuf.example"},
		{CacheDir: "x", Root: []byte{}},
	} {
		if err := c.Validate(); !errors.Is(err, tufroot.ErrConfig) {
			t.Errorf("Validate(%+v) = %v, want %v", c, err, tufroot.ErrConfig)
		}
	}
	// A host without a scheme is told what to add.
	c := tufroot.Config{CacheDir: "x", URL: "tuf.example"}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "add http:// or https://") {
		t.Errorf("Validate of a URL without a scheme = %v, want the hint to add one", err)
	}
}

// TestFetchUnreachable: a repository with no timestamp, and one that is
// not there, are read errors, not verdicts.
func TestFetchUnreachable(t *testing.T) {
	r := tufrepo.New(t, trustedRoot(t))
	if err := os.Remove(filepath.Join(r.Dir, "timestamp.json")); err != nil {
		t.Fatal(err)
	}
	if _, err := fetch(r, t.TempDir()); !errors.Is(err, tufroot.ErrFetch) {
		t.Errorf("Fetch without timestamp.json = %v, want %v", err, tufroot.ErrFetch)
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := tufroot.Fetch(context.Background(), tufroot.Config{URL: url, Root: r.Root, CacheDir: t.TempDir()})
	if !errors.Is(err, tufroot.ErrFetch) {
		t.Errorf("Fetch from a closed server = %v, want %v", err, tufroot.ErrFetch)
	}
}

// TestFetchTargets: another target (the npm registry's keys, under a
// directory) comes through TUF with the trusted root; one the repository
// does not list, or whose content changed after signing, is refused.
func TestFetchTargets(t *testing.T) {
	const npmKeys = "registry.npmjs.org/keys.json"
	keys := []byte(`{"keys": []}`)
	r := tufrepo.New(t, trustedRoot(t))
	r.SetTargetNamed(npmKeys, keys)
	cfg := tufroot.Config{URL: r.URL, Root: r.Root, CacheDir: t.TempDir()}
	got, extra, err := tufroot.FetchTargets(context.Background(), cfg, npmKeys)
	if err != nil || string(got) != string(trustedRoot(t)) || len(extra) != 1 || string(extra[0]) != string(keys) {
		t.Fatalf("FetchTargets = %d bytes, %q, %v; want the trusted root and the keys", len(got), extra, err)
	}
	if _, _, err := tufroot.FetchTargets(context.Background(), cfg, "registry.npmjs.org/other.json"); !errors.Is(err, tufroot.ErrFetch) {
		t.Errorf("FetchTargets of a target not listed = %v, want %v", err, tufroot.ErrFetch)
	}
	h := sha256.Sum256(keys)
	if err := os.WriteFile(filepath.Join(r.Dir, "targets", "registry.npmjs.org", fmt.Sprintf("%x.keys.json", h)), []byte(`{"keys": [1]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tufroot.FetchTargets(context.Background(), tufroot.Config{URL: r.URL, Root: r.Root, CacheDir: t.TempDir()}, npmKeys); !errors.Is(err, tufroot.ErrTUF) {
		t.Errorf("FetchTargets of a target changed after signing = %v, want %v", err, tufroot.ErrTUF)
	}
}
