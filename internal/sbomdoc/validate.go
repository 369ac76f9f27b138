package sbomdoc

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/consign-dev/consign/internal/limits"
)

// Rules a [Violation] breaks.
const (
	RuleSchema  = "schema"  // the official JSON Schema of the format and version
	RuleLicense = "license" // an SPDX licence expression, against the SPDX licence list
	RulePURL    = "purl"    // the package URL grammar
	RuleCPE     = "cpe"     // the CPE 2.3 formatted string or 2.2 URI grammar
	RuleHash    = "hash"    // a digest's length for its algorithm
	// RuleModel (SPDX 3's model rules) and RuleTagValue (the SPDX 2
	// tag-value grammar) are declared with their checks.
)

// Violation is one place where a document breaks its format's rules.
type Violation struct {
	// Where is a JSON pointer (RFC 6901) into a JSON document, "" for the
	// whole of it, "line N" in a tag-value document, or an element's path
	// in an XML one.
	Where string `json:"where"`
	// Line is the line of an XML document the violation is on (Where is
	// then the element's path, /bom/components[1]/component[2]).
	Line    int    `json:"line,omitempty"`
	Rule    string `json:"rule"`    // a Rule* constant
	Message string `json:"message"` // what the rule wants
}

func (v Violation) String() string {
	where := v.Where
	if where == "" {
		where = "(document)"
	}
	if v.Line > 0 {
		where = "line " + strconv.Itoa(v.Line) + " " + where
	}
	return fmt.Sprintf("%s: %s: %s", where, v.Rule, v.Message)
}

// Validation is the result of [Validate].
type Validation struct {
	Format      string `json:"format"`
	SpecVersion string `json:"specVersion"`
	// Schema names the official schema the document was checked against:
	// the $id of a JSON Schema, the address of a CycloneDX XSD, or
	// [TagValueGrammar].
	Schema     string      `json:"schema,omitempty"`
	Violations []Violation `json:"violations"`
}

// Err returns nil for a document without violations, else a
// [*ValidationError], which is [ErrInvalid].
func (v *Validation) Err() error {
	if len(v.Violations) == 0 {
		return nil
	}
	return &ValidationError{Violations: v.Violations}
}

// ValidationError is what [Validation.Err] returns; it is [ErrInvalid].
type ValidationError struct {
	Violations []Violation
}

func (e *ValidationError) Error() string {
	s := fmt.Sprintf("%s: %d violation", ErrInvalid, len(e.Violations))
	if len(e.Violations) != 1 {
		s += "s"
	}
	return s + ", the first " + e.Violations[0].String()
}

// Is makes errors.Is(err, ErrInvalid) hold.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Validate checks an SBOM against the rules of its format and version: a
// JSON document against its official JSON Schema (CycloneDX 1.2–1.7, SPDX
// 2.2–2.3), and every document's licence expressions against the SPDX
// licence list, its package URLs and CPEs against their grammars, and its
// hashes against their algorithms' lengths. Every violation found is in the
// result, up to a thousand; [Validation.Err] makes it a verdict.
//
// The error, when not nil, wraps [ErrUnsupportedFormat] or [ErrMalformed],
// as [Decode]'s does: the document could not be checked at all.
func Validate(data []byte) (v *Validation, err error) {
	if len(data) > limits.SBOMFile {
		return nil, fmt.Errorf("%w: %w: %d bytes, the limit is %d", ErrMalformed, limits.ErrTooLarge, len(data), limits.SBOMFile)
	}
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, fmt.Errorf("%w: the validator failed: %v", ErrMalformed, r)
		}
	}()
	body := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), " \t\r\n")
	switch {
	case len(body) > 0 && body[0] == '{':
		return validateJSON(body)
	case isTagValue(body):
		version, err := tagValueVersion(body)
		if err != nil {
			return nil, err
		}
		vs := append(tagValueSyntax(body, version), tagValueGrammar(body)...)
		slices.SortStableFunc(vs, func(a, b Violation) int { return cmp.Compare(lineOf(a.Where), lineOf(b.Where)) })
		if len(vs) > maxViolations {
			vs = vs[:maxViolations]
		}
		return &Validation{Format: FormatSPDXTagValue, SpecVersion: version, Schema: TagValueGrammar, Violations: vs}, nil
	}
	return validateXML(data)
}

