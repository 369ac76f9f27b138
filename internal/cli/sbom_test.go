package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/sbomgen"
)

func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	p := &progressLine{w: &buf}
	p.update(sbomgen.Progress{Files: 12345, Packages: 321, Elapsed: 3200 * time.Millisecond})
	p.update(sbomgen.Progress{Packages: 7, Elapsed: 100 * time.Millisecond})
	p.update(sbomgen.Progress{Done: true})
	want := "\r\x1b[Kscanning: 12,345 files, 321 packages, 3.2s" +
		"\r\x1b[Kscanning: 7 packages, 0.1s" +
		"\r\x1b[K"
	if got := buf.String(); got != want {
		t.Errorf("progress line = %q, want %q", got, want)
	}
}

func TestCommas(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := commas(in); got != want {
			t.Errorf("commas(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestParseOutputs(t *testing.T) {
	tests := []struct {
		args      []string
		attesting bool
		want      []sbomgen.Output
		usage     bool
	}{
		{args: nil, want: []sbomgen.Output{{Format: sbomgen.DefaultFormat}}},
		{args: []string{"spdx-json=a.json", "cyclonedx-xml@1.5"}, want: []sbomgen.Output{
			{Format: sbomgen.Format{Name: sbomgen.FormatSPDXJSON, Version: "2.3"}, Path: "a.json"},
			{Format: sbomgen.Format{Name: sbomgen.FormatCycloneDXXML, Version: "1.5"}}}},
		{args: []string{"cyclonedx-json", "spdx-json"}, usage: true},
		{args: []string{"cyclonedx-json", "spdx-json"}, attesting: true, want: []sbomgen.Output{
			{Format: sbomgen.DefaultFormat}, {Format: sbomgen.Format{Name: sbomgen.FormatSPDXJSON, Version: "2.3"}}}},
		{args: []string{"syft-json"}, attesting: true, usage: true},
		{args: []string{"a=x.json", "spdx-json=x.json"}, usage: true},
		{args: []string{"bogus"}, usage: true},
		{args: []string{"table"}, want: []sbomgen.Output{{Format: sbomgen.Format{Name: sbomgen.FormatSyftTable}}}},
		{args: []string{"table"}, attesting: true, usage: true},
		{args: []string{"spdx-json="}, usage: true},
	}
	for _, tt := range tests {
		got, err := parseOutputs(tt.args, tt.attesting)
		if tt.usage {
			if code, _ := classify(err); err == nil || code != ExitUsage {
				t.Errorf("parseOutputs(%q, %v) = %v, %v; want a usage error", tt.args, tt.attesting, got, err)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Errorf("parseOutputs(%q, %v) = %v, %v; want %v", tt.args, tt.attesting, got, err, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("parseOutputs(%q)[%d] = %v, want %v", tt.args, i, got[i], tt.want[i])
			}
		}
	}
}
