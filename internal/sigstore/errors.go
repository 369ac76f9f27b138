package sigstore

import (
	"errors"
	"fmt"
)

// Errors returned by this package. Callers match them with [errors.Is];
// the messages carry the details.
var (
	// ErrConfig means a [Config] or an [Identity] is unusable: no trusted
	// root, both or neither of a key and an identity, an identity without an
	// issuer, a regular expression that does not compile, no artifact.
	ErrConfig = errors.New("invalid sigstore verification options")

	// ErrBundle means the bundle does not parse as a Sigstore bundle
	// v0.1-v0.3 (JSON, media type, required fields).
	ErrBundle = errors.New("invalid sigstore bundle")

	// ErrTrustedRoot means the trusted root does not parse as a Sigstore
	// trusted root (dev.sigstore.trustedroot.v1.TrustedRoot).
	ErrTrustedRoot = errors.New("invalid sigstore trusted root")

	// ErrUnverified means the bundle was read and checked, and the answer
	// is no. Every failed check wraps it.
	ErrUnverified = errors.New("sigstore bundle not verified")

	// ErrIdentity means everything verified but the certificate's identity
	// (subject, issuer or a Fulcio extension) is not the one asked for. It
	// wraps [ErrUnverified].
	ErrIdentity = fmt.Errorf("%w: certificate identity does not match", ErrUnverified)

	// ErrLogEntry means a transparency log entry does not commit to this
	// bundle's artifact, signature or key. It wraps [ErrUnverified].
	ErrLogEntry = fmt.Errorf("%w: log entry does not match the bundle", ErrUnverified)
)
