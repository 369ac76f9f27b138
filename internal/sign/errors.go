package sign

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidKey is returned for a key file that cannot be read as a key.
	ErrInvalidKey = errors.New("invalid key")
	// ErrUnsupportedKey is returned for a key whose algorithm or size consign refuses.
	ErrUnsupportedKey = fmt.Errorf("%w: unsupported algorithm or size", ErrInvalidKey)
	// ErrNotPrivateKey is returned when a public key is given where a private one is needed.
	ErrNotPrivateKey = fmt.Errorf("%w: a public key was given where a private key is needed", ErrInvalidKey)
	// ErrNotPublicKey is returned when a private key is given where a public one is expected.
	ErrNotPublicKey = fmt.Errorf("%w: a private key was given where a public key is expected", ErrInvalidKey)
	// ErrWrongPassword is returned when an encrypted key does not open with the password.
	ErrWrongPassword = errors.New("wrong password for the encrypted private key")
	// ErrNoPassword is returned when a password is needed but none can be had.
	ErrNoPassword = errors.New("no password for the encrypted private key")
	// ErrBadSignature is returned when a signature does not verify.
	ErrBadSignature = errors.New("signature does not verify")
)
