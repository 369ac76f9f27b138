package sbomdoc

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/consign-dev/consign/internal/limits"
)

// testdata is the package's testdata directory, found even after t.Chdir.
var testdata = func() string {
	wd, err := os.Getwd()
	if err != nil {
		panic(err)
	}
	return filepath.Join(wd, "testdata")
}()

func readDoc(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, "docs", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// handMade are SBOMs written by hand for these tests, one per supported
// format and version, all describing the same thing: an application
// "app" that contains alpha, which depends on beta; and gamma, listed
// but in no relationship; plus one file entry.
var handMade = []struct {
	file, format, version string
}{
	{"cyclonedx-1.2.json", FormatCycloneDXJSON, "1.2"},
	{"cyclonedx-1.3.json", FormatCycloneDXJSON, "1.3"},
	{"cyclonedx-1.4.json", FormatCycloneDXJSON, "1.4"},
	{"cyclonedx-1.5.json", FormatCycloneDXJSON, "1.5"},
	{"cyclonedx-1.6.json", FormatCycloneDXJSON, "1.6"},
	{"cyclonedx-1.7.json", FormatCycloneDXJSON, "1.7"},
	{"cyclonedx-1.2.xml", FormatCycloneDXXML, "1.2"},
	{"cyclonedx-1.4.xml", FormatCycloneDXXML, "1.4"},
	{"cyclonedx-1.6.xml", FormatCycloneDXXML, "1.6"},
	{"cyclonedx-1.7.xml", FormatCycloneDXXML, "1.7"},
	{"spdx-2.2.json", FormatSPDXJSON, "2.2"},
	{"spdx-2.3.json", FormatSPDXJSON, "2.3"},
	{"spdx-2.2.spdx", FormatSPDXTagValue, "2.2"},
	{"spdx-2.3.spdx", FormatSPDXTagValue, "2.3"},
}

// TestDecodeHandMade reads every supported format and version into the
// same components, and checks the NTIA coverage of each: one component in
// three has a supplier and a hash, two have a version, an identifier, a
// licence and a place in the dependency graph.
func TestDecodeHandMade(t *testing.T) {
	t.Parallel()
	wantCoverage := map[string][2]int{ // covered, total
		ElemSupplier: {1, 3}, ElemName: {3, 3}, ElemVersion: {2, 3}, ElemIdentifiers: {2, 3},
		ElemDependencies: {2, 3}, ElemAuthor: {1, 1}, ElemTimestamp: {1, 1}, ElemHashes: {1, 3}, ElemLicenses: {2, 3},
	}
	sha := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, tt := range handMade {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			b := readDoc(t, tt.file)
			mustBeValid(t, b) // what is missing is the SBOM's, not the test's
			doc, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode(%s) = %v", tt.file, err)
			}
			if doc.Format != tt.format || doc.SpecVersion != tt.version {
				t.Errorf("Decode(%s) format = %s %s, want %s %s", tt.file, doc.Format, doc.SpecVersion, tt.format, tt.version)
			}
			if want := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC); !doc.Timestamp.Equal(want) {
				t.Errorf("timestamp = %v, want %v", doc.Timestamp, want)
			}
			if doc.Subject == nil || doc.Subject.Name != "app" || doc.Subject.Version != "3.2.0" {
				t.Errorf("subject = %+v, want app 3.2.0", doc.Subject)
			}
			if doc.Files != 1 {
				t.Errorf("files = %d, want 1", doc.Files)
			}
			var names []string
			for _, c := range doc.Components {
				names = append(names, c.Label())
			}
			if diff := cmp.Diff([]string{"alpha@1.0.0", "beta@2.0", "gamma"}, names); diff != "" {
				t.Fatalf("components (-want +got):\n%s", diff)
			}
			alpha, beta := doc.Components[0], doc.Components[1]
			if alpha.Supplier != "Alpha Org" || alpha.PURL != "pkg:npm/alpha@1.0.0" || alpha.Hashes["sha256"] != sha {
				t.Errorf("alpha = %+v, want supplier Alpha Org, its purl and sha256", alpha)
			}
			if diff := cmp.Diff([]string{"MIT"}, alpha.Licenses); diff != "" {
				t.Errorf("alpha licences (-want +got):\n%s", diff)
			}
			if got := strings.Trim(strings.Join(beta.Licenses, ""), "()"); got != "Apache-2.0 OR MIT" {
				t.Errorf("beta licences = %q, want the expression Apache-2.0 OR MIT", beta.Licenses)
			}
			if diff := cmp.Diff([]string{"cpe:2.3:a:beta:beta:2.0:*:*:*:*:*:*:*"}, beta.CPEs); diff != "" {
				t.Errorf("beta CPEs (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{beta.Ref}, alpha.DependsOn); diff != "" {
				t.Errorf("alpha depends on (-want +got):\n%s", diff)
			}
			rep := Check(doc)
			if rep.Components != 3 {
				t.Errorf("report components = %d, want 3", rep.Components)
			}
			for _, c := range rep.Coverage {
				w := wantCoverage[c.Element]
				if c.Covered != w[0] || c.Total != w[1] {
					t.Errorf("%s coverage = %d/%d, want %d/%d", c.Element, c.Covered, c.Total, w[0], w[1])
				}
			}
			if p, _ := rep.Percent(ElemDependencies); p < 66.6 || p > 66.7 {
				t.Errorf("dependencies = %v%%, want 66.7%%", p)
			}
			missing := rep.Coverage[slicesIndex(Elements, ElemDependencies)].Missing
			if diff := cmp.Diff([]string{"gamma"}, missing); diff != "" {
				t.Errorf("missing dependencies (-want +got):\n%s", diff)
			}
		})
	}
}

