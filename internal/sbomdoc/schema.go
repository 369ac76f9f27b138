package sbomdoc

import (
	"bytes"
	"embed"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaFiles are the official JSON Schemas: CycloneDX 1.2–1.7 with the
// SPDX licence list, JSON Signature Format and cryptography definitions
// they reference, SPDX 2.2 and 2.3, and SPDX 3.0 and 3.0.1. Every $ref among them resolves to
// one of these files: validating never reaches the network.
//
//go:embed schemas/*.json schemas/*.xsd
var schemaFiles embed.FS

// schemaIDs maps each JSON format and version to the $id of its schema.
var schemaIDs = map[string]string{
	FormatCycloneDXJSON + "@1.2": "http://cyclonedx.org/schema/bom-1.2b.schema.json",
	FormatCycloneDXJSON + "@1.3": "http://cyclonedx.org/schema/bom-1.3a.schema.json",
	FormatCycloneDXJSON + "@1.4": "http://cyclonedx.org/schema/bom-1.4.schema.json",
	FormatCycloneDXJSON + "@1.5": "http://cyclonedx.org/schema/bom-1.5.schema.json",
	FormatCycloneDXJSON + "@1.6": "http://cyclonedx.org/schema/bom-1.6.schema.json",
	FormatCycloneDXJSON + "@1.7": "http://cyclonedx.org/schema/bom-1.7.schema.json",
	FormatSPDXJSON + "@2.2":      "http://spdx.org/rdf/terms",
	FormatSPDXJSON + "@2.3":      "http://spdx.org/rdf/terms/2.3",
	FormatSPDXJSON + "@3.0":      spdx300SchemaURL,
	FormatSPDXJSON + "@3.0.1":    spdx301SchemaURL,
	FormatSyftJSON + "@16.1.13":  syftSchemaURL,
}

// syftSchemaURL is where syft publishes the JSON Schema of the syft JSON
// version it writes (its $id, anchore.io/schema/syft/json/16.1.13/document,
// is no URL).
const syftSchemaURL = "https://raw.githubusercontent.com/anchore/syft/main/schema/json/schema-16.1.13.json"

// The SPDX 3 JSON Schemas have no $id; they are known by the address
// SPDX publishes them at.
const (
	spdx300SchemaURL = "https://spdx.org/schema/3.0.0/spdx-json-schema.json"
	spdx301SchemaURL = "https://spdx.org/schema/3.0.1/spdx-json-schema.json"
)

// schemaFileIDs names the embedded schemas that carry no $id.
var schemaFileIDs = map[string]string{
	"spdx-3.0.0.schema.json":   spdx300SchemaURL,
	"spdx-3.0.1.schema.json":   spdx301SchemaURL,
	"syft-16.1.13.schema.json": syftSchemaURL,
}

// HasSchema reports whether consign holds the official schema of format
// at version: a JSON Schema, an XSD, or the SPDX tag-value grammar.
func HasSchema(format, version string) bool {
	switch format {
	case FormatCycloneDXXML:
		_, ok := cycloneDXVersions[version]
		return ok
	case FormatSPDXTagValue:
		return version == "2.2" || version == "2.3"
	}
	return schemaIDs[format+"@"+version] != ""
}

// xsdURL is where CycloneDX publishes the XSD of version: what
// [Validation.Schema] names for an XML document.
func xsdURL(version string) string { return "http://cyclonedx.org/schema/bom-" + version + ".xsd" }

// xsdSets holds each CycloneDX XSD, with the SPDX licence-id schema it
// imports, compiled the first time a document of its version is checked.
var xsdSets sync.Map // version → func() (*xsdSet, error)

func xsdFor(version string) (*xsdSet, error) {
	f, _ := xsdSets.LoadOrStore(version, sync.OnceValues(func() (*xsdSet, error) {
		bom, err := schemaFiles.ReadFile("schemas/bom-" + version + ".xsd")
		if err != nil {
			return nil, fmt.Errorf("no XSD for CycloneDX %s: %w", version, err)
		}
		spdx, err := schemaFiles.ReadFile("schemas/spdx.xsd")
		if err != nil {
			return nil, err
		}
		set, err := compileXSD(bom, spdx)
		if err != nil {
			return nil, fmt.Errorf("compiling the XSD of CycloneDX %s: %w", version, err)
		}
		return set, nil
	}))
	return f.(func() (*xsdSet, error))()
}

// schemaSet compiles each schema the first time it is asked for: the
// CycloneDX ones are large, and a check needs one.
type schemaSet struct {
	mu       sync.Mutex
	compiler *jsonschema.Compiler
	compiled map[string]*jsonschema.Schema
}

var schemas = sync.OnceValues(func() (*schemaSet, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	c.UseLoader(noLoader{}) // every $ref is to a file added below
	c.UseRegexpEngine(schemaRegexp)
	entries, err := schemaFiles.ReadDir("schemas")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue // an XSD
		}
		b, err := schemaFiles.ReadFile("schemas/" + e.Name())
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("schema %s: %w", e.Name(), err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if fid := schemaFileIDs[e.Name()]; fid != "" {
			id = fid
			delete(doc.(map[string]any), "$id")
		}
		if err := c.AddResource(id, doc); err != nil {
			return nil, fmt.Errorf("schema %s: %w", e.Name(), err)
		}
	}
	return &schemaSet{compiler: c, compiled: map[string]*jsonschema.Schema{}}, nil
})

