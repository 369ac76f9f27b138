package predicate

import (
	"encoding/json"
	"fmt"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/strictjson"
)

// Link is an in-toto link predicate v0.3
// (https://github.com/in-toto/attestation/blob/main/spec/predicates/link.md):
// the record of one step. Its products are the statement's subjects.
// Fields are in the order encoding/json writes a map's keys, so that
// [Link.Marshal] gives the bytes consign has always written.
type Link struct {
	// Byproducts and Environment are free-form; consign writes the exit
	// code, stdout and stderr digests and skipped paths, and the exclude
	// patterns in force. [ParseLink] leaves them (and Command) nil;
	// verification reads only the exit status ([Parsed.Byproducts]).
	Byproducts  map[string]any       `json:"byproducts"`
	Command     []string             `json:"command"`
	Environment map[string]any       `json:"environment"`
	Materials   []ResourceDescriptor `json:"materials"`
	Name        string               `json:"name"`
	// MaterialArtifacts are materials too, recorded files with their
	// SHA-256 digest, sorted by path ([digest.RecordArtifacts]): a step's
	// million materials are encoded from them without a descriptor and
	// a Set each. [Link.Marshal] writes them after Materials, which a
	// link made this way leaves empty; [ParseLink] never sets them.
	MaterialArtifacts []digest.Artifact `json:"-"`
}

// The fields of a link predicate and of one of its materials.
var (
	linkKeys     = []string{"name", "command", "materials", "byproducts", "environment"}
	materialKeys = []string{"name", "uri", "digest"}
)

// Marshal returns the predicate's JSON, after [Link.Validate] and checked
// against its schema ([Validate]). Missing lists and maps are written
// empty, never null.
//
// A link can list a million materials, so they are encoded by hand (the
// bytes encoding/json writes) and the schema's rule for one material is
// checked in code for every material; the schema itself checks the
// predicate with its first material only, all of them having one Go type.
func (l *Link) Marshal() (json.RawMessage, error) {
	n, appendJSON, err := l.Marshaler()
	if err != nil {
		return nil, err
	}
	return appendJSON(make([]byte, 0, n))
}

// Marshaler makes the checks of [Link.Marshal] and returns about how many
// bytes the predicate's JSON takes and a function that appends it (the
// bytes Marshal returns) to a buffer, so that a link's materials are
// written straight into a statement's buffer
// ([attest.ArtifactStatementWith]). l must not change until then.
func (l *Link) Marshaler() (int, func([]byte) ([]byte, error), error) {
	if err := l.Validate(); err != nil {
		return 0, nil, err
	}
	for i, m := range l.Materials {
		// The schema's resourceDescriptor: a uri or a digest (non-empty,
		// which Validate checked).
		if m.URI == "" && len(m.Digest) == 0 {
			return 0, nil, fmt.Errorf("%w (%s) material %d (%q) has neither a uri nor a digest", attest.ErrPredicate, attest.ShortName(attest.PredicateLink), i, m.Name)
		}
	}
	head := *l
	head.Materials = l.Materials[:min(1, len(l.Materials))]
	head.MaterialArtifacts = nil
	if len(head.Materials) == 0 && len(l.MaterialArtifacts) > 0 {
		a := l.MaterialArtifacts[0]
		head.Materials = []ResourceDescriptor{{Name: a.Path, Digest: a.Set()}}
	}
	small, err := head.appendJSON(nil)
	if err != nil {
		return 0, nil, err
	}
	if err := Validate(attest.PredicateLink, small); err != nil {
		return 0, nil, err
	}
	n := len(small)
	for _, m := range l.Materials {
		n += 40 + len(m.Name) + len(m.URI)
		for alg, v := range m.Digest {
			n += 6 + len(alg) + len(v)
		}
	}
	for i := range l.MaterialArtifacts {
		n += attest.ArtifactJSONSize(len(l.MaterialArtifacts[i].Path))
	}
	return n, l.appendJSON, nil
}

