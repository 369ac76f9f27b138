package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/slsa"
)

// NewCmdSLSAVerifyGitHubAttestation is 'consign slsa
// verify-github-attestation', with slsa-verifier's flags.
func NewCmdSLSAVerifyGitHubAttestation(deps *Deps) *cobra.Command {
	var (
		attPath, rootPath, sourceURI, builderID string
		inputs                                  []string
		printAttestation                        bool
	)
	cmd := &cobra.Command{
		Use:   "verify-github-attestation --attestation-path A --builder-id B --source-uri github.com/ORG/REPO --trusted-root T ARTIFACT",
		Short: "Verify a GitHub artifact attestation, as slsa-verifier verify-github-attestation does, offline",
		Long: `Verify that ARTIFACT was built by the workflow --builder-id from --source-uri, with the
GitHub artifact attestation --attestation-path: a Sigstore bundle holding SLSA provenance (v1 of
the GitHub workflow build type, or v0.2), or JSON Lines of them as GitHub's attestation API and
'gh attestation download' give them (the first that verifies counts). The flags and verdicts are
slsa-verifier's: no builder is trusted by default, so --builder-id is required; the signing
workflow must be it, at a vX.Y.Z release; the source repository must be --source-uri exactly;
the artifact must be a subject.

Nothing is fetched: --trusted-root is the Sigstore trusted_root.json to verify against.`,
		Example: `  consign slsa verify-github-attestation --attestation-path MODULE.bazel.intoto.jsonl \
      --builder-id https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml \
      --source-uri github.com/aspect-build/rules_lint --trusted-root trusted_root.json MODULE.bazel`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("give one artifact")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if attPath == "" || sourceURI == "" {
				return usagef("--attestation-path and --source-uri are required")
			}
			cfg := slsa.ArtifactConfig{SourceURI: sourceURI, BuilderID: optional(cmd, "builder-id", builderID)}
			var err error
			if cfg.Inputs, err = parseInputs(inputs); err != nil {
				return err
			}
			if cfg.TrustedRoot, err = readTrustedRoot(rootPath); err != nil {
				return err
			}
			if cfg.Provenance, err = limits.ReadFile(attPath, limits.JSONFile); err != nil {
				return fmt.Errorf("reading attestation: %w", err)
			}
			d, err := sha256File(args[0])
			if err != nil {
				return err
			}
			cfg.Digests = [][]byte{d}
			res, err := slsa.VerifyGitHubAttestation(cfg)
			if err != nil {
				return err
			}
			return printSLSAResult(cmd, args, res, printAttestation)
		},
	}
	f := cmd.Flags()
	f.StringVar(&attPath, "attestation-path", "", "path to the attestation (a Sigstore bundle, or JSON Lines of them)")
	f.StringVar(&sourceURI, "source-uri", "", "expected source repository, e.g. github.com/org/repo")
	f.StringVar(&builderID, "builder-id", "", "expected builder: the workflow that signed (name, or name@version); required")
	f.StringArrayVar(&inputs, "build-workflow-input", nil, "expected workflow_dispatch input, key=value (repeatable)")
	f.BoolVar(&printAttestation, "print-attestation", false, "print the verified attestation (the in-toto statement) on stdout")
	f.StringVar(&rootPath, "trusted-root", "", "trusted_root.json of the Sigstore instance that signed the attestation")
	return cmd
}
