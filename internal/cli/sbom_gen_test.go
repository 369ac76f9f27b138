package cli_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/cli/syftgen"
	"github.com/consign-dev/consign/internal/sbomspec"
)

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
	deps := &cli.Deps{Stdout: new(bytes.Buffer), Stderr: w, LookupEnv: func(string) (string, bool) { return "", false }, SBOM: syftgen.Generator{}}
	if cli.StderrIsTerminal(deps) {
		t.Fatal("a pipe taken for a terminal")
	}
	code := cli.Run(t.Context(), deps, []string{"sbom", "--no-go-mod-cache", dir})
	w.Close()
	if out := <-got; code != 0 || len(out) != 0 {
		t.Errorf("consign sbom with stderr a pipe: exit %d, stderr %q; want 0 and nothing", code, out)
	}
}

func TestParseOutputs(t *testing.T) {
	cdx := sbomspec.Format{Name: "cyclonedx-json", Version: "1.7"}
	spdx := sbomspec.Format{Name: "spdx-json", Version: "2.3"}
	tests := []struct {
		args      []string
		attesting bool
		want      []sbomspec.Output
		usage     bool
	}{
		{args: nil, want: []sbomspec.Output{{Format: cdx}}},
		{args: []string{"spdx-json=a.json", "cyclonedx-xml@1.5"}, want: []sbomspec.Output{
			{Format: spdx, Path: "a.json"},
			{Format: sbomspec.Format{Name: "cyclonedx-xml", Version: "1.5"}}}},
		{args: []string{"cyclonedx-json", "spdx-json"}, usage: true},
		{args: []string{"cyclonedx-json", "spdx-json"}, attesting: true, want: []sbomspec.Output{{Format: cdx}, {Format: spdx}}},
		{args: []string{"syft-json"}, attesting: true, usage: true},
		{args: []string{"a=x.json", "spdx-json=x.json"}, usage: true},
		{args: []string{"bogus"}, usage: true},
		{args: []string{"table"}, want: []sbomspec.Output{{Format: sbomspec.Format{Name: "syft-table"}}}},
		{args: []string{"table"}, attesting: true, usage: true},
		{args: []string{"spdx-json="}, usage: true},
	}
	for _, tt := range tests {
		got, err := cli.ParseOutputs(tt.args, tt.attesting)
		if tt.usage {
			if code, _ := cli.Classify(err); err == nil || code != cli.ExitUsage {
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

// TestSBOMToolOtherVersion: consign-sbom run by a consign of another
// version (or build) refuses, before it reads anything; run by its own,
// or by hand, it runs.
func TestSBOMToolOtherVersion(t *testing.T) {
	var version bytes.Buffer
	if code := cli.Run(t.Context(), &cli.Deps{Stdout: &version, Stderr: io.Discard, LookupEnv: os.LookupEnv}, []string{"version"}); code != 0 {
		t.Fatalf("consign version: exit %d", code)
	}
	for _, tt := range []struct {
		name     string
		env      map[string]string
		wantCode int
	}{
		{"run by hand", nil, cli.ExitOK},
		{"run by its own consign", map[string]string{"CONSIGN_SBOM_FOR": strings.TrimSpace(version.String())}, cli.ExitOK},
		{"run by another version", map[string]string{"CONSIGN_SBOM_FOR": "consign v0.0.1"}, cli.ExitError},
		{"run by a modified build", map[string]string{"CONSIGN_SBOM_FOR": strings.TrimSpace(version.String()) + " (commit 0123abc, modified)"}, cli.ExitError},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			deps := &cli.Deps{Stdout: &stdout, Stderr: &stderr, SBOM: syftgen.Generator{},
				LookupEnv: func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }}
			code := cli.Run(t.Context(), deps, []string{"sbom", "--no-go-mod-cache", "-o", "table", t.TempDir()})
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr.String())
			}
			if tt.wantCode == cli.ExitOK {
				return
			}
			if stdout.Len() != 0 || !strings.Contains(stderr.String(), "consign: error: cannot run consign-sbom: it is consign ") ||
				!strings.Contains(stderr.String(), "consign: hint: install both from one version") {
				t.Errorf("stdout %q, stderr:\n%s\nwant nothing, and the refusal with its hint", stdout.String(), stderr.String())
			}
		})
	}
}

// TestSBOMToolIsConsign: consign (no SBOM generator) run by consign as its
// consign-sbom, a copy or link under that name, fails rather than run
// consign-sbom again, and again; as the same variable left in the user's
// environment looks alike, the error names it, and the hint says to unset it.
func TestSBOMToolIsConsign(t *testing.T) {
	var stdout, stderr bytes.Buffer
	deps := &cli.Deps{Stdout: &stdout, Stderr: &stderr,
		LookupEnv: func(k string) (string, bool) {
			if k == "CONSIGN_SBOM_FOR" {
				return "consign devel", true
			}
			return "", false
		}}
	code := cli.Run(t.Context(), deps, []string{"sbom", t.TempDir()})
	want := "consign: error: cannot run consign-sbom: CONSIGN_SBOM_FOR is set (to \"consign devel\"), as consign sets it for the consign-sbom it runs, and this is consign, without the SBOM generator\n" +
		"consign: hint: build it from the checkout consign was built from: go build -o DIR ./cmd/consign-sbom (or go install ./cmd/... for both); or, if CONSIGN_SBOM_FOR was left in the environment, unset it\n"
	if code != cli.ExitError || stdout.Len() != 0 || stderr.String() != want {
		t.Errorf("exit %d, stdout %q, stderr %q; want 1, nothing, %q", code, stdout.String(), stderr.String(), want)
	}
}
