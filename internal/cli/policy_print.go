package cli

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/consign-dev/consign/internal/policy"
)

// printChecked prints what 'policy check' found, and fails when it found errors.
func printChecked(w io.Writer, output, path string, c *policy.LintResult) error {
	findings, signed := c.Findings, c.Signed
	if output == "json" {
		if findings == nil {
			findings = []policy.Finding{}
		}
		if err := json.NewEncoder(w).Encode(struct {
			Policy            string           `json:"policy"`
			Signed            bool             `json:"signed"`
			SignatureVerified bool             `json:"signatureVerified"`
			SignedBy          string           `json:"signedBy,omitempty"`
			OK                bool             `json:"ok"`
			Findings          []policy.Finding `json:"findings"`
		}{path, signed, c.SignatureChecked, c.SignedBy, !policy.HasErrors(findings), findings}); err != nil {
			return err
		}
	} else {
		if c.SignatureChecked {
			fmt.Fprintf(w, "%s: signature verified: signed by %s, a --trust-root key\n", path, shortIDs([]string{c.SignedBy}))
		}
		printFindings(w, path, findings)
		if !policy.HasErrors(findings) {
			note := ""
			if signed && !c.SignatureChecked {
				note = " (signature not checked: pass --trust-root)"
			}
			fmt.Fprintf(w, "%s: no errors, %d warning(s)%s\n", path, len(findings), note)
		}
	}
	if policy.HasErrors(findings) {
		return withHint(fmt.Errorf("%w: %s has %s", policy.ErrInvalid, path, countErrors(findings)), findingsHint(findings, ""))
	}
	return nil
}

// findingsHint is the hint for a policy with error findings: for one that
// is not valid YAML, where YAML's mistakes usually are; else fix (the
// findings listed say what to fix).
func findingsHint(findings []policy.Finding, fix string) string {
	for _, f := range findings {
		if f.Syntax {
			return "YAML names the line where it stopped, or where the block it could not finish begins: look there and through that block. " +
				"Indent with spaces, never tabs; put the keys of one mapping, and the '- ' items of one list, each at one column; " +
				"quote values that hold ': ' or start with '*', '&', '!', '[' or '{'"
		}
	}
	return fix
}

func printFindings(w io.Writer, path string, findings []policy.Finding) {
	for _, f := range findings {
		if f.Line > 0 {
			fmt.Fprintf(w, "%s:%d: %s: %s\n", path, f.Line, f.Severity, f.Message)
		} else {
			fmt.Fprintf(w, "%s: %s: %s\n", path, f.Severity, f.Message)
		}
	}
}

func countErrors(findings []policy.Finding) string {
	n := policy.ErrorCount(findings)
	if n == 1 {
		return "1 error"
	}
	return fmt.Sprintf("%d errors", n)
}
