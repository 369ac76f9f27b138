package oci_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/testutil/registrytest"
)

// TestPushFiles: the same files in any order make one digest, which the
// registry then serves; files that cannot make a layer push nothing.
func TestPushFiles(t *testing.T) {
	t.Parallel()
	host := registrytest.Serve(t, oci.Registry(0))
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b := write("a", "one"), write("b", "two")
	c := newClient(t, oci.ModeReferrers)
	ctx := context.Background()
	d1, err := c.PushFiles(ctx, host+"/app:1", []string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	d2, err := c.PushFiles(ctx, host+"/app:2", []string{b, a})
	if err != nil {
		t.Fatal(err)
	}
	if d1.DigestStr() != d2.DigestStr() {
		t.Errorf("PushFiles(a, b) = %s, PushFiles(b, a) = %s, want one digest", d1, d2)
	}
	img, err := c.Resolve(ctx, host+"/app:2")
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Digest.String(); got != d1.DigestStr() {
		t.Errorf("app:2 resolves to %s, want %s", got, d1.DigestStr())
	}

	for _, tt := range []struct {
		name    string
		ref     string
		files   []string
		wantErr error
	}{
		{"no files", host + "/app:3", nil, oci.ErrLayerFiles},
		{"a directory", host + "/app:3", []string{dir}, oci.ErrLayerFiles},
		{"one base name twice", host + "/app:3", []string{a, write("sub/a", "three")}, oci.ErrLayerFiles},
		{"by digest", host + "/app@" + d1.DigestStr(), []string{a}, oci.ErrReference},
	} {
		if _, err := c.PushFiles(ctx, tt.ref, tt.files); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: PushFiles = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
	if _, err := c.Resolve(ctx, host+"/app:3"); !errors.Is(err, oci.ErrNotFound) {
		t.Errorf("after the refused pushes, app:3 resolves: %v", err)
	}
}

// TestRegistryBudget: a body over the per-request cap is refused, and once
// the registry has taken its budget every write is, while reads go on.
func TestRegistryBudget(t *testing.T) {
	t.Parallel()
	reg := oci.Registry(10)
	serve := func(method, path, body string, length int64) int {
		req := httptest.NewRequest(method, "http://registry.test"+path, strings.NewReader(body))
		req.ContentLength = length
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, req)
		return rec.Code
	}
	if got := serve(http.MethodPut, "/v2/x/manifests/t", "", limits.OCIBlob+1); got != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over the cap: HTTP %d, want 413", got)
	}
	serve(http.MethodPut, "/v2/x/manifests/t", "0123456789abcdef", 16) // read, so counted, whatever the answer
	if got := serve(http.MethodPut, "/v2/x/manifests/u", "{}", 2); got != http.StatusInsufficientStorage {
		t.Errorf("a write after the budget is spent: HTTP %d, want 507", got)
	}
	if got := serve(http.MethodGet, "/v2/", "", 0); got != http.StatusOK {
		t.Errorf("a read after the budget is spent: HTTP %d, want 200", got)
	}
}
