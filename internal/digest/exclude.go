package digest

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// This file holds the small gitignore-style matcher behind
// [RecordOptions.Exclude]; the package documentation gives its syntax.
// Patterns are compiled once, into one glob per path element, and matched
// without allocating, in time linear in the pattern times the path: "*"
// backtracks only to the last "*", and "**" to the last "**".

// pattern is one compiled exclude pattern.
type pattern struct {
	negate   bool
	dirOnly  bool
	anchored bool     // matched against the whole path, else against its last element
	elems    []string // globs per path element; "**" matches any number of elements
}

// excluder decides which recorded paths are excluded. A nil *excluder
// excludes nothing.
type excluder struct {
	patterns []pattern
}

// compileExcludes compiles gitignore-style patterns. It returns nil if
// there are none, and an error wrapping [ErrInvalidPattern] that quotes the
// first bad one.
func compileExcludes(patterns []string) (*excluder, error) {
	var e excluder
	for _, text := range patterns {
		p, ok, err := compilePattern(text)
		if err != nil {
			return nil, fmt.Errorf("%w %q: %v", ErrInvalidPattern, text, err)
		}
		if ok {
			e.patterns = append(e.patterns, p)
		}
	}
	if len(e.patterns) == 0 {
		return nil, nil
	}
	return &e, nil
}

// compilePattern compiles one pattern; ok is false for a blank line or a
// comment.
func compilePattern(text string) (p pattern, ok bool, err error) {
	s := trimTrailingSpaces(text)
	if s == "" || s[0] == '#' {
		return pattern{}, false, nil
	}
	if s[0] == '!' {
		p.negate = true
		s = s[1:]
	}
	if strings.HasSuffix(s, "/") {
		p.dirOnly = true
		s = s[:len(s)-1]
	}
	if s == "" {
		return pattern{}, false, fmt.Errorf("nothing to match")
	}
	if strings.Contains(s, "/") {
		p.anchored = true
		s = strings.TrimPrefix(s, "/")
		if s == "" {
			return pattern{}, false, fmt.Errorf("nothing to match")
		}
	}
	for _, el := range strings.Split(s, "/") {
		switch el {
		case "":
			return pattern{}, false, fmt.Errorf("empty path element")
		case ".", "..":
			return pattern{}, false, fmt.Errorf("path element %q never matches a recorded path", el)
		}
		if err := checkGlob(el); err != nil {
			return pattern{}, false, err
		}
		if p.anchored && el == "**" && len(p.elems) > 0 && p.elems[len(p.elems)-1] == "**" {
			continue // "**/**" is "**"
		}
		p.elems = append(p.elems, el)
	}
	if p.anchored && p.elems[len(p.elems)-1] == "**" {
		// A trailing "**" matches one or more elements: "*" then "**".
		p.elems = append(p.elems[:len(p.elems)-1], "*", "**")
	}
	return p, true, nil
}

// trimTrailingSpaces removes trailing spaces that are not escaped with a
// backslash.
func trimTrailingSpaces(s string) string {
	end := len(s)
	for end > 0 && s[end-1] == ' ' {
		end--
	}
	if end == len(s) {
		return s
	}
	// Keep one space if the run of spaces follows an odd number of backslashes.
	bs := 0
	for i := end - 1; i >= 0 && s[i] == '\\'; i-- {
		bs++
	}
	if bs%2 == 1 {
		end++
	}
	return s[:end]
}

// checkGlob reports why el is not a well-formed glob for one path element.
func checkGlob(el string) error {
	for i := 0; i < len(el); {
		switch el[i] {
		case '\\':
			if i+1 >= len(el) {
				return fmt.Errorf("trailing backslash")
			}
			_, w := utf8.DecodeRuneInString(el[i+1:])
			i += 1 + w
		case '[':
			_, w, err := parseClass(el[i:], 0)
			if err != nil {
				return err
			}
			i += w
		default:
			i++
		}
	}
	return nil
}

