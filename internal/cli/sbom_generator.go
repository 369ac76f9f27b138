package cli

import (
	"context"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/sbomdoc"
)

// SBOMGenerator makes the SBOMs 'consign sbom TARGET' asks for. The consign
// binary has none, so that it links no syft (nor the thousand packages syft
// brings): its 'consign sbom TARGET' runs consign-sbom (see sbom_tool.go),
// the same command tree with internal/cli/syftgen's generator, over
// internal/sbomgen. The rest of 'consign sbom' (its flags and help, 'sbom
// check' and 'sbom diff') is the same in both binaries.
type SBOMGenerator interface {
	// ParseFormat reads one -o FORMAT[@VERSION]; "" is the default format.
	// Its error says what is wrong with the name.
	ParseFormat(s string) (SBOMFormat, error)
	// Make scans req.Target, encodes every output and, with req.Signer,
	// signs the attestations. It writes nothing: the caller writes all of
	// it or, on error, nothing. Its errors carry their hints ([Error]).
	Make(ctx context.Context, req SBOMRequest) (*SBOMs, error)
}

// SBOMFormat is an output format and version, as [SBOMGenerator.ParseFormat]
// read it.
type SBOMFormat struct {
	Name, Version string
	// PredicateType is the in-toto predicate type an SBOM in this format
	// is attested under; "" for a format that cannot be a predicate.
	PredicateType string
}

// String is NAME@VERSION, or NAME for a format with one version.
func (f SBOMFormat) String() string {
	if f.Version == "" {
		return f.Name
	}
	return f.Name + "@" + f.Version
}

// SBOMOutput is one SBOM to make: a format, and the file it goes to ("" for
// standard output or, when attesting, for the attestation alone).
type SBOMOutput struct {
	Format SBOMFormat
	Path   string
}

// SBOMRequest is what 'consign sbom' asks of the generator: the flags, the
// signer and SOURCE_DATE_EPOCH, checked.
type SBOMRequest struct {
	Target, Name, Version string
	Exclude               []string
	IncludeFiles          bool
	UseGoToolchain        bool
	GoModCache            string
	NoGoModCache          bool
	Epoch                 *time.Time
	Now                   func() time.Time
	ToolName, ToolVersion string
	Profile               string

	Outputs []SBOMOutput
	// Signer signs the attestations; nil makes none.
	Signer attest.Signer
	// Subjects are the attestations' subjects; nil for the scanned artifacts.
	Subjects []attest.Subject
	// Progress, if set, is called while the scan runs.
	Progress func(SBOMProgress)
}

// SBOMs is what [SBOMGenerator.Make] made, nothing of it written yet.
type SBOMs struct {
	// Warnings are what the scan could not read; each is also in the SBOM.
	Warnings []string
	// Packages is the number of packages found.
	Packages int
	// Files are the outputs with a Path, in request order.
	Files []fsutil.File
	// Stdout is the output without a Path when there is no Signer.
	Stdout []byte
	// Envelopes are the signed attestations, one per attested output.
	Envelopes []*attest.Envelope
	// Subjects are what the attestations are about.
	Subjects []attest.Subject
	// Profiles holds, with a Profile, each output's check against it.
	Profiles []SBOMProfileReport
}

// SBOMProfileReport is how one output meets [SBOMRequest.Profile].
type SBOMProfileReport struct {
	Output SBOMOutput
	Result *sbomdoc.ProfileResult
}

// SBOMProgress is a scan's progress: its phase, the counts that move in it,
// and the time since it started; Done once, when it ends.
type SBOMProgress struct {
	Phase       SBOMPhase
	Files       int64 // files found in the target so far
	Packages    int64 // packages found so far
	Step, Steps int64 // the phase's work done and to do, where it is known
	Elapsed     time.Duration
	Done        bool
}

// SBOMPhase is the part of a scan under way.
type SBOMPhase int

const (
	SBOMScanning    SBOMPhase = iota // a phase the progress line does not name
	SBOMIndexing                     // listing the target's files
	SBOMCataloguing                  // finding packages
	SBOMLicences                     // Go module licences from the module cache
	SBOMEncoding                     // writing each output
)
