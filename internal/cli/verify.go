package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/fsutil"
	render "github.com/consign-dev/consign/internal/report"
	"github.com/consign-dev/consign/internal/verify"
)

// NewCmdVerify is 'consign verify'.
func NewCmdVerify(deps *Deps) *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify --policy SIGNED_POLICY --trust-root OWNER.pub --attestations PATH... ARTIFACT...",
		Short: "Check artifacts against a signed policy and every stage's attestations",
		Long: `Check that ARTIFACT(s) may ship: the policy is signed by the owner key given with
--trust-root and has not expired; for each stage, enough distinct functionary keys
(valid now, not revoked) signed attestations of the types it requires; the in-toto
artifact rules tie each stage's materials to the products of the stages before it; the
SBOM, provenance, test and Rego checks pass; and every ARTIFACT is a subject of the
final stage, by digest.

--attestations takes files or directories (repeat the flag). In a directory, files named
*.jsonl, *.link, *.intoto.json, *.dsse.json, *.dsse, *.sigstore.json and *.bundle are read.
An attestation that cannot be read fails verification; one signed by no key the policy
names is listed and ignored.

ARTIFACT is a file (hashed here), sha256:HEX, or NAME=sha256:HEX. With --image, the
image is resolved to its manifest digest once; that digest is an artifact, and the
attestations attached to it in its registry are read beside any --attestations.

A policy older than one already verified for its product (a lower version) is refused
(exit 3), and so is a clock set back before the last verification of the product. The
versions are kept per product in --state (default: consign/verify.json in the user's
config directory, shared with 'consign verify-pack'); --no-state verifies an old release
on purpose.

With --vsa-key and --vsa-out, a SLSA Verification Summary Attestation (PASSED or FAILED)
about the artifacts is signed and written.

Legacy in-toto: --layout ROOT.layout --layout-key OWNER.pub --links DIR verifies an in-toto
v0.9 layout and its links instead (sublayouts too). Inspections run only with
--allow-inspections. With no ARTIFACT the chain of steps is verified alone, as
in-toto-verify does, and the report says that no shipped artifact was bound to it.

The report is a tree: policy, stages, their attestations and signers, rules and checks,
then the artifacts. --output json prints it for machines.

Exit codes: 0 everything passed; 3 verification failed; 1 bad input; 2 usage.`,
		Example: `  consign verify --policy release.signed.json --trust-root keys/owner.pub \
      --attestations att dist/acme-app-1.0.tar
  consign verify --policy release.signed.json --trust-root keys/owner.pub --attestations att \
      --vsa-key keys/gate.key --vsa-out release.vsa.intoto.jsonl dist/acme-app-1.0.tar
  consign verify --layout root.layout --layout-key owner.pub --links links dist/app
  consign verify --layout root.layout --layout-key owner.pub --links links   # the chain alone`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && f.layout != "" && f.vsaKey != "" {
				return usagef("--vsa-key needs an ARTIFACT: a VSA is about the artifacts verified")
			}
			if len(args) == 0 && f.image.ref == "" && f.layout == "" {
				return usagef("name at least one artifact to verify (a file, or sha256:HEX), or an image with --image")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(); err != nil {
				return err
			}
			return runVerify(cmd, deps, &f, args)
		},
	}
	f.add(cmd)
	return cmd
}

// runVerify verifies against a policy or a layout, prints the report and
// writes the VSA.
func runVerify(cmd *cobra.Command, deps *Deps, f *verifyFlags, args []string) error {
	// A chain of thousands of links holds tens of MB live while it is
	// read; at Go's default the collector marks it five or six times.
	defer loosenGC(deps.LookupEnv, gcHeadroom)()
	if err := f.receiptsNotArtifacts(args); err != nil {
		return err
	}
	artifacts, err := evidence.Artifacts(args)
	if err != nil {
		return err
	}
	imageArtifacts, imageInputs, err := f.image.release(cmd.Context(), deps)
	if err != nil {
		return err
	}
	artifacts = append(artifacts, imageArtifacts...)
	var vsa *verify.VSAOptions
	if f.vsaKey != "" {
		signer, err := loadSigner(deps, f.vsaKey)
		if err != nil {
			return err
		}
		vsa = &verify.VSAOptions{Signer: signer, Version: Version(), ResourceURI: f.resourceURI}
	}
	var res *verify.Result
	if f.layout != "" {
		cfg, err := f.layoutConfig(deps, artifacts, vsa)
		if err != nil {
			return err
		}
		if res, err = verify.VerifyLayout(cmd.Context(), cfg); err != nil {
			return err
		}
	} else {
		cfg, err := f.policyConfig(cmd.Context(), deps, artifacts, vsa)
		if err != nil {
			return err
		}
		cfg.Attestations = append(cfg.Attestations, imageInputs...)
		if res, err = verify.Verify(cmd.Context(), cfg); err != nil {
			return err
		}
	}
	if err := render.Verification(cmd.OutOrStdout(), render.Format(f.output), res); err != nil {
		return err
	}
	if res.VSA != nil {
		if err := writeVSA(deps, f.vsaOut, res, len(artifacts), vsa.Signer.KeyID()); err != nil {
			return err
		}
	}
	if err := res.Err(); err != nil {
		return f.state.verdict(len(res.Failures), err)
	}
	return nil
}

// writeVSA writes the VSA of res, about n artifacts and signed by keyID,
// to path.
func writeVSA(deps *Deps, path string, res *verify.Result, n int, keyID string) error {
	b, err := json.Marshal(res.VSA)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(path, append(b, '\n'), 0o644, true); err != nil {
		return fmt.Errorf("writing the VSA: %w", err)
	}
	result := verify.VSAFailed
	if res.Passed {
		result = verify.VSAPassed
	}
	fmt.Fprintf(deps.Stderr, "Signed a VSA (%s) about %d artifact(s) with key %s; written to %s\n", result, n, keyID[:12], path)
	return nil
}
