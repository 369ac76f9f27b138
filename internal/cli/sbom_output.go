package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// parseOutputs reads the -o flags. Without --attest, at most one format
// may go to standard output; with it, a format without a file goes only
// into the attestation, so it must be one that can.
func parseOutputs(args []string, attesting bool) ([]sbomspec.Output, error) {
	if len(args) == 0 {
		return []sbomspec.Output{{Format: sbomspec.DefaultFormat}}, nil
	}
	var outs []sbomspec.Output
	stdout, files := 0, map[string]bool{}
	for _, a := range args {
		spec, path, hasPath := strings.Cut(a, "=")
		f, err := sbomspec.ParseFormat(spec)
		if err != nil {
			return nil, withHint(usageErr(err), "add @VERSION for another version of a format, e.g. cyclonedx-json@1.6")
		}
		if hasPath && path == "" {
			return nil, usagef("-o %q names no file after '='", a)
		}
		if !hasPath {
			stdout++
			if attesting && f.PredicateType() == "" {
				return nil, withHint(usagef("-o %s without a file goes nowhere with --attest (only CycloneDX and SPDX JSON are attested)", f), "write it to a file: -o "+f.String()+"=FILE")
			}
		} else if files[path] {
			return nil, usagef("-o names %q twice", path)
		}
		files[path] = true
		outs = append(outs, sbomspec.Output{Format: f, Path: path})
	}
	if stdout > 1 && !attesting {
		return nil, withHint(usagef("%d formats would go to standard output", stdout), "write each but one to a file: -o FORMAT=FILE")
	}
	return outs, nil
}

// writeSBOMs writes what [SBOMGenerator.Make] made: the files as one atomic
// unit, standard output, and the envelopes (appended to out, or printed),
// then says what it wrote.
func writeSBOMs(cmd *cobra.Command, deps *Deps, made *sbomspec.SBOMs, signer attest.Signer, out string) error {
	if err := notCancelled(cmd.Context()); err != nil {
		return err
	}
	if err := fsutil.WriteFiles(made.Files, true); err != nil {
		return fmt.Errorf("writing the SBOM: %w", err)
	}
	if made.Stdout != nil {
		if _, err := cmd.OutOrStdout().Write(made.Stdout); err != nil {
			return err
		}
	}
	if len(made.Envelopes) > 0 {
		if err := writeEnvelopes(cmd, out, made.Envelopes...); err != nil {
			return err
		}
	}
	for _, f := range made.Files {
		fmt.Fprintf(deps.Stderr, "Wrote %s (%d packages)\n", f.Path, made.Packages)
	}
	if len(made.Envelopes) > 0 && out != "" {
		fmt.Fprintf(deps.Stderr, "Signed %d SBOM attestation(s) about %d subject(s) with key %s, appended to %s\n",
			len(made.Envelopes), len(made.Subjects), signer.KeyID()[:12], out)
	}
	return nil
}

// maxWarnings bounds the warnings printed on standard error.
const maxWarnings = 20

func printWarnings(w io.Writer, warnings []string) {
	for i, s := range warnings {
		if i == maxWarnings {
			fmt.Fprintf(w, "consign: warning: ... and %d more, noted in the SBOM\n", len(warnings)-maxWarnings)
			break
		}
		fmt.Fprintf(w, "consign: warning: %s\n", s)
	}
}

func stderrIsTerminal(deps *Deps) bool {
	f, ok := deps.Stderr.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressLine draws a scan's progress as one line on a terminal, redrawn
// in place, and clears it when the scan ends.
type progressLine struct {
	w io.Writer
}

func (p *progressLine) update(ev sbomspec.Progress) {
	if ev.Done {
		fmt.Fprint(p.w, "\r\x1b[K")
		return
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s, %.1fs", progressText(ev), ev.Elapsed.Seconds())
}

// progressText says what a scan is doing, with the counts that move in
// its phase: "indexing 1,234 files", "cataloguing 56 packages".
func progressText(ev sbomspec.Progress) string {
	switch ev.Phase {
	case sbomspec.PhaseIndexing:
		if ev.Files == 0 {
			return "indexing"
		}
		return "indexing " + commas(ev.Files) + " files"
	case sbomspec.PhaseCataloguing:
		return "cataloguing " + commas(ev.Packages) + " packages"
	case sbomspec.PhaseLicences:
		if ev.Steps == 0 {
			return "licences of Go modules"
		}
		return "licences of Go modules: " + commas(ev.Step) + " of " + commas(ev.Steps)
	case sbomspec.PhaseEncoding:
		return "encoding " + commas(ev.Packages) + " packages: " + commas(ev.Step) + " of " + commas(ev.Steps) + " outputs"
	}
	return "scanning " + commas(ev.Packages) + " packages"
}

// commas writes n with thousands separators.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