// notBlankNodeIRI stands for the SPDX 3 schemas' pattern for an IRI,
// "^(?!_:).+:.+": Go's regular expressions have no lookahead, so the
// "not a blank node" part is a prefix test.
type notBlankNodeIRI struct{ rest *regexp.Regexp }

const spdxIRIPattern = "^(?!_:).+:.+"

func (r notBlankNodeIRI) MatchString(s string) bool {
	return !strings.HasPrefix(s, "_:") && r.rest.MatchString(s)
}

func (notBlankNodeIRI) String() string { return spdxIRIPattern }

// schemaRegexp compiles a schema's pattern with Go's regexp package, the
// one lookahead the embedded schemas use aside.
func schemaRegexp(s string) (jsonschema.Regexp, error) {
	if s == spdxIRIPattern {
		return notBlankNodeIRI{regexp.MustCompile("^.+:.+")}, nil
	}
	return regexp.Compile(s)
}

// noLoader refuses every URL: the schemas are all embedded.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema %s is not embedded in consign", url)
}

// schemaFor returns the compiled schema of format at version, or nil if
// there is none.
func schemaFor(format, version string) (*jsonschema.Schema, error) {
	id := schemaIDs[format+"@"+version]
	if id == "" {
		return nil, nil
	}
	set, err := schemas()
	if err != nil {
		return nil, err
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	if s := set.compiled[id]; s != nil {
		return s, nil
	}
	s, err := set.compiler.Compile(id)
	if err != nil {
		return nil, fmt.Errorf("compiling the schema %s: %w", id, err)
	}
	set.compiled[id] = s
	return s, nil
}

// maxViolations bounds the violations one check reports.
const maxViolations = 1000

var printer = sync.OnceValue(func() *message.Printer { return message.NewPrinter(language.English) })

// schemaViolations lists where inst breaks s: the leaves of the
// validator's error tree, each once, in document order of discovery.
func schemaViolations(s *jsonschema.Schema, inst any) []Violation {
	err := s.Validate(inst)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return []Violation{{Where: "", Rule: RuleSchema, Message: err.Error()}}
	}
	var out []Violation
	seen := map[Violation]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(out) >= maxViolations {
			return
		}
		if len(e.Causes) > 0 {
			for _, c := range bestCauses(e) {
				walk(c)
			}
			return
		}
		v := Violation{Where: pointer(e.InstanceLocation), Rule: RuleSchema, Message: schemaMessage(e.ErrorKind)}
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	walk(ve)
	return out
}

// bestCauses returns the causes of e worth reporting. Where e is an
// anyOf or oneOf no alternative of which matched, each cause is one
// alternative's failure; the ones that got deepest into the document are
// the ones the author most likely meant (a licence choice that failed on
// its id, not the choice that wanted an expression instead), so only they
// are reported.
func bestCauses(e *jsonschema.ValidationError) []*jsonschema.ValidationError {
	switch e.ErrorKind.(type) {
	case *kind.AnyOf, *kind.OneOf:
	default:
		return e.Causes
	}
	causes := e.Causes
	// The SPDX 3 schema picks an object's class by its "type" among
	// alternatives for every class: the alternatives for other types
	// say nothing about the object.
	var ofType []*jsonschema.ValidationError
	for _, c := range causes {
		if !failsOnType(c, len(e.InstanceLocation)) {
			ofType = append(ofType, c)
		}
	}
	if len(ofType) > 0 && len(ofType) < len(causes) {
		causes = ofType
	}
	depth := make([]int, len(causes))
	best := 0
	for i, c := range causes {
		depth[i] = deepest(c)
		best = max(best, depth[i])
	}
	var out []*jsonschema.ValidationError
	for i, c := range causes {
		if depth[i] == best {
			out = append(out, c)
		}
	}
	return out
}

// failsOnType reports whether e fails because the object at depth n of
// the instance has another "type" than the alternative wants.
func failsOnType(e *jsonschema.ValidationError, n int) bool {
	if len(e.Causes) == 0 {
		loc := e.InstanceLocation
		if len(loc) != n+1 || loc[n] != "type" {
			return false
		}
		switch e.ErrorKind.(type) {
		case *kind.Const, *kind.Enum:
			return true
		}
		return false
	}
	for _, c := range e.Causes {
		if failsOnType(c, n) {
			return true
		}
	}
	return false
}

// deepest is the length of the longest instance location under e.
func deepest(e *jsonschema.ValidationError) int {
	d := len(e.InstanceLocation)
	for _, c := range e.Causes {
		d = max(d, deepest(c))
	}
	return d
}

// maxEnumShown bounds the values of an enum a message lists.
const maxEnumShown = 12

// schemaMessage says what the schema wants; an enum as long as the SPDX
// licence list is not spelt out.
func schemaMessage(k jsonschema.ErrorKind) string {
	if e, ok := k.(*kind.Enum); ok && len(e.Want) > maxEnumShown {
		return fmt.Sprintf("%v is not one of the %d values the schema allows (%v, %v, ...)", quoteValue(e.Got), len(e.Want), quoteValue(e.Want[0]), quoteValue(e.Want[1]))
	}
	return k.LocalizedString(printer())
}

func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// pointer writes a JSON pointer (RFC 6901) from its tokens.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return b.String()
}
