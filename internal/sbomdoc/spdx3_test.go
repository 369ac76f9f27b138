package sbomdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSPDX3Examples: every SPDX 3.0.1 example of the spdx-examples
// repository, and tools-golang's, is valid by the 3.0.1 JSON Schema and
// the model's rules consign enforces, and is read by Decode, including
// documents whose relationships name elements of other documents.
func TestSPDX3Examples(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join(testdata, "spdx3", "*.json"))
	if err != nil || len(files) < 20 {
		t.Fatalf("found %d SPDX 3 examples (%v), want them all", len(files), err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			v, err := Validate(b)
			if err != nil {
				t.Fatalf("Validate = %v", err)
			}
			if v.Schema != spdx301SchemaURL || v.Format != FormatSPDXJSON || v.SpecVersion != "3.0.1" {
				t.Errorf("Validate = %s %s against %q", v.Format, v.SpecVersion, v.Schema)
			}
			if err := v.Err(); err != nil {
				t.Errorf("Validate(valid) = %v", v.Violations)
			}
			doc, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode = %v", err)
			}
			if doc.Timestamp.IsZero() || len(doc.Authors) == 0 || doc.URI == "" {
				t.Errorf("Decode = %+v: want the creation info read", doc)
			}
		})
	}
}

// TestSPDX3Decode reads what consign uses from SPDX 3 examples: the subject
// and its dependencies, suppliers and their e-mail, licences declared and
// concluded (expressions, listed and custom licences, sets), hashes,
// purls, and relationships to elements outside the document.
func TestSPDX3Decode(t *testing.T) {
	t.Parallel()
	read := func(name string) *Document {
		b, err := os.ReadFile(filepath.Join(testdata, "spdx3", name))
		if err != nil {
			t.Fatal(err)
		}
		doc, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode(%s) = %v", name, err)
		}
		return doc
	}
	d := read("example13-example13.spdx3.json")
	if d.Subject == nil || d.Subject.Name != "Acme Application" || d.Subject.Version != "1.3" || d.Subject.Supplier != "Acme Company" || len(d.Subject.DependsOn) != 2 {
		t.Errorf("example13 subject = %+v", d.Subject)
	}
	if len(d.Components) != 3 || !strings.Contains(strings.Join(d.Contacts, " "), "jane-doe-1@acme.com") {
		t.Errorf("example13 = %d components, contacts %q", len(d.Components), d.Contacts)
	}
	d = read("example9-appbomination.spdx3.json")
	if d.Subject == nil || d.Subject.Name != "App-BOM-ination" || !strings.Contains(strings.Join(d.Subject.ConcludedLicenses, " "), "LicenseRef-1") {
		t.Errorf("example9 subject = %+v", d.Subject)
	}
	d = read("example7-example7-golang.spdx3.json")
	if d.Subject == nil || d.Subject.Hashes["sha256"] != "7154e88f5a8047aad4b80ebace58a059e36e7e2e4eb3b383127a28c711b4ff59" || d.Subject.Type != "install" {
		t.Errorf("example7 golang subject = %+v", d.Subject)
	}
	// Relationships from elements of another document: read, not refused.
	d = read("example3-example3-bin.json")
	if d.Subject == nil || d.Subject.Name != "main-bin" {
		t.Errorf("example3-bin subject = %+v", d.Subject)
	}
	if got := read("example4-example4-bin.json"); len(got.Components) != 2 {
		t.Errorf("example4-bin: %d components, want 2", len(got.Components))
	}
}

// TestSPDX3Invalid: each fault of an SPDX 3 document is found and named
// where it is: by the schema, by the model's rules the schema cannot
// express, and by the grammars of purls, hashes and licences.
func TestSPDX3Invalid(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(testdata, "spdx3", "tools-golang-test.json"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	tests := []struct {
		name, old, new string
		rule, where    string
		msg            string
	}{
		{"no createdBy", `"createdBy": [
        "http://spdx.example.com/Agent/JoshuaWatt"
      ],`, ``, RuleSchema, "/@graph/0", "createdBy"},
		{"bad created", `"created": "2024-03-06T00:00:00Z"`, `"created": "2024-03-06"`, RuleSchema, "/@graph/0/created", "does not match pattern"},
		{"spec version", `"specVersion": "3.0.1"`, `"specVersion": "3.0.0"`, RuleModel, "/@graph/0/specVersion", `specVersion "3.0.0"`},
		{"undefined blank node", `"creationInfo": "_:creationinfo",
      "externalIdentifier"`, `"creationInfo": "_:nowhere",
      "externalIdentifier"`, RuleModel, "/@graph/1/creationInfo", `"_:nowhere" is not defined`},
		{"defined twice", `"spdxId": "http://spdx.example.com/BOM1"`, `"spdxId": "http://spdx.example.com/Document1"`, RuleModel, "/@graph/3/spdxId", "defined twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(src, tt.old) {
				t.Fatalf("the fixture lacks %q", tt.old)
			}
			v, err := Validate([]byte(strings.Replace(src, tt.old, tt.new, 1)))
			if err != nil {
				t.Fatalf("Validate = %v", err)
			}
			wantViolation(t, v, tt.rule, tt.where, tt.msg)
		})
	}
}

// TestSPDX3Profiles: SPDX 3.0.1 is a format BSI TR-03183-2 accepts, and an
// SBOM's type (software_sbomType) is its generation context.
func TestSPDX3Profiles(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(testdata, "spdx3", "tools-golang-test.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	status := func(profile, element string) string {
		r, err := CheckProfile(doc, profile)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range r.Elements {
			if e.Element == element {
				return e.Status
			}
		}
		t.Fatalf("%s has no element %s", profile, element)
		return ""
	}
	if got := status(ProfileBSI, "format"); got != StatusPresent {
		t.Errorf("BSI format of SPDX 3.0.1 = %s, want present", got)
	}
	if got := status(ProfileCISA, "generation-context"); got != StatusPresent {
		t.Errorf("CISA generation-context with software_sbomType = %s, want present (lifecycles %q)", got, doc.Lifecycles)
	}
	doc.SpecVersion = "3.0"
	if got := status(ProfileBSI, "format"); got != StatusMissing {
		t.Errorf("BSI format of SPDX 3.0 = %s, want missing", got)
	}
}
