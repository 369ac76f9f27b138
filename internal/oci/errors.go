package oci

import (
	"errors"
	"fmt"
)

var (
	// ErrReference is returned for an image reference that does not parse.
	ErrReference = errors.New("invalid image reference")
	// ErrUnauthorized is returned when the registry wants credentials it did not get (401).
	ErrUnauthorized = errors.New("registry refused the credentials")
	// ErrDenied is returned when the credentials may not do what was asked (403).
	ErrDenied = errors.New("registry denied access")
	// ErrNotFound is returned when the image or an attachment is missing (404).
	ErrNotFound = errors.New("not found in the registry")
	// ErrRegistry is returned for other registry failures, after retries.
	ErrRegistry = errors.New("registry error")
	// ErrInsecure is returned when plain HTTP would be used without Options.Insecure.
	ErrInsecure = errors.New("plain HTTP to a registry was not asked for")
	// ErrUntrusted is the root of what a hostile or broken registry can cause.
	ErrUntrusted = errors.New("registry sent bad data")
	// ErrTooLarge is returned when a manifest, blob or list is over its cap.
	ErrTooLarge = fmt.Errorf("%w: over consign's limit", ErrUntrusted)
	// ErrDigestMismatch is returned when content does not hash to its digest.
	ErrDigestMismatch = fmt.Errorf("%w: content does not match its digest", ErrUntrusted)
	// ErrSubjectMismatch is returned for a referrer about another image.
	ErrSubjectMismatch = fmt.Errorf("%w: referrer is about another image", ErrUntrusted)
	// ErrMalformed is returned for a manifest or payload that does not parse.
	ErrMalformed = fmt.Errorf("%w: malformed", ErrUntrusted)
	// ErrNotAboutImage is returned when attaching an attestation whose
	// subjects do not include the image.
	ErrNotAboutImage = errors.New("the attestation is not about the image")
	// ErrMode is returned for an unknown attach mode.
	ErrMode = errors.New("unknown attach mode")
	// ErrNoSignature is returned when no signature on the image verifies.
	ErrNoSignature = errors.New("no signature on the image verifies")
)
