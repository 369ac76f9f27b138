package sbomgen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/anchore/syft/syft/source"
)

// TestTargetSwappedForPipe: a file target swapped for a named pipe once
// Generate has checked it, before anything scans it, is scanned as the
// file that was checked: no open or read waits on the pipe (one used to
// hang syft, or the archive's digest), the subject is the checked file's
// digest, and the SBOM names the target as it was given.
func TestTargetSwappedForPipe(t *testing.T) {
	dir := t.TempDir()
	pkg := "requests==2.31.0\n"
	files := map[string][]byte{
		"requirements.txt": []byte(pkg),
		"app.tar.gz":       gzipBytes(t, tarBytes(t, map[string]string{"app/requirements.txt": pkg})),
	}
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			target := filepath.Join(dir, name)
			must(t, os.WriteFile(target, body, 0o644))
			fifo := filepath.Join(dir, name+".fifo")
			must(t, mkfifo(fifo))
			testOnlyResolved = func(path string) {
				if path != target {
					t.Errorf("resolved %q, want %q", path, target)
				}
				must(t, os.Rename(fifo, target))
			}
			defer func() { testOnlyResolved = nil }()
			done := make(chan struct{})
			var (
				res *Result
				err error
			)
			go func() {
				defer close(done)
				res, err = Generate(context.Background(), Config{Target: target, Subjects: true, NoGoModCache: true})
			}()
			select {
			case <-done:
			case <-time.After(time.Minute): // a guard, far beyond any scan of these: it measures nothing
				t.Fatalf("Generate(%q) still waits on the pipe that replaced the target", target)
			}
			if err != nil {
				t.Fatalf("Generate(%q) = %v", target, err)
			}
			if fi, err := os.Lstat(target); err != nil || fi.Mode().Type() != os.ModeNamedPipe {
				t.Fatalf("the target was not swapped for a pipe: %v, %v", fi, err)
			}
			sum := sha256.Sum256(body)
			if len(res.Subjects) != 1 || res.Subjects[0].Name != filepath.ToSlash(target) || res.Subjects[0].Digest["sha256"] != hex.EncodeToString(sum[:]) {
				t.Errorf("subjects %+v, want %s with the checked file's sha256 %x", res.Subjects, target, sum)
			}
			m, ok := res.s.Source.Metadata.(source.FileMetadata)
			if !ok || m.Path != filepath.ToSlash(target) {
				t.Errorf("the SBOM's source %+v, want the file %s as given", res.s.Source.Metadata, target)
			}
			if res.s.Source.Name != name {
				t.Errorf("the SBOM's source name %q, want %q", res.s.Source.Name, name)
			}
			if n := res.s.Artifacts.Packages.PackageCount(); n != 1 {
				t.Errorf("%d packages found, want requests", n)
			}
		})
	}
}

// TestPinCopyCancelled: a target that has to be copied for the scan (no
// link across file systems) is not copied on once the context has ended
// (a Ctrl-C): Generate fails with the context's error before anything
// scans, and leaves nothing in the temporary directory. The copy used to
// run to the end of the file, however large (33 s for 6 GB to a tmpfs,
// after the Ctrl-C). A target copied to the end is scanned as itself.
func TestPinCopyCancelled(t *testing.T) {
	testOnlyNoLink = true
	defer func() { testOnlyNoLink = false }()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()

	big := filepath.Join(dir, "big.bin")
	f, err := os.Create(big)
	must(t, err)
	must(t, f.Truncate(4*pinChunk+1))
	must(t, f.Close())
	scanned := false
	testOnlyResolved = func(string) { scanned = true }
	defer func() { testOnlyResolved = nil }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, Config{Target: big, NoGoModCache: true}); !errors.Is(err, context.Canceled) {
		t.Errorf("Generate(cancelled, a target to copy) = %v, want %v", err, context.Canceled)
	}
	if scanned {
		t.Error("the target was copied on and scanned after the context ended")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}

	small := filepath.Join(dir, "requirements.txt")
	must(t, os.WriteFile(small, []byte("requests==2.31.0\n"), 0o644))
	res, err := Generate(context.Background(), Config{Target: small, NoGoModCache: true})
	if err != nil {
		t.Fatalf("Generate(%q, copied) = %v", small, err)
	}
	if n := res.s.Artifacts.Packages.PackageCount(); n != 1 {
		t.Errorf("%d packages found in the copy, want requests", n)
	}
	if m, ok := res.s.Source.Metadata.(source.FileMetadata); !ok || m.Path != filepath.ToSlash(small) {
		t.Errorf("the SBOM's source %+v, want the file %s as given", res.s.Source.Metadata, small)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}
}
