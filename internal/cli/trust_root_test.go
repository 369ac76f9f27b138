package cli_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/testutil/tufrepo"
)

// TestTrustRootUpdate runs 'consign trust-root update' against a TUF
// repository on 127.0.0.1: it writes the verified target, and on a
// repository that does not verify it exits 3 and leaves --out as it was.
func TestTrustRootUpdate(t *testing.T) {
	want, err := os.ReadFile(publicGoodRoot)
	if err != nil {
		t.Fatal(err)
	}
	repo := tufrepo.New(t, want)
	dir := t.TempDir()
	rootFile := filepath.Join(dir, "root.json")
	if err := os.WriteFile(rootFile, repo.Root, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "trusted_root.json")
	var stdout bytes.Buffer
	update := func(extra ...string) (int, string) {
		var stderr bytes.Buffer
		stdout.Reset()
		code := cli.Main(context.Background(), append([]string{"trust-root", "update", "--tuf-url", repo.URL,
			"--tuf-root", rootFile, "--out", out, "--cache-dir", filepath.Join(dir, "cache")}, extra...),
			strings.NewReader(""), &stdout, &stderr)
		return code, stderr.String()
	}
	if code, stderr := update(); code != 0 {
		t.Fatalf("trust-root update = exit %d, %s", code, stderr)
	}
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("--out holds %d bytes (%v), want the repository's %d", len(got), err, len(want))
	}

	// -o json reports the file written, its size and digest, on standard
	// output, and nothing on standard error.
	os.Remove(out)
	code, stderr := update("-o", "json")
	var rep struct {
		Out    string `json:"out"`
		Bytes  int    `json:"bytes"`
		SHA256 string `json:"sha256"`
		TUFURL string `json:"tufUrl"`
	}
	if code != 0 || stderr != "" || json.Unmarshal(stdout.Bytes(), &rep) != nil {
		t.Fatalf("trust-root update -o json = exit %d, stdout %s, stderr %s", code, stdout.String(), stderr)
	}
	if sum := sha256.Sum256(want); rep.Out != out || rep.Bytes != len(want) || rep.SHA256 != hex.EncodeToString(sum[:]) || rep.TUFURL == "" {
		t.Errorf("report = %+v, want %s, %d bytes, sha256 %x", rep, out, len(want), sum)
	}
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("with -o json, --out holds %d bytes (%v), want the repository's %d", len(got), err, len(want))
	}

	repo.Timestamp.Signed.Expires = time.Now().Add(-time.Minute).UTC()
	repo.SignTimestamp(repo.Keys["timestamp"])
	code, stderr = update()
	if code != cli.ExitVerifyNo || !strings.Contains(stderr, "expired") || !strings.Contains(stderr, "hint:") {
		t.Errorf("trust-root update of an expired repository = exit %d, %s; want %d", code, stderr, cli.ExitVerifyNo)
	}
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, want) {
		t.Errorf("a failed update changed --out")
	}
}

// TestTrustRootUpdateNpmKeys: --npm-keys-out writes the npm registry's
// keys, verified through TUF with the trusted root; a repository without
// them, or with keys that are not the registry's format, writes neither
// file.
func TestTrustRootUpdateNpmKeys(t *testing.T) {
	root, err := os.ReadFile(publicGoodRoot)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := os.ReadFile(filepath.Join(filepath.Dir(publicGoodRoot), "registry.npmjs.org.keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		keys []byte // nil: the repository has no such target
		code int
	}{
		{"the registry's keys", keys, 0},
		{"no keys target", nil, 1},
		{"keys without an attestation key", []byte(`{"keys": []}`), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := tufrepo.New(t, root)
			if tc.keys != nil {
				repo.SetTargetNamed("registry.npmjs.org/keys.json", tc.keys)
			}
			dir := t.TempDir()
			rootFile := filepath.Join(dir, "root.json")
			if err := os.WriteFile(rootFile, repo.Root, 0o600); err != nil {
				t.Fatal(err)
			}
			out, keysOut := filepath.Join(dir, "trusted_root.json"), filepath.Join(dir, "keys.json")
			var stdout, stderr bytes.Buffer
			code := cli.Main(context.Background(), []string{"trust-root", "update", "--tuf-url", repo.URL,
				"--tuf-root", rootFile, "--out", out, "--npm-keys-out", keysOut, "--cache-dir", filepath.Join(dir, "cache")},
				strings.NewReader(""), &stdout, &stderr)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %s", code, tc.code, stderr.String())
			}
			gotRoot, errRoot := os.ReadFile(out)
			gotKeys, errKeys := os.ReadFile(keysOut)
			if tc.code == 0 && (!bytes.Equal(gotRoot, root) || !bytes.Equal(gotKeys, keys)) {
				t.Errorf("wrote %d and %d bytes (%v, %v), want the trusted root and the keys", len(gotRoot), len(gotKeys), errRoot, errKeys)
			}
			if tc.code != 0 && (errRoot == nil || errKeys == nil) {
				t.Errorf("a failed update wrote a file: %v, %v", errRoot, errKeys)
			}
		})
	}
}
