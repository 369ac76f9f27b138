package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/verify"
)

// packImage is 'consign verify-pack --image': a pulled image, by reference
// (resolved once) or by its digest (nothing fetched), as an artifact.
type packImage struct {
	ref string
	reg registryFlags
}

func (p *packImage) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&p.ref, "image", "", "container image to check against the pack: a reference (resolved to its digest) or sha256:HEX")
	p.reg.add(cmd, false)
}

// artifact appends the image's digest to artifacts, if an image was named.
func (p *packImage) artifact(ctx context.Context, deps *Deps, artifacts []verify.Artifact) ([]verify.Artifact, error) {
	if p.ref == "" {
		return artifacts, nil
	}
	if strings.HasPrefix(p.ref, "sha256:") {
		set, err := digest.Parse(p.ref)
		if err != nil {
			return nil, usagef("--image %q: %v", p.ref, err)
		}
		return append(artifacts, verify.Artifact{Name: "image", Digest: set}), nil
	}
	_, img, err := p.reg.resolve(ctx, deps, p.ref)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(deps.Stderr, "%s: checking the image by its digest\n", img.Ref)
	return append(artifacts, verify.Artifact{Name: img.Ref.Context().Name(), Digest: oci.ImageDigestSet(img)}), nil
}