// parseClass parses the bracket expression at the start of s and reports
// whether r is in it, and how many bytes the expression takes.
func parseClass(s string, r rune) (match bool, width int, err error) {
	i := 1 // past '['
	negate := false
	if i < len(s) && (s[i] == '!' || s[i] == '^') {
		negate = true
		i++
	}
	first := true
	for {
		if i >= len(s) {
			return false, 0, fmt.Errorf("unclosed [")
		}
		if s[i] == ']' && !first {
			return match != negate, i + 1, nil
		}
		first = false
		if s[i] == '[' && i+1 < len(s) && (s[i+1] == ':' || s[i+1] == '=' || s[i+1] == '.') {
			return false, 0, fmt.Errorf("character classes such as [:alpha:] are not supported")
		}
		lo, w, err := classChar(s, i)
		if err != nil {
			return false, 0, err
		}
		i += w
		hi := lo
		if i+1 < len(s) && s[i] == '-' && s[i+1] != ']' {
			hi, w, err = classChar(s, i+1)
			if err != nil {
				return false, 0, err
			}
			i += 1 + w
			if hi < lo {
				return false, 0, fmt.Errorf("range %c-%c is reversed", lo, hi)
			}
		}
		if lo <= r && r <= hi {
			match = true
		}
	}
}

// classChar decodes the possibly escaped character at s[i] in a bracket
// expression.
func classChar(s string, i int) (rune, int, error) {
	if s[i] == '\\' {
		if i+1 >= len(s) {
			return 0, 0, fmt.Errorf("unclosed [")
		}
		r, w := utf8.DecodeRuneInString(s[i+1:])
		return r, 1 + w, nil
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	return r, w, nil
}

// excluded reports whether the recorded path rel (normalised, relative to
// the root, "/"-separated) is excluded; isDir says whether it is a directory.
func (e *excluder) excluded(rel string, isDir bool) bool {
	if e == nil {
		return false
	}
	ex := false
	for i := range e.patterns {
		p := &e.patterns[i]
		if (p.dirOnly && !isDir) || ex == !p.negate {
			continue // cannot apply, or cannot change the answer
		}
		if p.match(rel) {
			ex = !p.negate
		}
	}
	return ex
}

func (p *pattern) match(rel string) bool {
	if !p.anchored {
		return matchGlob(p.elems[0], rel[strings.LastIndexByte(rel, '/')+1:])
	}
	return matchElems(p.elems, rel)
}

// matchElems matches globs against the "/"-separated elements of rel. A
// "**" glob matches any number of elements and every other glob exactly
// one, so, as in matchGlob, backtracking to the last "**" is enough and
// the time is O(len(globs)*len(rel)).
func matchElems(globs []string, rel string) bool {
	end := len(rel) + 1 // the position past the last element
	gi, at := 0, 0      // the next glob, and where the next element starts
	starG, starAt := -1, 0
	for gi < len(globs) || at < end {
		if gi < len(globs) {
			if globs[gi] == "**" {
				starG, starAt = gi, at
				gi++
				continue
			}
			if at < end {
				el, next := nextElem(rel, at)
				if matchGlob(globs[gi], el) {
					gi++
					at = next
					continue
				}
			}
		}
		if starG >= 0 && starAt < end {
			_, starAt = nextElem(rel, starAt)
			gi, at = starG+1, starAt
			continue
		}
		return false
	}
	return true
}

// nextElem returns the element of rel starting at at, and where the one
// after it starts (len(rel)+1 if there is none).
func nextElem(rel string, at int) (string, int) {
	if j := strings.IndexByte(rel[at:], '/'); j >= 0 {
		return rel[at : at+j], at + j + 1
	}
	return rel[at:], len(rel) + 1
}

// matchGlob reports whether name matches the glob g (checked by checkGlob).
// It backtracks only to the last "*", so it runs in O(len(g)*len(name)).
func matchGlob(g, name string) bool {
	gi, ni := 0, 0
	starG, starN := -1, -1 // where to resume after the last "*"
	for gi < len(g) || ni < len(name) {
		if gi < len(g) {
			switch c := g[gi]; c {
			case '*':
				starG, starN = gi, ni
				gi++
				continue
			case '?':
				if ni < len(name) {
					_, w := utf8.DecodeRuneInString(name[ni:])
					gi++
					ni += w
					continue
				}
			case '[':
				if ni < len(name) {
					r, w := utf8.DecodeRuneInString(name[ni:])
					ok, cw, _ := parseClass(g[gi:], r)
					if ok {
						gi += cw
						ni += w
						continue
					}
				}
			default:
				lit := g[gi:]
				if c == '\\' {
					lit = g[gi+1:]
				}
				_, lw := utf8.DecodeRuneInString(lit)
				if ni+lw <= len(name) && name[ni:ni+lw] == lit[:lw] {
					gi += len(g[gi:]) - len(lit) + lw
					ni += lw
					continue
				}
			}
		}
		if starN >= 0 && starN < len(name) {
			_, w := utf8.DecodeRuneInString(name[starN:])
			starN += w
			gi, ni = starG+1, starN
			continue
		}
		return false
	}
	return true
}
