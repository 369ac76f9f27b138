package attest

import (
	"encoding/json"
	"fmt"

	"github.com/consign-dev/consign/internal/strictjson"
)

// CheckJSON rejects JSON that two parsers could read differently, before
// anything trusts it, by the rules of
// [strictjson.Check]: duplicate or case-folded keys, invalid UTF-8, lone
// surrogate escapes, nesting deeper than [limits.JSONDepth], anything but
// one JSON value. It returns an error wrapping [ErrMalformed].
func CheckJSON(b []byte) error {
	if err := strictjson.Check(b); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// fields is [strictjson.ObjectFields] with an error wrapping [ErrMalformed].
func fields(b []byte, what string, known ...string) (strictjson.Fields, error) {
	fs, err := strictjson.ObjectFields(b, what, known...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return fs, nil
}

// object is [strictjson.Object] with an error wrapping [ErrMalformed].
func object(b []byte, what string, known ...string) (map[string]json.RawMessage, error) {
	m, err := strictjson.Object(b, what, known...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return m, nil
}

// array decodes b as a JSON array of raw elements.
func array(b []byte) ([]json.RawMessage, error) {
	return strictjson.Array(b, "value")
}

// stringField reads m[key] as a JSON string; missing is "" with present=false.
func stringField(m map[string]json.RawMessage, key, what string) (s string, present bool, err error) {
	raw, ok := m[key]
	return stringValue(raw, ok, key, what)
}

// fieldString is [stringField] for Fields.
func fieldString(fs strictjson.Fields, key, what string) (s string, present bool, err error) {
	raw, ok := fs.Get(key)
	return stringValue(raw, ok, key, what)
}

func stringValue(raw json.RawMessage, ok bool, key, what string) (s string, present bool, err error) {
	if !ok {
		return "", false, nil
	}
	if fast, ok := strictjson.Unquote(raw); ok {
		return fast, true, nil
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", true, fmt.Errorf("%w: %s field %q is not a string", ErrMalformed, what, key)
	}
	return s, true, nil
}
