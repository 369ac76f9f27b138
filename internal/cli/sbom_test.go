package cli

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/sbomgen"
)

func TestProgressLine(t *testing.T) {
	var buf bytes.Buffer
	p := &progressLine{w: &buf}
	p.update(sbomgen.Progress{Phase: sbomgen.PhaseIndexing, Files: 12345, Elapsed: 3200 * time.Millisecond})
	p.update(sbomgen.Progress{Phase: sbomgen.PhaseIndexing, Elapsed: 100 * time.Millisecond})
	p.update(sbomgen.Progress{Phase: sbomgen.PhaseCataloguing, Files: 12345, Packages: 1056, Elapsed: 4 * time.Second})
	p.update(sbomgen.Progress{Phase: sbomgen.PhaseLicences, Packages: 1056, Step: 3, Steps: 12, Elapsed: 5 * time.Second})
	p.update(sbomgen.Progress{Phase: sbomgen.PhaseEncoding, Packages: 1056, Step: 1, Steps: 2, Elapsed: 6 * time.Second})
	p.update(sbomgen.Progress{Done: true})
	want := "\r\x1b[Kindexing 12,345 files, 3.2s" +
		"\r\x1b[Kindexing, 0.1s" +
		"\r\x1b[Kcataloguing 1,056 packages, 4.0s" +
		"\r\x1b[Klicences of Go modules: 3 of 12, 5.0s" +
		"\r\x1b[Kencoding 1,056 packages: 1 of 2 outputs, 6.0s" +
		"\r\x1b[K"
	if got := buf.String(); got != want {
		t.Errorf("progress line = %q, want %q", got, want)
	}
}

// TestProgressSilentWithoutTerminal: a scan whose standard error is a
// pipe, not a terminal, writes nothing there.
func TestProgressSilentWithoutTerminal(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"go.mod":       "module example.com/app\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n",
		"package.json": `{"name": "web", "version": "1.0.0"}` + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make(chan []byte)
	go func() { b, _ := io.ReadAll(r); got <- b }()
	deps := &Deps{Stdout: new(bytes.Buffer), Stderr: w, LookupEnv: func(string) (string, bool) { return "", false }}
	if stderrIsTerminal(deps) {
		t.Fatal("a pipe taken for a terminal")
	}
	code := Run(t.Context(), deps, []string{"sbom", "--no-go-mod-cache", dir})
	w.Close()
	if out := <-got; code != 0 || len(out) != 0 {
		t.Errorf("consign sbom with stderr a pipe: exit %d, stderr %q; want 0 and nothing", code, out)
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
