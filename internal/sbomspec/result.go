package sbomspec

import (
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/sbomdoc"
)

// SBOMs is what a [Request] made; nothing is written yet, so that the
// caller can write everything or, on error, nothing.
type SBOMs struct {
	// Warnings are paths that could not be read, and files a cataloger
	// could not parse; the scan went on without them. Each is also noted
	// in the SBOM.
	Warnings []string
	// Packages is the number of packages found.
	Packages int
	// Files are the outputs that have a Path, in request order.
	Files []fsutil.File
	// Stdout is the output without a Path when there is no Signer; nil
	// otherwise.
	Stdout []byte
	// Envelopes are the signed attestations, one per attested output.
	Envelopes []*attest.Envelope
	// Subjects are what the attestations are about.
	Subjects []attest.Subject
	// Profiles holds, with [Config.Profile], each CycloneDX or SPDX
	// output's check against the profile: what consign could not fill.
	Profiles []ProfileReport
}

// ProfileReport is how one output meets [Config.Profile].
type ProfileReport struct {
	Output Output
	Result *sbomdoc.ProfileResult
}

// Progress is what [Config.Progress] receives while a scan runs: at the
// start of each phase, about every tenth of a second within one, and once
// more when the scan ends (Done).
type Progress struct {
	Phase    Phase
	Files    int64 // files found in the target so far (directories and archives; 0 for images)
	Packages int64 // packages found so far
	// Step and Steps count the phase's work where it has a known amount:
	// Go modules given licences from the module cache (PhaseLicences),
	// outputs encoded (PhaseEncoding); both 0 otherwise.
	Step, Steps int64
	Elapsed     time.Duration
	Done        bool
}

// Phase is the part of a scan under way, in the order they run.
type Phase string

const (
	PhaseIndexing    Phase = "indexing"    // listing the target's files
	PhaseCataloguing Phase = "cataloguing" // syft's catalogers finding packages
	PhaseLicences    Phase = "licences"    // Go module licences read from the module cache
	PhaseEncoding    Phase = "encoding"    // writing each output format (a Request's outputs only)
)
