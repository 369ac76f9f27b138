package attest

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// splitObject returns the members of the JSON object b (which CheckJSON has
// accepted, alone or as part of a document): each key, unescaped, and the
// bytes of its value, without decoding the values. It does in one pass what
// json.Unmarshal into map[string]json.RawMessage does in two (a validity
// scan, then a decoding one), and it is what made reading an envelope and a
// statement cost several passes over the bytes each. A later duplicate
// replaces an earlier one, as with encoding/json (CheckJSON refuses
// duplicates anyway). It reports false for anything it does not expect;
// the caller then falls back to encoding/json, so a false never changes a
// result, only its cost.
func splitObject(b []byte) (map[string]json.RawMessage, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	m := make(map[string]json.RawMessage, 8)
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return m, skipSpace(b, i+1) == len(b)
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, false
		}
		kend, ok := skipString(b, i)
		if !ok {
			return nil, false
		}
		key, ok := rawString(b[i:kend])
		if !ok {
			return nil, false
		}
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = skipSpace(b, i+1)
		vend, ok := skipValue(b, i)
		if !ok {
			return nil, false
		}
		m[key] = json.RawMessage(b[i:vend])
		i = skipSpace(b, vend)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return m, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

// rawString returns the string a JSON string literal holds. A literal
// without escapes is its own bytes; one with escapes is decoded by
// encoding/json. It reports false for anything that is not a string literal.
func rawString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	for _, c := range raw[1 : len(raw)-1] {
		if c == '\\' || c == '"' || c < 0x20 {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return "", false
			}
			return s, true
		}
	}
	if !utf8.Valid(raw) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false
		}
		return s, true
	}
	return string(raw[1 : len(raw)-1]), true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string literal that opens at b[i].
func skipString(b []byte, i int) (int, bool) {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// skipValue returns the index after the value that starts at b[i].
func skipValue(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, ok := skipString(b, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	}
	start := i
	for i < len(b) {
		switch b[i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return i, i > start
		}
		i++
	}
	return i, i > start
}

// splitArray returns the elements of the JSON array b (accepted by
// CheckJSON), without decoding them; false as for [splitObject].
func splitArray(b []byte) ([]json.RawMessage, bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, false
	}
	var out []json.RawMessage
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return []json.RawMessage{}, skipSpace(b, i+1) == len(b)
	}
	for {
		end, ok := skipValue(b, i)
		if !ok {
			return nil, false
		}
		out = append(out, json.RawMessage(b[i:end]))
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return out, skipSpace(b, i+1) == len(b)
		default:
			return nil, false
		}
	}
}

// array decodes b as a JSON array of raw elements.
func array(b []byte) ([]json.RawMessage, error) {
	if a, ok := splitArray(b); ok {
		return a, nil
	}
	var a []json.RawMessage
	err := json.Unmarshal(b, &a)
	return a, err
}

// Object decodes b, part of a document [CheckJSON] accepted, as a JSON
// object whose values are left undecoded, and refuses a key that equals one
// of known under case folding without being it exactly (SECURITY-CASES 59):
// the strict reading of signed JSON that [ParseStatement] applies, for
// callers that read a predicate. It returns an error wrapping [ErrMalformed].
func Object(b []byte, what string, known ...string) (map[string]json.RawMessage, error) {
	return object(b, what, known...)
}

// Array decodes b, part of a document [CheckJSON] accepted, as a JSON array
// whose elements are left undecoded. It returns an error wrapping
// [ErrMalformed].
func Array(b []byte, what string) ([]json.RawMessage, error) {
	a, err := array(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not an array", ErrMalformed, what)
	}
	return a, nil
}

// String decodes raw, part of a document [CheckJSON] accepted, as a JSON
// string. It returns an error wrapping [ErrMalformed].
func String(raw []byte, what string) (string, error) {
	if s, ok := rawString(raw); ok {
		return s, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || len(raw) == 0 || raw[0] != '"' {
		return "", fmt.Errorf("%w: %s is not a string", ErrMalformed, what)
	}
	return s, nil
}
