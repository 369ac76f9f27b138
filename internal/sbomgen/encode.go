package sbomgen

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/anchore/syft/syft/format/syftjson"
	"github.com/anchore/syft/syft/format/table"

	"github.com/consign-dev/consign/internal/sbomdoc"
)

// Output formats, as -o accepts them: the formats [sbomdoc.Decode] reads,
// plus syft JSON.
const (
	FormatCycloneDXJSON = sbomdoc.FormatCycloneDXJSON
	FormatCycloneDXXML  = sbomdoc.FormatCycloneDXXML
	FormatSPDXJSON      = sbomdoc.FormatSPDXJSON
	FormatSPDXTagValue  = sbomdoc.FormatSPDXTagValue
	FormatSyftJSON      = sbomdoc.FormatSyftJSON
	// FormatSyftTable is syft's human table (NAME VERSION TYPE), for
	// reading; it is not an SBOM format any tool reads back.
	FormatSyftTable = "syft-table"
)

// Format is an output format and version.
type Format struct {
	Name    string // FormatCycloneDXJSON, FormatCycloneDXXML, FormatSPDXJSON, FormatSPDXTagValue or FormatSyftJSON
	Version string // "1.7", "2.3", ...; empty for syft JSON
}

// DefaultFormat is what 'consign sbom' writes unless told otherwise.
var DefaultFormat = Format{Name: FormatCycloneDXJSON, Version: "1.7"}

// formatVersions are the versions each format is written in, newest first
// (the default).
var formatVersions = map[string][]string{
	FormatCycloneDXJSON: {"1.7", "1.6", "1.5", "1.4", "1.3", "1.2"},
	FormatCycloneDXXML:  {"1.7", "1.6", "1.5", "1.4", "1.3", "1.2"},
	FormatSPDXJSON:      {"2.3", "2.2", "3.0.1"},
	FormatSPDXTagValue:  {"2.3", "2.2"},
	FormatSyftJSON:      {""},
	FormatSyftTable:     {""},
}

// formatAliases are other names for the formats: syft's own (syft 1.57,
// each encoder's Aliases: "json" and "syft" are syft JSON, "cyclonedx",
// "cyclone" and "cdx" CycloneDX XML, "spdx" and "spdx-tv" SPDX tag-value,
// "table" the table), so that a syft user's -o means what it means to syft,
// and consign's short forms.
var formatAliases = map[string]string{
	"json": FormatSyftJSON, "syft": FormatSyftJSON,
	"cyclonedx": FormatCycloneDXXML, "cyclone": FormatCycloneDXXML, "cdx": FormatCycloneDXXML,
	"spdx": FormatSPDXTagValue, "spdx-tv": FormatSPDXTagValue, "spdx-tag-value": FormatSPDXTagValue,
	"table":    FormatSyftTable,
	"cdx-json": FormatCycloneDXJSON, "cdx-xml": FormatCycloneDXXML,
}

// ParseFormat reads NAME[@VERSION]: cyclonedx-json (default version 1.7,
// 1.2–1.6 on request), cyclonedx-xml (the same), spdx-json and
// spdx-tagvalue (2.3, or 2.2; spdx-json also 3.0.1), syft-json, syft-table,
// or one of syft's aliases for them ([formatAliases]). Errors wrap
// [sbomdoc.ErrUnsupportedFormat].
func ParseFormat(s string) (Format, error) {
	name, version, _ := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "@")
	if a, ok := formatAliases[name]; ok {
		name = a
	}
	versions, ok := formatVersions[name]
	if !ok {
		return Format{}, fmt.Errorf("%w %q (consign writes %s)", sbomdoc.ErrUnsupportedFormat, s, FormatNames())
	}
	if version == "" {
		return Format{Name: name, Version: versions[0]}, nil
	}
	if !slices.Contains(versions, version) {
		if name == FormatSyftJSON {
			return Format{}, fmt.Errorf("%w %q: syft JSON has one version, the current one", sbomdoc.ErrUnsupportedFormat, s)
		}
		return Format{}, fmt.Errorf("%w %q: %s is written in versions %s", sbomdoc.ErrUnsupportedFormat, s, name, strings.Join(versions, ", "))
	}
	return Format{Name: name, Version: version}, nil
}

// FormatNames lists the output formats, for help texts.
func FormatNames() string {
	return strings.Join([]string{FormatCycloneDXJSON, FormatCycloneDXXML, FormatSPDXJSON, FormatSPDXTagValue, FormatSyftJSON, FormatSyftTable}, ", ") +
		" (and syft's names: json, cyclonedx, spdx, table)"
}

// String is NAME@VERSION, or NAME for syft JSON.
func (f Format) String() string {
	if f.Version == "" {
		return f.Name
	}
	return f.Name + "@" + f.Version
}

// Encode writes the SBOM in format f. The output has the improvements
// described in the package documentation (dependency edges from the
// subject, suppliers and hashes from package metadata, no file entries
// unless asked, scan warnings noted) and, when [Config.Epoch] was set, is
// the same bytes for the same input. It returns an error wrapping
// [sbomdoc.ErrUnsupportedFormat] for a format or version [ParseFormat] would
// refuse, and a plain error if an encoder fails.
func (r *Result) Encode(f Format) ([]byte, error) {
	if versions, ok := formatVersions[f.Name]; !ok || !slices.Contains(versions, f.Version) {
		return nil, fmt.Errorf("%w %q", sbomdoc.ErrUnsupportedFormat, f.String())
	}
	switch f.Name {
	case FormatCycloneDXJSON, FormatCycloneDXXML:
		return r.encodeCycloneDX(f)
	case FormatSPDXJSON, FormatSPDXTagValue:
		return r.encodeSPDX(f)
	case FormatSyftTable:
		return r.encodeTable()
	}
	return r.encodeSyftJSON()
}

// encodeTable is syft's table: one row per package, NAME VERSION TYPE.
func (r *Result) encodeTable() ([]byte, error) {
	var buf bytes.Buffer
	if err := table.NewFormatEncoder().Encode(&buf, *r.s); err != nil {
		return nil, fmt.Errorf("encoding the table: %w", err)
	}
	return buf.Bytes(), nil
}

func (r *Result) encodeSyftJSON() ([]byte, error) {
	s := *r.s
	s.Descriptor.Configuration = withWarnings(s.Descriptor.Configuration, r.Warnings)
	enc, err := syftjson.NewFormatEncoderWithConfig(syftjson.EncoderConfig{Pretty: true})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := enc.Encode(&buf, s); err != nil {
		return nil, fmt.Errorf("encoding syft JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// withWarnings adds the scan warnings to the configuration syft JSON's
// descriptor records (syft's audit trail keeps consign's settings under
// its extra configuration).
func withWarnings(cfg any, warnings []string) any {
	if len(warnings) == 0 {
		return cfg
	}
	return struct {
		Syft     any      `json:"syft"`
		Warnings []string `json:"warnings"`
	}{cfg, capWarnings(warnings)}
}

// maxNotedWarnings bounds the warnings written into one SBOM.
const maxNotedWarnings = 1000

func capWarnings(w []string) []string {
	if len(w) <= maxNotedWarnings {
		return w
	}
	return append(slices.Clip(w[:maxNotedWarnings]), fmt.Sprintf("... and %d more", len(w)-maxNotedWarnings))
}
