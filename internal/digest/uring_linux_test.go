package digest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// plainOpener is the Linux opener whose files are hashed with hashAt alone,
// as when io_uring is unavailable.
var plainOpener dirOpener = openPlainDir

// needRing skips the test where io_uring cannot be set up (a container's
// seccomp profile, io_uring_disabled): the plain path is then the only one.
func needRing(t *testing.T) {
	t.Helper()
	r, err := newRing(ringEntries)
	if err != nil {
		t.Skipf("io_uring unavailable: %v", err)
	}
	r.close()
}

// outcome is what hashFiles reported for one file.
type outcome struct {
	Name, Digest, Err string
	Type              fs.FileMode // of a *NotRegularError
}

// hashDir hashes names in dir with hashFiles, through the ring unless
// plain is set (or setup is given, to make setting the ring up fail), and
// returns each file's outcome: every one, as each never stops the batch.
func hashDir(t *testing.T, dir string, names []string, plain bool, setup func(uint32) (*ring, error)) ([]outcome, *worker) {
	t.Helper()
	od, w, files := openTestDir(t, dir, names, plain, setup)
	defer od.close()
	var out []outcome
	err := od.hashFiles(context.Background(), w, files, func(it fileItem, err error) bool {
		o := outcome{Name: it.name}
		var nr *NotRegularError
		switch {
		case errors.As(err, &nr):
			o.Err, o.Type = err.Error(), nr.Type
		case err != nil:
			o.Err = err.Error()
		default:
			o.Digest = hex.EncodeToString(w.hs[0].Sum(nil))
		}
		out = append(out, o)
		return true
	})
	if err != nil {
		t.Fatalf("hashFiles: %v", err)
	}
	return out, w
}

// openTestDir opens dir for hashFiles, through the ring unless plain is
// set, with a worker whose ring is made by setup (nil: newRing), and
// returns the fileItems of names in it.
func openTestDir(t *testing.T, dir string, names []string, plain bool, setup func(uint32) (*ring, error)) (openDir, *worker, []fileItem) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	od, _, err := openFD(root, ".", "", make([]byte, 8192), plain)
	if err != nil {
		t.Fatal(err)
	}
	w := newWorker([]string{SHA256})
	t.Cleanup(w.free)
	w.ring.setup = setup
	files := make([]fileItem, len(names))
	for i, n := range names {
		files[i] = fileItem{key: n, name: n}
	}
	return od, w, files
}

func digestOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestRingSizes: files read through the ring hash as hashAt hashes them, at
// the sizes where the path changes (empty, the ring's largest read, the
// read buffer) and in batches whose small files overflow the ring's
// buffer, and again with their pages dropped from the cache (reads that
// wait for the disk).
func TestRingSizes(t *testing.T) {
	needRing(t)
	t.Parallel()
	dir := t.TempDir()
	sizes := []int{0, 0, 1, 100, 8191, 8192, ringReadMax - 1, ringReadMax, ringReadMax + 1, bufSize - 1, bufSize, bufSize + 1, 3 * bufSize}
	for range 20 { // 20 × 60 KiB: more than the ring's buffer holds
		sizes = append(sizes, ringReadMax-4096)
	}
	for i := range 100 { // batches of 64 and the rest
		sizes = append(sizes, i*37)
	}
	var names []string
	want := map[string]string{}
	for i, n := range sizes {
		name := fmt.Sprintf("f%03d", i)
		b := bytes.Repeat([]byte{byte(i), byte(n), 'x'}, n/3+1)[:n]
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		want[name] = digestOf(b)
	}
	check := func(label string, got []outcome) {
		t.Helper()
		if len(got) != len(names) {
			t.Fatalf("%s: %d outcomes, want %d", label, len(got), len(names))
		}
		for _, o := range got {
			if o.Err != "" || o.Digest != want[o.Name] {
				t.Errorf("%s: %s (%d bytes) = %q, error %q; want %s", label, o.Name, len(want[o.Name]), o.Digest, o.Err, want[o.Name])
			}
		}
	}
	ring, w := hashDir(t, dir, names, false, nil)
	if w.ring.r == nil {
		t.Fatal("hashFiles did not use the ring")
	}
	check("ring", ring)
	plain, _ := hashDir(t, dir, names, true, nil)
	check("plain", plain)

	for _, name := range names {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil { // dirty pages are not dropped
			t.Fatal(err)
		}
		if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	cold, _ := hashDir(t, dir, names, false, nil)
	check("ring, pages dropped", cold)
}

// TestRingNotRegular: names listed as regular files that are something
// else when opened (a link, a named pipe, a directory, a socket, gone, or
// unreadable) fail through the ring exactly as through hashAt, each error
// naming its file, and the files around them are hashed.
func TestRingNotRegular(t *testing.T) {
	needRing(t)
	t.Parallel()
	dir := t.TempDir()
	fixture{files: map[string]string{"a": "a", "z": "z", "locked": "l"}, links: map[string]string{"link": "a"}, dirs: []string{"dir"}}.build(t, dir)
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Skipf("unix socket: %v", err)
	}
	defer l.Close()
	if err := os.Chmod(filepath.Join(dir, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	names := []string{"a", "link", "pipe", "dir", "sock", "gone", "locked", "z"}
	want := []outcome{
		{Name: "a", Digest: digestOf([]byte("a"))},
		notRegular("link", fs.ModeSymlink),
		notRegular("pipe", fs.ModeNamedPipe),
		notRegular("dir", fs.ModeDir),
		{Name: "sock", Err: "openat sock: no such device or address"},
		{Name: "gone", Err: "openat gone: no such file or directory"},
		{Name: "locked", Err: "openat locked: permission denied"},
		{Name: "z", Digest: digestOf([]byte("z"))},
	}
	if os.Geteuid() == 0 { // root reads it all the same
		want[6] = outcome{Name: "locked", Digest: digestOf([]byte("l"))}
	}
	plain, _ := hashDir(t, dir, names, true, nil)
	ring, w := hashDir(t, dir, names, false, nil)
	if w.ring.r == nil {
		t.Fatal("hashFiles did not use the ring")
	}
	for label, got := range map[string][]outcome{"plain": plain, "ring": ring} {
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s outcomes (-want +got):\n%s", label, diff)
		}
	}
}

func notRegular(name string, typ fs.FileMode) outcome {
	return outcome{Name: name, Err: (&NotRegularError{Path: name, Type: typ}).Error(), Type: typ}
}

// TestRingProc: procfs files say 0 bytes and are not empty, and reading
// /proc/self/mem at offset 0 fails: both come out of the ring as out of
// hashAt, the first read to its end and the second an error naming it.
func TestRingProc(t *testing.T) {
	needRing(t)
	t.Parallel()
	want, err := os.ReadFile("/proc/self/cmdline")
	if err != nil || len(want) == 0 {
		t.Skipf("no /proc/self/cmdline: %v", err)
	}
	for _, plain := range []bool{true, false} {
		got, _ := hashDir(t, "/proc/self", []string{"cmdline", "mem"}, plain, nil)
		wantOut := []outcome{{Name: "cmdline", Digest: digestOf(want)}, {Name: "mem", Err: "read mem: input/output error"}}
		if diff := cmp.Diff(wantOut, got); diff != "" {
			t.Errorf("plain=%v: outcomes (-want +got):\n%s", plain, diff)
		}
	}
}

// TestRingUnavailable: when the ring cannot be set up (ENOSYS, or EPERM
// from a seccomp profile), the worker hashes with hashAt and gets the same
// digests.
func TestRingUnavailable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fixture{files: map[string]string{"a": "a", "b": "", "c": "ccc"}}.build(t, dir)
	for _, errno := range []syscall.Errno{syscall.ENOSYS, syscall.EPERM} {
		got, w := hashDir(t, dir, []string{"a", "b", "c"}, false, func(uint32) (*ring, error) { return nil, errno })
		if w.ring.r != nil || w.ring.buf != nil {
			t.Errorf("%v: the worker kept a ring", errno)
		}
		want := []outcome{{Name: "a", Digest: digestOf([]byte("a"))}, {Name: "b", Digest: digestOf(nil)}, {Name: "c", Digest: digestOf([]byte("ccc"))}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%v: outcomes (-want +got):\n%s", errno, diff)
		}
	}
}

// withFreeFiles runs f with the soft descriptor limit at limit and all but
// free of the descriptors under it in use (duplicates of one open file),
// then closes them and restores the limit. Tests using it must not be
// parallel: every goroutine of the test binary shares the limit.
func withFreeFiles(t *testing.T, limit, free int, f func()) {
	t.Helper()
	var old syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
		t.Fatal(err)
	}
	if old.Max < uint64(limit) {
		t.Skipf("hard descriptor limit %d, under %d", old.Max, limit)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	open := len(ents) - 1 // less the listing's own
	if open+free > limit {
		t.Fatalf("%d descriptors open, %d free wanted under a limit of %d", open, free, limit)
	}
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	var dups []int
	defer func() {
		for _, fd := range dups {
			syscall.Close(fd)
		}
	}()
	for len(dups) < limit-free-open-1 {
		fd, err := syscall.Dup(int(null.Fd()))
		if err != nil {
			t.Fatal(err)
		}
		dups = append(dups, fd)
	}
	lim := old
	lim.Cur = uint64(limit)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old); err != nil {
			t.Error(err)
		}
	}()
	f()
}