// validateXML checks a CycloneDX XML document against the XSD of its
// version; any other XML gets [Decode]'s error.
func validateXML(b []byte) (*Validation, error) {
	version, ok := cycloneDXXMLVersion(b)
	if !ok {
		if _, err := Decode(b); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: not CycloneDX XML", ErrUnsupportedFormat)
	}
	if err := checkCycloneDXVersion(version); err != nil {
		return nil, err
	}
	set, err := xsdFor(version)
	if err != nil {
		return nil, err
	}
	vs, err := validateXMLSchema(set, b)
	if err != nil {
		return nil, err
	}
	if vs == nil {
		vs = []Violation{}
	}
	return &Validation{Format: FormatCycloneDXXML, SpecVersion: version, Schema: xsdURL(version), Violations: vs}, nil
}

// cycloneDXXMLVersion reads the version from the namespace of the root
// element of a CycloneDX XML document; ok is false for any other XML.
func cycloneDXXMLVersion(b []byte) (version string, ok bool) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		if start, isStart := tok.(xml.StartElement); isStart {
			v, found := strings.CutPrefix(start.Name.Space, cycloneDXNamespace)
			return v, found && start.Name.Local == "bom"
		}
	}
}

func validateJSON(b []byte) (*Validation, error) {
	if err := checkStrictJSON(b); err != nil {
		return nil, err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	root, _ := inst.(map[string]any)
	format, version, err := probeTree(b, root)
	if err != nil {
		return nil, err
	}
	s, err := schemaFor(format, version)
	if err != nil {
		return nil, err
	}
	v := &Validation{Format: format, SpecVersion: version, Schema: schemaIDs[format+"@"+version], Violations: []Violation{}}
	if s != nil { // every version but syft JSON's older ones
		v.Violations = append(v.Violations, schemaViolations(s, inst)...)
	}
	switch {
	case format == FormatSyftJSON:
		v.Violations = append(v.Violations, syftGrammar(root)...)
	case format == FormatCycloneDXJSON:
		v.Violations = append(v.Violations, cycloneDXGrammar(root)...)
	case strings.HasPrefix(version, "3."):
		v.Violations = append(v.Violations, spdx3Rules(root, version)...)
	default:
		v.Violations = append(v.Violations, spdxGrammar(root)...)
	}
	sortViolations(v.Violations)
	if len(v.Violations) > maxViolations {
		v.Violations = v.Violations[:maxViolations]
	}
	return v, nil
}

// probeTree finds the format and version of the JSON SBOM b, parsed as
// root, with the errors of [Decode] for what consign does not read.
func probeTree(b []byte, root map[string]any) (format, version string, err error) {
	if bf, ok := root["bomFormat"]; ok {
		version, _ := root["specVersion"].(string)
		if bf != "CycloneDX" {
			return "", "", fmt.Errorf("%w: bomFormat %q", ErrUnsupportedFormat, fmt.Sprint(bf))
		}
		return FormatCycloneDXJSON, version, checkCycloneDXVersion(version)
	}
	_, hasArtifacts := root["artifacts"]
	if schema, ok := root["schema"].(map[string]any); ok && hasArtifacts {
		version, _ := schema["version"].(string)
		if version == "" {
			return "", "", fmt.Errorf("%w: syft JSON without a schema version", ErrMalformed)
		}
		return FormatSyftJSON, version, nil
	}
	if sv, ok := root["spdxVersion"].(string); ok {
		short, err := checkSPDXVersion(sv)
		return FormatSPDXJSON, short, err
	}
	if ctx, ok := root["@context"]; ok {
		raw, _ := json.Marshal(ctx)
		short, _, err := spdx3Version(raw)
		return FormatSPDXJSON, short, err
	}
	_, err = decodeJSON(b) // says what the JSON is instead
	if err == nil {
		err = fmt.Errorf("%w: JSON with neither bomFormat (CycloneDX) nor spdxVersion (SPDX)", ErrUnsupportedFormat)
	}
	return "", "", err
}

// TagValueGrammar is what [Validation.Schema] names for SPDX tag-value:
// the specification's tag-value grammar, as consign checks it.
const TagValueGrammar = "SPDX 2 tag-value grammar"

// lineOf is the number of a "line N" location, 0 for any other.
func lineOf(where string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(where, "line "))
	return n
}

