package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/oci"
)

// sbomAttach is 'consign sbom registry:IMAGE --attest --attach': the image
// is resolved to its digest once, that digest is what syft scans, and the
// SBOM attestations are attached to it.
type sbomAttach struct {
	on  bool
	reg registryFlags
	c   *oci.Client
	img *oci.Image
}

func (a *sbomAttach) add(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&a.on, "attach", false, "with --attest and a registry: image, attach the SBOM attestations to the image in its registry")
	a.reg.add(cmd, true)
}

// pin resolves a registry: target to its manifest digest and returns the
// target that names that digest, so that the scan and the attachment are
// about the same image whatever its tag does meanwhile.
func (a *sbomAttach) pin(ctx context.Context, deps *Deps, target string, attesting bool, subjects []string) (string, error) {
	if !a.on {
		return target, nil
	}
	ref, ok := strings.CutPrefix(target, "registry:")
	switch {
	case !attesting:
		return "", usagef("--attach attaches the SBOM attestations: it goes with --attest")
	case !ok:
		return "", withHint(usagef("--attach needs an image in a registry, got %q", target), "write the target as registry:HOST/REPO:TAG")
	case len(subjects) > 0:
		return "", usagef("--subject and --attach exclude each other: the attestation is about the image's digest")
	}
	c, img, err := a.reg.resolve(ctx, deps, ref)
	if err != nil {
		return "", err
	}
	a.c, a.img = c, img
	return "registry:" + img.Ref.Context().Digest(img.Digest.String()).String(), nil
}

// attach checks that every envelope is about the image, then attaches each.
func (a *sbomAttach) attach(ctx context.Context, deps *Deps, envs []*attest.Envelope) error {
	if a.img == nil {
		return nil
	}
	if err := a.c.CheckSubjects(a.img, envs); err != nil {
		return err
	}
	for _, env := range envs {
		w, err := a.c.Attach(ctx, a.img, env)
		if err != nil {
			return err
		}
		fmt.Fprintf(deps.Stderr, "Attached the SBOM attestation to %s%s\n", a.img.Ref, describeWritten(w))
	}
	return nil
}
