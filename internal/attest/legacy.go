package attest

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/strictjson"
)

// LegacyLink is an in-toto v0.9 signed document (a Metablock): a link, or a
// layout. Signatures cover the OLPC canonical JSON of Signed.
type LegacyLink struct {
	Signed  json.RawMessage
	Type    string // "link" or "layout"
	Name    string
	Command []string
	// Materials and Products are in the order the document lists them,
	// each name once ([CheckJSON] refuses a key twice); every set passed
	// [digest.Set.Validate] when read. A link of no materials or products
	// has a nil table, which is empty.
	Materials *digest.Table
	Products  *digest.Table
	// Byproducts is the link's byproducts, raw (nil when it has none):
	// [ReturnValue] reads the exit status they record.
	Byproducts json.RawMessage
	Signatures []LegacySignature
}

// LegacySignature is one Metablock signature; KeyID is in-toto's key id, a
// hint. Cert is the PEM certificate in-toto-golang signs with when a layout
// step admits certificates (cert_constraints); it is unverified here.
type LegacySignature struct {
	KeyID string
	Sig   []byte
	Cert  string
}

func parseLegacy(t *strictjson.Text, m map[string]json.RawMessage) (*LegacyLink, error) {
	l := &LegacyLink{Signed: m["signed"]}
	sm, err := object(l.Signed, "signed", "_type", "name", "command", "materials", "products", "byproducts", "environment")
	if err != nil {
		return nil, err
	}
	if l.Type, _, err = stringField(sm, "_type", "signed"); err != nil {
		return nil, err
	}
	if l.Type != "link" && l.Type != "layout" {
		return nil, fmt.Errorf("%w: in-toto metadata _type %q (want link or layout)", ErrMalformed, l.Type)
	}
	if l.Type == "link" {
		if l.Name, _, err = stringField(sm, "name", "link"); err != nil {
			return nil, err
		}
		if c, ok := sm["command"]; ok && string(c) != "null" {
			if err := json.Unmarshal(c, &l.Command); err != nil {
				return nil, fmt.Errorf("%w: link command is not a list of strings", ErrMalformed)
			}
		}
		if l.Materials, err = legacyArtifacts(t, sm["materials"], "materials"); err != nil {
			return nil, err
		}
		if l.Products, err = legacyArtifacts(t, sm["products"], "products"); err != nil {
			return nil, err
		}
		l.Byproducts = sm["byproducts"]
	}
	var sigs []json.RawMessage
	if err := json.Unmarshal(m["signatures"], &sigs); err != nil {
		return nil, fmt.Errorf("%w: signatures is not a list", ErrMalformed)
	}
	if len(sigs) > limits.Signatures {
		return nil, fmt.Errorf("%w: %d signatures (at most %d)", ErrMalformed, len(sigs), limits.Signatures)
	}
	for _, raw := range sigs {
		// A malformed signature is ignored, never counted (security case 56 in docs/security.md),
		// and field names are exact (59).
		sm, err := object(raw, "signature", "keyid", "sig", "cert")
		if err != nil {
			continue
		}
		kid, _, err1 := stringField(sm, "keyid", "signature")
		s, ok, err2 := stringField(sm, "sig", "signature")
		if err1 != nil || err2 != nil || !ok {
			continue
		}
		b, err := hex.DecodeString(s)
		if err != nil || len(b) == 0 {
			continue
		}
		cert, _, err := stringField(sm, "cert", "signature")
		if err != nil {
			continue
		}
		l.Signatures = append(l.Signatures, LegacySignature{KeyID: kid, Sig: b, Cert: cert})
	}
	if len(l.Signatures) == 0 {
		return nil, ErrNoSignature
	}
	return l, nil
}

// fieldsPool holds the members of a link's materials or products while
// they are read into a table: thousands of fields, needed only then.
var fieldsPool = sync.Pool{New: func() any { return new(strictjson.Fields) }}

