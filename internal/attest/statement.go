package attest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/strictjson"
)

// Statement types consign reads. It writes v1 only.
const (
	StatementV1  = "https://in-toto.io/Statement/v1"
	StatementV01 = "https://in-toto.io/Statement/v0.1" // cosign v2 attest-blob writes this
)

// Statement is an in-toto Statement
// (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md).
type Statement struct {
	Type          string          `json:"_type"`
	Subject       []Subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate,omitempty"`
}

// Subject is one artifact a statement is about. Subjects are matched by
// digest only; a name is a hint and never a filesystem path (security case 66 in docs/security.md).
type Subject struct {
	Name   string     `json:"name,omitempty"`
	Digest digest.Set `json:"digest"`
}

// NewStatement builds a v1 statement with its subjects sorted by name then
// digest, so that the same inputs always give the same bytes.
func NewStatement(predicateType string, subjects []Subject, predicate json.RawMessage) (*Statement, error) {
	s := &Statement{Type: StatementV1, PredicateType: predicateType, Subject: append([]Subject(nil), subjects...), Predicate: predicate}
	sortSubjects(s.Subject)
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// sortSubjects sorts subs by name then digest, stably. Names are usually
// distinct (the files of a tree), and then an unstable sort by name alone
// gives the same order, faster; only if two names are equal is the list
// sorted again the slow way.
func sortSubjects(subs []Subject) {
	orig := slices.Clone(subs)
	slices.SortFunc(subs, func(a, b Subject) int { return strings.Compare(a.Name, b.Name) })
	for i := 1; i < len(subs); i++ {
		if subs[i].Name == subs[i-1].Name {
			copy(subs, orig)
			slices.SortStableFunc(subs, func(a, b Subject) int {
				if c := strings.Compare(a.Name, b.Name); c != 0 {
					return c
				}
				return strings.Compare(a.Digest.String(), b.Digest.String())
			})
			return
		}
	}
}

// Validate applies the in-toto Statement rules: a known _type, at least one
// subject and at most [limits.Subjects], every subject with a valid,
// non-empty digest set (security case 29 in docs/security.md), a non-empty predicateType, and a
// predicate that is a JSON object when present.
func (s *Statement) Validate() error {
	return s.validate(len(s.Subject), func(i int) (string, error) { return s.Subject[i].Name, s.Subject[i].Digest.Validate() })
}

// validate is [Statement.Validate] of a statement whose n subjects are
// given by subject: its name, and what [digest.Set.Validate] says of its
// digest set.
func (s *Statement) validate(n int, subject func(i int) (string, error)) error {
	if s.Type != StatementV1 && s.Type != StatementV01 {
		return fmt.Errorf("%w: statement _type %q (want %q)", ErrInvalid, s.Type, StatementV1)
	}
	if n == 0 {
		return ErrNoSubject
	}
	if n > limits.Subjects {
		return fmt.Errorf("%w: %d subjects (at most %d)", ErrInvalid, n, limits.Subjects)
	}
	for i := range n {
		if name, err := subject(i); err != nil {
			return fmt.Errorf("%w: subject %d (%q): %v", ErrInvalid, i, name, err)
		}
	}
	if s.PredicateType == "" {
		return fmt.Errorf("%w: empty predicateType", ErrInvalid)
	}
	if len(s.Predicate) > 0 {
		p := bytes.TrimSpace(s.Predicate)
		if len(p) == 0 || p[0] != '{' {
			return fmt.Errorf("%w: predicate is not a JSON object", ErrInvalid)
		}
	}
	return nil
}

// Marshal returns the statement's JSON bytes, the payload that gets signed.
func (s *Statement) Marshal() ([]byte, error) {
	return s.AppendJSON(make([]byte, 0, s.jsonSize()))
}

// ParseStatement reads a statement strictly: [CheckJSON] (no duplicate or
// case-folded keys), exact field names at the statement and subject level,
// then [Statement.Validate]. Unknown fields are ignored, as the in-toto spec
// asks of consumers. It returns an error wrapping [ErrInvalid].
func ParseStatement(b []byte) (*Statement, error) {
	return ParseStatementText(strictjson.NewText(b))
}

// ParseStatementText is [ParseStatement] for the document of t: the
// statement's strings (names, digests) are substrings of one copy of it
// rather than a copy each, and its predicate is part of t.Bytes(), so
// that a predicate parser reads its strings from t too (see
// predicate.ParseStatement).
func ParseStatementText(t *strictjson.Text) (*Statement, error) {
	s, _, err := parseStatement(t, false)
	return s, err
}

// ParseStatementTable is [ParseStatementText] with the subjects in a
// [digest.Table], in the order the statement lists them, rather than in
// st.Subject (left nil): a subject whose digest set is a lone sha256 is
// then held without a [digest.Set] of its own. The statement is checked
// exactly as ParseStatementText checks it, with the same errors.
func ParseStatementTable(t *strictjson.Text) (*Statement, *digest.Table, error) {
	return parseStatement(t, true)
}

// parseStatement is [ParseStatementText], or [ParseStatementTable] if
// table is set.
func parseStatement(t *strictjson.Text, table bool) (*Statement, *digest.Table, error) {
	b := t.Bytes()
	if err := CheckJSON(b); err != nil {
		return nil, nil, err
	}
	m, err := fields(b, "statement", "_type", "subject", "predicateType", "predicate")
	if err != nil {
		return nil, nil, err
	}
	s := &Statement{}
	if s.Type, _, err = fieldString(m, "_type", "statement"); err != nil {
		return nil, nil, err
	}
	if s.PredicateType, _, err = fieldString(m, "predicateType", "statement"); err != nil {
		return nil, nil, err
	}
	if p, ok := m.Get("predicate"); ok && !bytes.Equal(bytes.TrimSpace(p), []byte("null")) {
		s.Predicate = p
	}
	elems := strictjson.GetElements()
	defer strictjson.PutElements(elems)
	if raw, ok := m.Get("subject"); ok {
		if *elems, err = strictjson.AppendArray(*elems, raw, "subject"); err != nil {
			return nil, nil, fmt.Errorf("%w: subject is not an array", ErrMalformed)
		}
	}
	subs := *elems
	if len(subs) > limits.Subjects {
		return nil, nil, fmt.Errorf("%w: %d subjects (at most %d)", ErrInvalid, len(subs), limits.Subjects)
	}
	var tb *digest.Table
	switch {
	case table:
		tb = digest.NewTable(len(subs))
	case len(subs) > 0:
		s.Subject = make([]Subject, 0, len(subs))
	}
	var buf [4]strictjson.Field
	for i, raw := range subs {
		sm, ok := strictjson.SplitFields(raw, subjectKeys, buf[:0])
		if !ok || strictjson.CheckKnown(sm, "subject", subjectKeys) != nil {
			if sm, err = fields(raw, fmt.Sprintf("subject %d", i), subjectKeys...); err != nil {
				return nil, nil, err
			}
		}
		var sub Subject
		if raw, ok := sm.Get("name"); ok {
			if sub.Name, ok = t.Unquote(raw); !ok {
				if sub.Name, _, err = stringValue(raw, true, "name", "subject"); err != nil {
					return nil, nil, err
				}
			}
		}
		raw, hasDigest := sm.Get("digest")
		if tb != nil {
			if hasDigest {
				if v, ok := loneSHA256(t, raw); ok {
					tb.AddSHA256(sub.Name, v)
					continue
				}
				if sub.Digest, err = digestSetText(t, raw, "subject", i); err != nil {
					return nil, nil, err
				}
			}
			tb.Add(sub.Name, sub.Digest)
			continue
		}
		if hasDigest {
			if sub.Digest, err = digestSetText(t, raw, "subject", i); err != nil {
				return nil, nil, err
			}
		}
		s.Subject = append(s.Subject, sub)
	}
	if tb != nil {
		err = s.validate(tb.Len(), func(i int) (string, error) { return tb.Name(i), tb.Validate(i) })
	} else {
		err = s.Validate()
	}
	if err != nil {
		return nil, nil, err
	}
	return s, tb, nil
}

// loneSHA256 returns the value of raw, a digest set that [CheckJSON]
// accepted, when it is an object of one member, "sha256", whose value is
// a string needing no decoding.
func loneSHA256(t *strictjson.Text, raw []byte) (string, bool) {
	var buf [2]strictjson.Field
	d, ok := strictjson.SplitFields(raw, nil, buf[:0])
	if !ok || len(d) != 1 || d[0].Key != digest.SHA256 {
		return "", false
	}
	return t.Unquote(d[0].Value)
}

// PredicateTypeOf returns the predicateType of payload, a statement, read
// from its top-level members alone (its subjects and predicate are
// skipped, not parsed), and false if payload is not a JSON object with a
// predicateType string. It checks nothing else: it is for a statement
// that [ParseStatement] accepted already, which gives the same
// predicateType.
func PredicateTypeOf(payload []byte) (string, bool) {
	fs, err := fields(payload, "statement", "_type", "subject", "predicateType", "predicate")
	if err != nil {
		return "", false
	}
	pt, ok, err := fieldString(fs, "predicateType", "statement")
	return pt, ok && err == nil
}

// subjectKeys are the fields of a subject.
var subjectKeys = []string{"name", "digest", "uri"}

// digestSetText reads raw, part of a document [CheckJSON] accepted, as a
// digest set: an object of at most [limits.DigestsPerSubject] strings, not
// validated, taking the strings from t if not nil. The owner is "what
// index" (just "what" for a negative index), named only in errors.
func digestSetText(t *strictjson.Text, raw []byte, what string, index int) (digest.Set, error) {
	if hex, ok := lowerHexSHA256(raw); ok {
		return digest.Set{digest.SHA256: t.Substring(hex)}, nil
	}
	var buf [4]strictjson.Field
	d, ok := strictjson.SplitFields(raw, nil, buf[:0])
	if !ok {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("%w: %s digest is not an object", ErrMalformed, owner(what, index))
		}
		d = buf[:0]
		for alg, v := range m {
			d = append(d, strictjson.Field{Key: alg, Value: v})
		}
	}
	if len(d) > limits.DigestsPerSubject {
		return nil, fmt.Errorf("%w: %s has %d digests (at most %d)", ErrInvalid, owner(what, index), len(d), limits.DigestsPerSubject)
	}
	set := make(digest.Set, len(d))
	for _, f := range d {
		var hex string
		var ok bool
		if t != nil {
			hex, ok = t.Unquote(f.Value)
		} else {
			hex, ok = strictjson.Unquote(f.Value)
		}
		if !ok {
			if err := json.Unmarshal(f.Value, &hex); err != nil {
				return nil, fmt.Errorf("%w: %s digest %q is not a string", ErrMalformed, owner(what, index), f.Key)
			}
		}
		set[f.Key] = hex
	}
	return set, nil
}

