package evidence

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestArtifactsManyOrderAndFirstError hashes many files on every core (run
// it with -race): the artifacts come back in argument order with their own
// digests, and of several bad arguments the error names the first, on
// every run, whichever worker reaches a bad one first.
func TestArtifactsManyOrderAndFirstError(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	dir := t.TempDir()
	const n = 600
	args := make([]string, n)
	for i := range args {
		args[i] = filepath.Join(dir, fmt.Sprintf("f%03d", i))
		writeFile(t, args[i], []byte(fmt.Sprint(i)))
	}
	got, err := Artifacts(args)
	if err != nil || len(got) != n {
		t.Fatalf("Artifacts(%d files) = %d artifacts, %v", n, len(got), err)
	}
	for i, a := range got {
		sum := sha256.Sum256([]byte(fmt.Sprint(i)))
		if a.Name != filepath.ToSlash(args[i]) || a.Digest["sha256"] != hex.EncodeToString(sum[:]) {
			t.Fatalf("artifact %d = %s %v, want %s", i, a.Name, a.Digest, args[i])
		}
	}
	bad := append([]string(nil), args...)
	bad[n-1] = "x=sha256:abc"                  // malformed digest, last
	bad[417] = filepath.Join(dir, "missing")   // missing file
	bad[211] = filepath.Join(dir, "missing-2") // the first bad argument
	for range 20 {
		_, err := Artifacts(bad)
		if err == nil || !strings.Contains(err.Error(), "missing-2") {
			t.Fatalf("Artifacts() = %v, want the error of argument 211", err)
		}
	}
}
