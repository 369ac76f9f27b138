package predicate

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/strictjson"
)

// ResourceDescriptor is an in-toto ResourceDescriptor as consign writes
// and reads it: a name or URI, and a digest set. Predicates use it for a
// link's materials, a provenance's dependencies and byproducts, and a
// VSA's policy and input attestations.
type ResourceDescriptor struct {
	Name   string     `json:"name,omitempty"`
	URI    string     `json:"uri,omitempty"`
	Digest digest.Set `json:"digest,omitempty"`
}

// Descriptors returns one descriptor per named digest set, sorted by
// name, so that the same artifacts always give the same bytes.
func Descriptors(m map[string]digest.Set) []ResourceDescriptor {
	out := make([]ResourceDescriptor, 0, len(m))
	for _, name := range slices.Sorted(maps.Keys(m)) {
		out = append(out, ResourceDescriptor{Name: name, Digest: m[name]})
	}
	return out
}

// exactObject decodes raw as an object and refuses a key that differs from
// a known one only in case: Go would read it as that field, other readers
// would not. It returns an error wrapping
// [attest.ErrMalformed], or [attest.ErrInvalid] for JSON null.
func exactObject(raw []byte, what string, known ...string) (map[string]json.RawMessage, error) {
	m, err := strictjson.Object(raw, what, known...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", attest.ErrMalformed, err)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: %s is not a JSON object", attest.ErrInvalid, what)
	}
	return m, nil
}

// unmarshalOpt decodes m[key] into v unless it is absent or null.
func unmarshalOpt(m map[string]json.RawMessage, key string, v any) error {
	raw, ok := m[key]
	if !ok || string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("%w: field %q: %v", attest.ErrInvalid, key, err)
	}
	return nil
}

// orNull is raw, or an empty object for a missing field.
func orNull(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage("{}")
	}
	return raw
}

// marshalChecked encodes v, the predicate of type typ, and checks the
// bytes against the type's schema.
func marshalChecked(typ string, v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if err := Validate(typ, b); err != nil {
		return nil, err
	}
	return b, nil
}

// nonNil is s, or an empty list (written [] rather than null).
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
