package policy

import (
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// Pattern is a compiled artifact pattern of an in-toto artifact rule. It
// matches as in-toto's reference implementation does, with Python's
// fnmatch.fnmatchcase on POSIX (in-toto python verifylib, fnmatch.filter):
//
//   - "*" matches any run of characters, "/" included (security case 32 in docs/security.md);
//   - "?" matches any one character, "/" included;
//   - "[seq]" matches one character in seq, "[!seq]" one character not in
//     seq; "a-z" in seq is a range; a "]" right after "[" or "[!" is a
//     member; a "-" first or last in seq is a member;
//   - "[^seq]" is NOT a negation: "^" is a member like any other, as in
//     Python (security case 33 in docs/security.md; in-toto-golang before GHSA-pmwq-pjrm-6p5r
//     read it as a negation). [Lint] warns about it;
//   - everything else matches itself, byte for byte: no case folding and no
//     Unicode normalisation (security case 68 in docs/security.md).
//
// The whole name must match. Patterns and artifact names are both cleaned
// with [path.Clean] before matching, so "./a" and "src/../a" are "a".
//
// Where Python quietly reads a broken pattern as a literal or as a class
// that never matches, [CompilePattern] refuses it, so that a typo can never
// silently disable a DISALLOW rule (security case 34 in docs/security.md): an unclosed "[", a
// reversed range such as "[z-a]", a backslash (fnmatch has no escapes and
// consign's artifact names never hold one), a NUL byte, and an empty pattern.
type Pattern struct {
	src  string
	toks []token
}

type tokKind uint8

const (
	tokLit   tokKind = iota // a literal run of bytes
	tokAny                  // ?
	tokStar                 // *
	tokClass                // [...]
)

type token struct {
	kind   tokKind
	lit    string
	neg    bool
	ranges []runeRange
}

type runeRange struct{ lo, hi rune }

// CompilePattern compiles s, cleaned with [path.Clean]. It returns an error
// wrapping [ErrPattern] for a pattern consign refuses (see [Pattern]).
func CompilePattern(s string) (Pattern, error) {
	if s == "" {
		return Pattern{}, fmt.Errorf("%w: empty pattern", ErrPattern)
	}
	if !utf8.ValidString(s) {
		return Pattern{}, fmt.Errorf("%w: %q is not valid UTF-8", ErrPattern, s)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Pattern{}, fmt.Errorf("%w: %q holds a NUL byte", ErrPattern, s)
	}
	if strings.IndexByte(s, '\\') >= 0 {
		return Pattern{}, fmt.Errorf("%w: %q holds a backslash; fnmatch has no escape character and artifact names never hold one", ErrPattern, s)
	}
	clean := path.Clean(s)
	p := Pattern{src: clean}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.toks = append(p.toks, token{kind: tokLit, lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(clean); {
		switch c := clean[i]; c {
		case '*':
			flush()
			// Consecutive stars are one star.
			if n := len(p.toks); n == 0 || p.toks[n-1].kind != tokStar {
				p.toks = append(p.toks, token{kind: tokStar})
			}
			i++
		case '?':
			flush()
			p.toks = append(p.toks, token{kind: tokAny})
			i++
		case '[':
			tok, next, err := parseClass(clean, i)
			if err != nil {
				return Pattern{}, err
			}
			flush()
			p.toks = append(p.toks, tok)
			i = next
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return p, nil
}

// parseClass reads the class that opens at s[i] == '[', as Python's
// fnmatch.translate delimits it, and returns the index after its "]".
func parseClass(s string, i int) (token, int, error) {
	j := i + 1
	neg := false
	if j < len(s) && s[j] == '!' {
		neg = true
		j++
	}
	start := j
	if j < len(s) && s[j] == ']' {
		j++ // a "]" first in the class is a member
	}
	for j < len(s) && s[j] != ']' {
		j++
	}
	if j >= len(s) {
		return token{}, 0, fmt.Errorf("%w: %q has an unclosed \"[\" at byte %d (Python would read it as a literal \"[\")", ErrPattern, s, i)
	}
	members := []rune(s[start:j])
	tok := token{kind: tokClass, neg: neg}
	for k := 0; k < len(members); k++ {
		lo := members[k]
		if k+2 < len(members) && members[k+1] == '-' {
			hi := members[k+2]
			if lo > hi {
				return token{}, 0, fmt.Errorf("%w: %q has the reversed range %q, which matches nothing", ErrPattern, s, string([]rune{lo, '-', hi}))
			}
			tok.ranges = append(tok.ranges, runeRange{lo, hi})
			k += 2
			continue
		}
		tok.ranges = append(tok.ranges, runeRange{lo, lo})
	}
	return tok, j + 1, nil
}

// MustCompilePattern is [CompilePattern] for patterns known to be good; it
// panics otherwise. It is meant for tests and constants.
func MustCompilePattern(s string) Pattern {
	p, err := CompilePattern(s)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pattern as compiled (cleaned).
func (p Pattern) String() string { return p.src }

// HasCaretClass reports whether the pattern has a class opening with "^",
// which fnmatch reads as a member, not as a negation.
func (p Pattern) HasCaretClass() bool {
	for _, t := range p.toks {
		if t.kind == tokClass && !t.neg && len(t.ranges) > 0 && t.ranges[0].lo == '^' {
			return true
		}
	}
	return false
}

func (t *token) matches(r rune) bool {
	in := false
	for _, rg := range t.ranges {
		if rg.lo <= r && r <= rg.hi {
			in = true
			break
		}
	}
	return in != t.neg
}

// Match reports whether name, cleaned with [path.Clean], matches the pattern.
// It runs in O(len(pattern) * len(name)) time at worst.
func (p Pattern) Match(name string) bool {
	return p.MatchClean(path.Clean(name))
}

// MatchClean is [Pattern.Match] for a name that is already clean.
func (p Pattern) MatchClean(s string) bool {
	toks := p.toks
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for si < len(s) {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar:
				starTi, starSi = ti, si
				ti++
				continue
			case tokLit:
				if strings.HasPrefix(s[si:], t.lit) {
					si += len(t.lit)
					ti++
					continue
				}
			case tokAny:
				_, n := utf8.DecodeRuneInString(s[si:])
				si += n
				ti++
				continue
			case tokClass:
				r, n := utf8.DecodeRuneInString(s[si:])
				if t.matches(r) {
					si += n
					ti++
					continue
				}
			}
		}
		if starTi < 0 {
			return false
		}
		// Let the last star take one more character and retry after it.
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		si = starSi
		ti = starTi + 1
	}
	for ti < len(toks) && toks[ti].kind == tokStar {
		ti++
	}
	return ti == len(toks)
}
