package sbomdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCycloneDXSpecificationSuite runs the CycloneDX specification's own
// test documents (testdata/cyclonedx-spec/VERSION/, JSON, 1.2–1.7): every
// valid one passes validation and is read by Decode; every invalid one
// fails validation, and its violations are listed.
func TestCycloneDXSpecificationSuite(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(testdata, "cyclonedx-spec", "*", "*.json"))
	if err != nil || len(files) < 300 {
		t.Fatalf("found %d documents of the CycloneDX suite (%v), want them all", len(files), err)
	}
	for _, path := range files {
		name := filepath.Base(filepath.Dir(path)) + "/" + filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Validate(b)
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
				if got.Rule == want.rule && got.Where == want.where && strings.Contains(got.Message, want.msg) {
					return
				}
			}
			t.Errorf("Validate = %v, want a %s violation at %s saying %q", v.Violations, want.rule, want.where, want.msg)
		})
	}
}

// suiteWant names the violation of some of the suite's invalid documents,
// to show each is refused for its own fault, not another.
var suiteWant = map[string]struct{ rule, where, msg string }{
	"invalid-serialnumber-1.6.json":           {RuleSchema, "/serialNumber", "does not match pattern"},
	"invalid-license-id-1.6.json":             {RuleSchema, "/components/0/licenses/0/license/id", `"Apache-2" is not one of`},
	"invalid-hash-md5-1.6.json":               {RuleHash, "/components/0/hashes/0/content", "hex digits"},
	"invalid-hash-sha512-1.7.json":            {RuleSchema, "/components/0/hashes/3/content", "does not match pattern"},
	"invalid-metadata-timestamp-1.6.json":     {RuleSchema, "/metadata/timestamp", "is not valid date-time"},
	"invalid-component-type-1.5.json":         {RuleSchema, "/components/0/type", "value must be one of"},
	"invalid-missing-component-type-1.4.json": {RuleSchema, "/components/0", "missing property 'type'"},
	"invalid-scope-1.3.json":                  {RuleSchema, "/components/0/scope", "value must be one of"},
}
