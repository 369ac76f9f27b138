//go:build unix

package fsutil_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/consign-dev/consign/internal/fsutil"
)

// TestWritesSyncTheDirectory: every write syncs its temporary file, and
// after the rename (or link) syncs the directory, when the new name is
// already in place: without that, a crash can lose the rename.
func TestWritesSyncTheDirectory(t *testing.T) {
	tests := []struct {
		name  string
		exist bool // the destination exists before
		write func(path string) error
	}{
		{"WriteFile new", false, func(p string) error { return fsutil.WriteFile(p, []byte("new\n"), 0o644, false) }},
		{"WriteFile overwrite", true, func(p string) error { return fsutil.WriteFile(p, []byte("new\n"), 0o644, true) }},
		{"WriteStream", false, func(p string) error {
			return fsutil.WriteStream(p, 0o644, false, func(w io.Writer) error { _, err := w.Write([]byte("new\n")); return err })
		}},
		{"AppendFile new", false, func(p string) error { return fsutil.AppendFile(p, []byte("new\n"), 0o644) }},
		{"AppendFile existing", true, func(p string) error { return fsutil.AppendFile(p, []byte("new\n"), 0o644) }},
		{"UpdateFile", true, func(p string) error {
			return fsutil.UpdateFile(p, 0o644, 1<<10, func(old []byte) ([]byte, error) { return []byte("new\n"), nil })
		}},
		{"WriteFiles", false, func(p string) error {
			return fsutil.WriteFiles([]fsutil.File{{Path: p, Data: []byte("new\n"), Perm: 0o644}}, false)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "f")
			if tt.exist {
				if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var dirSyncs, fileSyncs []string
			restore := fsutil.SetSyncHooksForTest(func(d string) {
				// The directory is synced once the new contents have their name.
				if b, err := os.ReadFile(path); err != nil || !strings.HasSuffix(string(b), "new\n") {
					t.Errorf("directory synced before the rename: %s holds %q, %v", path, b, err)
				}
				dirSyncs = append(dirSyncs, d)
			}, func(f string) { fileSyncs = append(fileSyncs, f) })
			defer restore()
			if err := tt.write(path); err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(dirSyncs, dir) {
				t.Errorf("directory syncs %q, want %s synced", dirSyncs, dir)
			}
			if len(fileSyncs) != 1 || filepath.Dir(fileSyncs[0]) != dir {
				t.Errorf("file syncs %q, want the one temporary file in %s", fileSyncs, dir)
			}
		})
	}
}

// TestAppendFileConcurrent: many appenders to one file, goroutines and
// processes at once, each with its own lines; every line is there at the
// end, none lost to another appender's rename.
func TestAppendFileConcurrent(t *testing.T) {
	if who := os.Getenv("FSUTIL_TEST_APPENDER"); who != "" {
		appendLines(t, os.Getenv("FSUTIL_TEST_PATH"), who, 10)
		return
	}
	const goroutines, processes, lines = 16, 4, 10
	path := filepath.Join(t.TempDir(), "log.jsonl")
	var cmds []*exec.Cmd
	for i := range processes {
		cmd := exec.Command(os.Args[0], "-test.run=^TestAppendFileConcurrent$", "-test.count=1")
		cmd.Env = append(os.Environ(), "FSUTIL_TEST_APPENDER=p"+strconv.Itoa(i), "FSUTIL_TEST_PATH="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	var wg sync.WaitGroup
	for i := range goroutines {
		wg.Go(func() { appendLines(t, path, "g"+strconv.Itoa(i), lines) })
	}
	wg.Wait()
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("appender process: %v", err)
		}
	}
	got := strings.Split(strings.TrimSuffix(readFile(t, path), "\n"), "\n")
	var want []string
	for i := range processes {
		want = append(want, linesOf("p"+strconv.Itoa(i), lines)...)
	}
	for i := range goroutines {
		want = append(want, linesOf("g"+strconv.Itoa(i), lines)...)
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("the file has %d lines, want %d: appends were lost", len(got), len(want))
	}
	if names := ls(t, filepath.Dir(path)); len(names) != 1 {
		t.Errorf("files left: %q", names)
	}
}

func appendLines(t *testing.T, path, who string, n int) {
	for _, line := range linesOf(who, n) {
		if err := fsutil.AppendFile(path, []byte(line+"\n"), 0o644); err != nil {
			t.Errorf("AppendFile: %v", err)
			return
		}
	}
}

func linesOf(who string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", who, i)
	}
	return out
}

// TestUpdateFileConcurrent: read-modify-write cycles on one file, from many
// goroutines at once, each add one to a counter; none is lost. A failing
// update leaves the file as it was, and a file over max is refused.
func TestUpdateFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "counter")
	const n = 32
	incr := func(old []byte) ([]byte, error) {
		c, _ := strconv.Atoi(string(old))
		return []byte(strconv.Itoa(c + 1)), nil
	}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := fsutil.UpdateFile(path, 0o600, 64, incr); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got := readFile(t, path); got != strconv.Itoa(n) {
		t.Errorf("counter = %s after %d updates", got, n)
	}
	boom := errors.New("boom")
	if err := fsutil.UpdateFile(path, 0o600, 64, func([]byte) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("UpdateFile(failing update) = %v, want %v", err, boom)
	}
	if err := fsutil.UpdateFile(path, 0o600, 1, incr); err == nil {
		t.Errorf("UpdateFile(a file over max) = nil error")
	}
	if got := readFile(t, path); got != strconv.Itoa(n) {
		t.Errorf("counter = %s after failed updates, want %d", got, n)
	}
	if names := ls(t, filepath.Dir(path)); len(names) != 1 {
		t.Errorf("files left: %q", names)
	}
}
