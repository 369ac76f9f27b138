package policy

import (
	"crypto"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sign"
)

// Layout is an in-toto v0.9 layout read as a policy: its steps are stages
// (each requiring a link, named after the step, whose links must all report
// the same artifacts), its keys are functionaries named by their in-toto key
// ids, and its inspections are kept apart, to be run only when asked.
type Layout struct {
	*Policy
	Inspections []Inspection
	// KeyIDs maps the layout's in-toto key ids to its keys.
	KeyIDs map[string]*Key
	// ExpectedCommands maps a step to its expected command (in-toto only
	// warns when a link's command differs).
	ExpectedCommands map[string][]string
	// RootCAs are the layout's root certificate authorities by in-toto key
	// id (rootcas), and Intermediates its intermediate CAs
	// (intermediatecas): a link signed with a certificate that chains to
	// them may count for a step, see [Layout.AdmitCertificate].
	RootCAs       map[string]*x509.Certificate
	Intermediates []*x509.Certificate
	// CertConstraints maps a step to its cert_constraints.
	CertConstraints map[string][]in_toto.CertificateConstraint
}

// Inspection is a command a layout asks the verifier to run, and the rules
// its materials and products must follow.
type Inspection struct {
	Name                string
	Run                 []string
	Materials, Products []Rule
}

// layoutFields are the fields of an in-toto v0.9 layout.
var (
	layoutFields      = []string{"_type", "steps", "inspect", "keys", "rootcas", "intermediatecas", "expires", "readme"}
	stepFields        = []string{"_type", "name", "pubkeys", "cert_constraints", "expected_command", "threshold", "expected_materials", "expected_products"}
	inspectionFields  = []string{"_type", "name", "run", "expected_materials", "expected_products"}
	layoutKeyFields   = []string{"keyid", "keyid_hash_algorithms", "keytype", "keyval", "scheme"}
	layoutKeyValField = []string{"public", "private", "certificate"}
)

