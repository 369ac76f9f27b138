package sbomdoc

import (
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// builtinTypes are the XSD built-in simple types the CycloneDX schemas
// use, with their whitespace handling.
var builtinTypes = func() map[string]*xSimple {
	m := map[string]*xSimple{}
	for name, ws := range map[string]int{
		"anySimpleType": wsPreserve, "string": wsPreserve, "normalizedString": wsReplace, "token": wsCollapse,
		"anyURI": wsCollapse, "boolean": wsCollapse, "date": wsCollapse, "dateTime": wsCollapse,
		"decimal": wsCollapse, "integer": wsCollapse, "nonNegativeInteger": wsCollapse, "positiveInteger": wsCollapse,
		"language": wsCollapse, "NMTOKEN": wsCollapse,
	} {
		m[name] = &xSimple{name: "xs:" + name, builtin: name, ws: ws, length: -1, minLen: -1, maxLen: -1}
	}
	return m
}()

var (
	reXSDDate     = newPattern(`^-?([0-9]{4,})-([0-9]{2})-([0-9]{2})(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	reXSDDateTime = newPattern(`^-?([0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$`)
	reXSDDecimal  = newPattern(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$`)
	reXSDInteger  = newPattern(`^[+-]?[0-9]+$`)
	reXSDLanguage = newPattern(`^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$`)
	reXSDNMToken  = newPattern(`^[\p{L}\p{N}._:\-\p{Mn}\p{Mc}]+$`)
)

// whitespace normalises v as the whiteSpace facet ws says.
func whitespace(v string, ws int) string {
	switch ws {
	case wsReplace:
		return strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return ' '
			}
			return r
		}, v)
	case wsCollapse:
		return strings.Join(strings.Fields(v), " ")
	}
	return v
}

// check returns "" if v is a valid value of t, else what t wants.
func (t *xSimple) check(v string) string {
	switch {
	case t.union != nil:
		for _, m := range t.union {
			if m.check(v) == "" {
				return ""
			}
		}
		msg := t.union[0].check(v)
		switch n := len(t.union) - 1; {
		case n == 1:
			msg += ", nor is it valid for the other type of the union"
		case n > 1:
			msg += fmt.Sprintf(", nor is it valid for the %d other types of the union", n)
		}
		return msg
	case t.list != nil:
		items := strings.Fields(v)
		for _, it := range items {
			if msg := t.list.check(it); msg != "" {
				return msg
			}
		}
		return ""
	}
	v = whitespace(v, t.ws)
	return t.checkNormal(v)
}

// checkNormal checks a whitespace-normalised value against t's facets
// and those of the types it restricts, and the lexical rules of its
// built-in type.
func (t *xSimple) checkNormal(v string) string {
	if t.base == nil {
		return builtinCheck(t.builtin, v)
	}
	if t.base.union != nil || t.base.list != nil {
		if msg := t.base.check(v); msg != "" {
			return msg
		}
	} else if msg := t.base.checkNormal(v); msg != "" {
		return msg
	}
	if len(t.enum) > 0 && !contains(t.enum, v) {
		if len(t.enum) > maxEnumShown {
			return fmt.Sprintf("%q is not one of the %d values the schema allows (%q, %q, ...)", v, len(t.enum), t.enum[0], t.enum[1])
		}
		return fmt.Sprintf("%q is not one of %s", v, quoteList(t.enum))
	}
	if len(t.patterns) > 0 {
		ok := false
		for _, re := range t.patterns {
			ok = ok || re.MatchString(v)
		}
		if !ok {
			p := t.patternText[0]
			if len(p) > 80 {
				p = p[:80] + "..."
			}
			return fmt.Sprintf("%q does not match the pattern %q", v, p)
		}
	}
	n := utf8.RuneCountInString(v)
	switch {
	case t.length >= 0 && n != t.length:
		return fmt.Sprintf("%q is %d characters long, the schema wants %d", v, n, t.length)
	case t.minLen >= 0 && n < t.minLen:
		return fmt.Sprintf("%q has %d characters, the schema wants at least %d", v, n, t.minLen)
	case t.maxLen >= 0 && n > t.maxLen:
		return fmt.Sprintf("%q has %d characters, the schema wants at most %d", v, n, t.maxLen)
	}
	if t.minIncl != nil || t.maxIncl != nil {
		r, ok := new(big.Rat).SetString(v)
		switch {
		case !ok:
			return fmt.Sprintf("%q is not a number", v)
		case t.minIncl != nil && r.Cmp(t.minIncl) < 0:
			return fmt.Sprintf("%s is less than %s", v, t.minIncl.RatString())
		case t.maxIncl != nil && r.Cmp(t.maxIncl) > 0:
			return fmt.Sprintf("%s is more than %s", v, t.maxIncl.RatString())
		}
	}
	return ""
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	return strings.Join(q, ", ")
}

