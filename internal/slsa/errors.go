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
	// ErrNpmKeys is an npm registry keys file (keys.json) that does not
	// parse, or a key in it that does not.
	ErrNpmKeys = errors.New("invalid npm registry keys")
	// ErrNpmAttestations is an npm attestations document that does not
	// hold one SLSA provenance and one publish attestation.
	ErrNpmAttestations = errors.New("invalid npm attestations")
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

	// ErrInvalidSignature is an attestation whose signature, certificate
	// or log entry does not verify, or a signing key that is not trusted
	// for it (slsa-verifier: invalid signature). It wraps package
	// sigstore's error where there is one.
	ErrInvalidSignature = fmt.Errorf("%w: invalid signature", ErrUnverified)
	// ErrInvalidBuilderID is a --builder-id that is required and absent,
	// or a builder id of the wrong form or with no reader of its
	// provenance.
	ErrInvalidBuilderID = fmt.Errorf("%w: invalid builder id", ErrUnverified)
	// ErrNotSupported is what slsa-verifier has no rules for: an npm
	// --builder-id that is no runner of the npm CLI, or a check the
	// builder's provenance cannot answer (a branch or workflow inputs, for
	// Cloud Build).
	ErrNotSupported = fmt.Errorf("%w: not supported", ErrUnverified)
	// ErrMismatchPackageName and ErrMismatchPackageVersion are an npm
	// package of another name or version than asked for.
	ErrMismatchPackageName    = fmt.Errorf("%w: package name does not match", ErrUnverified)
	ErrMismatchPackageVersion = fmt.Errorf("%w: package version does not match", ErrUnverified)
	// ErrMismatchCertificate is provenance from a workflow that is no
	// trusted builder whose claims differ from the certificate's (or that
	// the certificate cannot confirm).
	ErrMismatchCertificate = fmt.Errorf("%w: provenance does not match the certificate", ErrUnverified)
	// ErrNonVerifiableClaim is such provenance claiming what nothing can
	// confirm (build times, completeness, parameters).
	ErrNonVerifiableClaim = fmt.Errorf("%w: claim that cannot be verified", ErrUnverified)
)
