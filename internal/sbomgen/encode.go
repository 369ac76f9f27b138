package sbomgen

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/anchore/syft/syft/format/syftjson"
	"github.com/anchore/syft/syft/format/table"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// Encode writes the SBOM in format f. The output has the improvements
// described in the package documentation (dependency edges from the
// subject, suppliers and hashes from package metadata, no file entries
// unless asked, scan warnings noted) and, when [sbomspec.Config.Epoch] was
// set, is the same bytes for the same input. It returns an error wrapping
// [sbomdoc.ErrUnsupportedFormat] for a format or version
// [sbomspec.ParseFormat] would refuse, and a plain error if an encoder
// fails.
func (r *Result) Encode(f sbomspec.Format) ([]byte, error) {
	if !f.Known() {
		return nil, fmt.Errorf("%w %q", sbomdoc.ErrUnsupportedFormat, f.String())
	}
	switch f.Name {
	case sbomspec.FormatCycloneDXJSON, sbomspec.FormatCycloneDXXML:
		return r.encodeCycloneDX(f)
	case sbomspec.FormatSPDXJSON, sbomspec.FormatSPDXTagValue:
		return r.encodeSPDX(f)
	case sbomspec.FormatSyftTable:
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