func slicesIndex(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

// TestDecodeBad checks that every input consign cannot read is refused
// with the right sentinel and no document, and a message that says why.
func TestDecodeBad(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat(`{"a":`, limits.JSONDepth+1) + "1" + strings.Repeat("}", limits.JSONDepth+1)
	tests := []struct {
		name    string
		in      []byte
		wantErr error
		wantMsg string
	}{
		{"empty", nil, ErrUnsupportedFormat, "empty"},
		{"white space", []byte(" \n\t"), ErrUnsupportedFormat, "empty"},
		{"text", []byte("hello, world\n"), ErrUnsupportedFormat, "neither JSON"},
		{"binary", []byte{0xff, 0x00, 0x13, 0x37}, ErrUnsupportedFormat, "neither JSON"},
		{"CycloneDX 1.1", readDoc(t, "cyclonedx-1.1.json"), ErrUnsupportedFormat, "CycloneDX 1.1"},
		{"CycloneDX 1.8", []byte(`{"bomFormat":"CycloneDX","specVersion":"1.8","version":1}`), ErrUnsupportedFormat, "CycloneDX 1.8"},
		{"CycloneDX without version", readDoc(t, "cyclonedx-no-version.json"), ErrMalformed, "specVersion"},
		{"CycloneDX version not a string", []byte(`{"bomFormat":"CycloneDX","specVersion":1.6}`), ErrMalformed, "not a string"},
		{"CycloneDX components not an array", readDoc(t, "cyclonedx-bad-components.json"), ErrMalformed, "CycloneDX 1.6 JSON"},
		{"CycloneDX dependency without ref", []byte(`{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"dependencies":[{"dependsOn":["a"]}]}`), ErrMalformed, "no ref"},
		{"another bomFormat", []byte(`{"bomFormat":"OtherBOM","specVersion":"1.0"}`), ErrUnsupportedFormat, "OtherBOM"},
		{"duplicate key", readDoc(t, "cyclonedx-duplicate-key.json"), ErrMalformed, "specVersion"},
		{"too deep", []byte(deep), ErrMalformed, "deeper"},
		{"truncated", readDoc(t, "truncated.json"), ErrMalformed, ""},
		{"invalid UTF-8", []byte("{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\"x\":\"\xff\"}"), ErrMalformed, "UTF-8"},
		{"JSON array", []byte(`[1, 2]`), ErrUnsupportedFormat, ""},
		{"JSON without format", []byte(`{"name":"x"}`), ErrUnsupportedFormat, "neither bomFormat"},
		{"SPDX 2.1", readDoc(t, "spdx-2.1.json"), ErrUnsupportedFormat, "SPDX-2.1"},
		{"JSON-LD, not SPDX", readDoc(t, "jsonld-schema-org.jsonld"), ErrUnsupportedFormat, "consign reads SPDX 3.0 and 3.0.1"},
		{"SPDX 3 without an SpdxDocument", []byte(`{"@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld", "@graph": []}`), ErrMalformed, "without an SpdxDocument"},
		{"SPDX RDF/XML", readDoc(t, "spdx-rdf.xml"), ErrUnsupportedFormat, "RDF"},
		{"SPDX tag-value 2.1", []byte("SPDXVersion: SPDX-2.1\nDataLicense: CC0-1.0\n"), ErrUnsupportedFormat, "SPDX-2.1"},
		{"SPDX tag-value garbage", readDoc(t, "spdx-tv-garbage.spdx"), ErrMalformed, "tag-value"},
		{"SPDX JSON wrong types", []byte(`{"spdxVersion":"SPDX-2.3","packages":"none"}`), ErrMalformed, "SPDX 2.3 JSON"},
		{"syft JSON wrong types", []byte(`{"artifacts": "none", "schema": {"version": "16.1.13"}}`), ErrMalformed, "syft JSON"},
		{"syft JSON without a version", []byte(`{"artifacts": [], "schema": {}}`), ErrMalformed, "syft JSON without a schema version"},
		{"Maven POM", readDoc(t, "other.xml"), ErrUnsupportedFormat, "project"},
		{"XML without root", []byte(`<?xml version="1.0"?>`), ErrMalformed, "root element"},
		{"broken XML", []byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><components>`), ErrMalformed, "CycloneDX 1.6 XML"},
		{"CycloneDX XML 1.1", []byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.1" version="1"/>`), ErrUnsupportedFormat, "CycloneDX 1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			doc, err := Decode(tt.in)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Decode = %v, want an error wrapping %v", err, tt.wantErr)
			}
			if doc != nil {
				t.Errorf("Decode returned a document with its error: %+v", doc)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Decode error %q does not say %q", err, tt.wantMsg)
			}
		})
	}
}