// legacyArtifacts reads a link's materials or products, raw (part of a
// document CheckJSON accepted, so no key appears twice), in one pass, into
// a table in the document's order: the names and digests are substrings
// of t, and a set that is a lone sha256 (nearly every one) is held
// without a map of its own. Sets are validated in the document's order,
// so that the error is the one for the first invalid set listed.
func legacyArtifacts(t *strictjson.Text, raw json.RawMessage, what string) (*digest.Table, error) {
	if raw == nil || string(raw) == "null" {
		return nil, nil
	}
	bufp := fieldsPool.Get().(*strictjson.Fields)
	defer func() {
		clear(*bufp) // hold no part of the document in the pool
		fieldsPool.Put(bufp)
	}()
	fs, ok := t.SplitFields(raw, (*bufp)[:0])
	if ok {
		*bufp = fs // the grown buffer goes back to the pool
	} else {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil || m == nil {
			return nil, fmt.Errorf("%w: link %s is not a map of digest sets", ErrMalformed, what)
		}
		for name, v := range m {
			fs = append(fs, strictjson.Field{Key: name, Value: v})
		}
	}
	tb := digest.NewTable(len(fs))
	owner := "link " + what
	for _, f := range fs {
		if v, ok := sha256Member(f.Value); ok && tb.TryAddSHA256(f.Key, t.Substring(v)) {
			// A valid lone sha256 (which has no escape to decode): no
			// set to make or validate.
			continue
		}
		d, err := digestSetText(t, f.Value, owner, -1)
		switch {
		case errors.Is(err, ErrInvalid):
			return nil, fmt.Errorf("%w: link %s %q: %v", ErrInvalid, what, f.Key, err)
		case err != nil:
			return nil, fmt.Errorf("%w: link %s is not a map of digest sets", ErrMalformed, what)
		}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("%w: link %s %q: %v", ErrInvalid, what, f.Key, err)
		}
		tb.Add(f.Key, d)
	}
	return tb, nil
}

// SignedBy returns the distinct trusted keys with a valid signature over the
// canonical JSON of l.Signed. in-toto key ids are not consulted.
func (l *LegacyLink) SignedBy(kr *Keyring) ([]*sign.Verifier, error) {
	canon, err := Canonical(l.Signed)
	if err != nil {
		return nil, err
	}
	sigs := make([][]byte, len(l.Signatures))
	for i, s := range l.Signatures {
		sigs[i] = s.Sig
	}
	return kr.SignedBy(canon, sigs), nil
}

// ProductSubjects returns the link's products as statement subjects, sorted by name.
func (l *LegacyLink) ProductSubjects() []Subject {
	out := make([]Subject, 0, l.Products.Len())
	for i := range l.Products.Len() {
		out = append(out, Subject{Name: l.Products.Name(i), Digest: l.Products.Set(i)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ParseLinkBody reads the signed body of an in-toto v0.9 link (from a DSSE
// payload, as in-toto-golang's DSSE mode writes it), strictly: [CheckJSON],
// exact field names, a non-empty name. The digest sets are not validated;
// byproducts are returned raw ([ReturnValue] reads them). It returns an
// error wrapping [ErrInvalid].
func ParseLinkBody(b []byte) (name string, materials, products map[string]digest.Set, byproducts json.RawMessage, err error) {
	if err := CheckJSON(b); err != nil {
		return "", nil, nil, nil, err
	}
	m, err := object(b, "link", "_type", "name", "command", "materials", "products", "byproducts", "environment")
	if err != nil {
		return "", nil, nil, nil, err
	}
	if err := json.Unmarshal(m["name"], &name); err != nil || name == "" {
		return "", nil, nil, nil, fmt.Errorf("%w: the link has no name", ErrInvalid)
	}
	for _, f := range []struct {
		key string
		v   *map[string]digest.Set
	}{{"materials", &materials}, {"products", &products}} {
		raw, ok := m[f.key]
		if !ok || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, f.v); err != nil {
			return "", nil, nil, nil, fmt.Errorf("%w: field %q: %v", ErrInvalid, f.key, err)
		}
	}
	return name, materials, products, m["byproducts"], nil
}
