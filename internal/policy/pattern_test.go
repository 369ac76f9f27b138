package policy

import (
	"encoding/json"
	"errors"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

type fnmatchVectors struct {
	Source        string   `json:"source"`
	ConsignErrors []string `json:"consign_errors"`
	Vectors       []struct {
		Pattern string `json:"pattern"`
		Name    string `json:"name"`
		Match   bool   `json:"match"`
	} `json:"vectors"`
}

func loadVectors(t testing.TB) fnmatchVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/fnmatch_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v fnmatchVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Vectors) < 1000 || !strings.Contains(v.Source, "fnmatchcase") {
		t.Fatalf("testdata/fnmatch_vectors.json looks wrong: %d vectors, source %q", len(v.Vectors), v.Source)
	}
	return v
}

// TestPatternMatchesPythonFnmatch checks every golden vector made with
// CPython's fnmatch.fnmatchcase (testdata/fnmatch_vectors.py), which is what
// in-toto's reference implementation applies to artifact rules; the
// patterns consign refuses must fail to compile.
func TestPatternMatchesPythonFnmatch(t *testing.T) {
	v := loadVectors(t)
	compared, refused := 0, 0
	for _, vec := range v.Vectors {
		p, err := CompilePattern(vec.Pattern)
		if slices.Contains(v.ConsignErrors, vec.Pattern) {
			if err == nil || !errors.Is(err, ErrPattern) {
				t.Errorf("CompilePattern(%q) = %v, want an error wrapping ErrPattern (Python reads it as a literal)", vec.Pattern, err)
			}
			refused++
			continue
		}
		if err != nil {
			t.Errorf("CompilePattern(%q) = %v, want a pattern", vec.Pattern, err)
			continue
		}
		if path.Clean(vec.Name) != vec.Name || path.Clean(vec.Pattern) != vec.Pattern {
			t.Fatalf("vector %q/%q is not clean; consign cleans both, so it says nothing", vec.Pattern, vec.Name)
		}
		if got := p.Match(vec.Name); got != vec.Match {
			t.Errorf("Pattern(%q).Match(%q) = %v, Python fnmatchcase says %v", vec.Pattern, vec.Name, got, vec.Match)
		}
		compared++
	}
	if compared < 1500 || refused == 0 {
		t.Errorf("compared %d vectors and checked %d refusals; the golden file is too small", compared, refused)
	}
}

// TestSecurityCase33_CaretIsNotNegation: "[!a-z]*" negates, "[^a-z]*" is a
// class holding "^" and a-z, as in Python (in-toto-golang read "^" as a
// negation before GHSA-pmwq-pjrm-6p5r). So against product X.sh, DISALLOW
// [!a-z]* catches it and DISALLOW [^a-z]* does not; lint warns about "[^".
func TestSecurityCase33_CaretIsNotNegation(t *testing.T) {
	neg := MustCompilePattern("[!a-z]*")
	caret := MustCompilePattern("[^a-z]*")
	if !neg.Match("X.sh") {
		t.Errorf(`"[!a-z]*".Match("X.sh") = false, want true`)
	}
	if caret.Match("X.sh") {
		t.Errorf(`"[^a-z]*".Match("X.sh") = true, want false: "^" is a member, not a negation`)
	}
	if !caret.Match("^x") || !caret.Match("x.sh") {
		t.Errorf(`"[^a-z]*" must match "^x" and "x.sh"`)
	}
	if !caret.HasCaretClass() || neg.HasCaretClass() {
		t.Errorf("HasCaretClass: [^a-z]* = %v, [!a-z]* = %v; want true, false", caret.HasCaretClass(), neg.HasCaretClass())
	}
	r, err := ParseRuleText(`DISALLOW "[^a-z]*"`)
	if err != nil || r.Pattern.Match("X.sh") {
		t.Errorf("DISALLOW [^a-z]* = %v, %v; it must parse and not match X.sh", r, err)
	}
}

// TestSecurityCase32_StarCrossesSlashAndPathsAreCleaned: "*" matches across
// "/", and "./evil.sh" and "src/../evil.sh" are "evil.sh" for patterns.
func TestSecurityCase32_StarCrossesSlashAndPathsAreCleaned(t *testing.T) {
	srcStar := MustCompilePattern("src/*")
	all := MustCompilePattern("*")
	for _, name := range []string{"src/../evil.sh", "./evil.sh"} {
		if srcStar.Match(name) {
			t.Errorf("src/*.Match(%q) = true, want false: the name cleans to evil.sh", name)
		}
		if !all.Match(name) {
			t.Errorf("*.Match(%q) = false, want true", name)
		}
	}
	if !srcStar.Match("src/a/b/c.go") || !all.Match("sub/dir/evil.sh") {
		t.Errorf("* must cross /")
	}
	if got := MustCompilePattern("./src//*").String(); got != "src/*" {
		t.Errorf("CompilePattern(./src//*).String() = %q, want src/*", got)
	}
}

