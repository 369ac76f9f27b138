package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/slsa"
)

// NewCmdSLSAVerifyArtifact is 'consign slsa verify-artifact', with
// slsa-verifier's flags.
func NewCmdSLSAVerifyArtifact(deps *Deps) *cobra.Command {
	var (
		provPath, rootPath, sourceURI, builderID, branch, tag, versionedTag string
		inputs                                                              []string
		printProvenance                                                     bool
	)
	cmd := &cobra.Command{
		Use:   "verify-artifact --provenance-path P --source-uri github.com/ORG/REPO --trusted-root T [flags] ARTIFACT...",
		Short: "Verify SLSA provenance for artifacts, as slsa-verifier verify-artifact does, offline",
		Long: `Verify that ARTIFACTs were built by a trusted SLSA GitHub builder from --source-uri, with
the provenance file --provenance-path (a Sigstore bundle; the SLSA GitHub generators write one
since v2.1.0). The flags and verdicts are slsa-verifier's: the signing workflow must be a
trusted builder (or --builder-id) at a vX.Y.Z release; the source repository must be
--source-uri exactly; every artifact must be a subject; and --source-branch, --source-tag,
--source-versioned-tag and --build-workflow-input, when given, must match the build. Where a
BYOB delegator of the SLSA GitHub generators signed, the provenance names the builder it ran:
that builder, at a vX.Y.Z release, must be --builder-id (without it, one of the generators' own
builders). The container-based builder's provenance is SLSA v1.

Nothing is fetched: --trusted-root is the Sigstore trusted_root.json to verify against.`,
		Example: `  consign slsa verify-artifact --provenance-path app.intoto.jsonl \
      --source-uri github.com/acme/app --source-tag v1.2.3 --trusted-root trusted_root.json app`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("give at least one artifact")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if provPath == "" || sourceURI == "" {
				return usagef("--provenance-path and --source-uri are required")
			}
			cfg := slsa.ArtifactConfig{SourceURI: sourceURI,
				BuilderID: optional(cmd, "builder-id", builderID), Branch: optional(cmd, "source-branch", branch),
				Tag: optional(cmd, "source-tag", tag), VersionedTag: optional(cmd, "source-versioned-tag", versionedTag)}
			var err error
			if cfg.Inputs, err = parseInputs(inputs); err != nil {
				return err
			}
			if cfg.TrustedRoot, err = readTrustedRoot(rootPath); err != nil {
				return err
			}
			if cfg.Provenance, err = limits.ReadFile(provPath, limits.JSONFile); err != nil {
				return fmt.Errorf("reading provenance: %w", err)
			}
			for _, a := range args {
				d, err := sha256File(a)
				if err != nil {
					return err
				}
				cfg.Digests = append(cfg.Digests, d)
			}
			res, err := slsa.VerifyArtifact(cfg)
			if err != nil {
				return err
			}
			return printSLSAResult(cmd, args, res, printProvenance)
		},
	}
	f := cmd.Flags()
	f.StringVar(&provPath, "provenance-path", "", "path to the provenance file (a Sigstore bundle)")
	f.StringVar(&sourceURI, "source-uri", "", "expected source repository, e.g. github.com/org/repo")
	f.StringVar(&builderID, "builder-id", "", "expected builder id (name, or name@version); default: the trusted builders")
	f.StringVar(&branch, "source-branch", "", "expected branch the build ran on")
	f.StringVar(&tag, "source-tag", "", "expected tag the build ran on, exactly")
	f.StringVar(&versionedTag, "source-versioned-tag", "", "expected release line of the tag (v1, v1.2 or v1.2.3)")
	f.StringArrayVar(&inputs, "build-workflow-input", nil, "expected workflow_dispatch input, key=value (repeatable)")
	f.BoolVar(&printProvenance, "print-provenance", false, "print the verified provenance (the in-toto statement) on stdout")
	f.StringVar(&rootPath, "trusted-root", "", "trusted_root.json of the Sigstore instance that signed the provenance")
	return cmd
}

// printSLSAResult prints what slsa-verifier prints: the verified
// provenance on stdout if asked, the verdict on stderr.
func printSLSAResult(cmd *cobra.Command, args []string, res *slsa.Result, printProvenance bool) error {
	w := cmd.ErrOrStderr()
	for _, a := range args {
		fmt.Fprintf(w, "Verified build using builder %q at commit %s\n", res.BuilderID.String(), res.SourceSHA)
		fmt.Fprintf(w, "Verifying artifact %s: PASSED\n", a)
	}
	if printProvenance {
		if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s\n", res.Provenance); err != nil {
			return err
		}
	}
	fmt.Fprintln(w, "PASSED: SLSA verification passed")
	return nil
}
