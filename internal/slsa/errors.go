package slsa

import (
	"errors"
	"fmt"
)

// The errors of this package. Callers use [errors.Is]. Each verdict of
// slsa-verifier has its own sentinel here, under [ErrUnverified].
var (
	// ErrConfig is an unusable verification request (a missing source
	// URI, a versioned tag that is not semantic).
	ErrConfig = errors.New("invalid SLSA verification options")
	// ErrUnverified is the parent of every "no": the provenance does not
	// show what was asked.
	ErrUnverified = errors.New("SLSA provenance not verified")

	// ErrNeedsOnline is provenance that only an online lookup can verify:
	// a DSSE envelope without its transparency log entry, which
	// slsa-verifier finds by searching Rekor. consign never searches, so it
	// fails closed.
	ErrNeedsOnline = fmt.Errorf("%w: needs an online Rekor search", ErrUnverified)
	// ErrUntrustedBuilder is a certificate from a reusable workflow that is
	// neither a trusted builder nor the --builder-id asked for
	// (slsa-verifier: untrusted reusable workflow).
	ErrUntrustedBuilder = fmt.Errorf("%w: untrusted reusable workflow", ErrUnverified)
	// ErrMismatchBuilderID is provenance whose builder id is not the
	// certificate's, or not the one asked for.
	ErrMismatchBuilderID = fmt.Errorf("%w: builder id does not match", ErrUnverified)
	// ErrMismatchSource is a source repository other than --source-uri.
	ErrMismatchSource = fmt.Errorf("%w: source does not match", ErrUnverified)
	// ErrMalformedURI is a source or workflow URI of the wrong form.
	ErrMalformedURI = fmt.Errorf("%w: malformed URI", ErrUnverified)
	// ErrInvalidRef is a git ref of the wrong kind: no tag when a tag was
	// asked for, a builder at a ref that is not a vX.Y.Z tag.
	ErrInvalidRef = fmt.Errorf("%w: invalid ref", ErrUnverified)
	// ErrMismatchBranch, ErrMismatchTag and ErrMismatchVersionedTag are a
	// build from another branch or tag than asked for.
	ErrMismatchBranch       = fmt.Errorf("%w: branch does not match", ErrUnverified)
	ErrMismatchTag          = fmt.Errorf("%w: tag does not match", ErrUnverified)
	ErrMismatchVersionedTag = fmt.Errorf("%w: versioned tag does not match", ErrUnverified)
	// ErrMismatchHash is an artifact the provenance does not name.
	ErrMismatchHash = fmt.Errorf("%w: artifact digest not among the provenance's subjects", ErrUnverified)
	// ErrMismatchWorkflowInputs is a build run with other inputs than
	// --build-workflow-input asks for.
	ErrMismatchWorkflowInputs = fmt.Errorf("%w: workflow inputs do not match", ErrUnverified)
	// ErrInvalidProvenance is signed provenance that lacks what a check
	// needs, or has it in the wrong form.
	ErrInvalidProvenance = fmt.Errorf("%w: invalid provenance", ErrUnverified)
)
