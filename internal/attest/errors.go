package attest

import (
	"errors"
	"fmt"
	"strings"
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
	// ErrEmpty is returned for an empty file (or only white space) given as
	// attestations: bad input, not a failed verification.
	ErrEmpty = errors.New("holds no attestation (an empty file)")
	// ErrNothingToVerify is returned when a file holds no attestations at all.
	ErrNothingToVerify = fmt.Errorf("%w: no attestations found", ErrUnverified)
)

// SignatureError is an [ErrSignature] that names which of the trusted keys
// given signed and which did not, by key id (hex SHA-256 of the SPKI). consign
// writes no key id hint in its signatures (docs/design.md says why), so
// this is how a reader learns which of their keys did not verify.
type SignatureError struct {
	Signed, NotSigned []string // key ids
	Threshold         int      // distinct keys required
}

func (e *SignatureError) Error() string {
	if len(e.Signed) == 0 {
		if len(e.NotSigned) == 1 {
			return fmt.Sprintf("%v: tried the 1 key given, %s", ErrSignature, shortKeyID(e.NotSigned[0]))
		}
		return fmt.Sprintf("%v: tried all %d keys given, %s", ErrSignature, len(e.NotSigned), shortKeyIDs(e.NotSigned))
	}
	msg := fmt.Sprintf("%v: %d distinct trusted keys signed, %d required: signed by %s", ErrUnverified, len(e.Signed), e.Threshold, shortKeyIDs(e.Signed))
	if len(e.NotSigned) > 0 {
		msg += "; not by " + shortKeyIDs(e.NotSigned)
	}
	return msg
}

// Unwrap makes a SignatureError an [ErrSignature].
func (e *SignatureError) Unwrap() error { return ErrSignature }

// shortKeyID is the first 12 hex digits of a key id, as consign prints them.
func shortKeyID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func shortKeyIDs(ids []string) string {
	short := make([]string, len(ids))
	for i, id := range ids {
		short[i] = shortKeyID(id)
	}
	return strings.Join(short, ", ")
}