// lowerHexSHA256 returns HEX when raw is {"sha256":"HEX"} (with or without
// white space between the tokens) and HEX is lower-case hexadecimal (so
// the literal needs no decoding): a digest set as consign and in-toto
// write one, read without splitting it into fields. Its length is left to
// [digest.Set.Validate].
func lowerHexSHA256(raw []byte) ([]byte, bool) {
	v, ok := sha256Member(raw)
	if !ok {
		return nil, false
	}
	for _, c := range v {
		if !lowerHexDigit[c] {
			return nil, false
		}
	}
	return v, true
}

// sha256Member returns the bytes between the quotes of V when raw is
// {"sha256":"V"} (with or without white space between the tokens) and V
// holds no quote, escaped or not; they are V itself, not decoded, when
// they hold no backslash. It leaves it to its caller to check V, once:
// a link of 10,000 artifacts reads 10,000 of these.
func sha256Member(raw []byte) ([]byte, bool) {
	const key = `"sha256"`
	i := skipWS(raw, 0)
	if i >= len(raw) || raw[i] != '{' {
		return nil, false
	}
	i = skipWS(raw, i+1)
	if len(raw)-i < len(key) || string(raw[i:i+len(key)]) != key {
		return nil, false
	}
	i = skipWS(raw, i+len(key))
	if i >= len(raw) || raw[i] != ':' {
		return nil, false
	}
	i = skipWS(raw, i+1)
	if i >= len(raw) || raw[i] != '"' {
		return nil, false
	}
	i++
	end := bytes.IndexByte(raw[i:], '"')
	if end < 0 {
		return nil, false
	}
	v := raw[i : i+end]
	if i = skipWS(raw, i+end+1); i != len(raw)-1 || raw[i] != '}' {
		return nil, false
	}
	return v, true
}

// lowerHexDigit reports the bytes 0-9 and a-f.
var lowerHexDigit = func() (t [256]bool) {
	for _, c := range "0123456789abcdef" {
		t[c] = true
	}
	return t
}()

// owner names the index-th element of what in an error ("subject 3").
func owner(what string, index int) string {
	if index < 0 {
		return what
	}
	return fmt.Sprintf("%s %d", what, index)
}

// Matches reports the subjects whose digest names the same content as d
// (see [digest.Matches]: a strong algorithm must agree).
func (s *Statement) Matches(d digest.Set) []Subject {
	var out []Subject
	for _, sub := range s.Subject {
		if digest.Matches(sub.Digest, d) {
			out = append(out, sub)
		}
	}
	return out
}
