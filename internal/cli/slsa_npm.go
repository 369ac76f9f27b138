package cli

import (
	"crypto/sha512"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/slsa"
)

// NewCmdSLSAVerifyNpmPackage is 'consign slsa verify-npm-package', with
// slsa-verifier's flags.
func NewCmdSLSAVerifyNpmPackage(deps *Deps) *cobra.Command {
	var (
		attPath, tarball, rootPath, keysPath, sourceURI, builderID string
		branch, tag, versionedTag, pkgName, pkgVersion             string
		inputs                                                     []string
		printProvenance                                            bool
	)
	cmd := &cobra.Command{
		Use:   "verify-npm-package --attestations-path A --builder-id B --source-uri github.com/ORG/REPO --package-name N --trusted-root T --npm-keys K [flags] TARBALL",
		Short: "Verify an npm package's provenance and publish attestation, as slsa-verifier verify-npm-package does, offline",
		Long: `Verify that the npm package TARBALL (or --tarball-path) was built from --source-uri by
--builder-id and published by the npm registry, with the package's attestations
--attestations-path (as the registry serves them: the SLSA provenance, signed keyless by the
publishing workflow, and the registry's publish attestation, signed by its key). The flags and
verdicts are slsa-verifier's:

  --builder-id is required: for the npm CLI, the runner that published
  (https://github.com/actions/runner/github-hosted, its short form
  https://github.com/actions/runner, or .../self-hosted), which the certificate's runner
  environment must confirm, and every claim of the provenance must be the certificate's; for a
  builder that runs through a BYOB delegator of the SLSA GitHub generators (the Node.js
  builder), that builder, which the provenance names.

The source repository must be --source-uri exactly; both attestations must name the tarball's
SHA-512, and --package-name and --package-version the package. --source-branch, --source-tag,
--source-versioned-tag and --build-workflow-input are checked where the provenance records
them (a BYOB builder's does; the npm CLI's does not, so they fail on it).

Nothing is fetched: --trusted-root is the Sigstore trusted_root.json and --npm-keys the npm
registry's keys.json (the registry.npmjs.org/keys.json target of the Sigstore public-good TUF
repository, which 'consign trust-root update --npm-keys-out F' fetches), from which the publish
attestation's key is taken by the id its bundle names.`,
		Example: `  consign slsa verify-npm-package --attestations-path pkg.tgz.json \
      --builder-id https://github.com/actions/runner/github-hosted \
      --source-uri github.com/acme/pkg --package-name @acme/pkg --package-version 1.0.5 \
      --trusted-root trusted_root.json --npm-keys registry.npmjs.org.keys.json pkg.tgz`,
		Args: func(cmd *cobra.Command, args []string) error {
			given := len(args)
			if cmd.Flags().Changed("tarball-path") {
				given++
			}
			if given != 1 {
				return usagef("give one tarball, as an argument or with --tarball-path")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				tarball = args[0]
			}
			if attPath == "" || sourceURI == "" {
				return usagef("--attestations-path and --source-uri are required")
			}
			if !cmd.Flags().Changed("builder-id") || !cmd.Flags().Changed("package-name") {
				return &Error{Code: ExitUsage, Err: fmt.Errorf("--builder-id and --package-name are required"),
					Hint: "--builder-id is " + slsa.NpmCLIHostedBuilder + " (or .../self-hosted) for the npm CLI, or the builder a BYOB delegator ran"}
			}
			if keysPath == "" {
				return &Error{Code: ExitUsage, Err: fmt.Errorf("--npm-keys is required"),
					Hint: "verifiers fetch nothing: pass the npm registry's keys.json, the " + slsa.NpmKeysTarget + " target of the Sigstore public-good TUF repository ('consign trust-root update --npm-keys-out F' fetches it)"}
			}
			cfg := slsa.NpmConfig{SourceURI: sourceURI, BuilderID: &builderID, PackageName: &pkgName,
				PackageVersion: optional(cmd, "package-version", pkgVersion),
				Branch:         optional(cmd, "source-branch", branch), Tag: optional(cmd, "source-tag", tag),
				VersionedTag: optional(cmd, "source-versioned-tag", versionedTag)}
			var err error
			if cfg.Inputs, err = parseInputs(inputs); err != nil {
				return err
			}
			if cfg.TrustedRoot, err = readTrustedRoot(rootPath); err != nil {
				return err
			}
			if cfg.NpmKeys, err = limits.ReadFile(keysPath, limits.JSONFile); err != nil {
				return fmt.Errorf("reading npm registry keys: %w", err)
			}
			if cfg.Attestations, err = limits.ReadFile(attPath, limits.JSONFile); err != nil {
				return fmt.Errorf("reading attestations: %w", err)
			}
			if cfg.TarballSHA512, err = hashFile(tarball, "tarball", sha512.New()); err != nil {
				return err
			}
			res, err := slsa.VerifyNpmPackage(cfg)
			if err != nil {
				return err
			}
			w := cmd.ErrOrStderr()
			fmt.Fprintf(w, "Verified build using builder %s at commit %s\n", res.BuilderID.String(), res.SourceSHA)
			if printProvenance {
				if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s\n", res.Provenance); err != nil {
					return err
				}
			}
			fmt.Fprintf(w, "Verifying npm package %s: PASSED\n", tarball)
			fmt.Fprintln(w, "PASSED: SLSA verification passed")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&attPath, "attestations-path", "", "path to the package's attestations (as the npm registry serves them)")
	f.StringVar(&tarball, "tarball-path", "", "path to the package tarball (or give it as the argument)")
	f.StringVar(&sourceURI, "source-uri", "", "expected source repository, e.g. github.com/org/repo")
	f.StringVar(&builderID, "builder-id", "", "expected builder: the npm CLI's runner, or the builder a BYOB delegator ran (required)")
	f.StringVar(&pkgName, "package-name", "", "expected package name, e.g. @scope/name (required)")
	f.StringVar(&pkgVersion, "package-version", "", "expected package version")
	f.StringVar(&branch, "source-branch", "", "expected branch the build ran on")
	f.StringVar(&tag, "source-tag", "", "expected tag the build ran on, exactly")
	f.StringVar(&versionedTag, "source-versioned-tag", "", "expected release line of the tag (v1, v1.2 or v1.2.3)")
	f.StringArrayVar(&inputs, "build-workflow-input", nil, "expected workflow_dispatch input, key=value (repeatable)")
	f.BoolVar(&printProvenance, "print-provenance", false, "print the verified provenance (the in-toto statement) on stdout")
	f.StringVar(&rootPath, "trusted-root", "", "trusted_root.json of the Sigstore instance that logged the attestations")
	f.StringVar(&keysPath, "npm-keys", "", "the npm registry's keys.json (the "+slsa.NpmKeysTarget+" target of the Sigstore TUF repository)")
	// --packagename and --packageversion are accepted for --package-name
	// and --package-version.
	f.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		switch name {
		case "packagename":
			name = "package-name"
		case "packageversion":
			name = "package-version"
		}
		return pflag.NormalizedName(name)
	})
	return cmd
}
