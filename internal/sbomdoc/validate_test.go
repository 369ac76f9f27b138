package sbomdoc

import (
	"errors"
	"strings"
	"testing"
)

// mustBeValid fails t unless b is an SBOM that breaks none of its
// format's rules.
func mustBeValid(t *testing.T, b []byte) {
	t.Helper()
	v, err := Validate(b)
	if err != nil {
		t.Fatalf("Validate = %v", err)
	}
	if err := v.Err(); err != nil {
		t.Errorf("Validate: %v", v.Violations)
	}
}

// TestValidateViolations breaks one rule at a time in an otherwise valid
// document, and checks the violation is reported where it is.
func TestValidateViolations(t *testing.T) {
	t.Parallel()
	const cdx = `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [%s]}`
	const spdx = `{"spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT", "name": "x",
"documentNamespace": "https://example.com/x", "creationInfo": {"created": "2026-01-02T03:04:05Z", "creators": ["Tool: t"]},
"packages": [{"SPDXID": "SPDXRef-p", "name": "p", "downloadLocation": "NOASSERTION", %s}]}`
	const tv = "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: x\n" +
		"DocumentNamespace: https://example.com/x\nCreator: Tool: t\nCreated: 2026-01-02T03:04:05Z\n" +
		"PackageName: p\nSPDXID: SPDXRef-p\nPackageDownloadLocation: NOASSERTION\n%s\n"
	tests := []struct {
		name, doc, part  string
		wantRule, wantAt string // "" rule: valid
		wantMsg          string
	}{
		{"cdx valid", cdx, `{"type": "library", "name": "a", "version": "1", "purl": "pkg:npm/%40s/a@1?x=y#p", "cpe": "cpe:2.3:a:v:a:1:*:*:*:*:*:*:*", "licenses": [{"expression": "(MIT OR GPL-2.0-or-later WITH Classpath-exception-2.0) AND LicenseRef-x"}], "hashes": [{"alg": "SHA-256", "content": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]}`, "", "", ""},
		{"cdx unknown type", cdx, `{"type": "no-such-type", "name": "a"}`, RuleSchema, "/components/0/type", `"no-such-type" is not one of the 13 values`},
		{"cdx no name", cdx, `{"type": "library"}`, RuleSchema, "/components/0", "missing property 'name'"},
		{"cdx short hash", cdx, `{"type": "library", "name": "a", "hashes": [{"alg": "SHA-512", "content": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]}`, RuleHash, "/components/0/hashes/0/content", "128 hex digits, not 64"},
		{"cdx unknown licence id", cdx, `{"type": "library", "name": "a", "licenses": [{"license": {"id": "No-Such-Licence"}}]}`, RuleSchema, "/components/0/licenses/0/license/id", ""},
		{"cdx unknown licence in expression", cdx, `{"type": "library", "name": "a", "licenses": [{"expression": "MIT OR Nope-1.0"}]}`, RuleLicense, "/components/0/licenses/0/expression", `"Nope-1.0" is not on the SPDX licence list`},
		{"cdx bad purl", cdx, `{"type": "library", "name": "a", "purl": "npm/a@1"}`, RulePURL, "/components/0/purl", "starts with pkg:"},
		{"cdx bad cpe", cdx, `{"type": "library", "name": "a", "cpe": "cpe:2.3:a:v:a"}`, RuleCPE, "/components/0/cpe", "CPE 2.3"},
		{"cdx nested", cdx, `{"type": "library", "name": "a", "components": [{"type": "library", "name": "b", "purl": "pkg:/b"}]}`, RulePURL, "/components/0/components/0/purl", ""},
		{"spdx valid", spdx, `"licenseDeclared": "Apache-2.0 AND MIT", "licenseConcluded": "NOASSERTION", "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:pypi/p@1"}], "checksums": [{"algorithm": "SHA1", "checksumValue": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}]`, "", "", ""},
		{"spdx bad licence", spdx, `"licenseDeclared": "Apache-2.0 AND Nope"`, RuleLicense, "/packages/0/licenseDeclared", `"Nope"`},
		{"spdx bad cpe22", spdx, `"externalRefs": [{"referenceCategory": "SECURITY", "referenceType": "cpe22Type", "referenceLocator": "cpe:2.3:a:v:p:1:*:*:*:*:*:*:*"}]`, RuleCPE, "/packages/0/externalRefs/0/referenceLocator", "cpe:/"},
		{"spdx bad checksum", spdx, `"checksums": [{"algorithm": "SHA256", "checksumValue": "da39a3ee5e6b4b0d3255bfef95601890afd80709"}]`, RuleHash, "/packages/0/checksums/0/checksumValue", "64 hex digits, not 40"},
		{"spdx schema", spdx, `"filesAnalyzed": "yes"`, RuleSchema, "/packages/0/filesAnalyzed", "want boolean"},
		{"tag-value valid", tv, "PackageLicenseDeclared: MIT\nPackageChecksum: SHA1: da39a3ee5e6b4b0d3255bfef95601890afd80709\nExternalRef: PACKAGE-MANAGER purl pkg:deb/debian/p@1", "", "", ""},
		{"tag-value bad licence", tv, "PackageComment: <text>\nPackageLicenseDeclared: Nope\n</text>\nPackageLicenseDeclared: Nope", RuleLicense, "line 14", `"Nope"`},
		{"tag-value bad purl", tv, "ExternalRef: PACKAGE-MANAGER purl pkg:deb", RulePURL, "line 11", ""},
		{"tag-value bad checksum", tv, "PackageChecksum: MD5: xyz", RuleHash, "line 11", "hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc := strings.Replace(tt.doc, "%s", tt.part, 1)
			v, err := Validate([]byte(doc))
			if err != nil {
				t.Fatalf("Validate = %v", err)
			}
			if tt.wantRule == "" {
				if err := v.Err(); err != nil {
					t.Fatalf("Validate(valid) = %v", v.Violations)
				}
				return
			}
			if !errors.Is(v.Err(), ErrInvalid) {
				t.Fatalf("Validate.Err() = %v, want ErrInvalid", v.Err())
			}
			wantViolation(t, v, tt.wantRule, tt.wantAt, tt.wantMsg)
		})
	}
}

func TestValidateRefusesWhatItCannotRead(t *testing.T) {
	t.Parallel()
	for _, in := range []string{`{"bomFormat": "CycloneDX", "specVersion": "1.1"}`, `{"a": 1, "a": 2}`, `{"spdxVersion": "SPDX-2.1"}`, `{"@context": "x"}`} {
		if v, err := Validate([]byte(in)); err == nil {
			t.Errorf("Validate(%s) = %v, want an error", in, v)
		}
	}
}

// wantViolation fails t unless v holds a violation of rule at where whose
// message contains msg.
func wantViolation(t *testing.T, v *Validation, rule, where, msg string) {
	t.Helper()
	for _, got := range v.Violations {
		if got.Rule == rule && got.Where == where && strings.Contains(got.Message, msg) {
			return
		}
	}
	t.Errorf("Validate = %v, want a %s violation at %s saying %q", v.Violations, rule, where, msg)
}
