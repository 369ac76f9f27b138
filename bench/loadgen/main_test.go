package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenStoreError: a database that cannot be opened is an error and a
// nil store, never a nil *sqlite.Store inside a non-nil store.Store (whose
// Close a caller's cleanup would call, and crash on).
func TestOpenStoreError(t *testing.T) {
	dir := t.TempDir()
	for _, spec := range []string{
		"sqlite:" + filepath.Join(dir, "nodir", "x.db"),
		filepath.Join(dir, "nodir", "x.db"),
		"sqlite:" + dir,
		"sqlite:",
	} {
		st, err := openStore(context.Background(), spec)
		if err == nil || st != nil {
			t.Errorf("openStore(%q) = %#v, %v; want a nil store and an error", spec, st, err)
		}
	}
	if _, err := openStore(context.Background(), "sqlite:"+dir); err == nil || !strings.Contains(err.Error(), "is a directory, not a database file") {
		t.Errorf("openStore(a directory) = %v, want it said to be a directory", err)
	}
}

// TestProofsBadDatabase runs loadgen proofs on databases that cannot be
// opened: exit 1 and one error line, no panic.
func TestProofsBadDatabase(t *testing.T) {
	if os.Getenv("LOADGEN_TEST_MAIN") == "1" {
		os.Args = append([]string{"loadgen"}, strings.Fields(os.Getenv("LOADGEN_TEST_ARGS"))...)
		main()
		return
	}
	dir := t.TempDir()
	for _, db := range []string{"sqlite:" + filepath.Join(dir, "nodir", "x.db"), "sqlite:" + dir} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestProofsBadDatabase$", "-test.count=1")
		cmd.Env = append(os.Environ(), "LOADGEN_TEST_MAIN=1", "LOADGEN_TEST_ARGS=proofs -n 10 -db "+db)
		out, err := cmd.CombinedOutput()
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			t.Errorf("loadgen proofs -db %s: %v, want exit 1\n%s", db, err, out)
		}
		if s := string(out); !strings.HasPrefix(s, "loadgen: ") || strings.Contains(s, "panic") {
			t.Errorf("loadgen proofs -db %s printed %q, want one error line", db, s)
		}
	}
}