// TestDecodeBare covers an SBOM with nothing but a component: no author,
// no timestamp, no dependency graph, so those elements are at 0.
func TestDecodeBare(t *testing.T) {
	t.Parallel()
	doc, err := Decode(readDoc(t, "cyclonedx-bare.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep := Check(doc)
	for _, e := range []string{ElemAuthor, ElemTimestamp, ElemDependencies, ElemSupplier, ElemIdentifiers} {
		if p, ok := rep.Percent(e); !ok || p != 0 {
			t.Errorf("Percent(%s) = %v, %v; want 0, true", e, p, ok)
		}
	}
	for _, e := range []string{ElemName, ElemVersion} {
		if p, _ := rep.Percent(e); p != 100 {
			t.Errorf("Percent(%s) = %v, want 100", e, p)
		}
	}
}

// TestDecodeBOM reads input that starts with a UTF-8 byte order mark and
// blank lines, as some Windows tools write it.
func TestDecodeBOM(t *testing.T) {
	t.Parallel()
	in := append([]byte("\xef\xbb\xbf\r\n"), readDoc(t, "cyclonedx-1.6.json")...)
	doc, err := Decode(in)
	if err != nil {
		t.Fatalf("Decode = %v", err)
	}
	if len(doc.Components) != 3 {
		t.Errorf("%d components, want 3", len(doc.Components))
	}
}
