package sbomspec

import (
	"fmt"
	"slices"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sbomdoc"
)

// Output formats, as -o accepts them: the formats [sbomdoc.Decode] reads,
// plus syft's table.
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
	Name    string // FormatCycloneDXJSON, FormatCycloneDXXML, FormatSPDXJSON, FormatSPDXTagValue, FormatSyftJSON or FormatSyftTable
	Version string // "1.7", "2.3", ...; empty for syft JSON and the table
}

// DefaultFormat is what 'consign sbom' writes unless told otherwise.
var DefaultFormat = Format{Name: FormatCycloneDXJSON, Version: "1.7"}

// formatNames are the output formats, in the order help texts list them.
var formatNames = []string{FormatCycloneDXJSON, FormatCycloneDXXML, FormatSPDXJSON, FormatSPDXTagValue, FormatSyftJSON, FormatSyftTable}

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
	return strings.Join(formatNames, ", ") + " (and syft's names: json, cyclonedx, spdx, table)"
}

// Formats returns every output format, each in its default version.
func Formats() []Format {
	out := make([]Format, len(formatNames))
	for i, name := range formatNames {
		out[i] = Format{Name: name, Version: formatVersions[name][0]}
	}
	return out
}

// Known reports whether f is a format and version [ParseFormat] can return.
func (f Format) Known() bool {
	return slices.Contains(formatVersions[f.Name], f.Version)
}

// String is NAME@VERSION, or NAME for a format with one version.
func (f Format) String() string {
	if f.Version == "" {
		return f.Name
	}
	return f.Name + "@" + f.Version
}

// PredicateType is the in-toto predicate type an SBOM in format f is
// attested under, or "" for a format that cannot be a predicate: only
// CycloneDX and SPDX JSON can.
func (f Format) PredicateType() string {
	switch f.Name {
	case FormatCycloneDXJSON:
		return attest.PredicateCycloneDX
	case FormatSPDXJSON:
		return attest.PredicateSPDX
	}
	return ""
}
