package sbomspec

import (
	"errors"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sbomdoc"
)

func TestParseFormat(t *testing.T) {
	t.Parallel()
	good := map[string]Format{
		"cyclonedx-json":     {FormatCycloneDXJSON, "1.7"},
		"cyclonedx-json@1.6": {FormatCycloneDXJSON, "1.6"},
		"CDX-JSON@1.2":       {FormatCycloneDXJSON, "1.2"},
		"cyclonedx-xml@1.5":  {FormatCycloneDXXML, "1.5"},
		"spdx-json":          {FormatSPDXJSON, "2.3"},
		"spdx-json@2.2":      {FormatSPDXJSON, "2.2"},
		"spdx-tag-value":     {FormatSPDXTagValue, "2.3"},
		"spdx-tagvalue@2.2":  {FormatSPDXTagValue, "2.2"},
		"syft-json":          {FormatSyftJSON, ""},
		// syft's own names (syft 1.57's encoder aliases).
		"json":          {FormatSyftJSON, ""},
		"syft":          {FormatSyftJSON, ""},
		"table":         {FormatSyftTable, ""},
		"syft-table":    {FormatSyftTable, ""},
		"cyclonedx":     {FormatCycloneDXXML, "1.7"},
		"cyclonedx@1.5": {FormatCycloneDXXML, "1.5"},
		"spdx":          {FormatSPDXTagValue, "2.3"},
		"spdx-tv@2.2":   {FormatSPDXTagValue, "2.2"},
	}
	for in, want := range good {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", in, got, err, want)
		}
		if !got.Known() {
			t.Errorf("ParseFormat(%q) = %v, which is not Known", in, got)
		}
	}
	for _, in := range []string{"", "text", "table@1", "cyclonedx-json@1.1", "cyclonedx-json@1.8", "spdx-json@2.1", "spdx-json@3.0", "syft-json@16", "github-json"} {
		if f, err := ParseFormat(in); !errors.Is(err, sbomdoc.ErrUnsupportedFormat) {
			t.Errorf("ParseFormat(%q) = %v, %v; want sbomdoc.ErrUnsupportedFormat", in, f, err)
		}
	}
}

// TestFormats: every format is listed once, in its default version, which
// ParseFormat gives for its bare name; Known refuses a version or name
// ParseFormat refuses.
func TestFormats(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, f := range Formats() {
		if seen[f.Name] {
			t.Errorf("Formats() lists %s twice", f.Name)
		}
		seen[f.Name] = true
		if got, err := ParseFormat(f.Name); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %v, %v; want %v", f.Name, got, err, f)
		}
	}
	if len(seen) != 6 || Formats()[0] != DefaultFormat {
		t.Errorf("Formats() = %v, want the 6 formats, the default first", Formats())
	}
	for _, f := range []Format{{FormatCycloneDXJSON, "1.1"}, {FormatSPDXJSON, ""}, {FormatSyftJSON, "16"}, {"github-json", ""}, {}} {
		if f.Known() {
			t.Errorf("%#v.Known() = true, want false", f)
		}
	}
}

func TestFormatPredicateType(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		FormatCycloneDXJSON: attest.PredicateCycloneDX, FormatSPDXJSON: attest.PredicateSPDX,
		FormatCycloneDXXML: "", FormatSPDXTagValue: "", FormatSyftJSON: "", FormatSyftTable: "",
	}
	for name, pt := range want {
		if got := (Format{Name: name}).PredicateType(); got != pt {
			t.Errorf("Format{%s}.PredicateType() = %q, want %q", name, got, pt)
		}
	}
}

func TestFormatString(t *testing.T) {
	t.Parallel()
	for f, want := range map[Format]string{DefaultFormat: "cyclonedx-json@1.7", {FormatSyftJSON, ""}: "syft-json"} {
		if got := f.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", f, got, want)
		}
	}
}
