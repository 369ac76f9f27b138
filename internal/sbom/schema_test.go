package sbom

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The official JSON Schemas, vendored in testdata/schemas (sources and
// licences in the repository's testdata/README.md): CycloneDX 1.2–1.7 with
// the SPDX licence list, JSF and cryptography definitions they reference,
// and SPDX 2.2 and 2.3.

// schemaIDs maps a JSON output format to the $id of its schema.
var schemaIDs = map[Format]string{
	{FormatCycloneDXJSON, "1.2"}: "http://cyclonedx.org/schema/bom-1.2b.schema.json",
	{FormatCycloneDXJSON, "1.3"}: "http://cyclonedx.org/schema/bom-1.3a.schema.json",
	{FormatCycloneDXJSON, "1.4"}: "http://cyclonedx.org/schema/bom-1.4.schema.json",
	{FormatCycloneDXJSON, "1.5"}: "http://cyclonedx.org/schema/bom-1.5.schema.json",
	{FormatCycloneDXJSON, "1.6"}: "http://cyclonedx.org/schema/bom-1.6.schema.json",
	{FormatCycloneDXJSON, "1.7"}: "http://cyclonedx.org/schema/bom-1.7.schema.json",
	{FormatSPDXJSON, "2.2"}:      "http://spdx.org/rdf/terms",
	{FormatSPDXJSON, "2.3"}:      "http://spdx.org/rdf/terms/2.3",
}

// testdata is the package's testdata directory, found even after t.Chdir.
var testdata = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "testdata")
}()

var schemas = sync.OnceValues(func() (map[Format]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	files, err := filepath.Glob(filepath.Join(testdata, "schemas", "*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no schemas in testdata/schemas: %v", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		id, _ := doc.(map[string]any)["$id"].(string)
		if err := c.AddResource(id, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
	}
	out := map[Format]*jsonschema.Schema{}
	for f, id := range schemaIDs {
		s, err := c.Compile(id)
		if err != nil {
			return nil, fmt.Errorf("compiling %s: %w", id, err)
		}
		out[f] = s
	}
	return out, nil
})

// validateSchema checks b against the official schema of format f.
func validateSchema(t *testing.T, f Format, b []byte) {
	t.Helper()
	m, err := schemas()
	if err != nil {
		t.Fatal(err)
	}
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

// TestSchemasRejectInvalid is the negative control of validateSchema: a
// document that breaks each schema fails it.
func TestSchemasRejectInvalid(t *testing.T) {
	t.Parallel()
	m, err := schemas()
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		FormatCycloneDXJSON: `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [{"type": "no-such-type", "name": "x"}]}`,
		FormatSPDXJSON:      `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "x"}`,
	}
	for f, s := range m {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(bad[f.Name])))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(inst); err == nil {
			t.Errorf("the %s schema accepts an invalid document", f)
		}
	}
}
