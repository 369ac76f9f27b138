package digest

import (
	"errors"
	"fmt"
	"io/fs"
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

// ErrNotRegular means a file is of a type this package does not hash: a
// device or a socket, or, met while walking a tree, a named pipe. Such
// files are refused, never read: reading /dev/zero never ends, and
// opening a named pipe nobody writes to never returns. Errors wrapping it
// are [*NotRegularError] values.
var ErrNotRegular = errors.New("not a regular file")

// NotRegularError is a file refused for its type (see [ErrNotRegular]).
type NotRegularError struct {
	// Path is the file as the caller named it, or its recorded path
	// relative to the root of a walk.
	Path string
	// Type is the file's type, as [fs.FileMode.Type] gives it.
	Type fs.FileMode
	// Link is set when Path is a symbolic link and Type is its target's.
	Link bool
}

func (e *NotRegularError) Error() string {
	if e.Link {
		return fmt.Sprintf("%v: %q is a symbolic link to %s", ErrNotRegular, e.Path, TypeName(e.Type))
	}
	return fmt.Sprintf("%v: %q is %s", ErrNotRegular, e.Path, TypeName(e.Type))
}

// Is reports whether target is [ErrNotRegular].
func (e *NotRegularError) Is(target error) bool { return target == ErrNotRegular }

// TypeName names a file type for a message: "a named pipe", "a socket",
// "a character device", "a block device", "a directory", "a symbolic
// link", "a regular file", or "an irregular file" for any other.
func TypeName(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a block device"
	case t&fs.ModeSymlink != 0:
		return "a symbolic link"
	case t.IsDir():
		return "a directory"
	case t.IsRegular():
		return "a regular file"
	}
	return "an irregular file"
}
