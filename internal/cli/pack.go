package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/verify"
)

// NewCmdPack is 'consign pack'.
func NewCmdPack(deps *Deps) *cobra.Command {
	var (
		policyPath, out, serverURL, release, vsaKey, compress string
		roots, attestations                                   []string
		include, force                                        bool
	)
	cmd := &cobra.Command{
		Use:   "pack --policy SIGNED_POLICY --trust-root OWNER.pub --attestations PATH... -o release.pack ARTIFACT...",
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

ARTIFACT is a file (hashed here), sha256:HEX, or NAME=sha256:HEX; only files can be included.`,
		Example: `  consign pack --policy policy.signed.json --trust-root keys/owner.pub --attestations att \
      -o acme-app-1.0.pack pkg/acme-app-1.0.tar
  consign pack --policy policy.signed.json --trust-root keys/owner.pub --attestations att \
      --server https://log.example.com --vsa-key keys/gate.key --include-artifacts \
      -o acme-app-1.0.pack pkg/acme-app-1.0.tar`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("name at least one artifact the pack is about (a file, or sha256:HEX)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case policyPath == "":
				return usagef("--policy is required: the signed policy (consign policy sign)")
			case len(roots) == 0:
				return withHint(usagef("--trust-root is required: the owner's public key, which signed the policy"), "pack verifies the release exactly as a customer will, with the owner's public key")
			case len(attestations) == 0:
				return usagef("--attestations is required: the files or directories holding the attestations")
			case out == "":
				return usagef("-o/--out is required: where to write the pack (e.g. release.pack)")
			case compress != "gzip" && compress != "none":
				return usagef("--compress is gzip or none, not %q", compress)
			}
			if !force {
				if _, err := os.Lstat(out); err == nil {
					return fmt.Errorf("%w: %s", fsutil.ErrExists, out)
				}
			}
			artifacts, err := parseArtifacts(args)
			if err != nil {
				return err
			}
			cfg := pack.BuildConfig{PolicyName: filepath.ToSlash(policyPath), Release: release, Now: deps.Now, Include: map[int]string{}}
			if cfg.Policy, err = limits.ReadFile(policyPath, limits.Envelope); err != nil {
				return fmt.Errorf("reading policy: %w", err)
			}
			if cfg.TrustRoots, err = loadPublicKeys(roots); err != nil {
				return err
			}
			if cfg.Attestations, err = evidence.ReadAttestations(attestations); err != nil {
				return err
			}
			if cfg.Receipts, err = evidence.ReadReceipts(attestations); err != nil {
				return err
			}
			cfg.Artifacts = artifacts
			if include {
				for i, a := range args {
					fi, err := os.Stat(a)
					if err != nil || !fi.Mode().IsRegular() {
						return usagef("--include-artifacts needs every ARTIFACT to be a file; %q is not", a)
					}
					cfg.Include[i] = a
				}
			}
			if serverURL != "" {
				c, err := client.New(client.Config{URL: serverURL})
				if err != nil {
					return err
				}
				cfg.Log = c
			}
			if vsaKey != "" {
				signer, err := loadSigner(deps, vsaKey)
				if err != nil {
					return err
				}
				cfg.VSA = &verify.VSAOptions{Signer: signer, Version: Version()}
			}
			plan, err := pack.Build(cmd.Context(), cfg)
			if errors.Is(err, pack.ErrNotPassed) {
				fmt.Fprint(cmd.OutOrStdout(), plan.Result.Text())
				return err // pack.ErrNotPassed: exit 3, with its hint
			}
			if err != nil {
				return err
			}
			epoch, err := sourceDateEpoch(deps)
			if err != nil {
				return err
			}
			opts := pack.WriteOptions{Gzip: compress == "gzip"}
			if epoch != nil {
				opts.ModTime = *epoch
			}
			if err := fsutil.WriteStream(out, 0o644, force, func(w io.Writer) error {
				return pack.Write(w, plan.Manifest, plan.Files, opts)
			}); err != nil {
				return fmt.Errorf("writing the pack: %w", err)
			}
			counts := map[string]int{}
			for _, f := range plan.Manifest.Files {
				counts[f.Role]++
			}
			counted := 0
			for _, a := range plan.Result.Attestations {
				if a.Status == verify.StatusCounted {
					counted++
				}
			}
			for _, n := range plan.Notes {
				fmt.Fprintf(deps.Stderr, "consign: note: %s\n", n)
			}
			fmt.Fprintf(deps.Stderr, "Verified %q against %s: PASSED\n", plan.Manifest.Product, policyPath)
			fmt.Fprintf(deps.Stderr, "Wrote %s: %d attestation(s) in %d file(s) (%d read and not needed, left out), %d receipt(s), %d SBOM(s), %d artifact(s) listed, %d included",
				out, counted, counts[pack.RoleAttestations], len(plan.Result.Attestations)-counted, plan.Receipts, counts[pack.RoleSBOM], len(plan.Manifest.Artifacts), counts[pack.RoleArtifact])
			if plan.Checkpoint != nil {
				fmt.Fprintf(deps.Stderr, ", log checkpoint of %d entries", plan.Checkpoint.Size)
			}
			if counts[pack.RoleVSA] > 0 {
				fmt.Fprintf(deps.Stderr, ", a signed VSA")
			}
			fmt.Fprintf(deps.Stderr, "\nCustomers verify it with: consign verify-pack --trust-root OWNER.pub %s\n", out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&policyPath, "policy", "", "the signed policy (consign policy sign)")
	f.StringArrayVar(&roots, "trust-root", nil, "the owner's public key, which signed the policy (repeatable)")
	f.StringArrayVar(&attestations, "attestations", nil, "file or directory of attestations, with their .receipts.jsonl (repeatable)")
	f.StringVarP(&out, "out", "o", "", "where to write the pack")
	f.StringVar(&serverURL, "server", "", "the transparency log: pack its latest checkpoint and proofs that it extends every receipt's")
	f.BoolVar(&include, "include-artifacts", false, "put the artifacts themselves in the pack")
	f.StringVar(&release, "release", "", "the release's name (default: the first artifact's file name)")
	f.StringVar(&vsaKey, "vsa-key", "", "private key to sign a verification summary (VSA) into the pack; the owner's or a key the policy names")
	f.StringVar(&compress, "compress", "gzip", "gzip or none")
	f.BoolVar(&force, "force", false, "overwrite the pack if it exists")
	return cmd
}

// NewCmdVerifyPack is 'consign verify-pack'.
func NewCmdVerifyPack(deps *Deps) *cobra.Command {
	var (
		roots             []string
		output, extract   string
		maxSize, maxRatio int64
	)
	cmd := &cobra.Command{
		Use:   "verify-pack --trust-root OWNER.pub PACK [ARTIFACT...]",
		Short: "Verify an evidence pack offline, with nothing but the owner's public key",
		Long: `Verify everything in an evidence pack (consign pack), without network:

  - the archive: every file is the one the manifest lists (type, mode, size, SHA-256), none
    is missing and none is extra; names cannot leave the pack or collide, links stay inside,
    and the archive is bounded in size, entries and compression ratio;
  - the policy's signature, with --trust-root (the owner's public key, obtained out of band);
  - the whole chain of attestations against the policy, as 'consign verify' does, with the
    receipts checked against the log key the signed policy names;
  - every artifact the manifest lists, every artifact the pack includes (its bytes), and
    every ARTIFACT given (the files you received): each must be a subject of the final stage;
  - the latest log checkpoint, and that every receipt's checkpoint is a prefix of it;
  - that each SBOM is the one a counted attestation signed, and the VSA.

It prints the report of 'consign verify', then the log, the SBOMs shipped and the VSA.
Nothing is written unless --extract DIR is given: then the pack's files appear in DIR (which
must not exist) only when everything verified.

