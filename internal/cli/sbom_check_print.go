package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/consign-dev/consign/internal/sbomdoc"
)

func printResult(w io.Writer, res *checkResult, doc *sbomdoc.Document, asJSON bool) error {
	if asJSON {
		if res.Requirements == nil {
			res.Requirements = []sbomdoc.Requirement{}
		}
		if res.Shortfalls == nil {
			res.Shortfalls = []sbomdoc.Shortfall{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(w, "%s: %s", res.File, formatLabel(res.Format, res.SpecVersion))
	if doc != nil {
		fmt.Fprintf(w, ", %s", plural(res.Components, "component"))
	}
	fmt.Fprintln(w)
	if res.Validation != nil {
		printValidation(w, res.Validation)
	}
	if doc != nil {
		printCoverage(w, res.Coverage)
	}
	if res.Profile != nil {
		printProfile(w, res.Profile)
	}
	return nil
}

// formatLabel names an SBOM format for people: "CycloneDX 1.6 JSON".
func formatLabel(format, version string) string {
	switch format {
	case sbomdoc.FormatCycloneDXJSON:
		return "CycloneDX " + version + " JSON"
	case sbomdoc.FormatCycloneDXXML:
		return "CycloneDX " + version + " XML"
	case sbomdoc.FormatSPDXJSON:
		if strings.HasPrefix(version, "3.") {
			return "SPDX " + version + " JSON-LD"
		}
		return "SPDX " + version + " JSON"
	case sbomdoc.FormatSyftJSON:
		return "syft JSON (schema " + version + ")"
	}
	return "SPDX " + version + " tag-value"
}

// maxMissing bounds the components named per element, and the violations
// listed, in text output.
const maxMissing = 8

func printValidation(w io.Writer, v *sbomdoc.Validation) {
	var rules string
	switch v.Schema {
	case "":
		rules = "no schema for this version; purls and CPEs checked"
	case sbomdoc.TagValueGrammar:
		rules = "the SPDX tag-value grammar, licences, purls, CPEs and hashes"
	default:
		rules = "schema " + v.Schema + ", licences, purls, CPEs and hashes"
	}
	if len(v.Violations) == 0 {
		fmt.Fprintf(w, "  valid         (%s)\n", rules)
		return
	}
	fmt.Fprintf(w, "  INVALID       %s (%s):\n", plural(len(v.Violations), "violation"), rules)
	for i, x := range v.Violations {
		if i == 2*maxMissing {
			fmt.Fprintf(w, "    ... and %d more (--output json lists all)\n", len(v.Violations)-i)
			break
		}
		fmt.Fprintf(w, "    %s\n", x)
	}
}

func printCoverage(w io.Writer, coverage []sbomdoc.Coverage) {
	for _, c := range coverage {
		switch {
		case c.Element == sbomdoc.ElemAuthor || c.Element == sbomdoc.ElemTimestamp:
			fmt.Fprintf(w, "  %-13s %6s  (whole document)\n", c.Element, sbomdoc.FormatPercent(c.Percent))
		case c.Total == 0:
			fmt.Fprintf(w, "  %-13s %6s  (no components)\n", c.Element, sbomdoc.FormatPercent(c.Percent))
		case c.Covered == c.Total:
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

func printProfile(w io.Writer, r *sbomdoc.ProfileResult) {
	fmt.Fprintf(w, "  profile %s (%s):\n", r.Profile, r.Title)
	for _, e := range r.Elements {
		switch {
		case e.Status == sbomdoc.StatusMissing && e.Total > 0:
			names := e.Missing
			more := ""
			if len(names) > maxMissing {
				more = fmt.Sprintf(", and %d more (--output json lists all)", len(names)-maxMissing)
				names = names[:maxMissing]
			}
			fmt.Fprintf(w, "    %-24s missing  %d of %d components: %s%s\n", e.Element, e.Total-e.Covered, e.Total, strings.Join(names, ", "), more)
		default:
			fmt.Fprintf(w, "    %-24s %s\n", e.Element, e.Status)
		}
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
