//go:build unix

package fsutil_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/consign-dev/consign/internal/fsutil"
)

// ls lists the names in dir, so tests can see that no temporary file is left.
func ls(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestWriteFile(t *testing.T) {
	tests := []struct {
		name      string
		existing  *string // contents already there, if any
		overwrite bool
		perm      fs.FileMode
		wantErr   error
		want      string
		wantMode  fs.FileMode
	}{
		{name: "new file, private", perm: 0o600, want: "new", wantMode: 0o600},
		{name: "new file, public", perm: 0o644, want: "new", wantMode: 0o644},
		{name: "new file with overwrite", overwrite: true, perm: 0o640, want: "new", wantMode: 0o640},
		{name: "existing file is refused", existing: ptr("old bytes\n"), perm: 0o600, wantErr: fsutil.ErrExists, want: "old bytes\n", wantMode: 0o644},
		{name: "existing empty file is refused", existing: ptr(""), perm: 0o600, wantErr: fsutil.ErrExists, want: "", wantMode: 0o644},
		{name: "existing file is replaced with overwrite", existing: ptr("old bytes\n"), overwrite: true, perm: 0o600, want: "new", wantMode: 0o600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "f.key")
			if tt.existing != nil {
				if err := os.WriteFile(path, []byte(*tt.existing), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			err := fsutil.WriteFile(path, []byte("new"), tt.perm, tt.overwrite)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("WriteFile = %v, want %v", err, tt.wantErr)
			}
			if got := readFile(t, path); got != tt.want {
				t.Errorf("contents = %q, want %q", got, tt.want)
			}
			if got := mode(t, path); got != tt.wantMode {
				t.Errorf("mode = %04o, want %04o", got, tt.wantMode)
			}
			if diff := cmp.Diff([]string{"f.key"}, ls(t, dir)); diff != "" {
				t.Errorf("directory holds more than the file (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr(s string) *string { return &s }

// A directory at the destination is not a regular file, whether or not
// overwriting was asked for: "file exists, pass --force" would send the
// user to a flag that cannot help.
func TestWriteFileRefusesADirectoryAsNotRegular(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "out")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, overwrite := range []bool{false, true} {
		err := fsutil.WriteFile(sub, []byte("new"), 0o644, overwrite)
		if !errors.Is(err, fsutil.ErrNotRegular) || errors.Is(err, fsutil.ErrExists) {
			t.Errorf("WriteFile(directory, overwrite %v) = %v, want %v alone", overwrite, err, fsutil.ErrNotRegular)
		}
		err = fsutil.WriteStreams([]fsutil.Stream{{Path: sub, Perm: 0o644}}, overwrite, func([]io.Writer) error { return nil })
		if !errors.Is(err, fsutil.ErrNotRegular) || errors.Is(err, fsutil.ErrExists) {
			t.Errorf("WriteStreams(directory, overwrite %v) = %v, want %v alone", overwrite, err, fsutil.ErrNotRegular)
		}
	}
	if diff := cmp.Diff([]string{"out"}, ls(t, dir)); diff != "" {
		t.Errorf("directory changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string(nil), ls(t, sub)); diff != "" {
		t.Errorf("something was written into the directory (-want +got):\n%s", diff)
	}
}

func TestWriteFileModeIgnoresUmask(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "f.pub")
	if err := fsutil.WriteFile(path, []byte("x"), 0o644, false); err != nil {
		t.Fatal(err)
	}
	if got := mode(t, path); got != 0o644 {
		t.Errorf("mode under umask 077 = %04o, want 0644 as asked", got)
	}
}

func TestWriteFileRefusesASymlink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	if err := os.WriteFile(target, []byte("target bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling")
	if err := os.Symlink(filepath.Join(dir, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	// Said at once, overwrite or not: "file exists, pass --force" would
	// send the user to a flag that then fails with "not a regular file".
	for _, p := range []string{link, dangling} {
		for _, overwrite := range []bool{false, true} {
			if err := fsutil.WriteFile(p, []byte("new"), 0o600, overwrite); !errors.Is(err, fsutil.ErrSymlink) {
				t.Errorf("WriteFile(%s, overwrite %v) = %v, want %v", filepath.Base(p), overwrite, err, fsutil.ErrSymlink)
			}
			err := fsutil.WriteStreams([]fsutil.Stream{{Path: p, Perm: 0o600}}, overwrite, func([]io.Writer) error { return nil })
			if !errors.Is(err, fsutil.ErrSymlink) {
				t.Errorf("WriteStreams(%s, overwrite %v) = %v, want %v", filepath.Base(p), overwrite, err, fsutil.ErrSymlink)
			}
		}
		// An append or update would otherwise retry until "the file kept changing".
		if err := fsutil.AppendFile(p, []byte("new\n"), 0o600); !errors.Is(err, fsutil.ErrSymlink) {
			t.Errorf("AppendFile(%s) = %v, want %v", filepath.Base(p), err, fsutil.ErrSymlink)
		}
		err := fsutil.UpdateFile(p, 0o600, 64, func([]byte) ([]byte, error) { return []byte("new"), nil })
		if !errors.Is(err, fsutil.ErrSymlink) {
			t.Errorf("UpdateFile(%s) = %v, want %v", filepath.Base(p), err, fsutil.ErrSymlink)
		}
	}
	if err := fsutil.WriteFile(link, nil, 0o600, true); err == nil || !strings.Contains(err.Error(), link+" -> "+target) {
		t.Errorf("WriteFile(link) = %v, want the link and its target named", err)
	}
	if got := readFile(t, target); got != "target bytes" {
		t.Errorf("the link's target was written: %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, "nowhere")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a file appeared where the dangling link points: %v", err)
	}
	if diff := cmp.Diff([]string{"dangling", "link", "target"}, ls(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
}

func TestWriteFileFailures(t *testing.T) {
	dir := t.TempDir()
	// Into a directory that does not exist: nothing is created.
	if err := fsutil.WriteFile(filepath.Join(dir, "no", "f"), []byte("x"), 0o644, false); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("WriteFile(missing dir) = %v, want %v", err, fs.ErrNotExist)
	}
	// Over a directory, with overwrite: the rename fails after the
	// temporary file was written, and the temporary file goes away.
	sub := filepath.Join(dir, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sub, "inside"), []byte("kept"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := fsutil.WriteFile(sub, []byte("x"), 0o644, true); err == nil {
		t.Errorf("WriteFile over a directory = nil, want an error")
	}
	if diff := cmp.Diff([]string{"sub"}, ls(t, dir)); diff != "" {
		t.Errorf("after the failures the directory holds (-want +got):\n%s", diff)
	}
	if got := readFile(t, filepath.Join(sub, "inside")); got != "kept" {
		t.Errorf("the directory's contents changed: %q", got)
	}
}

func TestAppendFile(t *testing.T) {
	tests := []struct {
		name     string
		existing *string
		mode     fs.FileMode
		data     string
		want     string
		wantMode fs.FileMode
	}{
		{name: "creates the file", data: "line 1\n", want: "line 1\n", wantMode: 0o644},
		{name: "keeps the old lines", existing: ptr("line 1\nline 2\n"), mode: 0o644, data: "line 3\n", want: "line 1\nline 2\nline 3\n", wantMode: 0o644},
		{name: "adds the missing newline", existing: ptr("line 1"), mode: 0o644, data: "line 2\n", want: "line 1\nline 2\n", wantMode: 0o644},
		{name: "an empty file gets no blank line", existing: ptr(""), mode: 0o644, data: "line 1\n", want: "line 1\n", wantMode: 0o644},
		{name: "keeps the existing mode", existing: ptr("a\n"), mode: 0o600, data: "b\n", want: "a\nb\n", wantMode: 0o600},
		{name: "keeps a blank last line as it is", existing: ptr("a\n\n"), mode: 0o644, data: "b\n", want: "a\n\nb\n", wantMode: 0o644},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "a.intoto.jsonl")
			if tt.existing != nil {
				if err := os.WriteFile(path, []byte(*tt.existing), tt.mode); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, tt.mode); err != nil {
					t.Fatal(err)
				}
			}
			if err := fsutil.AppendFile(path, []byte(tt.data), 0o644); err != nil {
				t.Fatalf("AppendFile = %v", err)
			}
			if got := readFile(t, path); got != tt.want {
				t.Errorf("contents = %q, want %q", got, tt.want)
			}
			if got := mode(t, path); got != tt.wantMode {
				t.Errorf("mode = %04o, want %04o", got, tt.wantMode)
			}
			if diff := cmp.Diff([]string{"a.intoto.jsonl"}, ls(t, dir)); diff != "" {
				t.Errorf("directory holds more than the file (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAppendFileRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "out.jsonl")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fsutil.AppendFile(sub, []byte("x\n"), 0o644); err == nil {
		t.Errorf("AppendFile(directory) = nil, want an error")
	}
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	// Opening a FIFO for reading blocks until a writer comes; open one.
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := fsutil.AppendFile(fifo, []byte("x\n"), 0o644); err == nil {
		t.Errorf("AppendFile(FIFO) = nil, want an error")
	}
	if diff := cmp.Diff([]string{"fifo", "out.jsonl"}, ls(t, dir)); diff != "" {
		t.Errorf("directory (-want +got):\n%s", diff)
	}
	if got := ls(t, sub); len(got) != 0 {
		t.Errorf("the directory got %q", got)
	}
}

// TestAppendFileFailingFill makes the copy into the temporary file fail
// half-way (a file size limit, in a child process) and checks that the old
// file is intact and no temporary file is left.
func TestAppendFileFailingFill(t *testing.T) {
	if os.Getenv("FSUTIL_TEST_CHILD") == "append" {
		appendUnderSizeLimit()
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "a.intoto.jsonl")
	old := strings.Repeat("an existing line that must survive\n", 200) // 7000 bytes
	if err := os.WriteFile(path, []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestAppendFileFailingFill$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FSUTIL_TEST_CHILD=append", "FSUTIL_TEST_PATH="+path)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "AppendFile failed:") {
		t.Fatalf("child did not see AppendFile fail:\n%s", out)
	}
	if got := readFile(t, path); got != old {
		t.Errorf("the old file changed: %d bytes, want %d", len(got), len(old))
	}
	if diff := cmp.Diff([]string{"a.intoto.jsonl"}, ls(t, dir)); diff != "" {
		t.Errorf("a temporary file was left behind (-want +got):\n%s", diff)
	}
}

// appendUnderSizeLimit runs in the child: files may not grow past 4 KiB, so
// AppendFile's copy of the 7000-byte file into its temporary file fails.
func appendUnderSizeLimit() {
	signal.Ignore(syscall.SIGXFSZ) // get EFBIG instead of being killed
	lim := syscall.Rlimit{Cur: 4096, Max: 4096}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &lim); err != nil {
		os.Stdout.WriteString("setrlimit: " + err.Error() + "\n")
		os.Exit(2)
	}
	err := fsutil.AppendFile(os.Getenv("FSUTIL_TEST_PATH"), []byte("a new line\n"), 0o644)
	if err == nil {
		os.Stdout.WriteString("AppendFile succeeded past the size limit\n")
		os.Exit(3)
	}
	os.Stdout.WriteString("AppendFile failed: " + err.Error() + "\n")
}

// TestErrorsNameTheDestination: a failed write names the file asked for,
// never the temporary file it goes through, and stays an fs.ErrNotExist.
func TestErrorsNameTheDestination(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nodir", "out.link")
	for name, write := range map[string]func() error{
		"WriteFile": func() error { return fsutil.WriteFile(path, []byte("x"), 0o644, true) },
		"WriteFiles": func() error {
			return fsutil.WriteFiles([]fsutil.File{{Path: path, Data: []byte("x"), Perm: 0o644}}, true)
		},
		"AppendFile": func() error { return fsutil.AppendFile(path, []byte("x"), 0o644) },
	} {
		err := write()
		if err == nil || strings.Contains(err.Error(), ".tmp-") || !strings.Contains(err.Error(), path) || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s(%q) = %v, want an fs.ErrNotExist naming %q and no temporary file", name, path, err, path)
		}
	}
}

// TestWriteStreams: files written together as a stream appear together,
// and a failure half-way (of the writer, say a hostile server's bad page)
// leaves neither them nor a temporary file; an existing destination is
// refused before anything is written.
func TestWriteStreams(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "b.jsonl")
	files := []fsutil.Stream{{Path: a, Perm: 0o644}, {Path: b, Perm: 0o600}}
	errHalfWay := errors.New("half-way")
	err := fsutil.WriteStreams(files, false, func(ws []io.Writer) error {
		for i := range 1000 {
			fmt.Fprintf(ws[0], "line %d\n", i)
			fmt.Fprintf(ws[1], "receipt %d\n", i)
		}
		return errHalfWay
	})
	if !errors.Is(err, errHalfWay) {
		t.Fatalf("WriteStreams = %v, want the writer's error", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("after a failure the directory holds %v, want nothing", ents)
	}
	err = fsutil.WriteStreams(files, false, func(ws []io.Writer) error {
		io.WriteString(ws[0], "one\n")
		io.WriteString(ws[1], "two\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{a: "one\n", b: "two\n"} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	if fi, err := os.Stat(b); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode of %s = %v, %v; want 0600", b, fi.Mode(), err)
	}
	called := false
	err = fsutil.WriteStreams(files, false, func([]io.Writer) error { called = true; return nil })
	if !errors.Is(err, fsutil.ErrExists) || called {
		t.Errorf("WriteStreams over existing files = %v (writer called: %v), want ErrExists before writing", err, called)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("the directory holds %v, want the two files", ents)
	}
}

// TestAppendStream: what fill writes is appended, to a new file or an old
// one (on a line of its own), and a fill that fails leaves the file as it
// was and no temporary file.
func TestAppendStream(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.jsonl")
	big := strings.Repeat("x", 600<<10) // more than the buffer
	lines := func(w io.Writer) error {
		_, err := io.WriteString(w, big+"\n")
		return err
	}
	for range 2 {
		if err := fsutil.AppendStream(p, 0o644, lines); err != nil {
			t.Fatal(err)
		}
	}
	boom := errors.New("boom")
	if err := fsutil.AppendStream(p, 0o644, func(w io.Writer) error {
		io.WriteString(w, "half")
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("AppendStream(failing fill) = %v, want %v", err, boom)
	}
	got, err := os.ReadFile(p)
	if err != nil || string(got) != big+"\n"+big+"\n" {
		t.Errorf("after two appends and a failed one: %d bytes, %v; want the two records", len(got), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want the file alone", len(ents))
	}
}