// TestRingOutOfFiles: where the batch's opens run out of descriptors
// (EMFILE), the files are still hashed, one open at a time as hashAt opens
// them, and the worker puts its ring away; the descriptors it opened are
// all closed. hashAt used to open again each file the ring could not while
// the batch held the others open, and failed as the ring had.
func TestRingOutOfFiles(t *testing.T) {
	needRing(t)
	dir := t.TempDir()
	var names []string
	want := map[string]string{}
	for i := range 150 {
		name := fmt.Sprintf("f%03d", i)
		b := bytes.Repeat([]byte(name), i)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
		want[name] = digestOf(b)
	}
	withFreeFiles(t, 256, 30, func() {
		made := false
		got, w := hashDir(t, dir, names, false, func(n uint32) (*ring, error) {
			r, err := newRing(n)
			made = err == nil
			return r, err
		})
		if !made {
			t.Fatal("hashFiles did not set the ring up")
		}
		if w.ring.r != nil {
			t.Error("the worker kept its ring after running out of descriptors")
		}
		if len(got) != len(names) {
			t.Fatalf("%d outcomes, want %d", len(got), len(names))
		}
		for _, o := range got {
			if o.Err != "" || o.Digest != want[o.Name] {
				t.Errorf("%s = %q, error %q; want %s", o.Name, o.Digest, o.Err, want[o.Name])
			}
		}
		wantFree(t, dir, 25)
	})
}

// wantFree checks that n descriptors can be opened (of dir), as many as
// were free before the hashing: it closed every one it opened.
func wantFree(t *testing.T, dir string, n int) {
	t.Helper()
	var fds []int
	for range n {
		fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			t.Errorf("open after hashing: %v", err)
			break
		}
		fds = append(fds, fd)
	}
	for _, fd := range fds {
		syscall.Close(fd)
	}
}

// TestRecordFileLimit: under a descriptor limit the batches of every worker
// would exhaust, Record hashes with hashAt, as where io_uring is
// unavailable, and records every file: it used to fail with "too many open
// files" where hashAt alone succeeds (consign run under ulimit -n 64).
func TestRecordFileLimit(t *testing.T) {
	needRing(t)
	dir := t.TempDir()
	files := map[string]string{}
	for d := range 4 {
		for i := range 200 {
			files[fmt.Sprintf("d%d/f%03d", d, i)] = fmt.Sprint(d, i)
		}
	}
	fixture{files: files}.build(t, dir)
	want := Result{Artifacts: map[string]Set{}}
	for name, content := range files {
		want.Artifacts[name] = sum(content)
	}
	withFreeFiles(t, 256, 40, func() {
		got, err := Record(context.Background(), dir, []string{"."}, RecordOptions{Workers: 4})
		if err != nil {
			t.Fatalf("Record under a limit of 256 descriptors, 40 free: %v", err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Errorf("Record (-want +got):\n%s", diff)
		}
	})
}

// badRing sets up a ring whose io_uring_enter fails: its descriptor is
// not one.
func badRing(n uint32) (*ring, error) {
	r, err := newRing(n)
	if err != nil {
		return nil, err
	}
	syscall.Close(r.fd)
	r.fd = -1
	return r, nil
}

// TestRingEnterFails: when io_uring_enter fails (here a ring whose
// descriptor is not one), hashFiles fails with an error naming the batch's
// first file and the system call, and the worker hashes its next batches
// with hashAt.
func TestRingEnterFails(t *testing.T) {
	needRing(t)
	dir := t.TempDir()
	fixture{files: map[string]string{"a": "a", "b": "b", "c": "c"}}.build(t, dir)
	od, w, files := openTestDir(t, dir, []string{"a", "b", "c"}, false, badRing)
	defer od.close()
	err := od.hashFiles(context.Background(), w, files, func(fileItem, error) bool { return true })
	if got, want := fmt.Sprint(err), `hashing "a" and the 2 files after it: io_uring_enter: bad file descriptor`; got != want {
		t.Errorf("hashFiles = %s, want %s", got, want)
	}
	if !errors.Is(err, syscall.EBADF) {
		t.Errorf("hashFiles = %v, not EBADF", err)
	}
	var got []string
	err = od.hashFiles(context.Background(), w, files, func(it fileItem, err error) bool {
		if err != nil {
			t.Errorf("%s: %v", it.name, err)
		}
		got = append(got, hex.EncodeToString(w.hs[0].Sum(nil)))
		return true
	})
	if err != nil {
		t.Fatalf("hashFiles after the ring failed: %v", err)
	}
	if want := []string{digestOf([]byte("a")), digestOf([]byte("b")), digestOf([]byte("c"))}; !cmp.Equal(got, want) {
		t.Errorf("digests after the ring failed = %v, want %v", got, want)
	}
}
