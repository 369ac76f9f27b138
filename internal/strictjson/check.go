package strictjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/consign-dev/consign/internal/limits"
)

// Check rejects JSON that two parsers could read differently, before
// anything trusts it:
//   - a key twice in one object, or two keys equal under Unicode case folding
//     (Go's encoding/json matches field names case-insensitively and keeps the
//     last duplicate; other parsers keep the first);
//   - invalid UTF-8, or an escaped lone surrogate (Go would silently turn both into U+FFFD);
//   - nesting deeper than [limits.JSONDepth];
//   - anything but exactly one JSON value.
//
// Its error says what is wrong and wraps nothing: callers wrap it in their
// own sentinel ("%w: %v").
func Check(b []byte) error {
	if Valid(b) {
		return nil
	}
	if err := checkSlow(b); err != nil {
		return err
	}
	// Unreachable while Valid and checkSlow agree (the tests and
	// FuzzValidStrict compare them); refuse rather than trust either.
	return errors.New("refused by the strict reader")
}

// checkSlow is Check as four passes: UTF-8, surrogate escapes, syntax
// (encoding/json's scanner), then depth and keys. It is the reference
// [Valid] is tested against, and it gives Check its error messages (the
// fast pass only says yes or no).
func checkSlow(b []byte) error {
	if !utf8.Valid(b) {
		return errors.New("invalid UTF-8")
	}
	if hasLoneSurrogate(b) {
		return errors.New("lone UTF-16 surrogate escape")
	}
	// Syntax first, with the standard library's allocation-free scanner;
	// then one pass of our own over known-valid JSON for depth and keys.
	// (This replaced a json.Decoder.Token walk that allocated per token and
	// was most of the cost of verifying an envelope.)
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v) // for the syntax error's message only
		return err
	}
	return checkKeys(b)
}

// keySet holds the keys of one object, folded; a short list while the
// object is small, a map once it is not.
type keySet struct {
	object bool
	folded []string
	orig   []string
	set    map[string]string // folded -> original
}

// add records key; it returns the earlier spelling of a key that folds the
// same, if there was one.
func (ks *keySet) add(key string) (prev string, dup bool) {
	// Fold as encoding/json does (ſ is s, K is k): lower(upper(key)).
	// ASCII keys need only lowering, which does not allocate when the key
	// is lower case already.
	var folded string
	if isASCII(key) {
		folded = strings.ToLower(key)
	} else {
		folded = strings.ToLower(strings.ToUpper(key))
	}
	if ks.set != nil {
		if prev, dup = ks.set[folded]; !dup {
			ks.set[folded] = key
		}
		return prev, dup
	}
	for i, f := range ks.folded {
		if f == folded {
			return ks.orig[i], true
		}
	}
	if len(ks.folded) < 16 {
		ks.folded, ks.orig = append(ks.folded, folded), append(ks.orig, key)
		return "", false
	}
	ks.set = make(map[string]string, 32)
	for i, f := range ks.folded {
		ks.set[f] = ks.orig[i]
	}
	ks.set[folded] = key
	ks.folded, ks.orig = nil, nil
	return "", false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// checkKeys walks syntactically valid JSON, enforcing the depth limit and
// rejecting, within one object, a repeated key or two keys that fold to the
// same string. Keys are compared after unescaping, so "a" and "\u0061" are
// the same key.
func checkKeys(b []byte) error {
	var stack []keySet
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '{', '[':
			if len(stack)+1 > limits.JSONDepth {
				return fmt.Errorf("nested deeper than %d", limits.JSONDepth)
			}
			stack = append(stack, keySet{object: c == '{'})
		case '}', ']':
			stack = stack[:len(stack)-1]
		case '"':
			end, escaped := i+1, false
			for b[end] != '"' {
				if b[end] == '\\' {
					escaped = true
					end++
				}
				end++
			}
			raw := b[i : end+1]
			i = end
			if len(stack) == 0 || !stack[len(stack)-1].object {
				continue
			}
			// In an object, a string followed by ':' is a key.
			j := end + 1
			for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
				j++
			}
			if j >= len(b) || b[j] != ':' {
				continue
			}
			key := string(raw[1 : len(raw)-1])
			if escaped {
				if err := json.Unmarshal(raw, &key); err != nil {
					return err
				}
			}
			if prev, dup := stack[len(stack)-1].add(key); dup {
				if prev == key {
					return fmt.Errorf("duplicate key %q", key)
				}
				return fmt.Errorf("keys %q and %q differ only in case", prev, key)
			}
		}
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
