package attest

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is the root of every error about an attestation's content.
	ErrInvalid = errors.New("invalid attestation")
	// ErrMalformed is returned for input that does not parse, strictly.
	ErrMalformed = fmt.Errorf("%w: malformed", ErrInvalid)
	// ErrPayloadType is returned for a DSSE payloadType that is not in-toto's.
	ErrPayloadType = fmt.Errorf("%w: payload type is not in-toto", ErrInvalid)
	// ErrNoSignature is returned when an envelope carries no signature at all.
	ErrNoSignature = fmt.Errorf("%w: no signatures", ErrInvalid)
	// ErrNoSubject is returned for a statement with no subjects.
	ErrNoSubject = fmt.Errorf("%w: no subjects", ErrInvalid)
	// ErrPredicate is returned when a predicate fails its type's schema.
	ErrPredicate = fmt.Errorf("%w: predicate does not match its type's schema", ErrInvalid)

	// ErrUnverified is the root of every "the answer is no" from verification.
	ErrUnverified = errors.New("verification failed")
	// ErrSignature is returned when no trusted key signed the envelope.
	ErrSignature = fmt.Errorf("%w: signature does not match any trusted key", ErrUnverified)
	// ErrWrongType is returned when the predicate type is not the one asked for.
	ErrWrongType = fmt.Errorf("%w: predicate type is not the one required", ErrUnverified)
	// ErrSubjectMismatch is returned when the artifact is not among the subjects.
	ErrSubjectMismatch = fmt.Errorf("%w: no subject matches the artifact's digest", ErrUnverified)
	// ErrNothingToVerify is returned when a file holds no attestations at all.
	ErrNothingToVerify = fmt.Errorf("%w: no attestations found", ErrUnverified)
)
