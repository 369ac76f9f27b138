package verify

import (
	"fmt"
	"sort"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sbomdoc"
)

// checkSBOM checks an SBOM attestation: its predicate is the SBOM itself
// (CycloneDX JSON for https://cyclonedx.org/bom, SPDX JSON for
// https://spdx.dev/Document), decoded strictly by [sbomdoc.Decode]. The
// document's format must be the one its predicate type names; each
// min_coverage element must be covered at least as much as asked
// ([sbomdoc.Report.Require]); no component may carry a denied licence;
// with schema, the SBOM must break none of its format's rules
// ([sbomdoc.Validate]); and each profile named must be met in full
// ([sbomdoc.CheckProfile]: no element missing).
func checkSBOM(c *policy.SBOMCheck, it *item) error {
	doc, err := sbomdoc.Decode(it.st.Predicate)
	if err != nil {
		return fmt.Errorf("the SBOM does not decode: %v", err)
	}
	wantPrefix := "cyclonedx-"
	if it.predicateType == attest.PredicateSPDX {
		wantPrefix = "spdx-"
	}
	if !strings.HasPrefix(doc.Format, wantPrefix) {
		return fmt.Errorf("the predicate type is %s but the SBOM is %s", attest.ShortName(it.predicateType), doc.Format)
	}
	var problems []string
	if c.Schema {
		v, err := sbomdoc.Validate(it.st.Predicate)
		if err == nil {
			err = v.Err()
		}
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	for _, name := range c.Profiles {
		r, err := sbomdoc.CheckProfile(doc, name)
		if err == nil {
			err = r.Err()
		}
		if err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(c.MinCoverage) > 0 {
		var reqs []sbomdoc.Requirement
		for _, e := range sortedKeys(c.MinCoverage) {
			reqs = append(reqs, sbomdoc.Requirement{Element: e, Percent: c.MinCoverage[e]})
		}
		if err := sbomdoc.Check(doc).Require(reqs); err != nil {
			problems = append(problems, err.Error())
		}
	}
	if len(c.DenyLicenses) > 0 {
		if bad := deniedLicenses(doc, c.DenyLicenses); len(bad) > 0 {
			problems = append(problems, "denied licence(s): "+strings.Join(bad, ", "))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// deniedLicenses lists the components (and the SBOM's subject) that carry
// a denied licence id anywhere in a licence expression: "MIT OR
// AGPL-3.0-only" counts, because the SBOM does not say which one applies.
// SPDX ids compare case-insensitively, as SPDX defines them; a trailing "+"
// ("or later") is ignored for the comparison.
func deniedLicenses(doc *sbomdoc.Document, deny []string) []string {
	denied := map[string]bool{}
	for _, d := range deny {
		denied[strings.ToLower(strings.TrimSuffix(d, "+"))] = true
	}
	comps := doc.Components
	if doc.Subject != nil {
		comps = append([]sbomdoc.Component{*doc.Subject}, comps...)
	}
	var out []string
	for i := range comps {
		for _, lic := range comps[i].Licenses {
			for _, id := range licenseIDs(lic) {
				if denied[strings.ToLower(strings.TrimSuffix(id, "+"))] {
					out = append(out, fmt.Sprintf("%s (%s)", comps[i].Label(), id))
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// licenseIDs splits an SPDX licence expression into its licence ids,
// leaving out the operators and the exception that follows WITH.
func licenseIDs(expr string) []string {
	fields := strings.Fields(strings.NewReplacer("(", " ", ")", " ").Replace(expr))
	var ids []string
	for i := 0; i < len(fields); i++ {
		switch strings.ToUpper(fields[i]) {
		case "AND", "OR":
			continue
		case "WITH":
			i++ // the exception
			continue
		}
		ids = append(ids, fields[i])
	}
	return ids
}
