package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// ReturnValue reads the exit status a link's byproducts record for its
// step's command: "return-value", as in-toto and consign's in-toto v0.9
// links write it, or "exitCode", as consign's link predicates write it.
// Byproducts that are missing or null, or that hold neither member, make
// no claim (ok is false): a link from another tool may record none. A
// value that is not a JSON integer, byproducts that are not an object, or
// two members that disagree are bad input: an error wrapping [ErrInvalid].
func ReturnValue(byproducts json.RawMessage) (code int64, ok bool, err error) {
	b := bytes.TrimSpace(byproducts)
	if len(b) == 0 || string(b) == "null" {
		return 0, false, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return 0, false, fmt.Errorf("%w: the link's byproducts are not a JSON object", ErrInvalid)
	}
	for _, key := range []string{"return-value", "exitCode"} {
		raw, present := m[key]
		if !present {
			continue
		}
		v, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
		if err != nil {
			return 0, false, fmt.Errorf("%w: the link's byproducts give %s %s, not an integer", ErrInvalid, key, clip(raw))
		}
		if ok && v != code {
			return 0, false, fmt.Errorf("%w: the link's byproducts give return-value %d and exitCode %d", ErrInvalid, code, v)
		}
		code, ok = v, true
	}
	return code, ok, nil
}

// clip shortens a raw JSON value for a message.
func clip(raw json.RawMessage) string {
	const max = 40
	if len(raw) > max {
		return string(raw[:max]) + "..."
	}
	return string(raw)
}
