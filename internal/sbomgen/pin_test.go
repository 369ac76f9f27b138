package sbomgen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/anchore/syft/syft/source"

	"github.com/consign-dev/consign/internal/sbomspec"
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
				res, err = Generate(context.Background(), sbomspec.Config{Target: target, Subjects: true, NoGoModCache: true})
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
// scans, and leaves nothing beside the target or in the temporary
// directory. The copy used to
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
	if _, err := Generate(ctx, sbomspec.Config{Target: big, NoGoModCache: true}); !errors.Is(err, context.Canceled) {
		t.Errorf("Generate(cancelled, a target to copy) = %v, want %v", err, context.Canceled)
	}
	if scanned {
		t.Error("the target was copied on and scanned after the context ended")
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("left in the temporary directory: %v", left)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("left beside the target: %v", left)
	}

	small := filepath.Join(dir, "requirements.txt")
	must(t, os.WriteFile(small, []byte("requests==2.31.0\n"), 0o644))
	res, err := Generate(context.Background(), sbomspec.Config{Target: small, NoGoModCache: true})
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
	if left, _ := os.ReadDir(dir); len(left) != 2 {
		t.Errorf("left beside the target: %v", left)
	}
}

// TestPinDir: a file target is pinned in a private directory (0700) made
// beside it, by a hard link (no copy: a copy into a tmpfs TMPDIR cost the
// target's size in memory), and the directory is gone once the scan ends,
// or is cancelled. Where the target's directory is not private (others may
// write in it and it is not sticky: they could rename consign's directory
// and put another file in its place) the pin goes into TMPDIR, as it
// always did; where neither will do, the error wraps ErrWorkDir and names
// both.
func TestPinDir(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux links an open file and pins it beside the target")
	}
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	target := filepath.Join(dir, "requirements.txt")
	must(t, os.WriteFile(target, []byte("requests==2.31.0\n"), 0o644))
	link := filepath.Join(t.TempDir(), "requirements.txt") // a symbolic link, in another directory
	must(t, os.Symlink(target, link))

	// pinnedIn is the one directory in "in" (the pin's), and the pinned
	// file in it, while the scan runs.
	pinnedIn := func(t *testing.T, in string) (os.FileInfo, os.FileInfo) {
		t.Helper()
		ents, err := os.ReadDir(in)
		must(t, err)
		var dirs []string
		for _, e := range ents {
			if e.IsDir() {
				dirs = append(dirs, e.Name())
			}
		}
		if len(dirs) != 1 {
			t.Fatalf("directories in %s during the scan: %v, want the pin's", in, dirs)
		}
		di, err := os.Lstat(filepath.Join(in, dirs[0]))
		must(t, err)
		files, err := os.ReadDir(filepath.Join(in, dirs[0]))
		must(t, err)
		if len(files) != 1 {
			t.Fatalf("in the pin's directory: %v, want the target", files)
		}
		fi, err := files[0].Info()
		must(t, err)
		return di, fi
	}
	orig, err := os.Stat(target)
	must(t, err)
	for name, given := range map[string]string{"file": target, "symlink": link} {
		t.Run(name, func(t *testing.T) {
			var di, fi os.FileInfo
			testOnlyResolved = func(string) { di, fi = pinnedIn(t, dir) }
			defer func() { testOnlyResolved = nil }()
			res, err := Generate(context.Background(), sbomspec.Config{Target: given, NoGoModCache: true})
			if err != nil {
				t.Fatalf("Generate(%q) = %v", given, err)
			}
			if n := res.s.Artifacts.Packages.PackageCount(); n != 1 {
				t.Errorf("%d packages found, want requests", n)
			}
			if !strings.HasPrefix(di.Name(), ".consign-sbom-") || di.Mode().Perm() != 0o700 {
				t.Errorf("the pin's directory %s has mode %v, want .consign-sbom-* with 0700", di.Name(), di.Mode())
			}
			if !os.SameFile(fi, orig) {
				t.Errorf("the pinned file is not a hard link to the target: %v", fi)
			}
			if left, _ := os.ReadDir(dir); len(left) != 1 {
				t.Errorf("left beside the target: %v", left)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("left in TMPDIR: %v", left)
			}
		})
	}

	t.Run("cancelled", func(t *testing.T) {
		var pinned bool
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		testOnlyResolved = func(string) { pinnedIn(t, dir); pinned = true; cancel() }
		defer func() { testOnlyResolved = nil }()
		if _, err := Generate(ctx, sbomspec.Config{Target: target, NoGoModCache: true}); !errors.Is(err, context.Canceled) {
			t.Errorf("Generate(cancelled once pinned) = %v, want %v", err, context.Canceled)
		}
		if !pinned {
			t.Fatal("the target was never pinned")
		}
		if left, _ := os.ReadDir(dir); len(left) != 1 {
			t.Errorf("left beside the target after a cancel: %v", left)
		}
	})

	// A directory others may write in: the pin goes to TMPDIR.
	shared := t.TempDir()
	must(t, os.Chmod(shared, 0o777))
	other := filepath.Join(shared, "requirements.txt")
	must(t, os.WriteFile(other, []byte("requests==2.31.0\n"), 0o644))
	t.Run("shared", func(t *testing.T) {
		var di os.FileInfo
		testOnlyResolved = func(string) { di, _ = pinnedIn(t, tmp) }
		defer func() { testOnlyResolved = nil }()
		if _, err := Generate(context.Background(), sbomspec.Config{Target: other, NoGoModCache: true}); err != nil {
			t.Fatalf("Generate(%q) = %v", other, err)
		}
		if !strings.HasPrefix(di.Name(), "consign-sbom-target-") || di.Mode().Perm() != 0o700 {
			t.Errorf("the pin's directory %s in TMPDIR has mode %v, want consign-sbom-target-* with 0700", di.Name(), di.Mode())
		}
		if left, _ := os.ReadDir(shared); len(left) != 1 {
			t.Errorf("left beside the target: %v", left)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("left in TMPDIR: %v", left)
		}
	})
	// The same, sticky (as /tmp is): others cannot rename the pin's
	// directory, and it is made beside the target.
	t.Run("sticky", func(t *testing.T) {
		must(t, os.Chmod(shared, 0o777|os.ModeSticky))
		defer os.Chmod(shared, 0o777)
		testOnlyResolved = func(string) { pinnedIn(t, shared) }
		defer func() { testOnlyResolved = nil }()
		if _, err := Generate(context.Background(), sbomspec.Config{Target: other, NoGoModCache: true}); err != nil {
			t.Fatalf("Generate(%q) = %v", other, err)
		}
	})

	t.Run("nowhere", func(t *testing.T) {
		t.Setenv("TMPDIR", filepath.Join(tmp, "missing"))
		testOnlyResolved = func(string) { t.Error("scanned with nowhere to pin the target") }
		defer func() { testOnlyResolved = nil }()
		_, err := Generate(context.Background(), sbomspec.Config{Target: other, NoGoModCache: true})
		if !errors.Is(err, ErrWorkDir) {
			t.Fatalf("Generate(%q, no TMPDIR, a shared directory) = %v, want %v", other, err, ErrWorkDir)
		}
		for _, want := range []string{shared, filepath.Join(tmp, "missing")} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
		}
		if left, _ := os.ReadDir(shared); len(left) != 1 {
			t.Errorf("left beside the target: %v", left)
		}
	})
}

