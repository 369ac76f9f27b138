package strictjson

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/consign-dev/consign/internal/limits"
)

// Valid reports whether [Check] accepts b, in one pass over the
// bytes where checkSlow makes four (UTF-8, surrogate escapes,
// encoding/json's scanner, then depth and keys): a recursive reader of the
// JSON grammar (RFC 8259, as encoding/json reads it) that checks escapes,
// depth and keys as it goes. It says yes or no only; Check asks
// checkSlow why on a no. TestValidStrict and FuzzValidStrict hold the
// two to the same answers.
func Valid(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	s := strictScanner{b: b}
	i, ok := s.value(skipSpace(b, 0), 0)
	return ok && skipSpace(b, i) == len(b)
}

// strictScanner holds the folded keys of the objects being read, innermost
// object last, so that a duplicate is found without a map per object.
type strictScanner struct {
	b    []byte
	keys [][]byte
	// folded holds the lowercased copies of the document's ASCII keys
	// with capitals (payloadType, predicateType): one buffer that grows,
	// not one string and one slice per key.
	folded []byte
}

// maxListedKeys is how many keys an object whose keys are out of order
// holds before its keys go into a map (linear search below that). Keys in
// increasing order are only compared with the last.
const maxListedKeys = 16

// value reads the value at b[i] inside depth containers and returns the
// index after it.
func (s *strictScanner) value(i, depth int) (int, bool) {
	b := s.b
	if i >= len(b) {
		return 0, false
	}
	switch c := b[i]; {
	case c == '{':
		return s.object(i, depth+1)
	case c == '[':
		return s.array(i, depth+1)
	case c == '"':
		end, _, ok := s.str(i)
		return end, ok
	case c == 't':
		return literal(b, i, "true")
	case c == 'f':
		return literal(b, i, "false")
	case c == 'n':
		return literal(b, i, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return number(b, i)
	}
	return 0, false
}

func literal(b []byte, i int, lit string) (int, bool) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return 0, false
	}
	return i + len(lit), true
}

// number reads -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at b[i]; what
// follows it is the caller's to check.
func number(b []byte, i int) (int, bool) {
	if b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return 0, false
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = digits(b, i+1)
	default:
		return 0, false
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return 0, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(b, i)
		if j == i {
			return 0, false
		}
		i = j
	}
	return i, true
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

// str reads the string literal at b[i] == '"': no control character, only
// JSON's escapes, and a surrogate escape only as a high+low pair. It
// returns the index after the closing quote and whether there was an
// escape. UTF-8 was checked for the whole document.
func (s *strictScanner) str(i int) (end int, escaped, ok bool) {
	b := s.b
	for i++; i < len(b); {
		// Eight bytes at a time while none is special (most of an
		// envelope is its payload's base64).
		for i+8 <= len(b) && !specialByte8(binary.LittleEndian.Uint64(b[i:])) {
			i += 8
		}
		if i >= len(b) {
			break
		}
		c := b[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		switch c {
		case '"':
			return i + 1, escaped, true
		case '\\':
			escaped = true
			if i+1 >= len(b) {
				return 0, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) {
					return 0, false, false
				}
				r, ok := hex4(b[i+2 : i+6])
				switch {
				case !ok:
					return 0, false, false
				case r >= 0xD800 && r <= 0xDBFF:
					// A high surrogate must be followed by an escaped low one.
					if i+12 > len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
						return 0, false, false
					}
					if lo, ok := hex4(b[i+8 : i+12]); !ok || lo < 0xDC00 || lo > 0xDFFF {
						return 0, false, false
					}
					i += 12
				case r >= 0xDC00 && r <= 0xDFFF:
					return 0, false, false
				default:
					i += 6
				}
			default:
				return 0, false, false
			}
		default:
			return 0, false, false // a control character
		}
	}
	return 0, false, false
}

// specialByte8 reports whether any of the 8 bytes in x is a control
// character, a quote or a backslash (the word tests of "Bit Twiddling
// Hacks": hasless(x, 0x20) and haszero(x ^ c), exact as booleans).
func specialByte8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	return ((x-ones*0x20)&^x|(q-ones)&^q|(bs-ones)&^bs)&highs != 0
}

