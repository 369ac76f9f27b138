// Package digest hashes artifacts and compares their digests.
//
// An artifact is known by its digests, never by its name: a [Set] maps
// algorithm names to lowercase hex values, as an in-toto [DigestSet] does.
// [Reader] and [File] hash one stream or file; [Record] hashes every file
// under a set of paths, as the materials or products of a step.
//
// # Comparing digests
//
// [Matches] decides whether two sets name the same content. It fails closed:
// both sets must be valid ([Set.Validate]), they must agree on at least one
// strong algorithm (sha256, sha384 or sha512), and they must not disagree on
// any algorithm they share. A shared sha1 or md5 alone is never enough
// (SECURITY-CASES 29 and 30).
//
// # Recording
//
// [Record] walks directories in parallel, one [os.ReadDir]-style listing per
// directory and no stat per entry, and hashes files with a pool of workers
// and reused buffers. It stays inside its root: path arguments that leave it
// are errors, symbolic links are resolved element by element inside the root
// and files are opened through an [os.Root]; links that lead out, dangle or
// loop are reported in [Result.Skipped] rather than followed
// (SECURITY-CASES 32, 34 and 35). File bytes are hashed as they are, with no
// line-ending normalisation. Exclusions use gitignore-style patterns; a
// pattern that cannot be compiled is an error, never a silent non-match.
//
// # Errors
//
// Errors wrap the sentinels of this package ([ErrInvalid],
// [ErrUnsupportedAlgorithm], [ErrOutsideRoot], [ErrInvalidOptions],
// [ErrInvalidPattern]) or of [io/fs]; match them with [errors.Is].
//
// [DigestSet]: https://github.com/in-toto/attestation/blob/main/spec/v1/digest_set.md
package digest
