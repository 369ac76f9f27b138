// Package slsa verifies SLSA provenance from the SLSA GitHub generators
// the way slsa-verifier does, offline: [VerifyArtifact] gives
// slsa-verifier's verify-artifact verdicts for the same options, so that
// 'consign slsa verify-artifact' is a drop-in for it.
// [VerifyGitHubAttestation] does the same for GitHub artifact attestations
// (verify-github-attestation): no builder is trusted by default, and the
// provenance may be SLSA v1 of the GitHub workflow build type.
// [VerifyNpmPackage] gives verify-npm-package's verdicts for an npm
// package's provenance and the registry's publish attestation, with the
// registry's keys from a file.
// [VerifyImage] is verify-image: the SLSA GitHub container generator's
// provenance (cosign's keyless attestation, given as Sigstore bundles) with
// the image's digest as subject, or Google Cloud Build's ([VerifyGCBImage],
// gcloud's JSON signed by Cloud Build's keys, which this package carries).
//
// # What is verified
//
//  1. The provenance's Sigstore bundle, with package sigstore, against a
//     trusted root the caller gives (nothing is fetched): a keyless
//     certificate from the GitHub Actions issuer for a github.com
//     workflow, its log entry, and the DSSE signature over the statement.
//  2. The signing workflow (the certificate's subject, name@ref): one of
//     the trusted builders (the generic generator, the Go builder, the
//     container-based builder and the BYOB delegators) or the --builder-id
//     asked for, by name and, if given, version; at a release ref
//     refs/tags/vX.Y.Z.
//  3. The source repository in the certificate equals the one asked for
//     (github.com/org/repo, compared exactly: no prefix, no case folding).
//  4. The provenance: its builder id is the certificate's workflow
//     name@ref (behind a BYOB delegator, the builder the delegator ran,
//     at a release, which --builder-id names); its trigger (invocation.configSource.uri) and source
//     (the first material) are the repository asked for, at a ref, and
//     equal; each artifact's SHA-256 is a subject.
//  5. Optionally the branch (for a tag, the branch it was pushed from),
//     the tag (exactly), the versioned tag (v1 accepts v1.x.y, v1.2
//     accepts v1.2.x) and workflow_dispatch inputs.
//
// # What fails closed
//
// Provenance that is a bare DSSE envelope (the generators before v2.1.0)
// carries no transparency log entry: slsa-verifier searches Rekor for it.
// consign never does, and refuses it with [ErrNeedsOnline].
//
// # Errors
//
// Every "no" wraps [ErrUnverified] through a sentinel named after
// slsa-verifier's error for the same case ([ErrMismatchSource],
// [ErrUntrustedBuilder], [ErrMismatchVersionedTag], ...); a bundle that
// does not verify gives package sigstore's errors.
package slsa
