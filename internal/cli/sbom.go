package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomgen"
)

// NewCmdSBOM is 'consign sbom' and its 'check' and 'diff' subcommands.
func NewCmdSBOM(deps *Deps) *cobra.Command {
	var (
		outputs               []string
		doAttest              bool
		keyPath, out          string
		includeFiles, useGo   bool
		modCache              string
		noModCache            bool
		name, version         string
		excludes, subjectArgs []string
	)
	cmd := &cobra.Command{
		Use:   "sbom TARGET [-o FORMAT[=FILE]]... [--attest --key KEY [--out FILE]]",
		Short: "Make an SBOM of a directory, file, archive or image, optionally signed as an attestation",
		Long: `Make a software bill of materials with syft, improved where syft's defaults leave gaps.

TARGET is one of
  DIR                       a directory (an OCI image layout directory is read as an image)
  FILE                      a file; a .tar, .tar.gz, .tgz, .zip, ... archive is scanned as its contents,
                            and a tar holding an image (docker save, OCI archive) as that image
  registry:HOST/REPO:TAG    an image in a registry; credentials come from the Docker configuration
                            (DOCKER_CONFIG or ~/.docker/config.json and its credential helpers)
  dir:, file:, archive:, oci-dir:, oci-archive:, docker-archive:PATH   to say what PATH is

Formats (-o, repeatable, FORMAT or FORMAT=FILE; at most one without FILE goes to standard output):
  cyclonedx-json (default), cyclonedx-xml   CycloneDX 1.7; @1.6 ... @1.2 for older versions
  spdx-json, spdx-tagvalue                  SPDX 2.3; @2.2 for SPDX 2.2
  syft-json                                 syft's own format

Compared with syft's defaults, the SBOM records the dependency edges from the scanned subject to
its components (so every component is in the dependency graph), fills each component's supplier
from what its package metadata says (Debian and Alpine maintainers, Python and npm authors, ...),
adds the package hashes lock files carry, and leaves out the file entries that bury the package
list (--include-files keeps them). Nothing reaches the network except a registry pull: remote
licence lookups are off.

Go modules are read from go.mod/go.sum without running the Go toolchain; the local Go module cache
(GOMODCACHE, else GOPATH/pkg/mod) gives each module its licence (the licence files at its root)
and its requirements (its go.mod), so the modules form a graph, as 'go mod graph' prints it.
--go-mod-cache DIR names another cache; --no-go-mod-cache reads none, for an SBOM that depends on
the target alone. --go-toolchain runs 'go list' instead, as syft does by default: the graph from
the packages' imports and the modules only dependencies' tests need; slower, and it may download.

With SOURCE_DATE_EPOCH set, the output is reproducible: the same input gives the same bytes (the
module cache is input too).

--attest signs each CycloneDX or SPDX JSON output as an in-toto attestation (predicate type
https://cyclonedx.org/bom or https://spdx.dev/Document) about the scanned artifact: every file of
a directory, the archive or file itself, an image's manifest digest, or the --subject given. The
envelope is appended to --out (a .intoto.jsonl file), or printed on standard output.

Subcommands: 'consign sbom check FILE' measures an SBOM's NTIA minimum elements, 'consign sbom
diff OLD NEW' lists what changed. A target named check or diff is written ./check or dir:check.`,
		Example: `  consign sbom . -o cyclonedx-json=sbom.cdx.json -o spdx-json=sbom.spdx.json
  consign sbom dist/app.tar.gz -o cyclonedx-json@1.6=sbom.json
  consign sbom registry:registry.example/acme/app:3.2.0 --attest --key ci.key --out app.intoto.jsonl
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) consign sbom . -o cyclonedx-xml=sbom.xml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("consign sbom takes one TARGET (a directory, file, archive or image), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			outs, err := parseOutputs(outputs, doAttest)
			if err != nil {
				return err
			}
			if !doAttest && (keyPath != "" || out != "" || len(subjectArgs) > 0) {
				return usagef("--key, --out and --subject go with --attest")
			}
			if modCache != "" && noModCache {
				return usagef("--go-mod-cache names a module cache to read and --no-go-mod-cache reads none: give one")
			}
			var signer attest.Signer
			if doAttest {
				if !attestable(outs) {
					return withHint(usageErr(errors.New("--attest signs a CycloneDX or SPDX JSON SBOM, and no -o asks for one")),
						"add -o cyclonedx-json (or spdx-json)")
				}
				s, err := loadSigner(deps, keyPath)
				if err != nil {
					return err
				}
				signer = s
			}
			epoch, err := sourceDateEpoch(deps)
			if err != nil {
				return err
			}
			cfg := sbomgen.Config{
				Target: args[0], Name: name, Version: version, Exclude: excludes,
				IncludeFiles: includeFiles, UseGoToolchain: useGo,
				GoModCache: modCache, NoGoModCache: noModCache,
				Epoch: epoch, Now: deps.Now, ToolName: "consign", ToolVersion: Version(),
				Subjects: doAttest && len(subjectArgs) == 0,
			}
			var line *progressLine
			if stderrIsTerminal(deps) {
				line = &progressLine{w: deps.Stderr}
				cfg.Progress = line.update
			}
			res, err := sbomgen.Generate(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			printWarnings(deps.Stderr, res.Warnings)
			return writeSBOM(cmd, deps, res, outs, signer, subjectArgs, out)
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&outputs, "output", "o", nil, "FORMAT or FORMAT=FILE (repeatable; default cyclonedx-json to standard output)")
	f.BoolVar(&doAttest, "attest", false, "sign the SBOM as an in-toto attestation")
	f.StringVar(&keyPath, "key", "", "private key to sign the attestation with")
	f.StringVar(&out, "out", "", "append the attestation to this .intoto.jsonl file (default: standard output)")
	f.StringArrayVar(&subjectArgs, "subject", nil, "the attestation's subject instead of the scanned artifact: FILE, DIRECTORY or NAME=sha256:HEX (repeatable)")
	f.BoolVar(&includeFiles, "include-files", false, "list package-owned files, with digests, as SBOM entries")
	f.BoolVar(&useGo, "go-toolchain", false, "run the Go toolchain ('go list') for Go module relationships (slower; may download)")
	f.StringVar(&modCache, "go-mod-cache", "", "read Go module licences from the module cache `DIR` (default: the go command's, GOMODCACHE or GOPATH/pkg/mod)")
	f.BoolVar(&noModCache, "no-go-mod-cache", false, "read no Go module cache: Go modules get only the licences the target itself holds")
	f.StringVar(&name, "source-name", "", "name of the SBOM's subject (default: the target's base name or image repository)")
	f.StringVar(&version, "source-version", "", "version of the SBOM's subject")
	f.StringArrayVar(&excludes, "exclude", nil, "leave out paths matching this glob, as syft reads it (e.g. './testdata/**'; repeatable)")
	cmd.AddCommand(newCmdSBOMCheck(deps), newCmdSBOMDiff(deps))
	return cmd
}

// output is one -o: a format and the file it goes to ("" for standard output).
type output struct {
	format sbomgen.Format
	path   string
}

// parseOutputs reads the -o flags. Without --attest, at most one format
// may go to standard output; with it, a format without a file goes only
// into the attestation, so it must be one that can.
func parseOutputs(args []string, attesting bool) ([]output, error) {
	if len(args) == 0 {
		return []output{{format: sbomgen.DefaultFormat}}, nil
	}
	var outs []output
	stdout, files := 0, map[string]bool{}
	for _, a := range args {
		spec, path, hasPath := strings.Cut(a, "=")
		f, err := sbomgen.ParseFormat(spec)
		if err != nil {
			return nil, withHint(usageErr(err), "formats: "+sbomgen.FormatNames()+", with @VERSION for another version")
		}
		if hasPath && path == "" {
			return nil, usagef("-o %q names no file after '='", a)
		}
		if !hasPath {
			stdout++
			if attesting && predicateType(f) == "" {
				return nil, withHint(usagef("-o %s without a file goes nowhere with --attest (only CycloneDX and SPDX JSON are attested)", f), "write it to a file: -o "+f.String()+"=FILE")
			}
		} else if files[path] {
			return nil, usagef("-o names %q twice", path)
		}
		files[path] = true
		outs = append(outs, output{format: f, path: path})
	}
	if stdout > 1 && !attesting {
		return nil, withHint(usagef("%d formats would go to standard output", stdout), "write each but one to a file: -o FORMAT=FILE")
	}
	return outs, nil
}

func attestable(outs []output) bool {
	for _, o := range outs {
		if predicateType(o.format) != "" {
			return true
		}
	}
	return false
}

// predicateType is the attestation predicate type of an SBOM format, ""
// for a format that cannot be a predicate.
func predicateType(f sbomgen.Format) string {
	switch f.Name {
	case sbomgen.FormatCycloneDXJSON:
		return attest.PredicateCycloneDX
	case sbomgen.FormatSPDXJSON:
		return attest.PredicateSPDX
	}
	return ""
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/).
func sourceDateEpoch(deps *Deps) (*time.Time, error) {
	v, ok := deps.LookupEnv("SOURCE_DATE_EPOCH")
	if !ok || v == "" {
		return nil, nil
	}
	secs, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || secs < 0 || secs > 253402300799 {
		return nil, withHint(fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds since 1970", v),
			"set it to a Unix time, e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct), or unset it")
	}
	t := time.Unix(secs, 0).UTC()
	return &t, nil
}

// writeSBOM encodes every output, signs the attestations, and only then
// writes: the files as one atomic unit, standard output, and the
// envelopes, so that a failure leaves no partial output behind.
func writeSBOM(cmd *cobra.Command, deps *Deps, res *sbomgen.Result, outs []output, signer attest.Signer, subjectArgs []string, out string) error {
	var (
		files  []fsutil.File
		stdout []byte
		envs   []*attest.Envelope
	)
	var subs []attest.Subject
	if signer != nil {
		if len(subjectArgs) > 0 {
			s, err := resolveSubjects(cmd.Context(), subjectArgs)
			if err != nil {
				return err
			}
			subs = s
		} else {
			for _, s := range res.Subjects {
				subs = append(subs, attest.Subject{Name: s.Name, Digest: s.Digest})
			}
		}
	}
	for _, o := range outs {
		b, err := res.Encode(o.format)
		if err != nil {
			return err
		}
		if pt := predicateType(o.format); signer != nil && pt != "" {
			st, err := attest.NewStatement(pt, subs, compactJSON(b))
			if err != nil {
				if len(subs) > limits.Subjects {
					return withHint(err, "a tree with that many files: pass --subject NAME=sha256:HEX, e.g. the digest of its release archive")
				}
				return err
			}
			env, err := attest.SignStatement(st, signer)
			if err != nil {
				return err
			}
			envs = append(envs, env)
		}
		switch {
		case o.path != "":
			files = append(files, fsutil.File{Path: o.path, Data: b, Perm: 0o644})
		case signer == nil:
			stdout = b
		}
	}
	if err := fsutil.WriteFiles(files, true); err != nil {
		return fmt.Errorf("writing the SBOM: %w", err)
	}
	if stdout != nil {
		if _, err := cmd.OutOrStdout().Write(stdout); err != nil {
			return err
		}
	}
	if len(envs) > 0 {
		if err := writeEnvelopes(cmd, out, envs...); err != nil {
			return err
		}
	}
	for _, f := range files {
		fmt.Fprintf(deps.Stderr, "Wrote %s (%d packages)\n", f.Path, res.Packages())
	}
	if len(envs) > 0 && out != "" {
		fmt.Fprintf(deps.Stderr, "Signed %d SBOM attestation(s) about %d subject(s) with key %s, appended to %s\n",
			len(envs), len(subs), signer.KeyID()[:12], out)
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

func (p *progressLine) update(ev sbomgen.Progress) {
	if ev.Done {
		fmt.Fprint(p.w, "\r\x1b[K")
		return
	}
	files := ""
	if ev.Files > 0 {
		files = commas(ev.Files) + " files, "
	}
	fmt.Fprintf(p.w, "\r\x1b[Kscanning: %s%s packages, %.1fs", files, commas(ev.Packages), ev.Elapsed.Seconds())
}

// commas writes n with thousands separators.
func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func readSBOM(path string) (*sbomdoc.Document, error) {
	b, err := limits.ReadFile(path, limits.SBOMFile)
	if err != nil {
		return nil, fmt.Errorf("reading SBOM: %w", err)
	}
	doc, err := sbomdoc.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc, nil
}

func newCmdSBOMCheck(deps *Deps) *cobra.Command {
	var (
		requires []string
		format   string
	)
	cmd := &cobra.Command{
		Use:   "check FILE [--require ELEMENT=PERCENT]... [--output json]",
		Short: "Measure an SBOM's coverage of the NTIA minimum elements, hashes and licences",
		Long: `Read an SBOM made by anyone (CycloneDX 1.2-1.7 JSON or XML, SPDX 2.2-2.3 JSON or tag-value)
and report, for each element, the share of components that have it and the components that miss it:

  supplier      a supplier (not an author or publisher)
  name          a name
  version       a version
  identifiers   a package URL, CPE, SWID, OmniBOR or SWHID
  dependencies  the component is in the dependency graph (its relationships are known)
  author        the SBOM names its author: a person, organisation or tool (whole document: 100 or 0)
  timestamp     the SBOM says when it was made (whole document: 100 or 0)
  hashes        at least one hash
  licenses      at least one licence

Percentages are rounded down. An SBOM with no components covers nothing.
With --require ELEMENT=PERCENT (repeatable) the check is a gate: exit 3 when one is not met.`,
		Example: `  consign sbom check sbom.cdx.json
  consign sbom check sbom.spdx.json --require dependencies=100 --require supplier=80 --require version=100`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("consign sbom check takes one SBOM file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var reqs []sbomdoc.Requirement
			for _, r := range requires {
				q, err := sbomdoc.ParseRequirement(r)
				if err != nil {
					return withHint(usageErr(err), "write ELEMENT=PERCENT; elements: "+strings.Join(sbomdoc.Elements, ", "))
				}
				reqs = append(reqs, q)
			}
			if format != "text" && format != "json" {
				return usagef("--output is text or json, not %q", format)
			}
			doc, err := readSBOM(args[0])
			if err != nil {
				return err
			}
			rep := sbomdoc.Check(doc)
			verdict := rep.Require(reqs)
			w := cmd.OutOrStdout()
			if format == "json" {
				if err := printCheckJSON(w, args[0], doc, rep, reqs, verdict); err != nil {
					return err
				}
			} else {
				printCheck(w, args[0], doc, rep)
			}
			return verdict
		},
	}
	cmd.Flags().StringArrayVar(&requires, "require", nil, "ELEMENT=PERCENT: fail (exit 3) unless the element's coverage is at least PERCENT (repeatable)")
	cmd.Flags().StringVar(&format, "output", "text", "text or json")
	return cmd
}

// formatLabel names a decoded SBOM's format for people: "CycloneDX 1.6 JSON".
func formatLabel(doc *sbomdoc.Document) string {
	switch doc.Format {
	case sbomgen.FormatCycloneDXJSON:
		return "CycloneDX " + doc.SpecVersion + " JSON"
	case sbomgen.FormatCycloneDXXML:
		return "CycloneDX " + doc.SpecVersion + " XML"
	case sbomgen.FormatSPDXJSON:
		return "SPDX " + doc.SpecVersion + " JSON"
	}
	return "SPDX " + doc.SpecVersion + " tag-value"
}

// maxMissing bounds the components named per element in text output.
const maxMissing = 8

func printCheck(w io.Writer, path string, doc *sbomdoc.Document, rep *sbomdoc.Report) {
	fmt.Fprintf(w, "%s: %s, %s\n", path, formatLabel(doc), plural(rep.Components, "component"))
	for _, c := range rep.Coverage {
		switch {
		case c.Element == sbomdoc.ElemAuthor || c.Element == sbomdoc.ElemTimestamp:
			fmt.Fprintf(w, "  %-13s %6s  (whole document)\n", c.Element, sbomdoc.FormatPercent(c.Percent))
		case c.Covered == c.Total && c.Total > 0:
			fmt.Fprintf(w, "  %-13s %6s\n", c.Element, sbomdoc.FormatPercent(c.Percent))
		default:
			names := c.Missing
			more := ""
			if len(names) > maxMissing {
				more = fmt.Sprintf(", and %d more (--output json lists all)", len(names)-maxMissing)
				names = names[:maxMissing]
			}
			fmt.Fprintf(w, "  %-13s %6s  %d of %d missing: %s%s\n", c.Element, sbomdoc.FormatPercent(c.Percent), c.Total-c.Covered, c.Total, strings.Join(names, ", "), more)
		}
	}
}

func printCheckJSON(w io.Writer, path string, doc *sbomdoc.Document, rep *sbomdoc.Report, reqs []sbomdoc.Requirement, verdict error) error {
	var short []sbomdoc.Shortfall
	var ce *sbomdoc.CoverageError
	if errors.As(verdict, &ce) {
		short = ce.Shortfalls
	}
	v := struct {
		File         string                `json:"file"`
		Format       string                `json:"format"`
		SpecVersion  string                `json:"specVersion"`
		Components   int                   `json:"components"`
		Coverage     []sbomdoc.Coverage    `json:"coverage"`
		Requirements []sbomdoc.Requirement `json:"requirements"`
		Shortfalls   []sbomdoc.Shortfall   `json:"shortfalls"`
		Passed       bool                  `json:"passed"`
	}{path, doc.Format, doc.SpecVersion, rep.Components, rep.Coverage, reqs, short, verdict == nil}
	if v.Requirements == nil {
		v.Requirements = []sbomdoc.Requirement{}
	}
	if v.Shortfalls == nil {
		v.Shortfalls = []sbomdoc.Shortfall{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newCmdSBOMDiff(deps *Deps) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "diff OLD NEW [--output json]",
		Short: "List the components added, removed, and changed in version or licence between two SBOMs",
		Long: `Compare two SBOMs of any supported formats (CycloneDX 1.2-1.7 JSON or XML, SPDX 2.2-2.3 JSON
or tag-value): the components added, removed, and changed in version or licence. Components are
matched by package URL (without version), then by name. The exit code is 0 whatever changed.`,
		Example: `  consign sbom diff release-3.1.cdx.json release-3.2.cdx.json
  consign sbom diff old.spdx.json new.cdx.xml --output json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("consign sbom diff takes two SBOM files, OLD and NEW, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return usagef("--output is text or json, not %q", format)
			}
			oldDoc, err := readSBOM(args[0])
			if err != nil {
				return err
			}
			newDoc, err := readSBOM(args[1])
			if err != nil {
				return err
			}
			ch := sbomdoc.Diff(oldDoc, newDoc)
			w := cmd.OutOrStdout()
			if format == "json" {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(ch)
			}
			printDiff(w, ch, len(oldDoc.Components), len(newDoc.Components))
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "output", "text", "text or json")
	return cmd
}