// ParseLayout reads the signed body of an in-toto v0.9 layout (the
// "signed" object of a Metablock, or a DSSE payload), strictly: JSON that
// two parsers could read differently is refused ([attest.CheckJSON]), field
// names are exact, and, where in-toto-golang v0.9 is lax and the in-toto
// specification and its Python reference are not, consign follows the
// specification:
//
//   - a step's threshold must be between 1 and the number of distinct public
//     keys among its pubkeys; in-toto-golang accepts 0 (and an omitted
//     threshold, which decodes to 0) and then panics or passes without a
//     signature (security case 14 in docs/security.md); one key listed under two key ids is
//     one key (security case 13 in docs/security.md);
//   - a pattern that does not compile is an error, not a silent non-match
//     (security case 34 in docs/security.md); patterns are Python fnmatch (security case 33 in docs/security.md);
//   - step and inspection names must be plain names (they name link files,
//     security case 38 (docs/security.md)).
//
// Certificate functionaries are read too: the root and intermediate CAs
// (rootcas, intermediatecas, each a CA certificate), and a step's
// cert_constraints, each of which must name at least one of the root CAs
// (or "*"); a step with constraints may have a threshold above its number
// of keys. Certificates become functionaries only through
// [Layout.AdmitCertificate].
func ParseLayout(body []byte) (*Layout, error) {
	if err := attest.CheckJSON(body); err != nil {
		return nil, fmt.Errorf("%w: layout: %v", ErrInvalid, err)
	}
	if err := exactFields(body, "layout", layoutFields); err != nil {
		return nil, err
	}
	var raw struct {
		Type    string            `json:"_type"`
		Steps   []json.RawMessage `json:"steps"`
		Inspect []json.RawMessage `json:"inspect"`
		Keys    map[string]json.RawMessage
		RootCAs map[string]json.RawMessage `json:"rootcas"`
		ICAs    map[string]json.RawMessage `json:"intermediatecas"`
		Expires string                     `json:"expires"`
		Readme  string                     `json:"readme"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: layout: %v", ErrInvalid, err)
	}
	if raw.Type != "layout" {
		return nil, fmt.Errorf("%w: _type is %q, not \"layout\"", ErrInvalid, raw.Type)
	}
	expires, err := time.Parse(in_toto.ISO8601DateSchema, raw.Expires)
	if err != nil {
		return nil, fmt.Errorf("%w: expires %q is not a time like 2027-06-30T00:00:00Z", ErrInvalid, raw.Expires)
	}
	l := &Layout{
		Policy:           &Policy{APIVersion: "in-toto/layout/v0.9", Product: raw.Readme, Expires: expires, Source: body, functionaries: map[string]*Functionary{}, stages: map[string]int{}},
		KeyIDs:           map[string]*Key{},
		ExpectedCommands: map[string][]string{},
		CertConstraints:  map[string][]in_toto.CertificateConstraint{},
	}
	if err := l.layoutCAs(raw.RootCAs, raw.ICAs); err != nil {
		return nil, err
	}
	if len(raw.Keys) > MaxKeys {
		return nil, fmt.Errorf("%w: more than %d keys", ErrInvalid, MaxKeys)
	}
	for _, kid := range sortedMapKeys(raw.Keys) {
		k, err := layoutKey(kid, raw.Keys[kid])
		if err != nil {
			return nil, err
		}
		l.KeyIDs[kid] = k
	}
	if len(raw.Steps) == 0 {
		// A layout with no step would verify nothing (security case 22a in docs/security.md).
		return nil, fmt.Errorf("%w: the layout has no steps", ErrInvalid)
	}
	if len(raw.Steps)+len(raw.Inspect) > MaxStages {
		return nil, fmt.Errorf("%w: more than %d steps and inspections", ErrInvalid, MaxStages)
	}
	names := map[string]bool{}
	for i, sraw := range raw.Steps {
		if err := exactFields(sraw, fmt.Sprintf("step %d", i), stepFields); err != nil {
			return nil, err
		}
		var s in_toto.Step
		if err := json.Unmarshal(sraw, &s); err != nil {
			return nil, fmt.Errorf("%w: step %d: %v", ErrInvalid, i, err)
		}
		st, err := l.step(s, sraw, names)
		if err != nil {
			return nil, err
		}
		l.stages[st.Name] = len(l.Stages)
		l.Stages = append(l.Stages, st)
	}
	for i, iraw := range raw.Inspect {
		if err := exactFields(iraw, fmt.Sprintf("inspection %d", i), inspectionFields); err != nil {
			return nil, err
		}
		var in in_toto.Inspection
		if err := json.Unmarshal(iraw, &in); err != nil {
			return nil, fmt.Errorf("%w: inspection %d: %v", ErrInvalid, i, err)
		}
		if in.Type != "inspection" {
			return nil, fmt.Errorf("%w: inspection %q: _type is %q", ErrInvalid, in.Name, in.Type)
		}
		if err := checkItemName(in.Name, names); err != nil {
			return nil, err
		}
		if len(in.Run) == 0 {
			return nil, fmt.Errorf("%w: inspection %q runs nothing", ErrInvalid, in.Name)
		}
		insp := Inspection{Name: in.Name, Run: in.Run}
		if insp.Materials, err = layoutRules(in.ExpectedMaterials, in.Name); err != nil {
			return nil, err
		}
		if insp.Products, err = layoutRules(in.ExpectedProducts, in.Name); err != nil {
			return nil, err
		}
		l.Inspections = append(l.Inspections, insp)
	}
	for _, st := range l.Stages {
		for _, rules := range [][]Rule{st.Materials, st.Products} {
			for _, r := range rules {
				if r.Type == RuleMatch && !names[r.DstStage] {
					return nil, fmt.Errorf("%w: step %q: rule %q names the unknown step %q", ErrInvalid, st.Name, r.Text, r.DstStage)
				}
			}
		}
	}
	return l, nil
}

func checkItemName(name string, names map[string]bool) error {
	if !namePattern().MatchString(name) {
		return fmt.Errorf("%w: step or inspection name %q must be 1 to 64 letters, digits, '.', '_' or '-' (it names link files)", ErrInvalid, name)
	}
	if names[name] {
		return fmt.Errorf("%w: the name %q is used twice", ErrInvalid, name)
	}
	names[name] = true
	return nil
}

func (l *Layout) step(s in_toto.Step, raw json.RawMessage, names map[string]bool) (*Stage, error) {
	if s.Type != "step" {
		return nil, fmt.Errorf("%w: step %q: _type is %q", ErrInvalid, s.Name, s.Type)
	}
	if err := checkItemName(s.Name, names); err != nil {
		return nil, err
	}
	if err := l.stepConstraints(s.Name, raw, s.CertificateConstraints); err != nil {
		return nil, err
	}
	st := &Stage{Name: s.Name, Threshold: s.Threshold, Require: []string{attest.PredicateLink}}
	distinct := map[string]bool{}
	listed := map[string]bool{}
	for _, kid := range s.PubKeys {
		k := l.KeyIDs[kid]
		if k == nil {
			return nil, fmt.Errorf("%w: step %q names the key %q, which the layout does not hold", ErrInvalid, s.Name, kid)
		}
		f := l.functionaries[kid]
		if f == nil {
			f = &Functionary{Name: kid, Role: "in-toto functionary", Keys: []*Key{k}}
			l.functionaries[kid] = f
			l.Functionaries = append(l.Functionaries, f)
		}
		if !listed[kid] {
			listed[kid] = true
			st.By = append(st.By, kid)
		}
		distinct[k.ID] = true
	}
	// With certificate constraints, any number of certificates may qualify.
	if st.Threshold < 1 || st.Threshold > len(distinct) && len(s.CertificateConstraints) == 0 {
		return nil, fmt.Errorf("%w: step %q: invalid threshold %d (must be 1..%d, the number of distinct keys it names)", ErrInvalid, s.Name, s.Threshold, len(distinct))
	}
	var err error
	if st.Materials, err = layoutRules(s.ExpectedMaterials, s.Name); err != nil {
		return nil, err
	}
	if st.Products, err = layoutRules(s.ExpectedProducts, s.Name); err != nil {
		return nil, err
	}
	l.ExpectedCommands[s.Name] = s.ExpectedCommand
	return st, nil
}

func layoutRules(rules [][]string, item string) ([]Rule, error) {
	if len(rules) > MaxRules {
		return nil, fmt.Errorf("%w: %q has more than %d rules", ErrInvalid, item, MaxRules)
	}
	out := make([]Rule, 0, len(rules))
	for _, words := range rules {
		r, err := ParseRule(words)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", item, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// layoutKey reads one key of a layout: a public key only, whose keyid field
// is the id it is listed under (in-toto-golang validateLayoutKeys).
func layoutKey(kid string, raw json.RawMessage) (*Key, error) {
	if err := exactFields(raw, "key "+kid, layoutKeyFields); err != nil {
		return nil, err
	}
	var k in_toto.Key
	if err := json.Unmarshal(raw, &k); err != nil {
		return nil, fmt.Errorf("%w: key %q: %v", ErrInvalid, kid, err)
	}
	var kv map[string]json.RawMessage
	if err := json.Unmarshal(raw, &struct {
		KeyVal *map[string]json.RawMessage `json:"keyval"`
	}{&kv}); err == nil && kv != nil {
		if err := exactFields(mustJSON(kv), "keyval of "+kid, layoutKeyValField); err != nil {
			return nil, err
		}
	}
	if k.KeyID != kid {
		return nil, fmt.Errorf("%w: the key listed as %q says its keyid is %q", ErrInvalid, kid, k.KeyID)
	}
	if k.KeyVal.Private != "" {
		return nil, fmt.Errorf("%w: key %q holds a private key", ErrInvalid, kid)
	}
	var pub crypto.PublicKey
	switch {
	case k.KeyType == "ed25519" && !strings.HasPrefix(k.KeyVal.Public, "-----"):
		b, err := hex.DecodeString(k.KeyVal.Public)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: key %q: an ed25519 key is 64 hex digits", ErrInvalid, kid)
		}
		pub = ed25519.PublicKey(b)
	default:
		var err error
		if pub, err = sign.ParsePublicKey([]byte(k.KeyVal.Public)); err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrInvalid, kid, err)
		}
	}
	v, err := sign.NewVerifier(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: key %q: %v", ErrInvalid, kid, err)
	}
	pemBytes, err := sign.MarshalPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return &Key{ID: v.KeyID(), Verifier: v, PEM: pemBytes}, nil
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// exactFields refuses a field that differs from a known one only in case
// (encoding/json would read "Threshold" as "threshold", security case 59 (docs/security.md)).
func exactFields(raw []byte, what string, known []string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return fmt.Errorf("%w: %s is not a JSON object", ErrInvalid, what)
	}
	for k := range m {
		for _, want := range known {
			if k != want && strings.EqualFold(k, want) {
				return fmt.Errorf("%w: %s has the field %q; the field is %q", ErrInvalid, what, k, want)
			}
		}
	}
	return nil
}

func sortedMapKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
