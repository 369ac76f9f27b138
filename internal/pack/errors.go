package pack

import "errors"

// Errors of reading a pack. Each wraps [ErrInvalid]: the pack cannot be
// trusted as a whole, whatever else in it would verify.
var (
	ErrInvalid = errors.New("invalid evidence pack")

	// ErrFormat: not a tar archive (plain or gzip), or a damaged one.
	ErrFormat = wrap("not a readable pack")
	// ErrManifest: manifest.json is missing, not first, or malformed.
	ErrManifest = wrap("bad manifest")
	// ErrUnsafeName: an absolute, climbing, backslashed or unclean name.
	ErrUnsafeName = wrap("unsafe entry name")
	// ErrUnsafeLink: a link that leaves the pack or points at no file of it.
	ErrUnsafeLink = wrap("unsafe link")
	// ErrEntryType: a device, FIFO, sparse file or other special entry.
	ErrEntryType = wrap("entry type not allowed")
	// ErrDuplicate: an entry named twice, or two names that fold to one.
	ErrDuplicate = wrap("duplicate entry")
	// ErrMismatch: an entry whose type, mode, size or digest is not the manifest's.
	ErrMismatch = wrap("entry does not match the manifest")
	// ErrUnlisted: an entry the manifest does not list.
	ErrUnlisted = wrap("entry not in the manifest")
	// ErrMissing: a file the manifest lists that the archive lacks.
	ErrMissing = wrap("file missing from the pack")
	// ErrTooLarge: over the caps in bytes, entries or compression ratio.
	ErrTooLarge = wrap("pack over the size limits")
)

type packError struct{ msg string }

func (e *packError) Error() string        { return e.msg }
func (e *packError) Is(target error) bool { return target == ErrInvalid }

func wrap(msg string) error { return &packError{msg} }
