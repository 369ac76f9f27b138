//go:build unix

package digest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// specialFiles makes a named pipe "pipe" and a socket "sock" in dir; the
// listener is closed when the test ends.
func specialFiles(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "sock"))
	if err != nil {
		t.Skipf("unix socket: %v", err)
	}
	t.Cleanup(func() { l.Close() })
}

// TestRecordNonRegular: a named pipe or socket met in the tree, reached
// through a link inside it, or named as a path argument is refused with an
// error naming its path and type, without being opened (a pipe with no
// writer would block the recorder, and the test with it); one an exclude
// pattern matches is left out.
func TestRecordNonRegular(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fixture{files: map[string]string{"f": "f", "d/g": "g"}, links: map[string]string{"lp": "pipe", "d/ls": "../sock"}}.build(t, root)
	specialFiles(t, root)

	tests := []struct {
		name    string
		paths   []string
		exclude []string
		want    *NotRegularError
	}{
		{name: "pipe in the tree", paths: []string{"."}, exclude: []string{"sock", "d"}, want: &NotRegularError{Path: "pipe", Type: fs.ModeNamedPipe}},
		{name: "socket in the tree", paths: []string{"."}, exclude: []string{"pipe", "lp", "d"}, want: &NotRegularError{Path: "sock", Type: fs.ModeSocket}},
		{name: "link to a pipe", paths: []string{"lp"}, want: &NotRegularError{Path: "lp", Type: fs.ModeNamedPipe, Link: true}},
		{name: "link to a socket, in a directory", paths: []string{"d"}, want: &NotRegularError{Path: "d/ls", Type: fs.ModeSocket, Link: true}},
		{name: "pipe as a path argument", paths: []string{"f", "pipe"}, want: &NotRegularError{Path: "pipe", Type: fs.ModeNamedPipe}},
	}
	for _, tt := range tests {
		for name, open := range map[string]dirOpener{"default": openSysDir, "portable": openRootDir, "plain": plainOpener} {
			res, err := record(context.Background(), root, tt.paths, RecordOptions{Exclude: tt.exclude}, open)
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: record(%s) = %v, %v; want an error wrapping ErrNotRegular", tt.name, name, res, err)
				continue
			}
			var got *NotRegularError
			if !errors.As(err, &got) {
				t.Fatalf("%s: record(%s) error %T, want a *NotRegularError", tt.name, name, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%s: record(%s) error mismatch (-want +got):\n%s", tt.name, name, diff)
			}
		}
	}

	// Excluded, they are not looked at.
	want := &Result{Artifacts: map[string]Set{"f": sum("f"), "d/g": sum("g")}}
	got := mustRecord(t, root, []string{"."}, RecordOptions{Exclude: []string{"pipe", "sock", "lp", "d/ls"}})
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Record with the special files excluded (-want +got):\n%s", diff)
	}
}

// TestFileNonRegular: File refuses devices and sockets, named or through a
// link, without reading them (/dev/zero never ends), and reads a named
// pipe to its end.
func TestFileNonRegular(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	specialFiles(t, dir)
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path string
		typ  fs.FileMode
	}{
		{"/dev/zero", fs.ModeDevice | fs.ModeCharDevice},
		{"/dev/null", fs.ModeDevice | fs.ModeCharDevice},
		{filepath.Join(dir, "zero"), fs.ModeDevice | fs.ModeCharDevice},
		{filepath.Join(dir, "sock"), fs.ModeSocket},
	}
	for _, tt := range tests {
		if _, err := os.Stat(tt.path); err != nil {
			t.Logf("%s: %v", tt.path, err)
			continue
		}
		s, err := File(tt.path)
		var nr *NotRegularError
		if !errors.As(err, &nr) || !errors.Is(err, ErrNotRegular) {
			t.Errorf("File(%q) = %v, %v; want a *NotRegularError", tt.path, s, err)
			continue
		}
		if nr.Path != tt.path || nr.Type != tt.typ {
			t.Errorf("File(%q) error = %+v, want path %q and type %v", tt.path, nr, tt.path, tt.typ)
		}
	}

	// A named pipe is read to its end, large or small.
	for _, n := range []int{5, 3 * bufSize / 2} {
		content := make([]byte, n)
		for i := range content {
			content[i] = byte(i)
		}
		done := make(chan error, 1)
		go func() {
			f, err := os.OpenFile(filepath.Join(dir, "pipe"), os.O_WRONLY, 0)
			if err != nil {
				done <- err
				return
			}
			_, err = f.Write(content)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			done <- err
		}()
		got, err := File(filepath.Join(dir, "pipe"))
		if werr := <-done; werr != nil {
			t.Fatalf("writing the pipe: %v", werr)
		}
		if err != nil {
			t.Fatalf("File(pipe) of %d bytes: %v", n, err)
		}
		if want := sum(string(content)); !Matches(got, want) {
			t.Errorf("File(pipe) of %d bytes = %v, want %v", n, got, want)
		}
	}
}

// TestHashRootFileSwappedForPipe: a link target or a path argument, a
// regular file when looked at and a named pipe by the time it is opened
// (swapped in between), is refused, never waited on: the open does not
// block for a writer that never comes.
func TestHashRootFileSwappedForPipe(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "p"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	w := newWorker([]string{SHA256})
	defer w.free()
	err = w.hashRootFile(context.Background(), root, "p")
	var nr *NotRegularError
	if !errors.As(err, &nr) || nr.Type != fs.ModeNamedPipe {
		t.Errorf("hashRootFile(a named pipe) = %v, want a *NotRegularError for a named pipe", err)
	}
}

// TestFilePipeWriterDoneEarly: a writer waiting in its open of a named
// pipe for a reader is let go by File's first open of it, and may write
// and close at once. What it wrote is read, and File ends: it is not lost
// with that first descriptor, and File does not wait in a second open for
// a writer that never comes. Many rounds, since the writer's timing is
// the scheduler's; each must end well within the bound.
func TestFilePipeWriterDoneEarly(t *testing.T) {
	checkPipeWriterDoneEarly(t, func(pipe string) (Set, error) { return File(pipe) })
}

// checkPipeWriterDoneEarly runs TestFilePipeWriterDoneEarly's rounds with
// hash hashing the named pipe.
func checkPipeWriterDoneEarly(t *testing.T, hash func(pipe string) (Set, error)) {
	dir := t.TempDir()
	pipe := filepath.Join(dir, "pipe")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Skipf("mkfifo: %v (the platform has no named pipes)", err)
	}
	for round := range 300 {
		content := []byte(fmt.Sprintf("round %d", round))
		wrote := make(chan error, 1)
		go func() {
			f, err := os.OpenFile(pipe, os.O_WRONLY, 0)
			if err == nil {
				_, err = f.Write(content)
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			wrote <- err
		}()
		if round%2 == 0 {
			time.Sleep(time.Millisecond) // the writer waits in its open first
		}
		type result struct {
			s   Set
			err error
		}
		got := make(chan result, 1)
		go func() {
			s, err := hash(pipe)
			got <- result{s, err}
		}()
		select {
		case r := <-got:
			if err := <-wrote; err != nil {
				t.Fatalf("round %d: writing the pipe: %v", round, err)
			}
			if r.err != nil {
				t.Fatalf("round %d: File(pipe): %v", round, r.err)
			}
			if want := sum(string(content)); !Matches(r.s, want) {
				t.Fatalf("round %d: File(pipe) = %v, want %v (what the writer wrote was lost)", round, r.s, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("round %d: File(pipe) still waits 10 s after the writer wrote and closed", round)
		}
	}
}
