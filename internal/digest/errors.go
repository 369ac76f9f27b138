package digest

import (
	"errors"
	"fmt"
)

// Errors returned by this package. Callers match them with [errors.Is];
// messages carry the details.
var (
	// ErrInvalid means a digest or a digest set is malformed: empty, not
	// lowercase hex, of the wrong length for its algorithm, or too large.
	ErrInvalid = errors.New("invalid digest")

	// ErrUnsupportedAlgorithm means a digest algorithm this package cannot
	// compute or parse was asked for.
	ErrUnsupportedAlgorithm = errors.New("unsupported digest algorithm")

	// ErrOutsideRoot means a path argument of [Record] names something
	// outside the recorded root (an absolute path, a path starting with
	// "..", or a path through a symbolic link that leaves the root).
	ErrOutsideRoot = errors.New("path leaves the recorded root")

	// ErrInvalidOptions means a [RecordOptions] is unusable.
	ErrInvalidOptions = errors.New("invalid record options")

	// ErrInvalidPattern means an exclude pattern cannot be compiled. It
	// wraps [ErrInvalidOptions].
	ErrInvalidPattern = fmt.Errorf("%w: bad exclude pattern", ErrInvalidOptions)
)
