package digest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// fileOutcome is what File, or Files for one path, returned.
type fileOutcome struct {
	digest, err string
	notRegular  bool
}

func outcomeOf(s Set, err error) fileOutcome {
	if err != nil {
		return fileOutcome{err: err.Error(), notRegular: errors.Is(err, ErrNotRegular)}
	}
	return fileOutcome{digest: s.String()}
}

// filesFixture makes, in a new directory, files of the sizes where the
// ring's path changes and every kind of path File refuses or follows, and
// returns their paths (relative to the working directory and absolute
// both) with a few more: device, procfs, a NUL, a file named twice.
func filesFixture(t *testing.T) []string {
	t.Helper()
	dir := t.TempDir()
	var names []string
	for i, size := range []int{0, 1, 100, ringReadMax - 1, ringReadMax, ringReadMax + 1, bufSize, bufSize + 1, 3 * bufSize} {
		name := fmt.Sprintf("size%02d", i)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.Repeat("x", size)), 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	for i := range 300 { // batches on every worker, and a ring buffer overflowed
		name := fmt.Sprintf("many/f%03d", i)
		fixture{files: map[string]string{name: strings.Repeat(name, i*40)}}.build(t, dir)
		names = append(names, name)
	}
	fixture{files: map[string]string{"locked": "l"}, links: map[string]string{"link": "size02", "dirlink": "many", "dangling": "gone"}, dirs: []string{"dir"}}.build(t, dir)
	if err := os.Chmod(filepath.Join(dir, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Skipf("unix socket: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	names = append(names, "locked", "link", "dirlink", "dangling", "dir", "sock", "gone", "size02")
	t.Chdir(dir)
	paths := append([]string{}, names...)
	for _, n := range names {
		paths = append(paths, filepath.Join(dir, n))
	}
	return append(paths, "/dev/null", "/proc/self/status", "/proc/self/mem", "size01\x00x", "", "many/../size03")
}

// checkFiles checks that Files gives for every path what File gives.
func checkFiles(t *testing.T, label string, paths []string) {
	t.Helper()
	sets, errs := Files(paths, SHA256)
	if len(sets) != len(paths) || len(errs) != len(paths) {
		t.Fatalf("%s: Files returned %d sets and %d errors for %d paths", label, len(sets), len(errs), len(paths))
	}
	for i, p := range paths {
		got, want := outcomeOf(sets[i], errs[i]), outcomeOf(File(p, SHA256))
		if strings.HasPrefix(p, "/proc/self/status") && got.err == "" && want.err == "" {
			continue // the process's state changes between two reads
		}
		if got != want {
			t.Errorf("%s: Files %q = %+v, File gives %+v", label, p, got, want)
		}
	}
}

// withFilesRing runs f with the rings of Files' workers made by setup, and
// reports whether setup was called.
func withFilesRing(t *testing.T, setup func(uint32) (*ring, error), f func()) bool {
	t.Helper()
	var called atomic.Bool // Files' workers set their rings up at once
	testOnlyFilesRing = func(n uint32) (*ring, error) {
		called.Store(true)
		return setup(n)
	}
	defer func() { testOnlyFilesRing = nil }()
	f()
	return called.Load()
}

// TestFilesAsFile: Files gives every path what File gives it, through the
// ring (files of every size, links followed, a directory, a socket, a
// device, a missing or unreadable file, procfs files whose size says 0,
// /proc/self/mem whose read fails, a path holding a NUL), and where the
// ring cannot be set up (ENOSYS; EPERM from a seccomp profile).
func TestFilesAsFile(t *testing.T) {
	needRing(t)
	paths := filesFixture(t)
	if !withFilesRing(t, newRing, func() { checkFiles(t, "ring", paths) }) {
		t.Error("Files did not set a ring up")
	}
	for _, errno := range []syscall.Errno{syscall.ENOSYS, syscall.EPERM} {
		withFilesRing(t, func(uint32) (*ring, error) { return nil, errno }, func() { checkFiles(t, errno.Error(), paths) })
	}
	// No paths; an unknown algorithm, for each path.
	if sets, errs := Files(nil); len(sets) != 0 || len(errs) != 0 {
		t.Errorf("Files(nil) = %v, %v", sets, errs)
	}
	_, errs := Files([]string{"size00", "gone"}, "md5")
	for i, err := range errs {
		if !errors.Is(err, ErrUnsupportedAlgorithm) {
			t.Errorf("Files(md5)[%d] = %v, want ErrUnsupportedAlgorithm", i, err)
		}
	}
}

// TestFilesPipeWriterDoneEarly: as TestFilePipeWriterDoneEarly, for a
// named pipe in a batch of the ring, which reads it from the descriptor
// its open looked at.
func TestFilesPipeWriterDoneEarly(t *testing.T) {
	needRing(t)
	dir := t.TempDir()
	regular := filepath.Join(dir, "regular")
	if err := os.WriteFile(regular, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	ok := withFilesRing(t, newRing, func() {
		checkPipeWriterDoneEarly(t, func(pipe string) (Set, error) {
			sets, errs := Files([]string{regular, pipe, regular})
			for i, err := range errs {
				if err != nil {
					return nil, fmt.Errorf("Files[%d]: %w", i, err)
				}
			}
			return sets[1], nil
		})
	})
	if !ok {
		t.Error("Files did not set a ring up")
	}
}

// TestFilesOutOfFiles: where a batch's opens run out of descriptors
// (EMFILE), Files still gives every file File's digest, and the
// descriptors the batch opened are closed.
func TestFilesOutOfFiles(t *testing.T) {
	needRing(t)
	paths := filesFixture(t)[:300]
	withFreeFiles(t, 256, 30, func() {
		if !withFilesRing(t, newRing, func() { checkFiles(t, "out of files", paths) }) {
			t.Error("Files did not set a ring up")
		}
		wantFree(t, ".", 25)
	})
}

// TestFilesRingFails: when io_uring_enter fails (a ring whose descriptor
// is not one), the files are hashed by File all the same.
func TestFilesRingFails(t *testing.T) {
	needRing(t)
	paths := filesFixture(t)
	if !withFilesRing(t, badRing, func() { checkFiles(t, "ring fails", paths) }) {
		t.Error("Files did not set a ring up")
	}
}