// tagValueVersion reads the SPDXVersion line of a tag-value document.
func tagValueVersion(b []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "SPDXVersion:"); ok {
			return checkSPDXVersion(strings.TrimSpace(v))
		}
	}
	return checkSPDXVersion("")
}

// grammarChecker collects the violations of the value checks.
type grammarChecker struct{ out []Violation }

func (g *grammarChecker) add(where, rule, msg string) {
	if msg != "" && len(g.out) < maxViolations {
		g.out = append(g.out, Violation{Where: where, Rule: rule, Message: msg})
	}
}

// license checks an SPDX licence field, which may also say NONE or
// NOASSERTION.
func (g *grammarChecker) license(where, expr string) {
	if expr = strings.TrimSpace(expr); expr != "NONE" && expr != "NOASSERTION" {
		g.add(where, RuleLicense, checkLicenseExpression(expr))
	}
}

func cycloneDXGrammar(root map[string]any) []Violation {
	var g grammarChecker
	var component func(c map[string]any, at string)
	components := func(list any, at string) {
		for i, c := range asList(list) {
			if m, ok := c.(map[string]any); ok {
				component(m, at+"/"+strconv.Itoa(i))
			}
		}
	}
	component = func(c map[string]any, at string) {
		if p, ok := c["purl"].(string); ok {
			g.add(at+"/purl", RulePURL, checkPURL(p))
		}
		if p, ok := c["cpe"].(string); ok {
			g.add(at+"/cpe", RuleCPE, checkCPE(p, ""))
		}
		for i, h := range asList(c["hashes"]) {
			m, _ := h.(map[string]any)
			alg, _ := m["alg"].(string)
			if content, ok := m["content"].(string); ok && alg != "" {
				g.add(fmt.Sprintf("%s/hashes/%d/content", at, i), RuleHash, checkHash(alg, content))
			}
		}
		for i, l := range asList(c["licenses"]) {
			m, _ := l.(map[string]any)
			if e, ok := m["expression"].(string); ok {
				g.add(fmt.Sprintf("%s/licenses/%d/expression", at, i), RuleLicense, checkLicenseExpression(e))
			}
		}
		components(c["components"], at+"/components")
	}
	if md, ok := root["metadata"].(map[string]any); ok {
		if c, ok := md["component"].(map[string]any); ok {
			component(c, "/metadata/component")
		}
	}
	components(root["components"], "/components")
	return g.out
}

// syftGrammar checks the purls and CPEs of syft JSON's artifacts.
func syftGrammar(root map[string]any) []Violation {
	var g grammarChecker
	for i, a := range asList(root["artifacts"]) {
		m, _ := a.(map[string]any)
		if p, ok := m["purl"].(string); ok && p != "" {
			g.add(fmt.Sprintf("/artifacts/%d/purl", i), RulePURL, checkPURL(p))
		}
		for j, c := range asList(m["cpes"]) {
			cm, _ := c.(map[string]any)
			if s, ok := cm["cpe"].(string); ok {
				g.add(fmt.Sprintf("/artifacts/%d/cpes/%d/cpe", i, j), RuleCPE, checkCPE(s, ""))
			}
		}
	}
	return g.out
}

