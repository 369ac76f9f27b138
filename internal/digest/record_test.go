package digest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fixture describes a directory tree: files with their contents, symbolic
// links with their targets, and empty directories.
type fixture struct {
	files map[string]string
	links map[string]string
	dirs  []string
}

// build creates f under dir, which must exist.
func (f fixture) build(t *testing.T, dir string) {
	t.Helper()
	for _, d := range f.dirs {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range f.files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, target := range f.links {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Skipf("cannot create symbolic links here: %v", err)
		}
	}
}

// sum is the sha256 Set of s.
func sum(s string) Set {
	h := sha256.Sum256([]byte(s))
	return Set{SHA256: hex.EncodeToString(h[:])}
}

// mustRecord runs Record and fails the test on error. It also records with
// the portable directory opener (the one systems other than Linux use) and
// the plain one (Linux without io_uring) and wants the same result.
func mustRecord(t *testing.T, root string, paths []string, opts RecordOptions) *Result {
	t.Helper()
	res, err := Record(context.Background(), root, paths, opts)
	if err != nil {
		t.Fatalf("Record(%q, %q) error: %v", root, paths, err)
	}
	portable, err := record(context.Background(), root, paths, opts, openRootDir)
	if err != nil {
		t.Fatalf("record(%q, %q, openRootDir) error: %v", root, paths, err)
	}
	if diff := cmp.Diff(res, portable); diff != "" {
		t.Fatalf("Record(%q, %q) differs with the portable directory opener (-default +portable):\n%s", root, paths, diff)
	}
	plain, err := record(context.Background(), root, paths, opts, plainOpener)
	if err != nil {
		t.Fatalf("record(%q, %q, plainOpener) error: %v", root, paths, err)
	}
	if diff := cmp.Diff(res, plain); diff != "" {
		t.Fatalf("Record(%q, %q) differs without io_uring (-default +plain):\n%s", root, paths, diff)
	}
	return res
}

func TestRecordTree(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fixture{
		files: map[string]string{"a.txt": "a", "src/main.go": "package main", "src/x/y/z.bin": "\x00\x01", "empty": ""},
		dirs:  []string{"emptydir", "src/emptysub"},
	}.build(t, root)
	want := map[string]Set{"a.txt": sum("a"), "src/main.go": sum("package main"), "src/x/y/z.bin": sum("\x00\x01"), "empty": sum("")}

	res := mustRecord(t, root, []string{"."}, RecordOptions{})
	if diff := cmp.Diff(&Result{Artifacts: want}, res); diff != "" {
		t.Errorf("Record mismatch (-want +got):\n%s", diff)
	}

	res = mustRecord(t, root, []string{"src", "a.txt", "src/x"}, RecordOptions{})
	delete(want, "empty")
	if diff := cmp.Diff(&Result{Artifacts: want}, res); diff != "" {
		t.Errorf("Record(src, a.txt, src/x) mismatch (-want +got):\n%s", diff)
	}

	res = mustRecord(t, root, nil, RecordOptions{})
	if diff := cmp.Diff(&Result{Artifacts: map[string]Set{}}, res); diff != "" {
		t.Errorf("Record(no paths) mismatch (-want +got):\n%s", diff)
	}
}

func TestRecordAlgorithms(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fixture{files: map[string]string{"abc": "abc"}}.build(t, root)
	res := mustRecord(t, root, []string{"."}, RecordOptions{Algorithms: []string{SHA512, SHA256}})
	want := map[string]Set{"abc": {SHA256: sha256ABC, SHA512: sha512ABC}}
	if diff := cmp.Diff(want, res.Artifacts); diff != "" {
		t.Errorf("Record mismatch (-want +got):\n%s", diff)
	}
}

// TestRecordLargeFile records files larger than the read buffer, and one of
// exactly its size, and compares them with File.
func TestRecordLargeFile(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	sizes := map[string]int{"exact": bufSize, "over": bufSize + 1, "large": 3*bufSize + 7, "under": bufSize - 1}
	for name, n := range sizes {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i * 7)
		}
		if err := os.WriteFile(filepath.Join(root, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := mustRecord(t, root, []string{"."}, RecordOptions{})
	for name := range sizes {
		want, err := File(filepath.Join(root, name))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, res.Artifacts[name]); diff != "" {
			t.Errorf("Record %s mismatch (-want +got):\n%s", name, diff)
		}
	}
}

