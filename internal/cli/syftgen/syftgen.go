// Package syftgen gives consign's command tree its SBOM generator,
// internal/sbomgen (syft), for the consign-sbom binary. The consign binary
// does not link it: its 'consign sbom TARGET' runs consign-sbom.
package syftgen

import (
	"context"
	"errors"

	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/sbomgen"
)

// Generator is [cli.SBOMGenerator] over [sbomgen.Make].
type Generator struct{}

var _ cli.SBOMGenerator = Generator{}

// ParseFormat is [sbomgen.ParseFormat]; "" is [sbomgen.DefaultFormat].
func (Generator) ParseFormat(s string) (cli.SBOMFormat, error) {
	if s == "" {
		return format(sbomgen.DefaultFormat), nil
	}
	f, err := sbomgen.ParseFormat(s)
	if err != nil {
		return cli.SBOMFormat{}, err
	}
	return format(f), nil
}

// Make is [sbomgen.Make], its errors given the hints the CLI prints.
func (Generator) Make(ctx context.Context, req cli.SBOMRequest) (*cli.SBOMs, error) {
	q := sbomgen.Request{
		Config: sbomgen.Config{
			Target: req.Target, Name: req.Name, Version: req.Version, Exclude: req.Exclude,
			IncludeFiles: req.IncludeFiles, UseGoToolchain: req.UseGoToolchain,
			GoModCache: req.GoModCache, NoGoModCache: req.NoGoModCache,
			Epoch: req.Epoch, Now: req.Now, ToolName: req.ToolName, ToolVersion: req.ToolVersion, Profile: req.Profile,
		},
		Signer:   req.Signer,
		Subjects: req.Subjects,
	}
	for _, o := range req.Outputs {
		q.Outputs = append(q.Outputs, sbomgen.Output{Format: sbomgen.Format{Name: o.Format.Name, Version: o.Format.Version}, Path: o.Path})
	}
	if fn := req.Progress; fn != nil {
		q.Progress = func(p sbomgen.Progress) {
			fn(cli.SBOMProgress{Phase: phases[p.Phase], Files: p.Files, Packages: p.Packages, Step: p.Step, Steps: p.Steps, Elapsed: p.Elapsed, Done: p.Done})
		}
	}
	made, err := sbomgen.Make(ctx, q)
	if err != nil {
		return nil, withHint(err)
	}
	out := &cli.SBOMs{
		Warnings: made.Result.Warnings, Packages: made.Result.Packages(),
		Files: made.Files, Stdout: made.Stdout, Envelopes: made.Envelopes, Subjects: made.Subjects,
	}
	for _, r := range made.Profiles {
		out.Profiles = append(out.Profiles, cli.SBOMProfileReport{Output: cli.SBOMOutput{Format: format(r.Output.Format), Path: r.Output.Path}, Result: r.Result})
	}
	return out, nil
}

func format(f sbomgen.Format) cli.SBOMFormat {
	return cli.SBOMFormat{Name: f.Name, Version: f.Version, PredicateType: f.PredicateType()}
}

// phases are the scan's phases as the progress line names them.
var phases = map[sbomgen.Phase]cli.SBOMPhase{
	sbomgen.PhaseIndexing:    cli.SBOMIndexing,
	sbomgen.PhaseCataloguing: cli.SBOMCataloguing,
	sbomgen.PhaseLicences:    cli.SBOMLicences,
	sbomgen.PhaseEncoding:    cli.SBOMEncoding,
}

// hints are what the user can do about the generator's errors; the first
// match wins.
var hints = []struct {
	err  error
	hint string
}{
	{sbomgen.ErrTooManySubjects, "a tree with that many files: pass --subject NAME=sha256:HEX, e.g. the digest of its release archive"},
	{sbomgen.ErrGoModCache, "check --go-mod-cache; 'go env GOMODCACHE' prints the go command's module cache"},
	{sbomgen.ErrNotFile, "give a regular file, a directory or an archive; to scan what a pipe or device holds, copy it into a file first"},
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
