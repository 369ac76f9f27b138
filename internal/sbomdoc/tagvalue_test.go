package sbomdoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTagValueSpecExamples: the SPDX specification's tag-value examples
// (2.2 and 2.3) keep the grammar and are read.
func TestTagValueSpecExamples(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"SPDXTagExample-v2.2.spdx", "SPDXTagExample-v2.3.spdx"} {
		b, err := os.ReadFile(filepath.Join(testdata, "spdx-spec", name))
		if err != nil {
			t.Fatal(err)
		}
		v, err := Validate(b)
		if err != nil {
			t.Fatalf("Validate(%s) = %v", name, err)
		}
		if v.Schema != TagValueGrammar || v.Err() != nil {
			t.Errorf("Validate(%s) = %q, %v", name, v.Schema, v.Violations)
		}
		if _, err := Decode(b); err != nil {
			t.Errorf("Decode(%s) = %v", name, err)
		}
	}
}

// TestTagValueGrammar: each break of the tag-value grammar is found at its
// line, with what the grammar wants.
func TestTagValueGrammar(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(testdata, "docs", "spdx-2.3.spdx"))
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	tests := []struct {
		name, old, new string
		line           string
		msg            string
	}{
		{"unknown tag", "PackageVersion: 3.2.0", "PackageVersoin: 3.2.0", "line 14", `unknown tag "PackageVersoin"`},
		{"not tag value", "PackageVersion: 3.2.0", "PackageVersion 3.2.0", "line 14", "is not TAG: VALUE"},
		{"bad date", "Created: 2026-01-02T03:04:05Z", "Created: 2026-01-02", "line 8", "is not YYYY-MM-DDThh:mm:ssZ"},
		{"bad creator", "Creator: Tool: hand-1", "Creator: hand-1", "line 7", "is not Person: NAME"},
		{"bad data licence", "DataLicense: CC0-1.0", "DataLicense: MIT", "line 2", "is not CC0-1.0"},
		{"bad SPDXID", "SPDXID: SPDXRef-alpha", "SPDXID: alpha", "line 22", `SPDXID "alpha" is not SPDXRef-ID`},
		{"bad FilesAnalyzed", "FilesAnalyzed: false\nPackageLicenseConcluded: NOASSERTION\nPackageLicenseDeclared: NOASSERTION\nPackageCopyrightText: NOASSERTION\n\nPackageName: alpha", "FilesAnalyzed: no\nPackageLicenseConcluded: NOASSERTION\nPackageLicenseDeclared: NOASSERTION\nPackageCopyrightText: NOASSERTION\n\nPackageName: alpha", "line 16", "is not true or false"},
		{"wrong section", "PackageVersion: 3.2.0", "PackageVersion: 3.2.0\nFileType: SOURCE", "line 15", "FileType belongs to file information, not to the package at line 12"},
		{"twice", "PackageVersion: 3.2.0", "PackageVersion: 3.2.0\nPackageVersion: 3.2.1", "line 15", "PackageVersion appears twice in the package at line 12 (first at line 14)"},
		{"unclosed text", "PackageCopyrightText: NOASSERTION\n\nPackageName: alpha", "PackageCopyrightText: <text>Copyright\n\nPackageName: alpha", "line 19", "the <text> of PackageCopyrightText is never closed"},
		{"missing required", "DocumentNamespace: https://example.com/spdxdocs/app-3.2.0\n", "", "line 1", "the document lacks DocumentNamespace"},
		{"package without download location", "PackageDownloadLocation: NOASSERTION\nFilesAnalyzed: false\nPackageChecksum", "FilesAnalyzed: false\nPackageChecksum", "line 21", "the package at line 21 lacks PackageDownloadLocation"},
		{"2.3 tag in 2.2", "SPDXVersion: SPDX-2.3\n", "SPDXVersion: SPDX-2.2\n", "", ""}, // no 2.3 tag: still valid
		{"relationship type", "SPDXRef-DOCUMENT DESCRIBES SPDXRef-app", "SPDXRef-DOCUMENT DESCRIBE SPDXRef-app", "line 10", `Relationship type "DESCRIBE"`},
		{"relationship element", "SPDXRef-DOCUMENT DESCRIBES SPDXRef-app", "SPDXRef-DOCUMENT DESCRIBES app", "line 10", "elements are SPDXRef-ID"},
		{"bad checksum", "PackageChecksum: SHA256: 9f86", "PackageChecksum: SHA-256: 9f86", "line 27", "is not ALGORITHM: HEX"},
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
			if tt.msg == "" {
				if v.Err() != nil {
					t.Errorf("Validate = %v, want none", v.Violations)
				}
				return
			}
			wantViolation(t, v, RuleTagValue, tt.line, tt.msg)
		})
	}
	// A 2.3 tag in a 2.2 document.
	v, err := Validate([]byte(strings.Replace(strings.Replace(src, "SPDX-2.3", "SPDX-2.2", 1), "FilesAnalyzed: false", "FilesAnalyzed: false\nPrimaryPackagePurpose: APPLICATION", 1)))
	if err != nil || v.Err() == nil || !strings.Contains(v.Err().Error(), "PrimaryPackagePurpose is a tag of SPDX 2.3, not 2.2") {
		t.Errorf("Validate(2.2 with PrimaryPackagePurpose) = %v, %v", v, err)
	}
}