// TestSecurityCase35CRLFUntouched: the recorder hashes raw bytes; line
// endings are never normalised (in-toto-golang ad3c8a8).
func TestSecurityCase35CRLFUntouched(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	files := map[string]string{"crlf.txt": "line 1\r\nline 2\r\n", "cr.txt": "old mac\r", "lf.txt": "line 1\nline 2\n"}
	fixture{files: files}.build(t, root)
	res := mustRecord(t, root, []string{"."}, RecordOptions{})
	for name, content := range files {
		if diff := cmp.Diff(sum(content), res.Artifacts[name]); diff != "" {
			t.Errorf("Record %s mismatch (-want +got):\n%s", name, diff)
		}
	}
	if Matches(res.Artifacts["crlf.txt"], res.Artifacts["lf.txt"]) {
		t.Errorf("CRLF and LF files hash alike: line endings were normalised")
	}
}

// TestSecurityCase35Symlinks: links out of the root are not followed, links
// inside it are recorded under the link's path, and cycles terminate
// (in-toto-golang 0f369b6, 36bbce8; go-witness GHSA-v6px-jqx8-8xwj).
func TestSecurityCase35Symlinks(t *testing.T) {
	t.Parallel()
	top := t.TempDir()
	root := filepath.Join(top, "ws")
	secret := "the secret outside the root"
	fixture{files: map[string]string{"secret": secret, "outdir/o.txt": secret}}.build(t, top)
	fixture{
		files: map[string]string{"src/x.go": "x", "crlf.txt": "a\r\n"},
		links: map[string]string{
			"a":        "../../../../etc/shadow",
			"loop":     ".",
			"b":        "a",
			"c":        "../secret",
			"d":        filepath.Join(top, "secret"),
			"e":        filepath.Join(root, "src", "x.go"),
			"outdir":   "../outdir",
			"dangle":   "nowhere",
			"lx":       "src/x.go",
			"lsrc":     "src",
			"src/back": "..",
			"src/self": "../src",
			"l1":       "l2",
			"l2":       "l1",
			"via":      "lsrc/../crlf.txt",
		},
	}.build(t, root)

	res := mustRecord(t, root, []string{"."}, RecordOptions{})
	want := &Result{
		Artifacts: map[string]Set{
			"src/x.go":  sum("x"),
			"crlf.txt":  sum("a\r\n"),
			"e":         sum("x"),
			"lx":        sum("x"),
			"lsrc/x.go": sum("x"),
			"via":       sum("a\r\n"),
		},
		Skipped: []Skipped{
			{"a", ReasonLinkOutsideRoot},
			{"b", ReasonLinkOutsideRoot},
			{"c", ReasonLinkOutsideRoot},
			{"d", ReasonLinkOutsideRoot},
			{"dangle", ReasonLinkDangling},
			{"l1", ReasonLinkLoop},
			{"l2", ReasonLinkLoop},
			{"loop", ReasonLinkCycle},
			{"lsrc/back", ReasonLinkCycle},
			{"lsrc/self", ReasonLinkCycle},
			{"outdir", ReasonLinkOutsideRoot},
			{"src/back", ReasonLinkCycle},
			{"src/self", ReasonLinkCycle},
		},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Record mismatch (-want +got):\n%s", diff)
	}
	for k, s := range res.Artifacts {
		if Matches(s, sum(secret)) {
			t.Errorf("Record followed a link out of the root: %s has the secret's digest", k)
		}
	}

	// Named directly, an outside link is skipped the same way, and a path
	// through it is an error.
	res = mustRecord(t, root, []string{"a", "lx", "lsrc"}, RecordOptions{})
	want = &Result{
		Artifacts: map[string]Set{"lx": sum("x"), "lsrc/x.go": sum("x")},
		Skipped:   []Skipped{{"a", ReasonLinkOutsideRoot}, {"lsrc/back", ReasonLinkCycle}, {"lsrc/self", ReasonLinkCycle}},
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Record(a, lx, lsrc) mismatch (-want +got):\n%s", diff)
	}
	for _, p := range []string{"outdir/o.txt", "c/x", "a/b"} {
		if _, err := Record(context.Background(), root, []string{p}, RecordOptions{}); !errors.Is(err, ErrOutsideRoot) {
			t.Errorf("Record(%q) error = %v, want %v", p, err, ErrOutsideRoot)
		}
	}
}

