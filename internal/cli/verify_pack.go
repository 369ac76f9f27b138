package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/pack"
	render "github.com/consign-dev/consign/internal/report"
	"github.com/consign-dev/consign/internal/sigstore"
)

// NewCmdVerifyPack is 'consign verify-pack'.
func NewCmdVerifyPack(deps *Deps) *cobra.Command {
	var f verifyPackFlags
	cmd := &cobra.Command{
		Use:   "verify-pack --trust-root OWNER.pub PACK [ARTIFACT...] [--image IMAGE]",
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

A pack older than one already verified for its product is refused (exit 3): one whose
signed policy has a lower version, or whose log checkpoint (signed by the log key the
policy names) is smaller than that of a pack of the product verified before. The state
is kept per product in --state (default: consign/verify.json in the user's config
directory, shared with 'consign verify'); --no-state verifies an old release on purpose.

ARTIFACT is a file (hashed here), sha256:HEX, or NAME=sha256:HEX. --image IMAGE checks a
container image: the reference is resolved to its manifest digest once in its registry (or
give the digest you pulled, sha256:HEX, and nothing is fetched), and that digest must be a
subject of the final stage, as any ARTIFACT's.

It prints the report of 'consign verify', then the log, the SBOMs shipped and the VSA.
Nothing is written unless --extract DIR is given: then the pack's files appear in DIR (which
must not exist) only when everything verified.

Exit codes: 0 the pack verified; 3 it did not; 1 bad input; 2 usage.`,
		Example: `  consign verify-pack --trust-root owner.pub release.pack
  consign verify-pack --trust-root owner.pub release.pack acme-app-1.0.tar
  consign verify-pack --trust-root owner.pub --extract release release.pack
  consign verify-pack --trust-root owner.pub release.pack --image registry.example/acme/app:1.0`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("name the pack to verify")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(f.output); err != nil {
				return err
			}
			if err := f.state.check(); err != nil {
				return err
			}
			if len(f.roots) == 0 {
				return withHint(usagef("--trust-root is required: the owner's public key"), "the owner's key comes from the vendor, out of band; never from the pack itself")
			}
			if f.extract != "" {
				if err := checkExtractDir(f.extract); err != nil {
					return err
				}
			}
			return runVerifyPack(cmd, deps, &f, args[0], args[1:])
		},
	}
	fs := cmd.Flags()
	fs.StringArrayVar(&f.roots, "trust-root", nil, "the owner's public key (repeatable)")
	fs.StringVar(&f.extract, "extract", "", "after verifying, write the pack's files into this new directory")
	f.maxSize = pack.DefaultMaxBytes
	fs.Var(sizeFlag{&f.maxSize}, "max-size", "refuse packs larger than this uncompressed (bytes, or 100GiB...)")
	fs.Int64Var(&f.maxRatio, "max-ratio", pack.DefaultMaxRatio, "refuse packs that inflate more than this many times their compressed size (past 64 MiB)")
	f.state.add(cmd)
	addOutputFlag(cmd, &f.output)
	f.image.add(cmd)
	return cmd
}

// verifyPackFlags are the flags of 'consign verify-pack'.
type verifyPackFlags struct {
	roots             []string
	output, extract   string
	maxSize, maxRatio int64
	state             stateFlags
	image             packImage
}

// runVerifyPack reads the pack (safely, bounded), verifies it, prints the
// report and, when asked and everything verified, extracts it.
func runVerifyPack(cmd *cobra.Command, deps *Deps, f *verifyPackFlags, name string, artifactArgs []string) error {
	keys, err := loadPublicKeys(f.roots)
	if err != nil {
		return err
	}
	artifacts, err := evidence.Artifacts(artifactArgs)
	if err != nil {
		return err
	}
	if artifacts, err = f.image.artifact(cmd.Context(), deps, artifacts); err != nil {
		return err
	}
	defer tightenGC(deps.LookupEnv, gcHeadroom, gcFloor)()
	p, err := pack.ReadFile(cmd.Context(), name, pack.Options{ExtractTo: f.extract, Limits: pack.Limits{MaxBytes: f.maxSize, MaxRatio: f.maxRatio}})
	if errors.Is(err, pack.ErrInvalid) && !errors.Is(err, pack.ErrFormat) {
		fmt.Fprintf(cmd.OutOrStdout(), "FAIL pack %s: %v\n", name, err)
		return verifyNo(fmt.Errorf("the pack does not verify: %w", err))
	}
	if errors.Is(err, fs.ErrExist) && f.extract != "" {
		return extractExists(f.extract) // made since checkExtractDir
	}
	if err != nil {
		return fmt.Errorf("reading the pack: %w", err)
	}
	defer p.Close()
	vc := pack.VerifyConfig{Name: filepath.ToSlash(name), TrustRoots: keys, Artifacts: artifacts, Now: deps.Now, Bundles: sigstore.PolicyVerifier{}}
	if state, err := f.state.store(deps); err != nil {
		return err
	} else if state != nil {
		vc.State = state
	}
	res, err := pack.Verify(cmd.Context(), p, vc)
	if err != nil {
		return err
	}
	if err := render.Pack(cmd.OutOrStdout(), render.Format(f.output), res); err != nil {
		return err
	}
	if err := res.Err(); err != nil {
		return f.state.verdict(len(res.Failures)+len(res.Verification.Failures), err)
	}
	if f.extract != "" {
		if err := p.Commit(); err != nil {
			return err
		}
		fmt.Fprintf(deps.Stderr, "Extracted the verified pack to %s\n", f.extract)
	}
	return nil
}

// checkExtractDir refuses, before the pack is read, an --extract directory
// that exists already or whose parent is not a directory.
func checkExtractDir(dir string) error {
	if _, err := os.Lstat(dir); err == nil {
		return extractExists(dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--extract %s: %w", dir, err)
	}
	return checkDirOf(dir)
}

func extractExists(dir string) error {
	return withHint(fmt.Errorf("--extract %s already exists", dir),
		"give a directory that does not exist yet: verify-pack creates it only once the whole pack verified, and never writes into one that is there")
}