func printDiff(w io.Writer, ch *sbomdoc.Changes, nOld, nNew int) {
	purl := func(p string) string {
		if p == "" {
			return ""
		}
		return "  " + p
	}
	for _, c := range ch.Added {
		fmt.Fprintf(w, "+ %s%s%s\n", c.Label(), licences(c.Licenses), purl(c.PURL))
	}
	for _, c := range ch.Removed {
		fmt.Fprintf(w, "- %s%s%s\n", c.Label(), licences(c.Licenses), purl(c.PURL))
	}
	for _, c := range ch.Changed {
		var parts []string
		if c.VersionChanged() {
			parts = append(parts, c.OldVersion+" -> "+c.NewVersion)
		} else {
			parts = append(parts, c.NewVersion)
		}
		if c.LicensesChanged() {
			parts = append(parts, "licence "+orNone(c.OldLicenses)+" -> "+orNone(c.NewLicenses))
		}
		fmt.Fprintf(w, "~ %s %s\n", c.Name, strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "%d added, %d removed, %d changed (%d components before, %d after)\n", len(ch.Added), len(ch.Removed), len(ch.Changed), nOld, nNew)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

func licences(ls []string) string {
	if len(ls) == 0 {
		return ""
	}
	return " (" + strings.Join(ls, ", ") + ")"
}

func orNone(ls []string) string {
	if len(ls) == 0 {
		return "none"
	}
	return strings.Join(ls, " AND ")
}
