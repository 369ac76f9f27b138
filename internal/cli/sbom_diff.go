package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/sbomdoc"
)

func newCmdSBOMDiff(deps *Deps) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "diff OLD NEW [--output json]",
		Short: "List the components added, removed, and changed in version or licence between two SBOMs",
		Long: `Compare two SBOMs of any supported formats (CycloneDX 1.2-1.7 JSON or XML, SPDX 2.2-2.3 JSON
or tag-value, SPDX 3.0-3.0.1 JSON-LD, syft JSON): the components added, removed, and changed in version or licence. Components are
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
			if err := checkOutput(format); err != nil {
				return err
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
	addOutputFlag(cmd, &format)
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
