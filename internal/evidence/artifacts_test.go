package evidence

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/tlog"
)

func TestArtifacts(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.tar")
	writeFile(t, file, []byte("the app"))
	sum, _, err := digest.Reader(strings.NewReader("the app"), digest.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	hex := sum[digest.SHA256]
	got, err := Artifacts([]string{file, "sha256:" + hex, "app=sha256:" + hex})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{filepath.ToSlash(file), "sha256:" + hex, "app"}
	if len(got) != len(want) {
		t.Fatalf("Artifacts() = %v, want %d artifacts", got, len(want))
	}
	for i, a := range got {
		if a.Name != want[i] || !digest.Matches(a.Digest, sum) {
			t.Errorf("Artifacts()[%d] = %s %v, want %s %v", i, a.Name, a.Digest, want[i], sum)
		}
	}
	if _, err := Artifacts([]string{filepath.Join(dir, "missing")}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Artifacts(missing file) = %v, want ErrNotExist", err)
	}
	if _, err := Artifacts([]string{"app=sha256:abc"}); !errors.Is(err, digest.ErrInvalid) {
		t.Errorf("Artifacts(short digest) = %v, want digest.ErrInvalid", err)
	}
}

func TestLinks(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "build.1234abcd.link"), []byte("link"))
	links, err := Links(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(links, "build.1234abcd.link"); err != nil || string(b) != "link" {
		t.Errorf("Links() reads %q, %v", b, err)
	}
	if _, err := Links(filepath.Join(dir, "build.1234abcd.link")); !errors.Is(err, ErrNotDir) {
		t.Errorf("Links(file) = %v, want ErrNotDir", err)
	}
	if _, err := Links(filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Links(missing) = %v, want ErrNotExist", err)
	}
}

// TestReceiptsNeverSkipped: attestations without receipts give an empty
// set; a receipt file that does not verify is an error naming it, never
// skipped. (Receipts that verify are covered end to end by the demo script.)
func TestReceiptsNeverSkipped(t *testing.T) {
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	key := tlog.NewKeyVerifier(pub)
	dir := t.TempDir()
	att := filepath.Join(dir, "build.intoto.jsonl")
	writeFile(t, att, []byte("{}\n"))
	set, n, err := Receipts(context.Background(), key, []string{att})
	if err != nil || set == nil || n != 0 {
		t.Fatalf("Receipts(no receipt files) = %v, %d, %v; want an empty set", set, n, err)
	}
	writeFile(t, filepath.Join(dir, "build.receipts.jsonl"), []byte(`{"not":"a receipt"}`+"\n"))
	_, _, err = Receipts(context.Background(), key, []string{att})
	var re *ReceiptError
	if !errors.As(err, &re) || re.File != filepath.ToSlash(filepath.Join(dir, "build.receipts.jsonl")) {
		t.Fatalf("Receipts(bad receipt) = %v, want a ReceiptError naming the file", err)
	}
	if !strings.HasPrefix(err.Error(), "receipts in ") {
		t.Errorf("error = %q", err)
	}
	if err := os.Remove(att); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Receipts(context.Background(), key, []string{att}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Receipts(missing attestations) = %v, want ErrNotExist", err)
	}
}
