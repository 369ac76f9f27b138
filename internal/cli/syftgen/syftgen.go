// Package syftgen gives consign's command tree its SBOM generator,
// internal/sbomgen (syft), for the consign-sbom binary. The consign binary
// does not link it: its 'consign sbom TARGET' runs consign-sbom.
package syftgen

import (
	"context"
	"errors"

	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/sbomgen"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// Generator is [cli.SBOMGenerator] over [sbomgen.Make].
type Generator struct{}

var _ cli.SBOMGenerator = Generator{}

// Make is [sbomgen.Make], its errors given the hints the CLI prints.
func (Generator) Make(ctx context.Context, req sbomspec.Request) (*sbomspec.SBOMs, error) {
	made, err := sbomgen.Make(ctx, req)
	if err != nil {
		return nil, withHint(err)
	}
	return made, nil
}

// hints are what the user can do about the generator's errors; the first
// match wins.
var hints = []struct {
	err  error
	hint string
}{
	{sbomgen.ErrTooManySubjects, "a tree with that many files: pass --subject NAME=sha256:HEX, e.g. the digest of its release archive"},
	{sbomspec.ErrGoModCache, "check --go-mod-cache; 'go env GOMODCACHE' prints the go command's module cache"},
	{sbomgen.ErrNotFile, "give a regular file, a directory or an archive; to scan what a pipe or device holds, copy it into a file first"},
	{sbomgen.ErrNotLayout, "oci-dir:DIR takes an OCI image layout directory (oci-layout, index.json, blobs/), as 'skopeo copy IMAGE oci:DIR' writes it; a plain directory is scanned as dir:DIR, or by its path alone"},
	{sbomgen.ErrNoTarget, "give a directory, a file, an archive, or an image as registry:HOST/REPO:TAG, oci-dir:PATH, oci-archive:PATH or docker-archive:PATH"},
	{sbomgen.ErrImage, "check the reference, and that the Docker configuration (DOCKER_CONFIG, or 'docker login HOST') holds credentials for the registry"},
	{sbomgen.ErrArchive, "the archive is corrupt, unsafe (an entry outside it, a name twice) or over consign's extraction limits; check that it is the file you meant"},
	{sbomgen.ErrWorkDir, "a file target is linked (or copied) into a private directory beside it, else in TMPDIR: make the target's directory, and those above it, writable by you and no other user (or sticky, as /tmp is), or set TMPDIR to a writable directory, best on the target's file system"},
	{sbomgen.ErrScan, "syft could not catalogue the target; this is likely a bug: please report it with the target's kind"},
}

// withHint gives err the hint of the first entry of hints it matches; the
// exit code stays the CLI's to pick.
func withHint(err error) error {
	for _, h := range hints {
		if errors.Is(err, h.err) {
			return &cli.Error{Err: err, Hint: h.hint}
		}
	}
	return err
}
