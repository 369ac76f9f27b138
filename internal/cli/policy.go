package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/policy"
)

// NewCmdPolicy is 'consign policy' and its subcommands.
func NewCmdPolicy(deps *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Sign and check release policies",
		Long: `A release policy says what a product must show before it ships: its stages in order,
who signs for each, how many distinct keys must, which attestations each stage needs,
in-toto artifact rules between stages, and checks on SBOMs, provenance, test results
and custom Rego. See docs/policy.md; examples are in policies/.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("name a subcommand: consign policy sign|check")
		},
	}
	cmd.AddCommand(newCmdPolicySign(deps), newCmdPolicyCheck(deps))
	return cmd
}

func newCmdPolicySign(deps *Deps) *cobra.Command {
	var keyPath, out, output string
	var force bool
	cmd := &cobra.Command{
		Use:   "sign --key OWNER.key [--out FILE] POLICY.yaml",
		Short: "Sign a policy with the product owner's key",
		Long: `Sign POLICY.yaml as a DSSE envelope (payloadType application/vnd.consign.policy+yaml)
with the owner's private key, which must be the key the policy names as owner.

Every public key file and Rego module the policy names is first copied into it, so that
what is signed is everything the policy trusts: a verifier never reads another file on
the policy's word. The policy must pass 'consign policy check' (warnings are printed).

The envelope is written to --out (default: POLICY.signed.json next to the policy).`,
		Example: `  consign policy sign --key keys/owner.key policies/release.yaml
  consign policy sign --key keys/owner.key --out release.policy.json policies/release.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("name one policy file to sign")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			path := args[0]
			src, err := limits.ReadFile(path, policy.MaxPolicySize)
			if err != nil {
				return fmt.Errorf("reading policy: %w", err)
			}
			opts := policy.ParseOptions{Dir: filepath.Dir(path)}
			findings := policy.Lint(src, opts, deps.Now())
			printFindings(deps.Stderr, path, findings)
			if policy.HasErrors(findings) {
				return withHint(fmt.Errorf("%w: %s has %s; not signed", policy.ErrInvalid, path, countErrors(findings)),
					findingsHint(findings, "fix the errors listed above ('consign policy check "+path+"' lists them again)"))
			}
			signer, err := loadSigner(deps, keyPath)
			if err != nil {
				return err
			}
			env, p, err := policy.Sign(src, opts, signer)
			if err != nil {
				return err
			}
			if out == "" {
				out = strings.TrimSuffix(path, filepath.Ext(path)) + ".signed.json"
			}
			b, err := json.Marshal(env)
			if err != nil {
				return err
			}
			if err := fsutil.WriteFile(out, append(b, '\n'), 0o644, force); err != nil {
				return err
			}
			if output == "json" {
				return printJSON(cmd, struct {
					Out     string `json:"out"`
					Product string `json:"product"`
					Stages  int    `json:"stages"`
					Expires string `json:"expires"`
					KeyID   string `json:"ownerKeyId"`
				}{out, p.Product, len(p.Stages), p.Expires.Format(time.RFC3339), signer.KeyID()})
			}
			fmt.Fprintf(deps.Stderr, "Signed the policy for %q (%d stage(s), expires %s) with owner key %s; written to %s\n",
				p.Product, len(p.Stages), p.Expires.Format("2006-01-02T15:04:05Z07:00"), signer.KeyID()[:12], out)
			return nil
		},
	}
	cmd.Flags().StringVar(&keyPath, "key", "", "the owner's private key (required)")
	cmd.Flags().StringVar(&out, "out", "", "where to write the signed policy (default POLICY.signed.json)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite --out if it exists")
	addOutputFlag(cmd, &output)
	return cmd
}

func newCmdPolicyCheck(deps *Deps) *cobra.Command {
	var output string
	var roots []string
	cmd := &cobra.Command{
		Use:   "check [--trust-root OWNER.pub] POLICY",
		Short: "Lint a policy, with line numbers",
		Long: `Check POLICY (the YAML, or a signed policy) and list every problem with its line:

errors: unknown fields, a threshold below 1 or above the number of distinct keys, the same
key under two names, rules or patterns that do not parse, unknown stages or functionaries,
checks that no required predicate type feeds, an expiry in the past;
warnings: stages no MATCH rule connects, rule lists that do not end with DISALLOW,
"[^" in a pattern (not a negation in fnmatch), mutable builder refs.

For a signed policy, --trust-root also verifies its signature.

Exit codes: 0 no errors (warnings allowed); 1 errors; 3 the signature does not verify.`,
		Example: `  consign policy check policies/release.yaml
  consign policy check --trust-root keys/owner.pub release.signed.json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("name one policy file to check")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			path := args[0]
			data, err := limits.ReadFile(path, policy.MaxPolicySize)
			if err != nil {
				return fmt.Errorf("reading policy: %w", err)
			}
			if isAttestationFile(data) {
				return withHint(fmt.Errorf("%s is an attestation file (DSSE envelopes), not a policy", path),
					"policy check takes a policy: its YAML, or the signed policy 'consign policy sign' wrote; 'consign verify-attestation' checks attestations")
			}
			keys, err := loadPublicKeys(roots)
			if err != nil {
				return err
			}
			checked, err := policy.LintFile(data, filepath.Dir(path), keys, deps.Now())
			switch {
			case errors.Is(err, policy.ErrNotSigned):
				return usagef("--trust-root checks a signed policy's signature; %s is not signed", path)
			case err != nil && !errors.Is(err, policy.ErrUnverified):
				return fmt.Errorf("reading signed policy %q: %w", path, err)
			case err != nil:
				return err
			}
			return printChecked(cmd.OutOrStdout(), output, path, checked)
		},
	}
	cmd.Flags().StringArrayVar(&roots, "trust-root", nil, "owner public key to verify a signed policy with (repeatable)")
	addOutputFlag(cmd, &output)
	return cmd
}
