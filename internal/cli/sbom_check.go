package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sbomdoc"
)

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
	case sbomdoc.FormatCycloneDXJSON:
		return "CycloneDX " + doc.SpecVersion + " JSON"
	case sbomdoc.FormatCycloneDXXML:
		return "CycloneDX " + doc.SpecVersion + " XML"
	case sbomdoc.FormatSPDXJSON:
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

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
