// Package golden compares test output with golden files, and rewrites them
// when the tests run with -update. It owns the one -update flag every golden
// test uses, so 'go test ./internal/sbomgen/... -update' works the same way in
// every package (a package that does not import golden rejects the flag, so
// scope the pattern to the packages that do).
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files with the actual output")

// dir is the test's package directory, where 'go test' starts the test
// binary: golden files are found there even after a test's t.Chdir.
var dir, _ = os.Getwd()

// Updating reports whether the tests run with -update.
func Updating() bool { return *update }

// Path is the golden file of t's test: testdata/<TestName>/<name>.golden
// in the package's directory (subtests nest as directories).
func Path(t testing.TB, name string) string {
	return filepath.Join(dir, "testdata", filepath.FromSlash(t.Name()), name+".golden")
}

// Check compares got with the golden file Path(t, name). With -update it
// writes got there instead (and fails nothing); without, a missing file or
// a difference fails the test with a diff.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	p := Path(t, name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("reading golden file (run the test with -update to write it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (-want +got):\n%s", p, cmp.Diff(string(want), string(got)))
	}
}