// appendJSON appends the predicate as encoding/json writes it (fields in
// order of their names), lists and maps never null.
func (l *Link) appendJSON(dst []byte) ([]byte, error) {
	byproducts, err := json.Marshal(orEmpty(l.Byproducts))
	if err != nil {
		return nil, err
	}
	command, err := json.Marshal(nonNil(l.Command))
	if err != nil {
		return nil, err
	}
	environment, err := json.Marshal(orEmpty(l.Environment))
	if err != nil {
		return nil, err
	}
	dst = append(dst, `{"byproducts":`...)
	dst = append(dst, byproducts...)
	dst = append(dst, `,"command":`...)
	dst = append(dst, command...)
	dst = append(dst, `,"environment":`...)
	dst = append(dst, environment...)
	dst = append(dst, `,"materials":[`...)
	for i, m := range l.Materials {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = m.appendJSON(dst)
	}
	for i := range l.MaterialArtifacts {
		if i > 0 || len(l.Materials) > 0 {
			dst = append(dst, ',')
		}
		dst = attest.AppendArtifact(dst, &l.MaterialArtifacts[i])
	}
	dst = append(dst, `],"name":`...)
	dst = attest.AppendString(dst, l.Name)
	return append(dst, '}'), nil
}

// appendJSON appends d as encoding/json writes it.
func (d ResourceDescriptor) appendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	sep := false
	if d.Name != "" {
		dst = append(dst, `"name":`...)
		dst = attest.AppendString(dst, d.Name)
		sep = true
	}
	if d.URI != "" {
		if sep {
			dst = append(dst, ',')
		}
		dst = append(dst, `"uri":`...)
		dst = attest.AppendString(dst, d.URI)
		sep = true
	}
	if len(d.Digest) > 0 {
		if sep {
			dst = append(dst, ',')
		}
		dst = append(dst, `"digest":`...)
		dst = attest.AppendDigestSet(dst, d.Digest)
	}
	return append(dst, '}')
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// Validate checks what [ParseLink] requires of a link: a name, and a
// material digest set that is valid wherever one is given. It returns an
// error wrapping [attest.ErrInvalid].
func (l *Link) Validate() error {
	if l.Name == "" {
		return fmt.Errorf("%w: the link predicate has no name", attest.ErrInvalid)
	}
	for i, m := range l.Materials {
		if m.Digest == nil {
			continue
		}
		if err := m.Digest.Validate(); err != nil {
			return fmt.Errorf("%w: material %d (%q): %v", attest.ErrInvalid, i, m.Name, err)
		}
	}
	return nil
}

// ParseLink reads a link predicate strictly: every field name exact, a
// non-empty name, materials a list of objects with a string name or uri
// and a digest object of strings. It does not
// validate the digests (a verifier does, naming the material) nor read
// command, byproducts and environment beyond their names. The raw
// predicate must be part of a document [attest.CheckJSON] accepted (a
// statement [attest.ParseStatement] returned). On error it returns nil and
// an error wrapping [attest.ErrInvalid].
func ParseLink(raw []byte) (*Link, error) {
	return parseLink(strictjson.NewText(raw), raw)
}

// ParseStatement reads payload as a statement ([attest.ParseStatementText])
// and, when it is about an in-toto link, the link predicate ([ParseLink]),
// with the strings of both taken from one copy of payload: a release's
// links hold tens of thousands of names and digests. A payload that is no
// statement gives nil, nil and the statement's error; a statement whose
// link predicate does not parse gives the statement, nil and the link's
// error. Both errors wrap [attest.ErrInvalid].
func ParseStatement(payload []byte) (*attest.Statement, *Link, error) {
	text := strictjson.NewText(payload)
	st, err := attest.ParseStatementText(text)
	if err != nil {
		return nil, nil, err
	}
	if st.PredicateType != attest.PredicateLink {
		return st, nil, nil
	}
	l, err := parseLink(text, st.Predicate)
	return st, l, err
}

