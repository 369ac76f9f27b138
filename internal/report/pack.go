package report

import (
	"cmp"
	"fmt"
	"io"
	"strings"

	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/verify"
)

// PackText renders a pack's verification: the pack, then the chain
// verification's tree ([VerificationText]), then the log, the SBOMs and the
// VSA, each line starting with PASS or FAIL.
func PackText(r *pack.Result) string {
	var b strings.Builder
	ps := r.Pack
	name := ps.Name
	if name == "" {
		name = "evidence pack"
	}
	// Only signed facts: the product and version of the signed policy, not
	// the manifest's release label, which nothing signs.
	// Without a verified policy there is no signed product to name: the
	// manifest's is only a claim.
	if ps.Unknown != "" || ps.PolicyVersion == 0 {
		why := cmp.Or(ps.Unknown, "the policy did not verify")
		fmt.Fprintf(&b, "PASS pack %s: %d files, %s (%s); every file matches the manifest (product and policy version unknown: %s)\n",
			name, ps.Files, humanBytes(ps.Size), ps.Compression, why)
	} else {
		fmt.Fprintf(&b, "PASS pack %s: %q under signed policy version %d, %d files, %s (%s); every file matches the manifest\n",
			name, ps.Product, ps.PolicyVersion, ps.Files, humanBytes(ps.Size), ps.Compression)
	}
	for _, a := range ps.Included {
		fmt.Fprintf(&b, "  PASS artifact %s included, bytes match its digest\n", a)
	}
	b.WriteString(VerificationText(r.Verification))
	if l := r.Log; l != nil {
		writeLog(&b, l)
	}
	for _, s := range r.SBOMs {
		writeSBOM(&b, s)
	}
	if v := r.VSA; v != nil {
		fmt.Fprintf(&b, "%s vsa %s", Mark(v.Status), v.Path)
		if v.Result != "" {
			fmt.Fprintf(&b, ": %s", v.Result)
		}
		if v.SignedBy != "" {
			fmt.Fprintf(&b, ", signed by %s", v.SignedBy)
		}
		if v.Reason != "" {
			fmt.Fprintf(&b, ": %s", v.Reason)
		}
		b.WriteString("\n")
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	// A failure already on its FAIL line above (the log, an SBOM, the
	// VSA) is not said twice; the JSON report keeps every failure.
	tree := b.String()
	for _, f := range r.Failures {
		if !shownIn(tree, f) {
			fmt.Fprintf(&b, "FAIL %s\n", f)
		}
	}
	if r.Passed {
		b.WriteString("PASS the pack verified: everything above was checked offline with the owner's key\n")
	}
	return b.String()
}

func writeLog(b *strings.Builder, l *pack.LogResult) {
	fmt.Fprintf(b, "%s log", Mark(l.Status))
	if l.Origin != "" {
		fmt.Fprintf(b, " %s: checkpoint of %d entries signed by the policy's log key; %d receipt(s), %d proven consistent with it", l.Origin, l.Size, l.Receipts, l.Consistent)
		if l.Unproven > 0 {
			fmt.Fprintf(b, ", %d from older checkpoints without a consistency proof (pack made without --server)", l.Unproven)
		}
	}
	if l.Reason != "" {
		fmt.Fprintf(b, ": %s", l.Reason)
	}
	b.WriteString("\n")
}

func writeSBOM(b *strings.Builder, s pack.SBOMResult) {
	fmt.Fprintf(b, "%s sbom %s", Mark(s.Status), s.Path)
	if s.Reason != "" {
		fmt.Fprintf(b, ": %s\n", s.Reason)
		return
	}
	fmt.Fprintf(b, ": %s", s.Format)
	if s.Subject != "" {
		fmt.Fprintf(b, " of %s", s.Subject)
	}
	fmt.Fprintf(b, ", %d component(s)", s.Components)
	var cov []string
	for _, e := range sbomdoc.Elements {
		if pct, ok := s.Coverage[e]; ok {
			cov = append(cov, e+" "+sbomdoc.FormatPercent(pct))
		}
	}
	if len(cov) > 0 {
		fmt.Fprintf(b, "; %s", strings.Join(cov, ", "))
	}
	b.WriteString("\n")
	if v := s.Schema; v != nil {
		switch {
		case v.Violations > 0:
			fmt.Fprintf(b, "       format rules: %d violation(s), the first %s\n", v.Violations, v.First)
		case v.Schema == sbomdoc.TagValueGrammar:
			b.WriteString("       format rules: valid (the SPDX tag-value grammar)\n")
		case v.Schema != "":
			fmt.Fprintf(b, "       format rules: valid (schema %s)\n", v.Schema)
		default:
			b.WriteString("       format rules: valid (no schema for this version; purls and CPEs checked)\n")
		}
	}
	for _, r := range s.Profiles {
		var present, missing, na []string
		for _, e := range r.Elements {
			switch e.Status {
			case sbomdoc.StatusPresent:
				present = append(present, e.Element)
			case sbomdoc.StatusMissing:
				m := e.Element
				if e.Total > 0 {
					m += fmt.Sprintf(" (%d of %d components)", e.Total-e.Covered, e.Total)
				}
				missing = append(missing, m)
			default:
				na = append(na, e.Element)
			}
		}
		verdict := "met"
		if len(missing) > 0 {
			verdict = "NOT met"
		}
		fmt.Fprintf(b, "       profile %s (%s): %s; %d of %d element(s) present", r.Profile, r.Title, verdict, len(present), len(r.Elements))
		if len(missing) > 0 {
			fmt.Fprintf(b, "; missing %s", strings.Join(missing, ", "))
		}
		if len(na) > 0 {
			fmt.Fprintf(b, "; not applicable %s", strings.Join(na, ", "))
		}
		b.WriteString("\n")
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// Packed writes, for the packer, what went into the pack just written to
// out: how many attestations of those read, receipts, SBOMs, artifacts, the
// log checkpoint and the VSA, and how a customer verifies it.
func Packed(w io.Writer, plan *pack.Plan, policyName, out string) {
	counts := map[string]int{}
	for _, f := range plan.Manifest.Files {
		counts[f.Role]++
	}
	counted := 0
	for _, a := range plan.Result.Attestations {
		if a.Status == verify.StatusCounted {
			counted++
		}
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(w, "consign: note: %s\n", n)
	}
	fmt.Fprintf(w, "Verified %q against %s: PASSED\n", plan.Manifest.Product, policyName)
	fmt.Fprintf(w, "Wrote %s: %d attestation(s) in %d file(s) (%d read and not needed, left out), %d receipt(s), %d SBOM(s), %d artifact(s) listed, %d included",
		out, counted, counts[pack.RoleAttestations], len(plan.Result.Attestations)-counted, plan.Receipts, counts[pack.RoleSBOM], len(plan.Manifest.Artifacts), counts[pack.RoleArtifact])
	if plan.Checkpoint != nil {
		fmt.Fprintf(w, ", log checkpoint of %d entries", plan.Checkpoint.Size)
	}
	if counts[pack.RoleVSA] > 0 {
		fmt.Fprintf(w, ", a signed VSA")
	}
	fmt.Fprintf(w, "\nCustomers verify it with: consign verify-pack --trust-root OWNER.pub %s\n", out)
}

// Listing writes what a pack holds, read without trusting it (consign
// inspect PACK): the manifest's product, release and artifacts, every entry
// with its role, and the problems for which verify-pack would refuse it.
func Listing(w io.Writer, f Format, name string, l *pack.Listing) error {
	if f == JSON {
		return writeJSON(w, struct {
			Verified bool `json:"verified"`
			*pack.Listing
		}{false, l})
	}
	fmt.Fprintf(w, "%s: evidence pack (%s compression), NOT VERIFIED: run 'consign verify-pack --trust-root OWNER.pub %s'\n", name, l.Compression, name)
	if m := l.Manifest; m != nil {
		fmt.Fprintf(w, "  product %q, release %q, format %s\n  policy  %s\n", m.Product, m.Release, m.Format, m.Policy)
		for _, a := range m.Artifacts {
			fmt.Fprintf(w, "  artifact %s %s", a.Name, a.Digest)
			if a.Path != "" {
				fmt.Fprintf(w, " (included as %s)", a.Path)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "  %d entries:\n", len(l.Entries))
	for _, e := range l.Entries {
		role := e.Role
		if role == "" {
			role = "NOT IN MANIFEST"
		}
		line := fmt.Sprintf("    %-8s %s %10d  %-15s %s", e.Type, e.Mode, e.Size, role, e.Name)
		if e.Target != "" {
			line += " -> " + e.Target
		}
		fmt.Fprintln(w, line)
	}
	for _, p := range l.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	return nil
}
