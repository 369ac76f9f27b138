// Package sbomgen makes software bills of materials with syft. It is the only
// package that links syft; reading, checking and comparing SBOMs is
// package sbomdoc's, which the verifier uses without the generator.
//
// # Making SBOMs
//
// [Generate] scans a target (a directory, a file, a tar or zip archive, an
// OCI layout directory or archive, a docker-archive tarball, or an image
// in a registry) with syft as a library: discovering packages is syft's
// job, and this package never re-implements a cataloger. [Result.Encode]
// writes CycloneDX (JSON or XML, 1.2–1.7, 1.7 by default), SPDX (JSON or
// tag-value, 2.2 or 2.3) or syft JSON, and fills the gaps syft's defaults
// leave:
//
//   - dependency relationships: syft's CycloneDX writer drops its
//     "contains" relationships (anchore/syft#3071), so the SBOM's subject
//     depends on nothing and most components are outside the dependency
//     graph. Here the subject depends on every component no other
//     component depends on, and syft's own dependency edges are kept, so
//     every component is in the graph;
//   - suppliers: syft's CycloneDX writer leaves supplier empty although the
//     catalogers found one (Debian and Alpine maintainers, RPM vendors,
//     Python, npm, Ruby and PHP authors, Java manifest vendors). The
//     supplier comes from each package's own metadata, never a value
//     stamped on every component; a package whose metadata names nobody
//     (a Go module) has none;
//   - hashes: the digests lock files record for the package artifact (npm,
//     yarn and pnpm integrity, Cargo checksums, Composer dist shasums) and
//     Java archive digests;
//   - the subject: a directory with a go.mod at its root is that Go main
//     module, so the subject (CycloneDX metadata.component, the package an
//     SPDX document describes) is named by the module path and carries its
//     package URL, pkg:golang/MODULE[@VERSION] (VERSION from
//     [sbomspec.Config.Version]; a source tree says none). It is not repeated as a
//     component, as CycloneDX asks: with the Go toolchain, syft's package
//     for the main module (version "UNKNOWN") is taken out and its
//     dependency edges become the subject's;
//   - file entries: syft lists package-owned files as components, which
//     buries the package list; they are left out unless
//     [sbomspec.Config.IncludeFiles] asks for them (which also saves hashing them);
//   - reproducibility: with [sbomspec.Config.Epoch] (SOURCE_DATE_EPOCH) every
//     timestamp is the epoch, and the CycloneDX serial number and SPDX
//     document namespace derive from the content, so the same input gives
//     the same bytes;
//   - no network: syft's remote licence lookups are off, and Go modules
//     are read from go.mod and go.sum without running the Go toolchain
//     ([sbomspec.Config.UseGoToolchain] turns it on: it adds the module
//     graph, at several seconds per module tree, and may download). Only
//     a registry: target reaches the network.
//
// [Make] is what 'consign sbom' asks for in one call: it carries out an
// [sbomspec.Request] (package sbomspec describes the job, its formats and
// its progress without syft, for the CLI and this package alike). It
// scans, encodes every requested [sbomspec.Output], and with a signer
// signs each CycloneDX or SPDX JSON output as an in-toto attestation about
// the scanned artifacts ([Result.Subjects]) or the subjects given. It
// writes nothing: the caller gets every file and envelope, or an error and
// none.
//
// # Untrusted input
//
// A target is untrusted input. Archive targets are unpacked within bounds
// ([limits.ArchiveBytes], [limits.ArchiveEntries]) through an [os.Root],
// refusing entries that escape, repeat or lie about their size, and
// temporary files are removed whatever happens. A file target is opened
// without blocking and checked by the open file (a regular file, never a
// pipe or device); what reads it afterwards reads that very file, linked
// or copied into a private directory, never its name again. A panic in a
// parser becomes an error. Credentials for a
// registry (from the Docker configuration, or written into the reference)
// never appear in an SBOM, a log line or an error.
//
// # Errors
//
// [Generate] returns errors wrapping [sbomspec.ErrConfig] (the
// configuration's own check, [sbomspec.Config.Validate]), [ErrTarget]
// ([ErrNoTarget], [ErrImage], [ErrArchive]) or [ErrScan];
// [Result.Encode] errors wrapping [sbomdoc.ErrUnsupportedFormat]; [Make]
// those, those of [sbomspec.Request.Validate], and [ErrTooManySubjects].
package sbomgen