// TestPinDirAncestors: the target's own directory is private, but one
// above it is not (others may write in it, not sticky; or another user
// owns it): that user can rename the target's directory and put one of
// their own in its place, the pin's directory (found by watching for it)
// inside, and so swap the file the scan reads by name. The pin goes to
// TMPDIR. Only the target's directory was looked at.
func TestPinDirAncestors(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("only Linux pins a target beside it")
	}
	root := t.TempDir()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	type ancestor struct {
		mode os.FileMode
		uid  int // -1: this user
	}
	cases := map[string]ancestor{
		"writable by others": {0o777, -1},
		"writable by group":  {0o775, -1},
		"another user's":     {0o755, 65534},
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			if a.uid >= 0 && os.Geteuid() != 0 {
				t.Skip("only root can give a directory to another user")
			}
			up, err := os.MkdirTemp(root, "up-")
			must(t, err)
			must(t, os.Chmod(up, a.mode))
			if a.uid >= 0 {
				must(t, os.Chown(up, a.uid, -1))
			}
			mine := filepath.Join(up, "mine")
			must(t, os.Mkdir(mine, 0o755))
			target := filepath.Join(mine, "requirements.txt")
			must(t, os.WriteFile(target, []byte("requests==2.31.0\n"), 0o644))
			var beside, inTmp []os.DirEntry
			testOnlyResolved = func(string) {
				beside, _ = os.ReadDir(mine)
				inTmp, _ = os.ReadDir(tmp)
			}
			defer func() { testOnlyResolved = nil }()
			// Through a relative name too: the directories above the
			// working directory count as well.
			for _, given := range []string{target, "requirements.txt"} {
				if given == "requirements.txt" {
					t.Chdir(mine)
				}
				if _, err := Generate(context.Background(), sbomspec.Config{Target: given, NoGoModCache: true}); err != nil {
					t.Fatalf("Generate(%q) = %v", given, err)
				}
				if len(beside) != 1 || len(inTmp) != 1 || !strings.HasPrefix(inTmp[0].Name(), "consign-sbom-target-") {
					t.Errorf("Generate(%q) pinned the target beside it (%v), want in TMPDIR (%v)", given, beside, inTmp)
				}
			}
		})
	}
	// Every directory up to the root private: beside the target, as before.
	t.Run("private", func(t *testing.T) {
		mine := filepath.Join(root, "mine")
		must(t, os.Mkdir(mine, 0o755))
		target := filepath.Join(mine, "requirements.txt")
		must(t, os.WriteFile(target, []byte("requests==2.31.0\n"), 0o644))
		var beside []os.DirEntry
		testOnlyResolved = func(string) { beside, _ = os.ReadDir(mine) }
		defer func() { testOnlyResolved = nil }()
		if _, err := Generate(context.Background(), sbomspec.Config{Target: target, NoGoModCache: true}); err != nil {
			t.Fatalf("Generate(%q) = %v", target, err)
		}
		if len(beside) != 2 {
			t.Errorf("beside the target during the scan: %v, want the pin's directory too", beside)
		}
	})
}
