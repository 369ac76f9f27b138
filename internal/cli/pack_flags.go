package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/pack"
	render "github.com/consign-dev/consign/internal/report"
	"github.com/consign-dev/consign/internal/verify"
)

// packFlags are the flags of 'consign pack'.
type packFlags struct {
	policy, out, serverURL, release, vsaKey, compress string
	output                                            string
	roots, attestations, sigstoreRoots                []string
	include, force                                    bool
	image                                             imageVerify
}

// packReport is what 'consign pack -o json' prints.
type packReport struct {
	Out      string   `json:"out"`
	Product  string   `json:"product"`
	Release  string   `json:"release"`
	Files    int      `json:"files"`
	Receipts int      `json:"receipts"`
	Notes    []string `json:"notes,omitempty"`
}

// legacyOut reads the old 'pack -o FILE' (before -o was the report format)
// as --out FILE, and says so on w.
func (f *packFlags) legacyOut(w io.Writer) {
	if f.out != "" || f.output == "text" || f.output == "json" || f.output == "" {
		return
	}
	fmt.Fprintf(w, "consign: warning: 'pack -o FILE' is deprecated: -o is the report format (text or json); use --out %s\n", f.output)
	f.out, f.output = f.output, "text"
}

func (f *packFlags) check() error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
	switch {
	case f.policy == "":
		return usagef("--policy is required: the signed policy (consign policy sign)")
	case len(f.roots) == 0:
		return withHint(usagef("--trust-root is required: the owner's public key, which signed the policy"), "pack verifies the release exactly as a customer will, with the owner's public key")
	case len(f.attestations) == 0 && f.image.ref == "":
		return usagef("--attestations is required: the files or directories holding the attestations (or --image, to pack those attached to an image)")
	case f.include && f.image.ref != "":
		return withHint(usagef("--include-artifacts packs files, and an image is not one"), "the pack names the image's digest; the customer pulls the image by it")
	case f.out == "":
		return usagef("--out is required: where to write the pack (e.g. --out release.pack)")
	case f.compress != "gzip" && f.compress != "none":
		return usagef("--compress is gzip or none, not %q", f.compress)
	}
	if err := fsutil.CheckDest(f.out, f.force); refusedDest(err) {
		return err
	}
	return nil
}

// refusedDest reports whether err, from [fsutil.CheckDest], refuses the
// destination for what is there (a link, a directory, a file without
// --force); other errors, such as a missing parent directory, are left to
// the write itself, which names the path.
func refusedDest(err error) bool {
	return errors.Is(err, fsutil.ErrSymlink) || errors.Is(err, fsutil.ErrNotRegular) || errors.Is(err, fsutil.ErrExists)
}

// buildConfig loads what the flags and ARTIFACT arguments name into the
// pack library's Config.
func (f *packFlags) buildConfig(ctx context.Context, deps *Deps, args []string) (pack.BuildConfig, error) {
	cfg := pack.BuildConfig{Release: f.release, Now: deps.Now, Include: map[int]string{}}
	var err error
	if cfg.Artifacts, err = evidence.Artifacts(args); err != nil {
		return cfg, err
	}
	in, err := readPolicyInputs(ctx, f.policy, f.roots, f.attestations, f.sigstoreRoots)
	if err != nil {
		return cfg, err
	}
	cfg.Policy, cfg.PolicyName, cfg.TrustRoots, cfg.Attestations = in.Policy, in.PolicyName, in.TrustRoots, in.Attestations
	cfg.Bundles, cfg.TrustedRoots = in.Bundles, in.TrustedRoots
	imageArtifacts, imageInputs, err := f.image.release(ctx, deps)
	if err != nil {
		return cfg, err
	}
	cfg.Artifacts, cfg.Attestations = append(cfg.Artifacts, imageArtifacts...), append(cfg.Attestations, imageInputs...)
	if cfg.Receipts, err = evidence.ReadReceipts(ctx, f.attestations); err != nil {
		return cfg, err
	}
	if f.include {
		for i, a := range args {
			fi, err := os.Stat(a)
			if err != nil || !fi.Mode().IsRegular() {
				return cfg, usagef("--include-artifacts needs every ARTIFACT to be a file; %q is not", a)
			}
			cfg.Include[i] = a
		}
	}
	if f.serverURL != "" {
		if cfg.Log, err = newClient(deps, f.serverURL, ""); err != nil {
			return cfg, err
		}
	}
	if f.vsaKey != "" {
		signer, err := loadSigner(deps, f.vsaKey)
		if err != nil {
			return cfg, err
		}
		cfg.VSA = &verify.VSAOptions{Signer: signer, Version: Version()}
	}
	return cfg, nil
}

// write writes the planned pack to --out.
func (f *packFlags) write(deps *Deps, plan *pack.Plan) error {
	epoch, err := sourceDateEpoch(deps)
	if err != nil {
		return err
	}
	opts := pack.WriteOptions{Gzip: f.compress == "gzip"}
	if epoch != nil {
		opts.ModTime = *epoch
	}
	if err := fsutil.WriteStream(f.out, 0o644, f.force, func(w io.Writer) error {
		return pack.Write(w, plan.Manifest, plan.Files, opts)
	}); err != nil {
		return fmt.Errorf("writing the pack: %w", err)
	}
	return nil
}

// inspectPack lists what a pack holds without trusting it.
func inspectPack(ctx context.Context, w io.Writer, name, output string) error {
	l, err := pack.ListFile(ctx, name, pack.Limits{})
	if err != nil {
		return err
	}
	if err := render.Listing(w, render.Format(output), name, l); err != nil {
		return err
	}
	if output != "json" && len(l.Problems) > 0 {
		return withHint(fmt.Errorf("%s: %s", name, l.Problems[0]), "the pack is damaged or was altered; verify-pack would refuse it")
	}
	return nil
}
