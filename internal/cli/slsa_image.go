package cli

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/sigstore"
	"github.com/consign-dev/consign/internal/slsa"
)

// NewCmdSLSAVerifyImage is 'consign slsa verify-image', with
// slsa-verifier's flags.
func NewCmdSLSAVerifyImage(deps *Deps) *cobra.Command {
	var (
		provPath, rootPath, sourceURI, builderID, branch, tag, versionedTag string
		inputs                                                              []string
		printProvenance                                                     bool
		reg                                                                 registryFlags
	)
	cmd := &cobra.Command{
		Use:   "verify-image --source-uri SOURCE --trusted-root T [flags] IMAGE",
		Short: "Verify SLSA provenance for a container image, as slsa-verifier verify-image does, offline",
		Long: `Verify that the container image IMAGE was built by a trusted SLSA builder from --source-uri.

IMAGE is an OCI image layout directory as 'cosign save' writes it (DIR, or DIR@sha256:HEX to
insist on the image's digest), or a registry reference, which is resolved to its digest once
(the digest is printed) and whose attestations are fetched by that digest from cosign's
sha256-HEX.att tag and the OCI referrers. The subject the provenance must name is the image's
manifest digest.

The SLSA GitHub container generator (the default builder): its provenance is cosign's keyless
attestation (a DSSE envelope with the Fulcio certificate and the Rekor entry's signed entry
timestamp), verified as a Sigstore bundle against --trusted-root, then by verify-artifact's rules:
the signing workflow must be the container generator (or --builder-id) at a vX.Y.Z release, the
source repository --source-uri exactly, and --source-branch, --source-tag,
--source-versioned-tag and --build-workflow-input, when given, must match the build.
--provenance-path gives the provenance as a Sigstore bundle file instead of fetching it.

Google Cloud Build (--builder-id https://cloudbuild.googleapis.com/GoogleHostedWorker[@v0.2|@v0.3]):
--provenance-path is the output of 'gcloud artifacts docker images describe IMAGE --format json
--show-provenance', signed by Cloud Build's regional keys, which consign carries; no trusted
root is needed, and a reference by digest is not looked up in the registry.

Nothing is fetched from Sigstore: --trusted-root is the trusted_root.json to verify against.`,
		Example: `  consign slsa verify-image --source-uri github.com/acme/app --source-tag v1.2.3 \
      --trusted-root trusted_root.json ghcr.io/acme/app@sha256:...
  consign slsa verify-image --builder-id https://cloudbuild.googleapis.com/GoogleHostedWorker \
      --provenance-path provenance.json --source-uri github.com/acme/app \
      europe-docker.pkg.dev/acme/app/app@sha256:...`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("give one image")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if sourceURI == "" {
				return usagef("--source-uri is required")
			}
			cfg := slsa.ImageConfig{SourceURI: sourceURI,
				BuilderID: optional(cmd, "builder-id", builderID), Branch: optional(cmd, "source-branch", branch),
				Tag: optional(cmd, "source-tag", tag), VersionedTag: optional(cmd, "source-versioned-tag", versionedTag)}
			gcb := slsa.IsGCB(cfg.BuilderID)
			var err error
			if cfg.Inputs, err = parseInputs(inputs); err != nil {
				return err
			}
			if gcb && provPath == "" {
				return usagef("--provenance-path is required for Google Cloud Build")
			}
			if !gcb {
				if cfg.TrustedRoot, err = readTrustedRoot(rootPath); err != nil {
					return err
				}
			}
			if provPath != "" {
				if cfg.Provenance, err = limits.ReadFile(provPath, limits.JSONFile); err != nil {
					return fmt.Errorf("reading provenance: %w", err)
				}
			}
			if err := imageProvenance(cmd, deps, &reg, args[0], provPath != "", &cfg); err != nil {
				return err
			}
			if provPath != "" && !gcb {
				if cfg.Bundles, err = slsa.SplitBundles(cfg.Provenance); err != nil {
					return err
				}
			}
			res, err := slsa.VerifyImage(cfg)
			if err != nil {
				return err
			}
			w := cmd.ErrOrStderr()
			fmt.Fprintf(w, "Verified build using builder %q at commit %s\n", res.BuilderID.String(), res.SourceSHA)
			fmt.Fprintf(w, "Verifying image %s: PASSED\n", args[0])
			if printProvenance {
				if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%s\n", res.Provenance); err != nil {
					return err
				}
			}
			fmt.Fprintln(w, "PASSED: SLSA verification passed")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&provPath, "provenance-path", "", "path to the provenance: a Sigstore bundle (GitHub), or gcloud's JSON (Google Cloud Build)")
	f.StringVar(&sourceURI, "source-uri", "", "expected source repository, e.g. github.com/org/repo")
	f.StringVar(&builderID, "builder-id", "", "expected builder id (name, or name@version); default: the SLSA GitHub container generator")
	f.StringVar(&branch, "source-branch", "", "expected branch the build ran on")
	f.StringVar(&tag, "source-tag", "", "expected tag the build ran on, exactly")
	f.StringVar(&versionedTag, "source-versioned-tag", "", "expected release line of the tag (v1, v1.2 or v1.2.3)")
	f.StringArrayVar(&inputs, "build-workflow-input", nil, "expected workflow_dispatch input, key=value (repeatable)")
	f.BoolVar(&printProvenance, "print-provenance", false, "print the verified provenance (the in-toto statement) on stdout")
	f.StringVar(&rootPath, "trusted-root", "", "trusted_root.json of the Sigstore instance that signed the provenance (GitHub builders)")
	reg.add(cmd, false)
	return cmd
}