// builtinCheck applies the lexical rules of a built-in type.
func builtinCheck(builtin, v string) string {
	ok := true
	switch builtin {
	case "boolean":
		ok = v == "true" || v == "false" || v == "1" || v == "0"
	case "date":
		m := reXSDDate.FindStringSubmatch(v)
		ok = m != nil && validDate(m[1], m[2], m[3]) && validZone(m[4])
	case "dateTime":
		m := reXSDDateTime.FindStringSubmatch(v)
		ok = m != nil && validDate(m[1], m[2], m[3]) && validTime(m[4], m[5], m[6], m[7]) && validZone(m[8])
	case "decimal":
		ok = reXSDDecimal.MatchString(v)
	case "integer", "nonNegativeInteger", "positiveInteger":
		ok = reXSDInteger.MatchString(v)
		if ok && builtin != "integer" {
			n, _ := new(big.Int).SetString(strings.TrimPrefix(v, "+"), 10)
			ok = n.Sign() > 0 || (builtin == "nonNegativeInteger" && n.Sign() == 0)
		}
	case "language":
		ok = reXSDLanguage.MatchString(v)
	case "NMTOKEN":
		ok = reXSDNMToken.MatchString(v)
	}
	// string, normalizedString, token, anyURI and anySimpleType take any
	// text (anyURI: XSD 1.1 leaves its lexical space open, as the
	// validators the CycloneDX tooling uses do).
	if !ok {
		return fmt.Sprintf("%q is not a valid xs:%s", v, builtin)
	}
	return ""
}

func validDate(y, m, d string) bool {
	year, _ := strconv.Atoi(y)
	month, _ := strconv.Atoi(m)
	day, _ := strconv.Atoi(d)
	if year == 0 || month < 1 || month > 12 || day < 1 {
		return false
	}
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

func validTime(h, m, s, frac string) bool {
	hour, _ := strconv.Atoi(h)
	minute, _ := strconv.Atoi(m)
	sec, _ := strconv.Atoi(s)
	if hour == 24 {
		return minute == 0 && sec == 0 && strings.Trim(frac, ".0") == ""
	}
	return hour < 24 && minute < 60 && sec < 60
}

func validZone(z string) bool {
	if z == "" || z == "Z" {
		return true
	}
	h, _ := strconv.Atoi(z[1:3])
	m, _ := strconv.Atoi(z[4:6])
	return m < 60 && (h < 14 || (h == 14 && m == 0))
}

// xsdRegexp translates an XSD pattern (XML Schema Part 2, appendix F) to
// Go's syntax: anchored at both ends, as XSD patterns are; "^" and "$"
// literal outside a class; "." not matching CR and LF; \d, \w, \i, \c
// with their XSD meanings. Character class subtraction and Unicode block
// escapes (\p{IsBasicLatin}) are refused: no CycloneDX schema uses them.
func xsdRegexp(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	inClass := false
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r == '\\':
			if i+1 >= len(rs) {
				return nil, fmt.Errorf("pattern %q ends in a backslash", p)
			}
			i++
			e := rs[i]
			var out string
			switch e {
			case 'd':
				out = `\p{Nd}`
			case 'D':
				out = `\P{Nd}`
			case 's':
				out = `\t\n\r `
				if !inClass {
					out = "[" + out + "]"
				}
			case 'S', 'w', 'W', 'i', 'I', 'c', 'C':
				cls := map[rune]string{
					'S': `^\t\n\r `, 'w': `^\p{P}\p{Z}\p{C}`, 'W': `\p{P}\p{Z}\p{C}`,
					'i': `\p{L}_:`, 'I': `^\p{L}_:`, 'c': `\p{L}\p{N}._:\-\p{Mn}\p{Mc}`, 'C': `^\p{L}\p{N}._:\-\p{Mn}\p{Mc}`,
				}[e]
				if inClass {
					if strings.HasPrefix(cls, "^") {
						return nil, fmt.Errorf("pattern %q: \\%c inside a class is not supported", p, e)
					}
					out = cls
				} else {
					out = "[" + cls + "]"
				}
			case 'p', 'P':
				j := i + 1
				for j < len(rs) && rs[j] != '}' {
					j++
				}
				if j >= len(rs) || i+1 >= len(rs) || rs[i+1] != '{' {
					return nil, fmt.Errorf("pattern %q: malformed \\%c", p, e)
				}
				name := string(rs[i+2 : j])
				if strings.HasPrefix(name, "Is") {
					return nil, fmt.Errorf("pattern %q: block escape \\%c{%s} is not supported", p, e, name)
				}
				out = `\` + string(e) + "{" + name + "}"
				i = j
			case 'n', 'r', 't', '\\', '|', '.', '-', '^', '?', '*', '+', '{', '}', '(', ')', '[', ']', '$':
				out = `\` + string(e)
			default:
				return nil, fmt.Errorf("pattern %q: unknown escape \\%c", p, e)
			}
			b.WriteString(out)
		case inClass:
			if r == '-' && i+1 < len(rs) && rs[i+1] == '[' {
				return nil, fmt.Errorf("pattern %q: character class subtraction is not supported", p)
			}
			if r == '[' {
				b.WriteString(`\[`)
				continue
			}
			if r == ']' {
				inClass = false
			}
			b.WriteRune(r)
		case r == '[':
			inClass = true
			b.WriteRune(r)
			if i+1 < len(rs) && rs[i+1] == '^' {
				b.WriteRune('^')
				i++
			}
		case r == '.':
			b.WriteString(`[^\n\r]`)
		case r == '^' || r == '$':
			b.WriteString(`\` + string(r))
		default:
			b.WriteRune(r)
		}
	}
	if inClass {
		return nil, fmt.Errorf("pattern %q: unclosed class", p)
	}
	return regexp.Compile(`^(?:` + b.String() + `)$`)
}
