//go:build unix

package evidence

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/consign-dev/consign/internal/digest"
)

// TestReadNonRegular: a named pipe met among attestations or receipts is
// refused, naming it, never opened (nobody writes to it: an open would
// block the test), and so is a device reached through a link there; an
// artifact that is a device is refused, unread.
func TestReadNonRegular(t *testing.T) {
	t.Parallel()
	mkfifo := func(p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Skipf("mkfifo: %v", err)
		}
	}
	base := t.TempDir()
	attDir := filepath.Join(base, "att")
	mkfifo(filepath.Join(attDir, "a.intoto.jsonl"))
	recDir := filepath.Join(base, "rec")
	writeFile(t, filepath.Join(recDir, "b.intoto.jsonl"), []byte("att"))
	if err := os.Symlink("/dev/zero", filepath.Join(recDir, "b.receipts.jsonl")); err != nil {
		t.Fatal(err)
	}
	beside := filepath.Join(base, "beside")
	writeFile(t, filepath.Join(beside, "c.intoto.jsonl"), []byte("att"))
	mkfifo(filepath.Join(beside, "c.receipts.jsonl"))

	check := func(what string, err error, path string, typ fs.FileMode) {
		t.Helper()
		var nr *digest.NotRegularError
		if !errors.As(err, &nr) || !errors.Is(err, digest.ErrNotRegular) {
			t.Errorf("%s = %v, want a *digest.NotRegularError", what, err)
			return
		}
		if nr.Path != path || nr.Type != typ {
			t.Errorf("%s error = %+v, want path %s and type %v", what, nr, path, typ)
		}
	}
	_, err := ReadAttestations(context.Background(), []string{attDir})
	check("ReadAttestations(dir with a pipe)", err, filepath.Join(attDir, "a.intoto.jsonl"), fs.ModeNamedPipe)
	_, err = ReadReceipts(context.Background(), []string{recDir})
	check("ReadReceipts(dir with a link to /dev/zero)", err, filepath.Join(recDir, "b.receipts.jsonl"), fs.ModeDevice|fs.ModeCharDevice)
	_, err = ReadReceipts(context.Background(), []string{filepath.Join(beside, "c.intoto.jsonl")})
	check("ReadReceipts(file with a pipe beside)", err, filepath.Join(beside, "c.receipts.jsonl"), fs.ModeNamedPipe)
	_, err = Artifacts([]string{"/dev/zero"})
	check("Artifacts(/dev/zero)", err, "/dev/zero", fs.ModeDevice|fs.ModeCharDevice)
}

// TestReadFoundSwappedForPipe: a file walk listed as a regular attestation
// or receipts file, or a receipts file found beside a named one, that is a
// named pipe by the time it is read (swapped in since) is refused, not
// opened to wait for a writer that never comes.
func TestReadFoundSwappedForPipe(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "a.receipts.jsonl")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	docs, err := readDocuments(context.Background(), p, true, nil)
	var nr *digest.NotRegularError
	if !errors.As(err, &nr) || nr.Path != p || nr.Type != fs.ModeNamedPipe {
		t.Errorf("readDocuments(a named pipe found) = %v, %v; want a *digest.NotRegularError for it", docs, err)
	}
}
