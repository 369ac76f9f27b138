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
// (security cases 29 and 30 in docs/security.md).
//
// # Recording
//
// [Record] walks directories in parallel, one [os.ReadDir]-style listing per
// directory and no stat per entry, and hashes files with a pool of workers
// and reused buffers. It stays inside its root: path arguments that leave it
// are errors, symbolic links are resolved element by element inside the root,
// directories are opened through an [os.Root] and files by name within them
// without following links; links that lead out, dangle or loop are reported
// in [Result.Skipped] rather than followed (security cases 32, 34 and 35 in docs/security.md).
// Named pipes, sockets and devices are refused, never opened; [File] reads
// a named pipe it is given by name to its end, and refuses the others
// (security case 78 in docs/security.md).
// File bytes are hashed as they are, with no line-ending normalisation.
// Exclusions use gitignore-style patterns (below); a pattern that cannot be
// compiled is an error, never a silent non-match.
//
// # Exclude patterns
//
// [RecordOptions.Exclude] takes gitignore-style patterns, matched against the
// normalised path of every file and directory relative to the root:
//
//   - A pattern that is empty or starts with "#" is ignored, so the lines of
//     a .gitignore file can be passed as they are. Unescaped trailing spaces
//     are removed; "\ " keeps one.
//   - A leading "!" negates the pattern: a path it matches is included
//     again. The last pattern that matches a path decides. A path whose
//     parent directory is excluded is never seen, so it cannot be included
//     again (as in git). "\!" starts a pattern with a literal "!".
//   - A trailing "/" makes the pattern match directories only (including
//     links to directories).
//   - A pattern with no other "/" matches the last path element at any
//     depth: "*.o" excludes "a.o" and "src/x/b.o". A pattern with a "/" at
//     the start or in the middle is anchored to the root: "/top-only" and
//     "dir/*.log" match only "top-only" and "dir/x.log".
//   - "*" matches any run of characters other than "/", "?" one character
//     other than "/", and "[a-z]", "[!a-z]" or "[^a-z]" one character in or
//     not in a set. "\" makes the next character literal.
//   - In an anchored pattern, a "**" element matches any number of path
//     elements: "**/tmp" matches "tmp" at any depth, "a/**/b" matches "a/b"
//     and "a/x/y/b", and a trailing "/**" matches everything inside a
//     directory (but not the directory itself). Elsewhere "**" is "*".
//
// Unlike git, which quietly treats broken patterns as literals or as
// matching nothing, a pattern that cannot match as written is an error
// wrapping [ErrInvalidPattern] (security case 34 in docs/security.md): an unclosed "[", a
// reversed range such as "[z-a]", a POSIX class such as "[[:alpha:]]"
// (unsupported), a trailing "\", an empty path element ("a//b"), an element
// "." or ".." (recorded paths never hold one), or a pattern that is only
// "!" or "/".
//
// # Errors
//
// Errors wrap the sentinels of this package ([ErrInvalid],
// [ErrUnsupportedAlgorithm], [ErrOutsideRoot], [ErrInvalidOptions],
// [ErrInvalidPattern], [ErrNotRegular]) or of [io/fs]; match them with
// [errors.Is].
//
// [DigestSet]: https://github.com/in-toto/attestation/blob/main/spec/v1/digest_set.md
package digest