// TestSecurityCase34_BadPatternIsAnError: a pattern that cannot match as
// written is refused at load time, never a silent non-match.
func TestSecurityCase34_BadPatternIsAnError(t *testing.T) {
	for _, p := range []string{"targets/[", "[z-a]", `dist\*`, "", "a\x00b", "[!", "\xff"} {
		if _, err := CompilePattern(p); !errors.Is(err, ErrPattern) {
			t.Errorf("CompilePattern(%q) = %v, want ErrPattern", p, err)
		}
	}
	if _, err := ParseRuleText("DISALLOW targets/["); !errors.Is(err, ErrPattern) {
		t.Errorf("ParseRuleText(DISALLOW targets/[) = %v, want ErrPattern", err)
	}
}

// TestSecurityCase68_ByteExactMatching: no case folding and no Unicode
// normalisation: DISALLOW evil.sh does not match EVIL.sh, and NFC is not NFD.
func TestSecurityCase68_ByteExactMatching(t *testing.T) {
	if MustCompilePattern("evil.sh").Match("EVIL.sh") {
		t.Errorf("evil.sh matches EVIL.sh; matching must be byte-exact")
	}
	if MustCompilePattern("caf\u00e9.txt").Match("cafe\u0301.txt") {
		t.Errorf("NFC pattern matches NFD name; matching must be byte-exact")
	}
	if !MustCompilePattern("caf?.txt").Match("caf\u00e9.txt") {
		t.Errorf("? must match one character (é), not one byte")
	}
}

func TestPatternWorstCaseIsLinear(t *testing.T) {
	p := MustCompilePattern(strings.Repeat("*a", 30) + "b")
	name := strings.Repeat("a", 5000)
	if p.Match(name) {
		t.Fatalf("matched, want no match")
	}
}

// refMatch is a naive reference: the pattern translated to a regexp the way
// Python's fnmatch.translate does for the patterns consign accepts.
func refMatch(t testing.TB, pattern, name string) bool {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		switch r {
		case '*':
			b.WriteString(".*")
			i += n
		case '?':
			b.WriteString(".")
			i += n
		case '[':
			tok, next, err := parseClass(pattern, i)
			if err != nil {
				t.Fatalf("parseClass(%q): %v", pattern, err)
			}
			// A reversed range (z-0) holds nothing, as Python's fnmatch
			// drops it; a class left empty matches no character, or any
			// one when negated.
			var class strings.Builder
			for _, rg := range tok.ranges {
				if rg.lo > rg.hi {
					continue
				}
				class.WriteString(classChar(rg.lo))
				if rg.hi != rg.lo {
					class.WriteString("-" + classChar(rg.hi))
				}
			}
			switch {
			case class.Len() > 0 && tok.neg:
				b.WriteString("[^" + class.String() + "]")
			case class.Len() > 0:
				b.WriteString("[" + class.String() + "]")
			case tok.neg:
				b.WriteString(".")
			default:
				b.WriteString("[^\\x00-\\x{10FFFF}]")
			}
			i = next
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
			i += n
		}
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String()).MatchString(name)
}

// classChar is r quoted for a regexp character class, where '-' is special
// too (regexp.QuoteMeta leaves it as it is).
func classChar(r rune) string {
	if r == '-' {
		return `\-`
	}
	return regexp.QuoteMeta(string(r))
}

// FuzzPattern checks that compiling never panics, that a compiled pattern
// never panics on any name, and that matching agrees with a regexp
// translation of the same pattern.
func FuzzPattern(f *testing.F) {
	v := loadVectors(f)
	seen := map[string]bool{}
	for _, vec := range v.Vectors {
		if !seen[vec.Pattern] {
			seen[vec.Pattern] = true
			f.Add(vec.Pattern, vec.Name)
		}
	}
	f.Fuzz(func(t *testing.T, pattern, name string) {
		p, err := CompilePattern(pattern)
		if err != nil {
			if !errors.Is(err, ErrPattern) {
				t.Fatalf("CompilePattern(%q) = %v, not ErrPattern", pattern, err)
			}
			return
		}
		if !utf8.ValidString(name) {
			return
		}
		clean := path.Clean(name)
		got := p.MatchClean(clean)
		if want := refMatch(t, p.String(), clean); got != want {
			t.Fatalf("Pattern(%q).MatchClean(%q) = %v, the regexp translation says %v", p.String(), clean, got, want)
		}
	})
}
