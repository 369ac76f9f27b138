package cli

import (
	"context"

	"github.com/consign-dev/consign/internal/sbomspec"
)

// SBOMGenerator makes the SBOMs 'consign sbom TARGET' asks for. The consign
// binary has none, so that it links no syft (nor the thousand packages syft
// brings): its 'consign sbom TARGET' runs consign-sbom (see sbom_tool.go),
// the same command tree with internal/cli/syftgen's generator, over
// internal/sbomgen. The rest of 'consign sbom' (its flags and help, the
// formats -o reads, 'sbom check' and 'sbom diff') is the same in both
// binaries: the job is described by package sbomspec, which links no syft.
type SBOMGenerator interface {
	// Make scans req.Target, encodes every output and, with req.Signer,
	// signs the attestations. It writes nothing: the caller writes all of
	// it or, on error, nothing. Its errors carry their hints ([Error]).
	Make(ctx context.Context, req sbomspec.Request) (*sbomspec.SBOMs, error)
}
