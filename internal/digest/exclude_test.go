package digest

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	pathspec "github.com/shibumi/go-pathspec"
)

func TestExcludeMatch(t *testing.T) {
	type probe struct {
		path  string
		isDir bool
		want  bool
	}
	tests := []struct {
		name     string
		patterns []string
		probes   []probe
	}{
		{
			name:     "base name at any depth",
			patterns: []string{"*.o"},
			probes: []probe{
				{"a.o", false, true}, {"src/x/b.o", false, true}, {"a.o.txt", false, false},
				{"ao", false, false}, {"dir.o", true, true}, {".o", false, true},
			},
		},
		{
			name:     "directory only",
			patterns: []string{"build/"},
			probes: []probe{
				{"build", true, true}, {"src/build", true, true}, {"build", false, false},
				{"build.txt", false, false}, {"builds", true, false},
			},
		},
		{
			name:     "anchored by leading slash",
			patterns: []string{"/top-only"},
			probes:   []probe{{"top-only", false, true}, {"top-only", true, true}, {"a/top-only", false, false}},
		},
		{
			name:     "anchored by middle slash",
			patterns: []string{"dir/*.log"},
			probes: []probe{
				{"dir/x.log", false, true}, {"dir/.log", false, true}, {"a/dir/x.log", false, false},
				{"dir/sub/x.log", false, false}, {"dir/x.log.1", false, false},
			},
		},
		{
			name:     "double star both sides",
			patterns: []string{"**/tmp/**"},
			probes: []probe{
				{"tmp/a", false, true}, {"x/y/tmp/a/b", false, true}, {"tmp", true, false},
				{"x/tmp", true, false}, {"tmpx/a", false, false},
			},
		},
		{
			name:     "leading double star",
			patterns: []string{"**/logs"},
			probes:   []probe{{"logs", true, true}, {"a/b/logs", false, true}, {"a/logs/x", false, false}},
		},
		{
			name:     "middle double star",
			patterns: []string{"a/**/b"},
			probes:   []probe{{"a/b", false, true}, {"a/x/b", false, true}, {"a/x/y/b", false, true}, {"a/xb", false, false}, {"x/a/b", false, false}},
		},
		{
			name:     "trailing double star",
			patterns: []string{"abc/**"},
			probes:   []probe{{"abc", true, false}, {"abc/x", false, true}, {"abc/x/y", true, true}, {"x/abc/y", false, false}},
		},
		{
			name:     "double star alone",
			patterns: []string{"**"},
			probes:   []probe{{"a", false, true}, {"a/b/c", false, true}},
		},
		{
			name:     "double star inside an element is a star",
			patterns: []string{"a/x**y"},
			probes:   []probe{{"a/xy", false, true}, {"a/x123y", false, true}, {"a/x1/2y", false, false}},
		},
		{
			name:     "negation re-includes",
			patterns: []string{"*.o", "!keep.o"},
			probes:   []probe{{"a.o", false, true}, {"keep.o", false, false}, {"src/keep.o", false, false}},
		},
		{
			name:     "last match wins",
			patterns: []string{"!keep.o", "*.o"},
			probes:   []probe{{"keep.o", false, true}},
		},
		{
			name:     "negation of a directory-only pattern",
			patterns: []string{"*.d", "!x.d/"},
			probes:   []probe{{"x.d", true, false}, {"x.d", false, true}, {"y.d", true, true}},
		},
		{
			name:     "question mark and classes",
			patterns: []string{"file?.txt", "[abc]*.c", "[!0-9]*.h", "[^x]y", "v[0-9][0-9]"},
			probes: []probe{
				{"file1.txt", false, true}, {"file12.txt", false, false}, {"file/.txt", false, false},
				{"b.c", false, true}, {"d.c", false, false},
				{"x.h", false, true}, {"1.h", false, false},
				{"ay", false, true}, {"xy", false, false},
				{"v10", false, true}, {"v1a", false, false},
			},
		},
		{
			name:     "escapes",
			patterns: []string{`\!important`, `\#hash`, `lit\*`, `sp\ `},
			probes: []probe{
				{"!important", false, true}, {"#hash", false, true}, {"lit*", false, true},
				{"litx", false, false}, {"sp ", false, true}, {"sp", false, false},
			},
		},
		{
			name:     "comments and blank lines are ignored",
			patterns: []string{"# *.go", "", "   "},
			probes:   []probe{{"main.go", false, false}, {"# x.go", false, false}},
		},
		{
			name:     "trailing spaces are trimmed",
			patterns: []string{"a.txt   "},
			probes:   []probe{{"a.txt", false, true}, {"a.txt ", false, false}},
		},
		{
			name:     "class with bracket and range edge",
			patterns: []string{"[]a]x", "[a-]y"},
			probes:   []probe{{"]x", false, true}, {"ax", false, true}, {"bx", false, false}, {"-y", false, true}, {"ay", false, true}},
		},
		{
			name:     "unicode",
			patterns: []string{"?.txt", "é*"},
			probes:   []probe{{"é.txt", false, true}, {"éa", false, true}, {"ab.txt", false, false}},
		},
		{
			name:     "star does not cross a slash",
			patterns: []string{"/a*c"},
			probes:   []probe{{"abc", false, true}, {"ab/c", false, false}},
		},
		{
			name:     "backslash in a file name is literal",
			patterns: []string{`dist\\*`},
			probes:   []probe{{`dist\app.exe`, false, true}, {"dist/app.exe", false, false}},
		},
		{
			name:     "backtracking",
			patterns: []string{"*a*b*c*"},
			probes:   []probe{{"xxaxxbxxcxx", false, true}, {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", false, false}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := compileExcludes(tt.patterns)
			if err != nil {
				t.Fatalf("compileExcludes(%q) error: %v", tt.patterns, err)
			}
			for _, p := range tt.probes {
				if got := e.excluded(p.path, p.isDir); got != p.want {
					t.Errorf("excluded(%q, isDir=%v) with %q = %v, want %v", p.path, p.isDir, tt.patterns, got, p.want)
				}
			}
		})
	}
}

// TestSecurityCase34InvalidPattern: a pattern that cannot match as written
// is an error when the options are checked, never a silent non-match.
func TestSecurityCase34InvalidPattern(t *testing.T) {
	for _, p := range []string{
		"[", "targets/[", "a[b", `a\`, "[z-a]", "[[:alpha:]]", "[", "!", "/", "!/", "a//b",
		"./a", "a/../b", "a/.", "[a-\\", `[\`,
	} {
		_, err := compileExcludes([]string{"ok", p})
		if !errors.Is(err, ErrInvalidPattern) || !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("compileExcludes(%q) error = %v, want %v", p, err, ErrInvalidPattern)
		}
		if err != nil && !strings.Contains(err.Error(), p) {
			t.Errorf("compileExcludes(%q) error %q does not quote the pattern", p, err)
		}
		opts := RecordOptions{Exclude: []string{p}}
		if err := opts.Validate(); !errors.Is(err, ErrInvalidPattern) {
			t.Errorf("RecordOptions{Exclude: %q}.Validate() = %v, want %v", p, err, ErrInvalidPattern)
		}
	}
	e, err := compileExcludes(nil)
	if err != nil || e != nil || e.excluded("a", false) {
		t.Errorf("compileExcludes(nil) = %v, %v; want an excluder that excludes nothing", e, err)
	}
}

// TestExcludeAgreesWithPathspec compares the matcher with
// github.com/shibumi/go-pathspec (what in-toto-golang uses) on files, for the
// patterns both treat alike. They differ on purpose elsewhere: pathspec does
// not anchor "dir/*.log", and "build/" matches what is inside build rather
// than the directory (this package excludes the directory and does not
// descend into it, which omits the same files).
func TestExcludeAgreesWithPathspec(t *testing.T) {
	patterns := [][]string{{"*.o"}, {"*.log", "!keep.log"}, {"/top"}, {"**/tmp/**"}, {"file?.txt"}, {"[ab]*.c"}}
	paths := []string{"a.o", "x/b.o", "a.log", "keep.log", "x/keep.log", "top", "x/top", "tmp/a", "x/tmp/y/z",
		"file1.txt", "x/file22.txt", "a1.c", "x/b2.c", "c3.c", "plain"}
	for _, ps := range patterns {
		e, err := compileExcludes(ps)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			want, err := pathspec.GitIgnore(ps, p)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.excluded(p, false); got != want {
				t.Errorf("excluded(%q) with %q = %v, pathspec says %v", p, ps, got, want)
			}
		}
	}
}

func FuzzExclude(f *testing.F) {
	f.Add("*.o", "a/b.o")
	f.Add("**/tmp/**", "x/tmp/y")
	f.Add("[!a-c]?*", "dé")
	f.Add(`a\*b`, "a*b")
	f.Fuzz(func(t *testing.T, pattern, rel string) {
		e, err := compileExcludes([]string{pattern})
		if err != nil {
			if !errors.Is(err, ErrInvalidPattern) {
				t.Fatalf("compileExcludes(%q) error %v does not wrap %v", pattern, err, ErrInvalidPattern)
			}
			return
		}
		// Must not panic or hang, and must be deterministic.
		a, b := e.excluded(rel, false), e.excluded(rel, false)
		if a != b {
			t.Fatalf("excluded(%q) with %q is not deterministic", rel, pattern)
		}
	})
}

// refMatchElems is a naive recursive oracle for matchElems.
func refMatchElems(globs, elems []string) bool {
	if len(globs) == 0 {
		return len(elems) == 0
	}
	if globs[0] == "**" {
		for i := 0; i <= len(elems); i++ {
			if refMatchElems(globs[1:], elems[i:]) {
				return true
			}
		}
		return false
	}
	return len(elems) > 0 && matchGlob(globs[0], elems[0]) && refMatchElems(globs[1:], elems[1:])
}

// TestMatchElemsOracle compares the linear matcher with the naive one on
// random patterns and paths.
func TestMatchElemsOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(from []string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = from[rng.IntN(len(from))]
		}
		return out
	}
	for range 20000 {
		pat := "/" + strings.Join(pick([]string{"a", "b", "*", "?", "**", "a*", "*b"}, 1+rng.IntN(5)), "/")
		p, ok, err := compilePattern(pat)
		if err != nil || !ok {
			t.Fatalf("compilePattern(%q) = %v, %v", pat, ok, err)
		}
		elems := pick([]string{"a", "b", "ab", "ba", "c"}, 1+rng.IntN(6))
		rel := strings.Join(elems, "/")
		if got, want := matchElems(p.elems, rel), refMatchElems(p.elems, elems); got != want {
			t.Fatalf("matchElems(%q, %q) = %v, oracle says %v", pat, rel, got, want)
		}
	}
}

// TestExcludeLinearTime: patterns made to backtrack stay fast.
func TestExcludeLinearTime(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("a/", 500) + "c"
	long := strings.Repeat("a", 20000)
	e, err := compileExcludes([]string{"/" + strings.Repeat("**/a/", 12) + "**/b", strings.Repeat("*a", 12) + "*b"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for range 10 {
		if e.excluded(deep, false) || e.excluded(long, false) {
			t.Fatal("excluded a path no pattern matches")
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("matching took %v, want well under a second", d)
	}
}
