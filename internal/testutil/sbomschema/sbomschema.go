// Package sbomschema validates SBOMs in tests against the official JSON
// Schemas of CycloneDX 1.2–1.7 and SPDX 2.2–2.3, vendored in testdata/schemas
// with the SPDX licence list, JSF and cryptography definitions the
// CycloneDX schemas reference (sources and licences in the repository's
// testdata/README.md). The decoder's tests check that their hand-made inputs
// are valid, and the generator's that every JSON output is.
//
// Only tests import it: the schemas are embedded, about a megabyte.
package sbomschema

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed testdata/schemas/*.json
var files embed.FS

// Format is an SBOM format name ("cyclonedx-json", "spdx-json") and version.
type Format struct {
	Name    string
	Version string
}

func (f Format) String() string { return f.Name + "@" + f.Version }

// ids maps each JSON format to the $id of its schema.
var ids = map[Format]string{
	{"cyclonedx-json", "1.2"}: "http://cyclonedx.org/schema/bom-1.2b.schema.json",
	{"cyclonedx-json", "1.3"}: "http://cyclonedx.org/schema/bom-1.3a.schema.json",
	{"cyclonedx-json", "1.4"}: "http://cyclonedx.org/schema/bom-1.4.schema.json",
	{"cyclonedx-json", "1.5"}: "http://cyclonedx.org/schema/bom-1.5.schema.json",
	{"cyclonedx-json", "1.6"}: "http://cyclonedx.org/schema/bom-1.6.schema.json",
	{"cyclonedx-json", "1.7"}: "http://cyclonedx.org/schema/bom-1.7.schema.json",
	{"spdx-json", "2.2"}:      "http://spdx.org/rdf/terms",
	{"spdx-json", "2.3"}:      "http://spdx.org/rdf/terms/2.3",
}

// Has reports whether there is a schema for format name at version: the
// JSON formats have one, XML and tag-value none.
func Has(name, version string) bool { return ids[Format{name, version}] != "" }

// Schemas compiles every schema once, keyed by format.
var Schemas = sync.OnceValues(func() (map[Format]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	names, err := fs.Glob(files, "testdata/schemas/*.json")
	if err != nil || len(names) == 0 {
		return nil, fmt.Errorf("no schemas in testdata/schemas: %v", err)
	}
	for _, name := range names {
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if err := c.AddResource(id, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	out := map[Format]*jsonschema.Schema{}
	for f, id := range ids {
		s, err := c.Compile(id)
		if err != nil {
			return nil, fmt.Errorf("compiling %s: %w", id, err)
		}
		out[f] = s
	}
	return out, nil
})

// Validate checks b against the official schema of format name at
// version, and fails t if there is no such schema or b does not validate.
func Validate(t testing.TB, name, version string, b []byte) {
	t.Helper()
	m, err := Schemas()
	if err != nil {
		t.Fatal(err)
	}
	f := Format{name, version}
	s, ok := m[f]
	if !ok {
		t.Fatalf("no schema for %s", f)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s output is not JSON: %v", f, err)
	}
	if err := s.Validate(inst); err != nil {
		t.Errorf("%s output does not validate against its official schema:\n%v", f, err)
	}
}