// TestRecordRootThroughLink records a root given as a link, with absolute
// link targets written through either path of the root.
func TestRecordRootThroughLink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("link layout differs on Windows")
	}
	t.Parallel()
	top, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	real := filepath.Join(top, "real")
	fixture{files: map[string]string{"real/f": "f"}, links: map[string]string{"alias": "real"}}.build(t, top)
	alias := filepath.Join(top, "alias")
	fixture{links: map[string]string{"viaAlias": filepath.Join(alias, "f"), "viaReal": filepath.Join(real, "f"), "up": real + "/../real/f"}}.build(t, real)
	res := mustRecord(t, alias, []string{"."}, RecordOptions{})
	want := &Result{
		Artifacts: map[string]Set{"f": sum("f"), "viaAlias": sum("f"), "viaReal": sum("f")},
		Skipped:   []Skipped{{"up", ReasonLinkOutsideRoot}}, // conservative: ".." is compared by element
	}
	if diff := cmp.Diff(want, res); diff != "" {
		t.Errorf("Record mismatch (-want +got):\n%s", diff)
	}
}

// TestRecordLinkDepth: a chain of links to directories that never cycles
// stops after maxLinkDepth links.
func TestRecordLinkDepth(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	const n = maxLinkDepth + 5
	f := fixture{files: map[string]string{}, links: map[string]string{}}
	for i := range n {
		f.files[fmt.Sprintf("d%02d/f", i)] = "f"
		f.links[fmt.Sprintf("d%02d/next", i)] = fmt.Sprintf("../d%02d", i+1)
	}
	f.dirs = []string{fmt.Sprintf("d%02d", n)}
	f.build(t, root)
	res := mustRecord(t, root, []string{"d00"}, RecordOptions{})
	deepest := "d00" + strings.Repeat("/next", maxLinkDepth)
	if _, ok := res.Artifacts[deepest+"/f"]; !ok {
		t.Errorf("Record did not reach %s/f", deepest)
	}
	if _, ok := res.Artifacts[deepest+"/next/f"]; ok {
		t.Errorf("Record went deeper than %d links", maxLinkDepth)
	}
	if want := []Skipped{{deepest + "/next", ReasonLinkDepth}}; !cmp.Equal(want, res.Skipped) {
		t.Errorf("Skipped = %v, want %v", res.Skipped, want)
	}
}

// TestSecurityCase32PathNormalisation: path arguments are cleaned, so
// "src/../evil.sh" and "./evil.sh" are recorded as "evil.sh", and arguments
// that leave the root are errors (in-toto-golang CVE-2021-41087).
func TestSecurityCase32PathNormalisation(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fixture{files: map[string]string{"evil.sh": "evil", "src/ok.go": "ok", "sub/dir/evil.sh": "deep"}}.build(t, root)

	tests := []struct {
		paths []string
		want  []string
	}{
		{[]string{"src/../evil.sh"}, []string{"evil.sh"}},
		{[]string{"./evil.sh"}, []string{"evil.sh"}},
		{[]string{"sub/dir/evil.sh"}, []string{"sub/dir/evil.sh"}},
		{[]string{"sub//dir/./evil.sh"}, []string{"sub/dir/evil.sh"}},
		{[]string{"src/", "./src"}, []string{"src/ok.go"}},
		{[]string{"sub/dir/../dir"}, []string{"sub/dir/evil.sh"}},
		{[]string{"src/.."}, []string{"evil.sh", "src/ok.go", "sub/dir/evil.sh"}},
	}
	for _, tt := range tests {
		res := mustRecord(t, root, tt.paths, RecordOptions{})
		var got []string
		for k := range res.Artifacts {
			got = append(got, k)
		}
		slices.Sort(got)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Record(%q) keys mismatch (-want +got):\n%s", tt.paths, diff)
		}
	}

	for _, p := range []string{"..", "../x", "src/../../x", "/etc/passwd", filepath.Join(root, "evil.sh"), "a/../../.."} {
		res, err := Record(context.Background(), root, []string{"evil.sh", p}, RecordOptions{})
		if !errors.Is(err, ErrOutsideRoot) || res != nil {
			t.Errorf("Record(%q) = %v, %v; want nil, %v", p, res, err, ErrOutsideRoot)
		}
	}
	if _, err := Record(context.Background(), root, []string{"missing"}, RecordOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Record(missing) error = %v, want %v", err, fs.ErrNotExist)
	}
	if _, err := Record(context.Background(), root, []string{"missing/x"}, RecordOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Record(missing/x) error = %v, want %v", err, fs.ErrNotExist)
	}
	if _, err := Record(context.Background(), root, []string{""}, RecordOptions{}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("Record(\"\") error = %v, want %v", err, ErrInvalidOptions)
	}
}

