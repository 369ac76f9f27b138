package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
)

// itemResult is one line of verify-attestation's report.
type itemResult struct {
	Source        string   `json:"source"`
	Format        string   `json:"format"`
	Status        string   `json:"status"` // passed, failed, skipped, invalid
	Reason        string   `json:"reason,omitempty"`
	PredicateType string   `json:"predicateType,omitempty"`
	Signers       []string `json:"signers,omitempty"`
	Subjects      int      `json:"subjects,omitempty"`
	Matched       []string `json:"matched,omitempty"`
	Warnings      []string `json:"warnings,omitempty"`
	err           error
}

// NewCmdVerifyAttestation is 'consign verify-attestation'.
func NewCmdVerifyAttestation(deps *Deps) *cobra.Command {
	var (
		keys     []string
		typ      string
		subject  string
		output   string
		treshold int
	)
	cmd := &cobra.Command{
		Use:   "verify-attestation --key PUB [--type TYPE] [--subject FILE|sha256:HEX] FILE...",
		Short: "Check attestations' signatures, predicate types and subjects against trusted keys",
		Long: `Check every attestation in each FILE against the trusted public key(s) given with --key.

FILE may be a .intoto.jsonl (one DSSE envelope per line), a single DSSE envelope, a
cosign bundle (cosign attest-blob/sign-blob --bundle), a Sigstore bundle v0.1-v0.3 with a
public key, a cosign sign-blob signature file, or an in-toto v0.9 .link file.

Each envelope is checked for: a signature by a trusted key over the exact DSSE PAE; an
in-toto payloadType; a strictly valid statement (duplicate keys and wrong-case field names
are rejected); with --type, its predicate type; with --subject, that the artifact's
digest is among its subjects. Key ids in a file are hints only: every trusted key is tried.

With --type, attestations of other types are listed as skipped, and at least one of the
type asked for must pass. Without --type every attestation must pass.

Exit codes: 0 every check passed; 3 a check failed (the answer is no); 1 bad input
(unreadable or malformed files, bad keys); 2 usage.`,
		Example: `  consign verify-attestation --key ci.pub build.intoto.jsonl
  consign verify-attestation --key ci.pub --type slsa --subject dist/app build.intoto.jsonl
  consign verify-attestation --key cosign.pub --subject blob.txt blob.sigstore.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("name at least one attestation file to verify")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if treshold < 1 {
				return usagef("--threshold must be at least 1")
			}
			kr, err := loadKeyring(keys)
			if err != nil {
				return err
			}
			opts := attest.VerifyOptions{Threshold: treshold}
			if typ != "" {
				t, err := attest.ResolveType(typ)
				if err != nil {
					return withHint(usageErr(err), "use a short name ("+attest.ShortNameList()+") or an absolute URI")
				}
				opts.PredicateTypes = []string{t}
			}
			if subject != "" {
				if opts.Subject, err = subjectDigest(subject); err != nil {
					return err
				}
				if fi, err := os.Stat(subject); err == nil && fi.Mode().IsRegular() {
					opts.Artifact = func() ([]byte, error) { return limits.ReadFile(subject, limits.PureEd25519Blob) }
				}
			}
			var results []itemResult
			for _, f := range files {
				data, err := limits.ReadFile(f, limits.AttestationFile)
				if err != nil {
					return fmt.Errorf("reading attestations: %w", err)
				}
				items, err := attest.Read(data, f)
				if err != nil {
					results = append(results, itemResult{Source: f, Status: "invalid", Reason: err.Error()})
					continue
				}
				for i := range items {
					results = append(results, verifyOne(&items[i], kr, opts))
				}
			}
			return printVerifyReport(cmd.OutOrStdout(), output, results, typ)
		},
	}
	cmd.Flags().StringArrayVar(&keys, "key", nil, "trusted public key file (repeatable)")
	cmd.Flags().StringVar(&typ, "type", "", "required predicate type: a short name ("+attest.ShortNameList()+") or a URI")
	cmd.Flags().StringVar(&subject, "subject", "", "artifact that must be a subject: a FILE, or sha256:HEX")
	cmd.Flags().IntVar(&treshold, "threshold", 1, "distinct trusted keys that must have signed each attestation")
	addOutputFlag(cmd, &output)
	return cmd
}

// subjectDigest reads --subject: a digest, or a file to hash (sha256 and
// sha512, the latter for Ed25519ph blob signatures).
func subjectDigest(s string) (digest.Set, error) {
	if _, err := os.Stat(s); err != nil && strings.Contains(s, ":") {
		return digest.Parse(s)
	}
	d, err := digest.File(s, digest.SHA256, digest.SHA512)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	return d, nil
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
			r.PredicateType, r.Subjects = attest.LegacyLinkType, len(v.Link.Products)
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
	var first error
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
			fmt.Fprintf(w, "%s %s (%s)", mark, r.Source, r.Format)
			if r.PredicateType != "" {
				fmt.Fprintf(w, " %s", attest.ShortName(r.PredicateType))
			}
			if len(r.Signers) > 0 {
				fmt.Fprintf(w, ", signed by %s", shortIDs(r.Signers))
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