Exit codes: 0 the pack verified; 3 it did not; 1 bad input; 2 usage.`,
		Example: `  consign verify-pack --trust-root owner.pub release.pack
  consign verify-pack --trust-root owner.pub release.pack acme-app-1.0.tar
  consign verify-pack --trust-root owner.pub --extract release release.pack`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("name the pack to verify")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if len(roots) == 0 {
				return withHint(usagef("--trust-root is required: the owner's public key"), "the owner's key comes from the vendor, out of band; never from the pack itself")
			}
			keys, err := loadPublicKeys(roots)
			if err != nil {
				return err
			}
			artifacts, err := parseArtifacts(args[1:])
			if err != nil {
				return err
			}
			p, err := pack.ReadFile(args[0], pack.Options{ExtractTo: extract, Limits: pack.Limits{MaxBytes: maxSize, MaxRatio: maxRatio}})
			if errors.Is(err, pack.ErrInvalid) && !errors.Is(err, pack.ErrFormat) {
				fmt.Fprintf(cmd.OutOrStdout(), "FAIL pack %s: %v\n", args[0], err)
				return verifyNo(fmt.Errorf("the pack does not verify: %w", err))
			}
			if err != nil {
				return fmt.Errorf("reading the pack: %w", err)
			}
			defer p.Close()
			res, err := pack.Verify(cmd.Context(), p, pack.VerifyConfig{Name: filepath.ToSlash(args[0]), TrustRoots: keys, Artifacts: artifacts, Now: deps.Now})
			if err != nil {
				return err
			}
			if output == "json" {
				if err := json.NewEncoder(cmd.OutOrStdout()).Encode(res); err != nil {
					return err
				}
			} else {
				fmt.Fprint(cmd.OutOrStdout(), res.Text())
			}
			if err := res.Err(); err != nil {
				return verifyNo(err)
			}
			if extract != "" {
				if err := p.Commit(); err != nil {
					return err
				}
				fmt.Fprintf(deps.Stderr, "Extracted the verified pack to %s\n", extract)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&roots, "trust-root", nil, "the owner's public key (repeatable)")
	f.StringVar(&extract, "extract", "", "after verifying, write the pack's files into this new directory")
	f.Int64Var(&maxSize, "max-size", pack.DefaultMaxBytes, "refuse packs larger than this many bytes uncompressed")
	f.Int64Var(&maxRatio, "max-ratio", pack.DefaultMaxRatio, "refuse packs that inflate more than this many times their compressed size (past 64 MiB)")
	addOutputFlag(cmd, &output)
	return cmd
}

// inspectPack lists what a pack holds without trusting it.
func inspectPack(w io.Writer, name, output string) error {
	l, err := pack.ListFile(name, pack.Limits{})
	if err != nil {
		return err
	}
	if output == "json" {
		return json.NewEncoder(w).Encode(struct {
			Verified bool `json:"verified"`
			*pack.Listing
		}{false, l})
	}
	fmt.Fprintf(w, "%s: evidence pack (%s compression), NOT VERIFIED: run 'consign verify-pack --trust-root OWNER.pub %s'\n", name, l.Compression, name)
	if m := l.Manifest; m != nil {
		fmt.Fprintf(w, "  product %q, release %q, format %s\n  policy  %s\n", m.Product, m.Release, m.Format, m.Policy)
		for _, a := range m.Artifacts {
			fmt.Fprintf(w, "  artifact %s %s", a.Name, a.Digest)
			if a.Path != "" {
				fmt.Fprintf(w, " (included as %s)", a.Path)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "  %d entries:\n", len(l.Entries))
	for _, e := range l.Entries {
		role := e.Role
		if role == "" {
			role = "NOT IN MANIFEST"
		}
		line := fmt.Sprintf("    %-8s %s %10d  %-15s %s", e.Type, e.Mode, e.Size, role, e.Name)
		if e.Target != "" {
			line += " -> " + e.Target
		}
		fmt.Fprintln(w, line)
	}
	for _, p := range l.Problems {
		fmt.Fprintf(w, "  problem: %s\n", p)
	}
	if len(l.Problems) > 0 {
		return withHint(fmt.Errorf("%s: %s", name, l.Problems[0]), "the pack is damaged or was altered; verify-pack would refuse it")
	}
	return nil
}