// TestSecurityCase34Backslash: on Unix a backslash is part of a file name;
// a file named `dist\app.exe` is recorded under that name and never
// silently mapped to `dist/app.exe`.
func TestSecurityCase34Backslash(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip(`"\" is a separator on Windows`)
	}
	t.Parallel()
	root := t.TempDir()
	fixture{files: map[string]string{`dist\app.exe`: "flat", "dist/app.exe": "nested"}}.build(t, root)
	res := mustRecord(t, root, []string{"."}, RecordOptions{})
	want := map[string]Set{`dist\app.exe`: sum("flat"), "dist/app.exe": sum("nested")}
	if diff := cmp.Diff(want, res.Artifacts); diff != "" {
		t.Errorf("Record mismatch (-want +got):\n%s", diff)
	}
	res = mustRecord(t, root, []string{`dist\app.exe`}, RecordOptions{})
	if diff := cmp.Diff(map[string]Set{`dist\app.exe`: sum("flat")}, res.Artifacts); diff != "" {
		t.Errorf(`Record(dist\app.exe) mismatch (-want +got):\n%s`, diff)
	}
	res = mustRecord(t, root, []string{"."}, RecordOptions{Exclude: []string{"dist/*"}})
	if diff := cmp.Diff(map[string]Set{`dist\app.exe`: sum("flat")}, res.Artifacts); diff != "" {
		t.Errorf(`Record excluding dist/* mismatch (-want +got):\n%s`, diff)
	}
}

func TestRecordExclude(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	fixture{
		files: map[string]string{
			"main.c": "", "main.o": "", "keep.o": "", "lib/x.o": "", "lib/keep.o": "",
			"build/out": "", "src/build/out": "", "build.txt": "",
			"top-only": "", "sub/top-only": "",
			"tmp/a": "", "x/tmp/b": "", "tmp.txt": "",
			"dir/a.log": "", "dir/sub/b.log": "", "other/dir/c.log": "",
		},
		links: map[string]string{
			"build/escape": "../../../../etc/shadow", // in an excluded directory: never seen as build/escape
			"lbuild":       "build",                  // not excluded: "build/" matches the name "build"
			"obj.o":        "main.c",                 // excluded by "*.o" without being resolved
			"tmp/dangle":   "nowhere",                // excluded by "**/tmp/**" without being resolved
		},
	}.build(t, root)
	opts := RecordOptions{Exclude: []string{"*.o", "build/", "!keep.o", "/top-only", "**/tmp/**", "dir/*.log"}}
	res := mustRecord(t, root, []string{"."}, opts)
	var got []string
	for k := range res.Artifacts {
		got = append(got, k)
	}
	slices.Sort(got)
	want := []string{
		"build.txt", "dir/sub/b.log", "keep.o", "lbuild/out", "lib/keep.o", "main.c", "other/dir/c.log",
		"sub/top-only", "tmp.txt",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Record keys mismatch (-want +got):\n%s", diff)
	}
	// build/escape is reached only through lbuild; excluded links are never
	// resolved, so they are not reported.
	if want := []Skipped{{"lbuild/escape", ReasonLinkOutsideRoot}}; !cmp.Equal(want, res.Skipped) {
		t.Errorf("Skipped = %v, want %v", res.Skipped, want)
	}

	// Path arguments inside an excluded directory are excluded too.
	res = mustRecord(t, root, []string{"build/out", "tmp/a", "main.o"}, opts)
	if len(res.Artifacts) != 0 || len(res.Skipped) != 0 {
		t.Errorf("Record(excluded paths) = %v, want nothing", res)
	}

	// A directory-only pattern applies to a link to a directory.
	res = mustRecord(t, root, []string{"lbuild"}, RecordOptions{Exclude: []string{"lbuild/"}})
	if len(res.Artifacts) != 0 {
		t.Errorf("Record(lbuild) excluding lbuild/ = %v, want nothing", res.Artifacts)
	}
}

func TestRecordOptionErrors(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	tests := []struct {
		name    string
		opts    RecordOptions
		wantErr []error
	}{
		{"unsupported algorithm", RecordOptions{Algorithms: []string{"md5"}}, []error{ErrInvalidOptions, ErrUnsupportedAlgorithm}},
		{"negative workers", RecordOptions{Workers: -1}, []error{ErrInvalidOptions}},
		{"bad pattern", RecordOptions{Exclude: []string{"targets/["}}, []error{ErrInvalidOptions, ErrInvalidPattern}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, err := range []error{tt.opts.Validate(), recordErr(root, tt.opts)} {
				for _, want := range tt.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("error = %v, want %v", err, want)
					}
				}
			}
		})
	}
	if err := (RecordOptions{}).Validate(); err != nil {
		t.Errorf("zero RecordOptions.Validate() = %v, want nil", err)
	}
	if _, err := Record(context.Background(), filepath.Join(root, "missing"), []string{"."}, RecordOptions{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Record(missing root) error = %v, want %v", err, fs.ErrNotExist)
	}
}

