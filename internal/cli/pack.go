package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/pack"
	render "github.com/consign-dev/consign/internal/report"
)

// NewCmdPack is 'consign pack'.
func NewCmdPack(deps *Deps) *cobra.Command {
	var f packFlags
	cmd := &cobra.Command{
		Use:   "pack --policy SIGNED_POLICY --trust-root OWNER.pub (--attestations PATH... ARTIFACT... | --image IMAGE) --out release.pack",
		Short: "Write a release's evidence pack: one file a customer verifies offline",
		Long: `Write an evidence pack for ARTIFACT(s): one archive that a customer or an inspector
verifies offline with 'consign verify-pack', with nothing but the owner's public key.

The release is verified first, exactly as 'consign verify' does; a release that fails
gets no pack (exit 3). The pack then holds:

  manifest.json          every file's role, size, mode and SHA-256; the product, release, artifacts
  policy/                the signed policy
  attestations/          the attestations a stage counted, as exact bytes (nothing else from PATH),
                         and their transparency-log receipts (NAME.receipts.jsonl beside each file)
  log/                   the latest checkpoint, and with --server proofs that it extends every receipt's
  sboms/                 the SBOMs of the counted SBOM attestations, for reading
  vsa/                   a signed verification summary, with --vsa-key
  artifacts/             the artifacts themselves, with --include-artifacts

Receipts need a policy that names the log's key ('log:' in the policy). The archive is a
tar, gzip-compressed unless --compress none. The same inputs give the same bytes; entries
carry SOURCE_DATE_EPOCH as their time when it is set, else the Unix epoch.

ARTIFACT is a file (hashed here), sha256:HEX, or NAME=sha256:HEX; only files can be included.

-o/--output is the report's format (text or json), as everywhere in consign; the pack
goes to --out. The old form '-o FILE' is still read as --out FILE, with a notice.

With --image, the image is resolved to its manifest digest once; that digest is an artifact
of the pack, and the attestations attached to it in its registry (OCI referrers, the
referrers tag schema and cosign's tags) are verified and packed beside any --attestations.
A customer checks the image they pulled with 'consign verify-pack PACK --image IMAGE', or
with its digest.`,
		Example: `  consign pack --policy policy.signed.json --trust-root keys/owner.pub --attestations att \
      --out acme-app-1.0.pack pkg/acme-app-1.0.tar
  consign pack --policy policy.signed.json --trust-root keys/owner.pub --attestations att \
      --server https://log.example.com --vsa-key keys/gate.key --include-artifacts \
      --out acme-app-1.0.pack pkg/acme-app-1.0.tar
  consign pack --policy policy.signed.json --trust-root keys/owner.pub \
      --image registry.example/acme/app:1.0 --out acme-app-1.0.pack`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && f.image.ref == "" {
				return usagef("name at least one artifact the pack is about (a file, or sha256:HEX), or an image with --image")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.legacyOut(deps.Stderr)
			if err := f.check(); err != nil {
				return err
			}
			defer tightenGC(deps.LookupEnv, gcHeadroom, gcFloor)()
			cfg, err := f.buildConfig(cmd.Context(), deps, args)
			if err != nil {
				return err
			}
			plan, err := pack.Build(cmd.Context(), cfg)
			if errors.Is(err, pack.ErrNotPassed) {
				if err := render.Verification(cmd.OutOrStdout(), render.Format(f.output), plan.Result); err != nil {
					return err
				}
				// The report gave each reason: the error line counts them
				// (exit 3, with pack.ErrNotPassed's hint).
				return verifyNo(fmt.Errorf("%w: %s", pack.ErrNotPassed, checksCount(max(len(plan.Result.Failures), 1))))
			}
			if err != nil {
				return err
			}
			if err := f.write(deps, plan); err != nil {
				return err
			}
			if f.output == "json" {
				return printJSON(cmd, packReport{f.out, plan.Manifest.Product, plan.Manifest.Release, len(plan.Manifest.Files), plan.Receipts, plan.Notes})
			}
			render.Packed(deps.Stderr, plan, f.policy, f.out)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.policy, "policy", "", "the signed policy (consign policy sign)")
	fs.StringArrayVar(&f.roots, "trust-root", nil, "the owner's public key, which signed the policy (repeatable)")
	fs.StringArrayVar(&f.attestations, "attestations", nil, "file or directory of attestations, with their .receipts.jsonl (repeatable)")
	addTrustedRootFlag(cmd, &f.sigstoreRoots)
	fs.StringVar(&f.out, "out", "", "where to write the pack")
	addOutputFlag(cmd, &f.output)
	fs.StringVar(&f.serverURL, "server", "", "the transparency log: pack its latest checkpoint and proofs that it extends every receipt's")
	fs.BoolVar(&f.include, "include-artifacts", false, "put the artifacts themselves in the pack")
	fs.StringVar(&f.release, "release", "", "the release's name (default: the first artifact's file name)")
	fs.StringVar(&f.vsaKey, "vsa-key", "", "private key to sign a verification summary (VSA) into the pack; the owner's or a key the policy names")
	fs.StringVar(&f.compress, "compress", "gzip", "gzip or none")
	fs.BoolVar(&f.force, "force", false, "overwrite the pack if it exists")
	f.image.add(cmd, "container image to pack: its manifest digest is an artifact, its attached attestations are packed")
	return cmd
}
