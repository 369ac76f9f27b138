package sbomdoc

import "errors"

var (
	// ErrUnsupportedFormat is returned by [Decode] for input that is not an
	// SBOM consign reads (CycloneDX 1.2–1.7 JSON or XML, SPDX 2.2–2.3 JSON or
	// tag-value). The generator's format parser wraps it too, for an output
	// format it does not write.
	ErrUnsupportedFormat = errors.New("unsupported SBOM format")
	// ErrMalformed is returned by [Decode] for an SBOM of a supported format
	// that does not parse, or breaks the format's rules.
	ErrMalformed = errors.New("malformed SBOM")

	// ErrInvalid is returned (as a [*ValidationError]) by [Validation.Err]
	// for a document that breaks the rules of its format: its schema, or
	// the grammar of a licence, purl, CPE or hash.
	ErrInvalid = errors.New("SBOM breaks its format's rules")

	// ErrUnknownProfile is returned by [LookupProfile] and [CheckProfile]
	// for a profile they do not know.
	ErrUnknownProfile = errors.New("unknown SBOM profile")
	// ErrProfile is returned (as a [*ProfileError]) by [ProfileResult.Err]
	// when a document misses an element of a profile.
	ErrProfile = errors.New("SBOM does not meet the profile")

	// ErrUnknownElement is returned by [ParseRequirement] for an element
	// that is not one of the Elem* constants.
	ErrUnknownElement = errors.New("unknown SBOM element")
	// ErrCoverage is returned by [Report.Require] when an SBOM does not
	// meet a required coverage.
	ErrCoverage = errors.New("SBOM does not meet the required coverage")
)