func recordErr(root string, opts RecordOptions) error {
	_, err := Record(context.Background(), root, []string{"."}, opts)
	return err
}

func TestRecordUnreadable(t *testing.T) {
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		t.Skip("needs Unix permissions and a non-root user")
	}
	t.Parallel()
	root := t.TempDir()
	fixture{files: map[string]string{"ok": "", "secret/x": "", "locked": ""}}.build(t, root)
	if err := os.Chmod(filepath.Join(root, "locked"), 0); err != nil {
		t.Fatal(err)
	}
	_, err := Record(context.Background(), root, []string{"."}, RecordOptions{})
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), `"locked"`) {
		t.Errorf("Record error = %v, want %v naming \"locked\"", err, fs.ErrPermission)
	}
	if err := os.Chmod(filepath.Join(root, "locked"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(root, "secret"), 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(root, "secret"), 0o755)
	_, err = Record(context.Background(), root, []string{"."}, RecordOptions{})
	if !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), `"secret"`) {
		t.Errorf("Record error = %v, want %v naming \"secret\"", err, fs.ErrPermission)
	}
}

// TestRecordWorkersDeterministic records the same tree with different
// worker counts and wants identical results.
func TestRecordWorkersDeterministic(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	f := fixture{files: map[string]string{}, links: map[string]string{}}
	for i := range 1500 {
		f.files[fmt.Sprintf("d%d/e%d/f%d", i%7, i%13, i)] = strings.Repeat("x", i)
	}
	for i := range 7 {
		f.links[fmt.Sprintf("d%d/up", i)] = ".."
		f.links[fmt.Sprintf("d%d/sib", i)] = fmt.Sprintf("../d%d/e1", (i+1)%7)
		f.links[fmt.Sprintf("d%d/out", i)] = "../../../.."
	}
	f.build(t, root)
	want := mustRecord(t, root, []string{"."}, RecordOptions{Workers: 1})
	if len(want.Artifacts) < 1500 || len(want.Skipped) < 14 {
		t.Fatalf("Record recorded %d files and skipped %d, want at least 1500 and 14", len(want.Artifacts), len(want.Skipped))
	}
	for _, w := range []int{0, 2, 8, 64} {
		for range 3 {
			got := mustRecord(t, root, []string{"."}, RecordOptions{Workers: w})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("Record with %d workers differs from 1 worker (-want +got):\n%s", w, diff)
			}
		}
	}
}

// TestRecordCancel: a cancelled context stops the walk promptly, even in
// the middle of a large file.
func TestRecordCancel(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for i := range 8 {
		f, err := os.Create(filepath.Join(root, fmt.Sprintf("sparse%d", i)))
		if err != nil {
			t.Fatal(err)
		}
		// Sparse: no disk space, but 256 MiB each to read and hash.
		if err := f.Truncate(256 << 20); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err := Record(ctx, root, []string{"."}, RecordOptions{}); !errors.Is(err, context.Canceled) || res != nil {
		t.Errorf("Record(cancelled) = %v, %v; want nil, %v", res, err, context.Canceled)
	}

	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := Record(ctx, root, []string{"."}, RecordOptions{Workers: 2})
	if !errors.Is(err, context.DeadlineExceeded) || res != nil {
		t.Errorf("Record(timeout) = %v, %v; want nil, %v", res, err, context.DeadlineExceeded)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Record took %v to notice cancellation", d)
	}
}

// FuzzByName holds byName, which sorts a directory's files by their
// names' first eight bytes before comparing the rest, to strings.Compare.
func FuzzByName(f *testing.F) {
	for _, p := range [][2]string{{"", ""}, {"a", ""}, {"ab", "ab\x00"}, {"f000000.bin", "f000001.bin"}, {"abcdefgh", "abcdefg"}, {"abcdefgh1", "abcdefgh2"}, {"\xff", "\x7f"}, {"\x80abcdefgh", "\x7fabcdefgh"}} {
		f.Add(p[0], p[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := byName(fileItem{name: a}, fileItem{name: b}), strings.Compare(a, b); got != want {
			t.Fatalf("byName(%q, %q) = %d, want %d", a, b, got, want)
		}
	})
}
