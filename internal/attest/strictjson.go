package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/consign-dev/consign/internal/limits"
)

// CheckJSON rejects JSON that two parsers could read differently, before
// anything trusts it (SECURITY-CASES 58-61):
//   - a key twice in one object, or two keys equal under Unicode case folding
//     (Go's encoding/json matches field names case-insensitively and keeps the
//     last duplicate; other parsers keep the first);
//   - invalid UTF-8, or an escaped lone surrogate (Go would silently turn both into U+FFFD);
//   - nesting deeper than [limits.JSONDepth];
//   - anything but exactly one JSON value.
//
// It returns an error wrapping [ErrMalformed].
func CheckJSON(b []byte) error {
	if !utf8.Valid(b) {
		return fmt.Errorf("%w: invalid UTF-8", ErrMalformed)
	}
	if hasLoneSurrogate(b) {
		return fmt.Errorf("%w: lone UTF-16 surrogate escape", ErrMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := checkValue(dec, 0); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the JSON value", ErrMalformed)
	}
	return nil
}

func checkValue(dec *json.Decoder, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth+1 > limits.JSONDepth {
		return fmt.Errorf("%w: nested deeper than %d", ErrMalformed, limits.JSONDepth)
	}
	switch delim {
	case '{':
		seen := map[string]string{}
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%w: %v", ErrMalformed, err)
			}
			key := kt.(string)
			// Fold as encoding/json does (ſ is s, K is k): lower(upper(key)).
			folded := strings.ToLower(strings.ToUpper(key))
			if prev, dup := seen[folded]; dup {
				if prev == key {
					return fmt.Errorf("%w: duplicate key %q", ErrMalformed, key)
				}
				return fmt.Errorf("%w: keys %q and %q differ only in case", ErrMalformed, prev, key)
			}
			seen[folded] = key
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
	case '[':
		for dec.More() {
			if err := checkValue(dec, depth+1); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // closing delimiter
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// hasLoneSurrogate reports an escaped UTF-16 surrogate (\uD800-\uDFFF) that
// is not part of a high+low pair.
func hasLoneSurrogate(b []byte) bool {
	for i := 0; i+6 <= len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		if b[i+1] != 'u' {
			i++ // skip the escaped character, whatever it is
			continue
		}
		r, ok := hex4(b[i+2 : i+6])
		if !ok {
			return false // the decoder will reject it
		}
		switch {
		case r >= 0xD800 && r <= 0xDBFF:
			if i+12 > len(b) || b[i+6] != '\\' || b[i+7] != 'u' {
				return true
			}
			lo, ok := hex4(b[i+8 : i+12])
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 11
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		default:
			i += 5
		}
	}
	return false
}

func hex4(b []byte) (rune, bool) {
	var r rune
	for _, c := range b {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// object decodes b (already checked by CheckJSON) as an object, and rejects
// keys that equal one of known under case folding without being it exactly,
// so that "SUBJECT" can never stand in for "subject" (SECURITY-CASES 59).
// Unknown keys are kept in the map and left to the caller.
func object(b []byte, what string, known ...string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, fmt.Errorf("%w: %s is not a JSON object", ErrMalformed, what)
	}
	for k := range m {
		for _, want := range known {
			if k != want && strings.EqualFold(k, want) {
				return nil, fmt.Errorf("%w: %s has field %q; the field is %q (names are case-sensitive)", ErrMalformed, what, k, want)
			}
		}
	}
	return m, nil
}

// stringField reads m[key] as a JSON string; missing is "" with present=false.
func stringField(m map[string]json.RawMessage, key, what string) (s string, present bool, err error) {
	raw, ok := m[key]
	if !ok {
		return "", false, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, fmt.Errorf("%w: %s field %q is not a string", ErrMalformed, what, key)
	}
	return s, true, nil
}
