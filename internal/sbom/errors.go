package sbom

import (
	"errors"
	"fmt"
)

var (
	// ErrUnsupportedFormat is returned by [Decode] for input that is not an
	// SBOM consign reads (CycloneDX 1.2–1.7 JSON or XML, SPDX 2.2–2.3 JSON or
	// tag-value), and by [ParseFormat] for an output format it does not write.
	ErrUnsupportedFormat = errors.New("unsupported SBOM format")
	// ErrMalformed is returned by [Decode] for an SBOM of a supported format
	// that does not parse, or breaks the format's rules.
	ErrMalformed = errors.New("malformed SBOM")

	// ErrTarget is the root of every error about what [Generate] was asked
	// to scan.
	ErrTarget = errors.New("cannot scan target")
	// ErrNoTarget is returned when the target is neither an existing file or
	// directory nor an image reference with a scheme.
	ErrNoTarget = fmt.Errorf("%w: no such file, directory or image", ErrTarget)
	// ErrImage is returned when an image reference does not resolve: the
	// registry is unreachable, refuses the credentials, or has no such image.
	ErrImage = fmt.Errorf("%w: image not found or not readable", ErrTarget)
	// ErrArchive is returned for an archive that cannot be read safely: it is
	// corrupt, an entry would land outside the extraction directory, a name
	// appears twice, or it is over the extraction limits.
	ErrArchive = fmt.Errorf("%w: archive cannot be read safely", ErrTarget)

	// ErrScan is returned when cataloguing fails, including when a parser
	// inside syft panics (the panic becomes this error, never a crash).
	ErrScan = errors.New("scan failed")

	// ErrUnknownElement is returned by [ParseRequirement] for an element
	// that is not one of the Elem* constants.
	ErrUnknownElement = errors.New("unknown SBOM element")
	// ErrCoverage is returned by [Report.Require] when an SBOM does not
	// meet a required coverage.
	ErrCoverage = errors.New("SBOM does not meet the required coverage")
)