func spdxGrammar(root map[string]any) []Violation {
	var g grammarChecker
	for _, list := range []string{"packages", "files"} {
		for i, x := range asList(root[list]) {
			m, _ := x.(map[string]any)
			at := fmt.Sprintf("/%s/%d", list, i)
			for _, f := range []string{"licenseConcluded", "licenseDeclared"} {
				if s, ok := m[f].(string); ok {
					g.license(at+"/"+f, s)
				}
			}
			for _, f := range []string{"licenseInfoFromFiles", "licenseInfoInFiles"} {
				for j, s := range asList(m[f]) {
					if s, ok := s.(string); ok {
						g.license(fmt.Sprintf("%s/%s/%d", at, f, j), s)
					}
				}
			}
			for j, c := range asList(m["checksums"]) {
				cm, _ := c.(map[string]any)
				alg, _ := cm["algorithm"].(string)
				if v, ok := cm["checksumValue"].(string); ok && alg != "" {
					g.add(fmt.Sprintf("%s/checksums/%d/checksumValue", at, j), RuleHash, checkHash(alg, v))
				}
			}
			for j, r := range asList(m["externalRefs"]) {
				rm, _ := r.(map[string]any)
				typ, _ := rm["referenceType"].(string)
				loc, _ := rm["referenceLocator"].(string)
				g.externalRef(fmt.Sprintf("%s/externalRefs/%d/referenceLocator", at, j), typ, loc)
			}
		}
	}
	return g.out
}

// externalRef checks the locator of an SPDX external reference of a type
// with a grammar: purl, cpe22Type, cpe23Type.
func (g *grammarChecker) externalRef(where, typ, loc string) {
	switch strings.ToLower(typ) {
	case "purl":
		g.add(where, RulePURL, checkPURL(loc))
	case "cpe22type":
		g.add(where, RuleCPE, checkCPE(loc, "2.2"))
	case "cpe23type":
		g.add(where, RuleCPE, checkCPE(loc, "2.3"))
	}
}

// sortViolations puts violations in document order as far as pointers
// tell it: array indexes compare as numbers, keys as strings.
func sortViolations(vs []Violation) {
	slices.SortStableFunc(vs, func(a, b Violation) int {
		ta, tb := strings.Split(a.Where, "/"), strings.Split(b.Where, "/")
		for i := 0; i < len(ta) && i < len(tb); i++ {
			if ta[i] == tb[i] {
				continue
			}
			na, ea := strconv.Atoi(ta[i])
			nb, eb := strconv.Atoi(tb[i])
			if ea == nil && eb == nil {
				return cmp.Compare(na, nb)
			}
			return strings.Compare(ta[i], tb[i])
		}
		return cmp.Compare(len(ta), len(tb))
	})
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// tagValueGrammar checks the licences, external references and checksums
// of an SPDX tag-value document, line by line; <text> blocks are skipped.
func tagValueGrammar(b []byte) []Violation {
	var g grammarChecker
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	inText := false
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if inText {
			inText = !strings.Contains(line, "</text>")
			continue
		}
		tag, value, ok := strings.Cut(line, ":")
		if !ok || strings.HasPrefix(strings.TrimSpace(tag), "#") {
			continue
		}
		value = strings.TrimSpace(value)
		if strings.HasPrefix(value, "<text>") {
			inText = !strings.Contains(value, "</text>")
			continue
		}
		where := "line " + strconv.Itoa(n)
		switch strings.TrimSpace(tag) {
		case "PackageLicenseConcluded", "PackageLicenseDeclared", "PackageLicenseInfoFromFiles", "LicenseConcluded", "LicenseInfoInFile":
			g.license(where, value)
		case "PackageChecksum", "FileChecksum":
			alg, v, _ := strings.Cut(value, ":")
			g.add(where, RuleHash, checkHash(strings.TrimSpace(alg), strings.TrimSpace(v)))
		case "ExternalRef":
			if f := strings.Fields(value); len(f) >= 3 {
				g.externalRef(where, f[1], f[2])
			}
		}
	}
	return g.out
}
