package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/verify"
)

// VerificationText renders a verification's result as an indented tree,
// one node per line, each starting with PASS or FAIL (or the attestation's
// status); see the package documentation.
func VerificationText(r *verify.Result) string {
	var b strings.Builder
	// A release's artifacts are most of its report: room for their lines
	// at once, not in the doublings of a growing builder, each a copy.
	n := 0
	for _, a := range r.Artifacts {
		n += len(a.Name) + len(a.Reason) + 96 // a SHA-256 line is 89 bytes more than its name
	}
	b.Grow(n)
	writePolicy(&b, &r.Policy)
	for _, st := range r.Stages {
		writeStage(&b, st)
	}
	for _, a := range r.Artifacts {
		for _, s := range [...]string{"  ", Mark(a.Status), " artifact ", a.Name, " ", a.Digest.String()} {
			b.WriteString(s)
		}
		if a.Reason != "" {
			b.WriteString(": ")
			b.WriteString(a.Reason)
		}
		b.WriteString("\n")
	}
	writeUncounted(&b, r.Attestations)
	if r.NoArtifactBound {
		b.WriteString("  NOTE no artifact was given: the chain of steps was verified alone, and no shipped artifact is bound to it\n")
	}
	if r.Passed {
		fmt.Fprintf(&b, "PASSED: %d stage(s), %d artifact(s), %d attestation(s) read\n", len(r.Stages), len(r.Artifacts), len(r.Attestations))
	} else {
		fmt.Fprintf(&b, "FAILED: %d failure(s)\n", len(r.Failures))
		// Each reason is said once: a failure the tree above already
		// shows on its FAIL line is counted, not repeated; only those
		// with no line of their own (no attestations given, say) are
		// listed. The JSON report keeps every failure.
		tree := b.String()
		for _, f := range r.Failures {
			if !shownIn(tree, f) {
				fmt.Fprintf(&b, "  - %s\n", f)
			}
		}
	}
	return b.String()
}

// shownIn reports whether the tree already states failure f's reason, the
// text after the "artifact NAME: " (or "stage NAME: ", ...) that names
// what failed.
func shownIn(tree, f string) bool {
	_, reason, ok := strings.Cut(f, ": ")
	if !ok {
		reason = f
	}
	return strings.Contains(tree, reason)
}

func writePolicy(b *strings.Builder, p *verify.PolicyResult) {
	fmt.Fprintf(b, "%s %s %s", Mark(p.Status), p.Kind, p.Source)
	if p.Product != "" {
		fmt.Fprintf(b, " for %q", p.Product)
	}
	if p.Version > 0 {
		fmt.Fprintf(b, " version %d", p.Version)
	}
	if p.SignedBy != "" {
		fmt.Fprintf(b, ", signed by %s", shortID(p.SignedBy))
	}
	if p.Expires != nil {
		fmt.Fprintf(b, ", expires %s", p.Expires.Format(time.RFC3339))
	}
	b.WriteString("\n")
	if p.Reason != "" {
		fmt.Fprintf(b, "     %s\n", p.Reason)
	}
}

func writeStage(b *strings.Builder, st *verify.StageResult) {
	kind := "stage"
	if st.Kind != "" {
		kind = st.Kind
	}
	fmt.Fprintf(b, "  %s %s %s", Mark(st.Status), kind, st.Name)
	if st.Kind == "" {
		fmt.Fprintf(b, " (threshold %d, %d distinct signer(s) counted", st.Threshold, len(st.Signers))
		if len(st.Require) > 0 {
			fmt.Fprintf(b, "; requires %s", strings.Join(shortNames(st.Require), ", "))
		}
		b.WriteString(")")
	}
	b.WriteString("\n")
	if st.Reason != "" {
		fmt.Fprintf(b, "       %s\n", st.Reason)
	}
	for _, a := range st.Attestations {
		writeAttestation(b, a)
	}
	for _, rr := range st.Rules {
		writeItem(b, fmt.Sprintf("    %s %s rule %s", Mark(rr.Status), rr.Side, rr.Rule), rr.Line, rr.Reason)
	}
	for _, c := range st.Checks {
		head := fmt.Sprintf("    %s check %s", Mark(c.Status), c.Kind)
		if c.Name != "" {
			head += " " + c.Name
		}
		writeItem(b, head, c.Line, c.Reason)
	}
	for _, n := range st.Notes {
		fmt.Fprintf(b, "    note: %s\n", n)
	}
}

// writeItem writes a rule's or a check's line: its head, the policy line
// it comes from and why it failed or what it did.
func writeItem(b *strings.Builder, head string, line int, reason string) {
	b.WriteString(head)
	if line > 0 {
		fmt.Fprintf(b, " (line %d)", line)
	}
	if reason != "" {
		fmt.Fprintf(b, ": %s", reason)
	}
	b.WriteString("\n")
}

func writeAttestation(b *strings.Builder, a *verify.AttestationResult) {
	fmt.Fprintf(b, "    %s %s", Mark(a.Status), a.Source)
	if a.PredicateType != "" {
		fmt.Fprintf(b, " %s", typeName(a.PredicateType))
	}
	if a.Name != "" {
		fmt.Fprintf(b, " %q", a.Name)
	}
	b.WriteString("\n")
	if a.Reason != "" {
		fmt.Fprintf(b, "         %s\n", a.Reason)
	}
	for _, s := range a.Signers {
		fmt.Fprintf(b, "      %s signer %s", Mark(signerMark(s.Status)), signerName(s))
		if s.Functionary != "" {
			fmt.Fprintf(b, " (%s)", functionaryName(s.Functionary))
		}
		if s.Reason != "" {
			fmt.Fprintf(b, ": %s", s.Reason)
		}
		b.WriteString("\n")
	}
}

// writeUncounted lists the attestations read that no stage counted.
func writeUncounted(b *strings.Builder, all []*verify.AttestationResult) {
	var other []*verify.AttestationResult
	for _, a := range all {
		if a.Status == verify.StatusInvalid || a.Status == verify.StatusUnused {
			other = append(other, a)
		}
	}
	if len(other) == 0 {
		return
	}
	b.WriteString("  attestations no stage counted:\n")
	for _, a := range other {
		fmt.Fprintf(b, "    %s %s", Mark(a.Status), a.Source)
		if a.PredicateType != "" {
			fmt.Fprintf(b, " %s", typeName(a.PredicateType))
		}
		if a.Reason != "" {
			fmt.Fprintf(b, ": %s", a.Reason)
		}
		b.WriteString("\n")
	}
}

// typeName is how the report names a predicate type.
func typeName(t string) string {
	switch t {
	case attest.LegacyLinkType:
		return "link (in-toto v0.9)"
	case verify.LayoutType:
		return "layout (in-toto v0.9)"
	}
	return attest.ShortName(t)
}

// functionaryName shortens the in-toto key ids that name a layout's
// functionaries.
func functionaryName(name string) string {
	if len(name) == 64 && strings.Trim(name, "0123456789abcdef") == "" {
		return "in-toto key " + shortID(name)
	}
	return name
}

// signerName is a key's short id, or a keyless signer's identity.
func signerName(s verify.SignerResult) string {
	if s.Identity != nil {
		return s.Identity.String()
	}
	return shortID(s.KeyID)
}

func signerMark(status string) string {
	if status == "valid" {
		return verify.StatusPass
	}
	return verify.StatusFail
}

func shortNames(uris []string) []string {
	out := make([]string, len(uris))
	for i, u := range uris {
		out[i] = attest.ShortName(u)
	}
	return out
}