// Parsed is a statement as [ParseStatementTableUnsafe] reads it for
// verification: its subjects, and a link predicate's materials, in
// tables rather than in a [digest.Set] each.
type Parsed struct {
	// Statement is the statement, its Subject nil.
	Statement *attest.Statement
	// Subjects are the statement's subjects, in its order.
	Subjects *digest.Table
	// Link is the link predicate of a statement about an in-toto link,
	// its Materials nil; Materials are its materials by
	// [ResourceDescriptor.ArtifactName], in its order, their digest sets
	// not validated.
	Link      *Link
	Materials *digest.Table
	// Byproducts are the link predicate's byproducts, raw (nil when it
	// has none), for [attest.ReturnValue].
	Byproducts json.RawMessage
}

// ParseStatementTableUnsafe is [ParseStatement] with the subjects and
// materials in tables ([attest.ParseStatementTable]): the same checks and
// the same errors, without a [digest.Set] for each entry whose set is a
// lone sha256, and with the names and digests read as substrings of
// payload itself ([strictjson.NewTextUnsafe]), not of a copy: the caller
// MUST NOT change payload afterwards while anything read from it lives.
// A payload that is no statement gives nil and the statement's error; a
// statement whose link predicate does not parse gives its statement and
// subjects, no link, and the link's error.
func ParseStatementTableUnsafe(payload []byte) (*Parsed, error) {
	text := strictjson.NewTextUnsafe(payload)
	st, subjects, err := attest.ParseStatementTable(text)
	if err != nil {
		return nil, err
	}
	p := &Parsed{Statement: st, Subjects: subjects}
	if st.PredicateType != attest.PredicateLink {
		return p, nil
	}
	p.Link, p.Materials, p.Byproducts, err = parseLinkTable(text, st.Predicate)
	if err != nil {
		p.Link, p.Materials, p.Byproducts = nil, nil, nil
	}
	return p, err
}

// parseLink is ParseLink reading the strings of raw from text, of which
// raw is a part.
func parseLink(text *strictjson.Text, raw []byte) (*Link, error) {
	elems := strictjson.GetElements()
	defer strictjson.PutElements(elems)
	l, list, _, err := parseLinkHead(text, raw, elems)
	if err != nil {
		return nil, err
	}
	l.Materials = make([]ResourceDescriptor, len(list))
	// One buffer for the members of every material and one for those of
	// every digest set: nothing keeps them past their material.
	var buf, dbuf [4]strictjson.Field
	for i, r := range list {
		if err := readMaterial(text, &l.Materials[i], buf[:0], dbuf[:0], r, i, nil); err != nil {
			return nil, err
		}
	}
	return l, nil
}

// parseLinkTable is parseLink with the materials in a table, and the
// byproducts raw.
func parseLinkTable(text *strictjson.Text, raw []byte) (*Link, *digest.Table, json.RawMessage, error) {
	elems := strictjson.GetElements()
	defer strictjson.PutElements(elems)
	l, list, byproducts, err := parseLinkHead(text, raw, elems)
	if err != nil {
		return nil, nil, nil, err
	}
	tb := digest.NewTable(len(list))
	var buf, dbuf [4]strictjson.Field
	for i, r := range list {
		var rd ResourceDescriptor
		var sha string
		if err := readMaterial(text, &rd, buf[:0], dbuf[:0], r, i, &sha); err != nil {
			return nil, nil, nil, err
		}
		if sha != "" {
			tb.AddSHA256(rd.ArtifactName(), sha)
		} else {
			tb.Add(rd.ArtifactName(), rd.Digest)
		}
	}
	return l, tb, byproducts, nil
}

// parseLinkHead reads a link predicate's name and the list of its
// materials, unread, in elems (from strictjson.GetElements), and returns
// its byproducts raw.
func parseLinkHead(text *strictjson.Text, raw []byte, elems *[]json.RawMessage) (*Link, []json.RawMessage, json.RawMessage, error) {
	m, err := exactFields(raw, "link predicate", linkKeys...)
	if err != nil {
		return nil, nil, nil, err
	}
	l := &Link{}
	nraw, _ := m.Get("name")
	if l.Name, err = text.String(nraw, "the link predicate's name"); err != nil || l.Name == "" {
		return nil, nil, nil, fmt.Errorf("%w: the link predicate has no name", attest.ErrInvalid)
	}
	if raw, ok := m.Get("materials"); ok && string(raw) != "null" {
		if *elems, err = strictjson.AppendArray(*elems, raw, "link materials"); err != nil {
			return nil, nil, nil, fmt.Errorf("%w: %v", attest.ErrMalformed, err)
		}
	}
	byproducts, _ := m.Get("byproducts")
	return l, *elems, byproducts, nil
}

