package evidence

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/verify"
)

var testNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func writeFile(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func names(dir string, in []verify.Input) string {
	var out []string
	for _, i := range in {
		out = append(out, strings.TrimPrefix(i.Name, filepath.ToSlash(dir)+"/"))
	}
	return strings.Join(out, " ")
}

func TestReadAttestations(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.intoto.jsonl", "b.link", "c.dsse.json", "sub/d.jsonl", "sbom.cdx.json", "notes.txt", "e.sigstore.json", "a.receipts.jsonl"} {
		writeFile(t, filepath.Join(dir, f), []byte("x"))
	}
	if err := os.Symlink(filepath.Join(dir, "sub"), filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	in, err := ReadAttestations(context.Background(), []string{dir, filepath.Join(dir, "notes.txt")})
	if err != nil {
		t.Fatal(err)
	}
	want := "a.intoto.jsonl b.link c.dsse.json e.sigstore.json sub/d.jsonl notes.txt"
	if got := names(dir, in); got != want {
		t.Errorf("ReadAttestations() = %s, want %s", got, want)
	}
	for _, i := range in {
		if got := docText(i); got != "x" {
			t.Errorf("ReadAttestations() read %q from %s, want x", got, i.Name)
		}
	}
	if _, err := ReadAttestations(context.Background(), []string{filepath.Join(dir, "missing")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadAttestations(missing) = %v, want ErrNotExist", err)
	}
}

// TestReadReceipts: the receipts beside a file (NAME.receipts.jsonl for
// NAME.intoto.jsonl and NAME.jsonl, else FILE.receipts.jsonl; for NAME.jsonl
// NAME.jsonl.receipts.jsonl too, as older consign named them, when
// NAME.receipts.jsonl is not there), every *.receipts.jsonl in a directory,
// and nothing for a file without receipts.
func TestReadReceipts(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "one", "build.intoto.jsonl"), []byte("att"))
	writeFile(t, filepath.Join(dir, "one", "build.receipts.jsonl"), []byte("r1"))
	writeFile(t, filepath.Join(dir, "two", "x.jsonl"), []byte("att"))
	writeFile(t, filepath.Join(dir, "two", "x.jsonl.receipts.jsonl"), []byte("r2"))
	writeFile(t, filepath.Join(dir, "three", "y.jsonl"), []byte("att"))
	writeFile(t, filepath.Join(dir, "three", "y.receipts.jsonl"), []byte("r2b"))
	writeFile(t, filepath.Join(dir, "three", "y.jsonl.receipts.jsonl"), []byte("stale"))
	writeFile(t, filepath.Join(dir, "dir", "a.intoto.jsonl"), []byte("att"))
	writeFile(t, filepath.Join(dir, "dir", "a.receipts.jsonl"), []byte("r3"))
	writeFile(t, filepath.Join(dir, "dir", "sub", "b.receipts.jsonl"), []byte("r4"))
	writeFile(t, filepath.Join(dir, "none.intoto.jsonl"), []byte("att"))
	in, err := ReadReceipts(context.Background(), []string{
		filepath.Join(dir, "one", "build.intoto.jsonl"), filepath.Join(dir, "two", "x.jsonl"),
		filepath.Join(dir, "three", "y.jsonl"), filepath.Join(dir, "dir"), filepath.Join(dir, "none.intoto.jsonl"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "one/build.receipts.jsonl two/x.jsonl.receipts.jsonl three/y.receipts.jsonl dir/a.receipts.jsonl dir/sub/b.receipts.jsonl"
	if got := names(dir, in); got != want {
		t.Errorf("ReadReceipts() = %s, want %s", got, want)
	}
	var data []string
	for _, i := range in {
		data = append(data, docText(i))
	}
	if got := strings.Join(data, " "); got != "r1 r2 r2b r3 r4" {
		t.Errorf("ReadReceipts() data = %s, want r1 r2 r2b r3 r4", got)
	}
	if _, err := ReadReceipts(context.Background(), []string{filepath.Join(dir, "missing")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadReceipts(missing) = %v, want ErrNotExist", err)
	}
}

func TestFileState(t *testing.T) {
	fs := &FileState{Path: filepath.Join(t.TempDir(), "state.json")}
	if _, ok, err := fs.Load("p"); ok || err != nil {
		t.Fatalf("Load() on no file = %v, %v", ok, err)
	}
	if err := fs.Save("p", verify.State{Version: 3, VerifiedAt: testNow}); err != nil {
		t.Fatal(err)
	}
	if st, ok, err := fs.Load("p"); !ok || err != nil || st.Version != 3 || !st.VerifiedAt.Equal(testNow) {
		t.Errorf("Load() = %+v, %v, %v", st, ok, err)
	}
	writeFile(t, fs.Path, []byte("not json"))
	if _, _, err := fs.Load("p"); err == nil {
		t.Errorf("Load() of a corrupt state = nil error")
	}
}

// docText is the documents of an input, one per line.
func docText(in verify.Input) string {
	var lines []string
	for _, d := range in.Docs {
		lines = append(lines, string(d.Data))
	}
	return strings.Join(lines, "\n")
}