// imageProvenance fills cfg.Digest, and unless the provenance was given
// (haveProv), cfg.Bundles with the image's attestations: from an OCI
// layout directory, or from the registry after resolving ref once. A
// reference by digest with the provenance given needs no registry.
func imageProvenance(cmd *cobra.Command, deps *Deps, reg *registryFlags, ref string, haveProv bool, cfg *slsa.ImageConfig) error {
	dir, pinned, _ := strings.Cut(ref, "@")
	if oci.IsLayout(dir) {
		img, atts, err := oci.ReadLayout(dir)
		if err != nil {
			return err
		}
		if pinned != "" && pinned != img.Digest.String() {
			return fmt.Errorf("image %s: the layout's image is %s, not %s", ref, img.Digest, pinned)
		}
		return fillImage(cmd, img, atts, haveProv, cfg)
	}
	if haveProv {
		if d, err := name.NewDigest(ref); err == nil {
			digest, ok := sigstore.ParseDigest(d.DigestStr())
			if !ok {
				return fmt.Errorf("%w: %s is not a sha256 digest", oci.ErrReference, d.DigestStr())
			}
			cfg.Digest = digest
			return nil
		}
	}
	c, err := reg.client(deps)
	if err != nil {
		return err
	}
	img, atts, err := c.Attachments(cmd.Context(), ref)
	if err != nil {
		return err
	}
	return fillImage(cmd, img, atts, haveProv, cfg)
}

func fillImage(cmd *cobra.Command, img *oci.Image, atts []oci.Attachment, haveProv bool, cfg *slsa.ImageConfig) error {
	if img.Digest.Algorithm != "sha256" {
		return fmt.Errorf("%w: image digest %s is not sha256", oci.ErrMalformed, img.Digest)
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "Image %s is %s\n", img.Given, img.Digest)
	d, err := hex.DecodeString(img.Digest.Hex)
	if err != nil {
		return fmt.Errorf("%w: image digest %s", oci.ErrMalformed, img.Digest)
	}
	cfg.Digest = d
	if haveProv {
		return nil
	}
	for i := range atts {
		a := &atts[i]
		switch a.Kind {
		case oci.KindBundle:
			cfg.Bundles = append(cfg.Bundles, a.Payload)
		case oci.KindAttestation:
			b, err := a.CosignBundle()
			if err != nil {
				cfg.Unreadable = append(cfg.Unreadable, err)
				continue
			}
			cfg.Bundles = append(cfg.Bundles, b)
		}
	}
	return nil
}
