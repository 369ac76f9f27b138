package cli

import (
	"fmt"
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
	return decodeSBOM(path, b)
}

func decodeSBOM(path string, b []byte) (*sbomdoc.Document, error) {
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
		noSchema bool
		profile  string
	)
	cmd := &cobra.Command{
		Use:   "check FILE [--profile ntia|cisa-2025|bsi-tr-03183-2|fsct] [--require ELEMENT=PERCENT]... [--no-schema] [--output json]",
		Short: "Validate an SBOM against its format's schema and measure its coverage of the NTIA minimum elements",
		Long: `Read an SBOM made by anyone (CycloneDX 1.2-1.7 JSON or XML, SPDX 2.2-2.3 JSON or tag-value,
SPDX 3.0-3.0.1 JSON-LD, syft JSON).

First validate it: a JSON document against the official JSON Schema of its format and version (and
SPDX 3 against the model's rules its schema cannot express), CycloneDX XML against the official XSD
of its version, tag-value against the SPDX tag-value grammar, and every document's licence
expressions against the SPDX licence list, package URLs and CPEs against their grammars, and hashes
against their algorithms' lengths. Each violation is reported with where it is (a JSON pointer, an
XML element's line and path, or a line of tag-value) and what the rule wants, and fails the check
(exit 3) unless --no-schema.

Then report, for each element, the share of components that have it and the components that miss it:

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
With --require ELEMENT=PERCENT (repeatable) the check is a gate: exit 3 when one is not met.

With --profile the SBOM is held to a published definition of an acceptable SBOM, and each of its
elements is reported present, missing (with the components that miss it) or not applicable; a
missing element fails the check (exit 3):

  ntia            NTIA minimum elements (2021)
  cisa-2025       CISA minimum elements (2025)
  bsi-tr-03183-2  BSI TR-03183-2 v2.1 (the reference for the EU Cyber Resilience Act)
  fsct            Framing Software Component Transparency, 3rd edition (2024), baseline`,
		Example: `  consign sbom check sbom.cdx.json
  consign sbom check sbom.cdx.json --profile bsi-tr-03183-2 --output json
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
			if err := checkOutput(format); err != nil {
				return err
			}
			if profile != "" {
				if _, err := sbomdoc.LookupProfile(profile); err != nil {
					return usageErr(err)
				}
			}
			return runSBOMCheck(cmd.OutOrStdout(), args[0], checkOptions{reqs, !noSchema, format == "json", profile})
		},
	}
	cmd.Flags().StringVar(&profile, "profile", "", "hold the SBOM to a profile: "+strings.Join(sbomdoc.ProfileNames(), ", ")+"; exit 3 when an element is missing")
	cmd.Flags().BoolVar(&noSchema, "no-schema", false, "do not validate the SBOM against its format's schema and grammars")
	cmd.Flags().StringArrayVar(&requires, "require", nil, "ELEMENT=PERCENT: fail (exit 3) unless the element's coverage is at least PERCENT (repeatable)")
	addOutputFlag(cmd, &format)
	return cmd
}