// readMaterial reads material i into rd. If sha is not nil and the
// material's digest set is a lone sha256, its value goes to *sha and
// rd.Digest stays nil.
func readMaterial(text *strictjson.Text, rd *ResourceDescriptor, buf, dbuf strictjson.Fields, raw []byte, i int, sha *string) error {
	fs, err := appendExactFields(buf, raw, "material", materialKeys...)
	if err != nil {
		// Again, to name the material (not formatted on success).
		_, err = exactFields(raw, fmt.Sprintf("material %d", i), materialKeys...)
		return err
	}
	if rd.Name, err = optField(text, fs, "name"); err != nil {
		return err
	}
	if rd.Name == "" {
		// A material is known by its name; its uri only stands in for
		// a missing name, and is not read otherwise.
		if rd.URI, err = optField(text, fs, "uri"); err != nil {
			return err
		}
	}
	if raw, ok := fs.Get("digest"); ok && string(raw) != "null" {
		if rd.Digest, err = materialDigest(text, dbuf, raw, i, sha); err != nil {
			return err
		}
	}
	return nil
}

// ArtifactName is the name a verifier records a material under: its name,
// or its URI when it has none.
func (rd *ResourceDescriptor) ArtifactName() string {
	if rd.Name != "" {
		return rd.Name
	}
	return rd.URI
}

// materialDigest reads the digest set of material i: a JSON object of
// strings, not validated. If sha is not nil and the set is a lone sha256,
// its value goes to *sha and the set returned is nil.
func materialDigest(text *strictjson.Text, buf strictjson.Fields, raw []byte, i int, sha *string) (digest.Set, error) {
	fs, err := appendExactFields(buf, raw, "material digest")
	if err != nil {
		_, err = exactFields(raw, fmt.Sprintf("material %d digest", i))
		return nil, err
	}
	if sha != nil && len(fs) == 1 && fs[0].Key == digest.SHA256 {
		if *sha, err = text.String(fs[0].Value, "a digest"); err != nil {
			return nil, fmt.Errorf("%w: %v", attest.ErrMalformed, err)
		}
		if *sha != "" {
			return nil, nil
		}
	}
	d := make(digest.Set, len(fs))
	for _, f := range fs {
		if d[f.Key], err = text.String(f.Value, "a digest"); err != nil {
			return nil, fmt.Errorf("%w: %v", attest.ErrMalformed, err)
		}
	}
	return d, nil
}

// optField reads a field of fs as a string; absent or null is "".
func optField(text *strictjson.Text, fs strictjson.Fields, key string) (string, error) {
	raw, ok := fs.Get(key)
	if !ok || string(raw) == "null" {
		return "", nil
	}
	s, err := text.String(raw, key)
	if err != nil {
		return "", fmt.Errorf("%w: field %q is not a string", attest.ErrMalformed, key)
	}
	return s, nil
}

// exactFields is [exactObject] without a map.
func exactFields(raw []byte, what string, known ...string) (strictjson.Fields, error) {
	return appendExactFields(make(strictjson.Fields, 0, len(known)+1), raw, what, known...)
}

// appendExactFields is exactFields appending to buf.
func appendExactFields(buf strictjson.Fields, raw []byte, what string, known ...string) (strictjson.Fields, error) {
	fs, err := strictjson.AppendFields(buf, raw, what, known...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", attest.ErrMalformed, err)
	}
	if fs == nil {
		return nil, fmt.Errorf("%w: %s is not a JSON object", attest.ErrInvalid, what)
	}
	return fs, nil
}
