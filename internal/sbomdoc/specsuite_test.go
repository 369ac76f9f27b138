package sbomdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCycloneDXSpecificationSuite runs the CycloneDX specification's own
// test documents (testdata/cyclonedx-spec/VERSION/, JSON and XML,
// 1.2–1.7): every valid one passes validation (JSON Schema or XSD) and is
// read by Decode; every invalid one fails validation, and its violations
// are listed.
func TestCycloneDXSpecificationSuite(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(testdata, "cyclonedx-spec", "*", "*.json"))
	if err != nil || len(files) < 300 {
		t.Fatalf("found %d JSON documents of the CycloneDX suite (%v), want them all", len(files), err)
	}
	xmlFiles, err := filepath.Glob(filepath.Join(testdata, "cyclonedx-spec", "*", "*.xml"))
	if err != nil || len(xmlFiles) < 380 {
		t.Fatalf("found %d XML documents of the CycloneDX suite (%v), want them all", len(xmlFiles), err)
	}
	files = append(files, xmlFiles...)
	for _, path := range files {
		name := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Validate(b)
			if strings.HasPrefix(filepath.Base(path), "valid-") && filepath.Ext(path) == ".xml" && err == nil && v.Schema != xsdURL(v.SpecVersion) {
				t.Errorf("Validate(XML).Schema = %q, want the XSD", v.Schema)
			}
			if strings.HasPrefix(filepath.Base(path), "valid-") {
				if err != nil {
					t.Fatalf("Validate = %v", err)
				}
				if err := v.Err(); err != nil {
					t.Errorf("Validate(valid) = %v", v.Violations)
				}
				if _, err := Decode(b); err != nil {
					t.Errorf("Decode(valid) = %v", err)
				}
				return
			}
			if err != nil {
				t.Logf("Validate = %v", err) // not read at all: refused as it should be
				return
			}
			if v.Err() == nil {
				t.Fatalf("Validate(invalid) found no violation")
			}
			want, ok := suiteWant[filepath.Base(path)]
			if !ok {
				return
			}
			for _, got := range v.Violations {
				if got.Rule == want.rule && got.Where == want.where && got.Line == want.line && strings.Contains(got.Message, want.msg) {
					return
				}
			}
			t.Errorf("Validate = %v, want a %s violation at %s saying %q", v.Violations, want.rule, want.where, want.msg)
		})
	}
}

// suiteWant names the violation of some of the suite's invalid documents,
// to show each is refused for its own fault, not another.
var suiteWant = map[string]struct {
	rule, where string
	line        int // in an XML document
	msg         string
}{
	"invalid-serialnumber-1.6.json":           {RuleSchema, "/serialNumber", 0, "does not match pattern"},
	"invalid-license-id-1.6.json":             {RuleSchema, "/components/0/licenses/0/license/id", 0, `"Apache-2" is not one of`},
	"invalid-hash-md5-1.6.json":               {RuleHash, "/components/0/hashes/0/content", 0, "hex digits"},
	"invalid-hash-sha512-1.7.json":            {RuleSchema, "/components/0/hashes/3/content", 0, "does not match pattern"},
	"invalid-metadata-timestamp-1.6.json":     {RuleSchema, "/metadata/timestamp", 0, "is not valid date-time"},
	"invalid-component-type-1.5.json":         {RuleSchema, "/components/0/type", 0, "value must be one of"},
	"invalid-missing-component-type-1.4.json": {RuleSchema, "/components/0", 0, "missing property 'type'"},
	"invalid-scope-1.3.json":                  {RuleSchema, "/components/0/scope", 0, "value must be one of"},

	"invalid-serialnumber-1.6.xml":           {RuleSchema, "/bom", 2, "attribute serialNumber: \"urn:uuid:3e671687-395b-41f5-a30f\" does not match the pattern"},
	"invalid-license-id-1.6.xml":             {RuleSchema, "/bom/components[1]/component[1]/licenses[1]/license[1]/id[1]", 19, `"Apache-2" is not one of the`},
	"invalid-hash-md5-1.6.xml":               {RuleHash, "/bom/components[1]/component[1]/hashes[1]/hash[1]", 9, "hex digits"},
	"invalid-metadata-timestamp-1.6.xml":     {RuleSchema, "/bom/metadata[1]/timestamp[1]", 4, `"2020-04-07" is not a valid xs:dateTime`},
	"invalid-component-type-1.7.xml":         {RuleSchema, "/bom/components[1]/component[1]", 7, `attribute type: "foo" is not one of the`},
	"invalid-missing-component-type-1.4.xml": {RuleSchema, "/bom/components[1]/component[1]", 4, "missing the required attribute type"},
	"invalid-scope-1.3.xml":                  {RuleSchema, "/bom/components[1]/component[1]/scope[1]", 7, `"foo" is not one of "required", "optional", "excluded"`},
	"invalid-component-ref-1.5.xml":          {RuleSchema, "/bom/components[1]/component[1]/components[1]/component[1]", 8, `bom-ref "123" is not unique: it is also on line 4`},
	"invalid-license-choice-1.2.xml":         {RuleSchema, "/bom/components[1]/component[1]/licenses[1]", 21, "<expression> is not allowed here in <licenses>"},
	"invalid-empty-component-1.6.xml":        {RuleSchema, "/bom/components[1]/component[1]", 5, "<component> is incomplete; the schema wants one of"},
	"invalid-license-encoding-1.4.xml":       {RuleSchema, "/bom/components[1]/component[1]/licenses[1]/license[1]/text[1]", 20, `attribute encoding: "base85" is not one of "base64"`},
}