// PlainASCII8 reports whether each of the 8 bytes of x (little-endian, as
// binary.LittleEndian.Uint64 reads them) is printable ASCII other than a
// quote or a backslash: a byte that stands for itself in a JSON string.
func PlainASCII8(x uint64) bool {
	return x&0x8080808080808080 == 0 && !specialByte8(x)
}

func (s *strictScanner) array(i, depth int) (int, bool) {
	if depth > limits.JSONDepth {
		return 0, false
	}
	b := s.b
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, true
	}
	for {
		end, ok := s.value(i, depth)
		if !ok {
			return 0, false
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

func (s *strictScanner) object(i, depth int) (int, bool) {
	if depth > limits.JSONDepth {
		return 0, false
	}
	b := s.b
	first := len(s.keys)
	defer func() { s.keys = s.keys[:first] }()
	var set map[string]struct{} // once the object has many keys out of order
	// sorted: every folded key so far is greater than the one before, so
	// a key greater than the last is new (encoding/json writes a map's
	// keys in order: a link's thousands of artifacts need no map).
	sorted := true
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return 0, false
		}
		kend, escaped, ok := s.str(i)
		if !ok {
			return 0, false
		}
		key, ok := s.foldKey(b[i:kend], escaped)
		if !ok {
			return 0, false
		}
		if set != nil {
			if _, dup := set[string(key)]; dup {
				return 0, false
			}
			set[string(key)] = struct{}{}
		} else {
			if n := len(s.keys); sorted && n > first && bytes.Compare(s.keys[n-1], key) >= 0 {
				sorted = false
			}
			if !sorted {
				for _, k := range s.keys[first:] {
					if bytes.Equal(k, key) {
						return 0, false
					}
				}
			}
			if sorted || len(s.keys)-first < maxListedKeys {
				s.keys = append(s.keys, key)
			} else {
				set = make(map[string]struct{}, 2*(len(s.keys)-first+1))
				for _, k := range s.keys[first:] {
					set[string(k)] = struct{}{}
				}
				set[string(key)] = struct{}{}
			}
		}
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return 0, false
		}
		end, ok := s.value(skipSpace(b, i+1), depth)
		if !ok {
			return 0, false
		}
		i = skipSpace(b, end)
		if i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// foldKey returns the key of the string literal raw, unescaped and folded
// as keySet.add folds it (as encoding/json matches field names): lower
// case for ASCII, lower(upper(key)) otherwise. A lower-case ASCII key
// without escapes is returned as a part of raw, without a copy.
func foldKey(raw []byte, escaped bool) ([]byte, bool) {
	if escaped {
		var key string
		if err := json.Unmarshal(raw, &key); err != nil {
			return nil, false
		}
		return []byte(foldString(key)), true
	}
	key := raw[1 : len(raw)-1]
	for _, c := range key {
		if c >= utf8.RuneSelf || (c >= 'A' && c <= 'Z') {
			return []byte(foldString(string(key))), true
		}
	}
	return key, true
}

// foldKey is [foldKey], with an unescaped ASCII key's lowercase copy made
// in s.folded.
func (s *strictScanner) foldKey(raw []byte, escaped bool) ([]byte, bool) {
	if escaped {
		return foldKey(raw, escaped)
	}
	key := raw[1 : len(raw)-1]
	upper := false
	for _, c := range key {
		if c >= utf8.RuneSelf {
			return foldKey(raw, escaped)
		}
		upper = upper || (c >= 'A' && c <= 'Z')
	}
	if !upper {
		return key, true
	}
	start := len(s.folded)
	for _, c := range key {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		s.folded = append(s.folded, c)
	}
	// Full slice expression: a later append never writes into this key.
	return s.folded[start:len(s.folded):len(s.folded)], true
}

func foldString(key string) string {
	if isASCII(key) {
		return strings.ToLower(key)
	}
	return strings.ToLower(strings.ToUpper(key))
}
