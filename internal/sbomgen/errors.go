package sbomgen

import (
	"errors"
	"fmt"
)

var (
	// ErrTarget is the root of every error about what [Generate] was asked
	// to scan.
	ErrTarget = errors.New("cannot scan target")
	// ErrNoTarget is returned when the target is neither an existing file or
	// directory nor an image reference with a scheme.
	ErrNoTarget = fmt.Errorf("%w: no such file, directory or image", ErrTarget)
	// ErrNotFile is returned when the target exists but is neither a
	// regular file nor a directory: a named pipe, a device or a socket,
	// which a scan would read forever or more than once.
	ErrNotFile = fmt.Errorf("%w: not a regular file or directory", ErrTarget)
	// ErrImage is returned when an image reference does not resolve: the
	// registry is unreachable, refuses the credentials, or has no such image.
	ErrImage = fmt.Errorf("%w: image not found or not readable", ErrTarget)
	// ErrNotLayout is returned for an oci-dir: target that is a directory
	// without the files of an OCI image layout (oci-layout, index.json).
	ErrNotLayout = fmt.Errorf("%w: not an OCI image layout", ErrTarget)
	// ErrArchive is returned for an archive that cannot be read safely: it is
	// corrupt, an entry would land outside the extraction directory, a name
	// appears twice, or it is over the extraction limits.
	ErrArchive = fmt.Errorf("%w: archive cannot be read safely", ErrTarget)

	// ErrWorkDir is returned when a file target has nowhere to be linked
	// or copied for the scan: neither beside it nor in the temporary
	// directory (TMPDIR) can consign make a private directory.
	ErrWorkDir = errors.New("no directory to hold the target for the scan")

	// ErrScan is returned when cataloguing fails, including when a parser
	// inside syft panics (the panic becomes this error, never a crash).
	ErrScan = errors.New("scan failed")
)
