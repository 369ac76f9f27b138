package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
)

// itemResult is one line of verify-attestation's report.
type itemResult struct {
	Source        string   `json:"source"`
	Format        string   `json:"format"`
	Status        string   `json:"status"` // passed, failed, skipped, invalid
	Reason        string   `json:"reason,omitempty"`
	PredicateType string   `json:"predicateType,omitempty"`
	Signers       []string `json:"signers,omitempty"`
	Identity      string   `json:"identity,omitempty"`
	Subjects      int      `json:"subjects,omitempty"`
	Matched       []string `json:"matched,omitempty"`
	Warnings      []string `json:"warnings,omitempty"`
	err           error
}

func verifyOne(it *attest.Item, kr *attest.Keyring, opts attest.VerifyOptions) itemResult {
	r := itemResult{Source: it.Source, Format: it.Format}
	if it.Err == nil {
		r.Format = it.Describe()
	}
	v, err := attest.VerifyItem(it, kr, opts)
	if v != nil {
		for _, s := range v.Signers {
			r.Signers = append(r.Signers, s.KeyID())
		}
		for _, m := range v.Matched {
			r.Matched = append(r.Matched, strings.TrimSpace(m.Name+" "+m.Digest.String()))
		}
		r.Warnings = v.Warnings
		switch {
		case v.Statement != nil:
			r.PredicateType, r.Subjects = v.Statement.PredicateType, len(v.Statement.Subject)
		case v.Link != nil:
			r.PredicateType, r.Subjects = attest.LegacyLinkType, v.Link.Products.Len()
		}
	}
	switch {
	case err == nil:
		r.Status = "passed"
		if it.Malformed > 0 {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%d malformed signature(s) ignored", it.Malformed))
		}
	case errors.Is(err, attest.ErrWrongType):
		r.Status, r.Reason = "skipped", "not the predicate type asked for"
	case errors.Is(err, attest.ErrUnverified):
		r.Status, r.Reason, r.err = "failed", err.Error(), err
	default:
		r.Status, r.Reason = "invalid", err.Error()
	}
	return r
}

func printVerifyReport(w io.Writer, output string, results []itemResult, typ string) error {
	passed, failed, invalid := 0, 0, 0
	var first, firstInvalid error
	for _, r := range results {
		switch r.Status {
		case "passed":
			passed++
		case "failed":
			failed++
			if first == nil {
				first = r.err
			}
		case "invalid":
			invalid++
			if firstInvalid == nil {
				firstInvalid = r.err
			}
		}
	}
	ok := passed > 0 && failed == 0 && invalid == 0
	if output == "json" {
		if err := json.NewEncoder(w).Encode(struct {
			Verified bool         `json:"verified"`
			Results  []itemResult `json:"results"`
		}{ok, results}); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			mark := map[string]string{"passed": "PASS", "failed": "FAIL", "skipped": "SKIP", "invalid": "BAD "}[r.Status]
			fmt.Fprintf(w, "%s %s", mark, r.Source)
			if r.Format != "" { // an empty or unreadable file has none
				fmt.Fprintf(w, " (%s)", r.Format)
			}
			if r.PredicateType != "" {
				fmt.Fprintf(w, " %s", attest.ShortName(r.PredicateType))
			}
			if len(r.Signers) > 0 {
				fmt.Fprintf(w, ", signed by %s", shortIDs(r.Signers))
			}
			if r.Identity != "" {
				fmt.Fprintf(w, ", signed by %s", r.Identity)
			}
			if r.Subjects > 0 {
				fmt.Fprintf(w, ", %d subject(s)", r.Subjects)
			}
			fmt.Fprintln(w)
			if r.Reason != "" {
				fmt.Fprintf(w, "     %s\n", r.Reason)
			}
			for _, m := range r.Matched {
				fmt.Fprintf(w, "     subject matched: %s\n", m)
			}
			for _, warn := range r.Warnings {
				fmt.Fprintf(w, "     note: %s\n", warn)
			}
		}
		fmt.Fprintf(w, "%d passed, %d failed, %d invalid, %d skipped\n", passed, failed, invalid, len(results)-passed-failed-invalid)
	}
	switch {
	case invalid == 1 && errors.Is(firstInvalid, attest.ErrEmpty):
		// An empty file is bad input, not a failed verification: say so
		// rather than count it as an attestation that could not be read.
		return firstInvalid
	case invalid > 0:
		return withHint(fmt.Errorf("%d attestation(s) could not be read", invalid), "the file is corrupt or not an attestation; 'consign inspect FILE' shows what it holds")
	case failed > 0:
		return checksFailed(failed, first)
	case passed == 0 && typ != "":
		return withHint(fmt.Errorf("%w of type %s", attest.ErrNothingToVerify, typ), "'consign inspect FILE' shows each attestation's predicate type")
	case passed == 0:
		return attest.ErrNothingToVerify
	}
	return nil
}

func shortIDs(ids []string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if len(id) > 12 {
			id = id[:12]
		}
		out[i] = id
	}
	return strings.Join(out, ", ")
}
