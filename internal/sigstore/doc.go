// Package sigstore verifies Sigstore bundles: the signatures that GitHub
// artifact attestations, npm and PyPI provenance, the SLSA GitHub
// generators and cosign's keyless mode ship. It wraps
// [sigstore-go] v1.1.4 ([Verify]) and adds the checks that version leaves
// out.
//
// # What is verified
//
// A bundle v0.1, v0.2 or v0.3 holds a message signature over an artifact,
// or a DSSE envelope (an in-toto statement whose subjects name the
// artifact), plus its verification material: a Fulcio certificate (keyless)
// or a public key hint, transparency log entries (Rekor v1 with a signed
// entry timestamp and an inclusion proof, or Rekor v2 with a checkpoint and
// an inclusion proof), and optionally RFC 3161 timestamps. [Verify] checks,
// in the order of the Sigstore client specification:
//
//  1. every log entry commits to this bundle: to the artifact digest for a
//     message signature (and the bundle's messageDigest agrees), to the
//     envelope's payload (Rekor v1 dsse, intoto) or its pre-authentication
//     encoding (Rekor v2) for DSSE; consign's check, see below;
//  2. the log entry: its signed entry timestamp or its checkpoint (a C2SP
//     signed note from a log in the trusted root; cosignatures by others
//     are allowed, the log's own signature is required) and its inclusion
//     proof; the entry's signature and key equal the bundle's;
//  3. the time: at least one verified observation of the signature (a
//     Rekor v1 integrated time vouched for by its signed entry timestamp,
//     or a timestamp from a trusted timestamp authority), and every
//     timestamp the bundle carries must verify;
//  4. the certificate chain up to a Fulcio CA of the trusted root, valid at
//     every verified time, and an SCT from a trusted CT log;
//  5. the signature over the artifact (or over the envelope, whose subjects
//     must include the artifact's digest);
//  6. the identity: the certificate's subject and OIDC issuer, exactly or
//     by anchored regular expression, and the GitHub workflow extensions
//     asked for ([Identity]); or, for a key-signed bundle, the one key given.
//
// # Trust model
//
// Trust comes from two things the caller supplies, never from the bundle:
// the trusted root (a trusted_root.json, the Sigstore protobuf-specs
// TrustedRoot; this package reads bytes and fetches nothing) and the
// identity or key expected. The bundle's key hint, its log ids and its
// embedded TSA certificates only select among what the trusted root
// already trusts. The policy is fixed, not chosen by the bundle: a log entry
// is always required, so is a verified time, and a keyless bundle always
// needs an SCT. A verified keyless bundle proves that someone who
// authenticated to the named OIDC issuer as the named identity signed the
// artifact while the certificate was valid; not that the artifact is good.
//
// # Checks consign adds to sigstore-go v1.1.4
//
// sigstore-go v1.1.4 does not compare the digest a log entry commits to with
// the artifact (its own TODO), and with an artifact in hand it ignores the
// bundle's messageDigest. A log entry for another artifact, under the same
// signature and key, would then go unnoticed: this is the class of cosign's
// CVE-2026-22703. consign compares every entry's digest with the bundle's
// content before verification, and the artifact's digest, computed while
// sigstore-go reads it, with the entries' afterwards. The sigstore-conformance
// suite's message-digest-mismatch case fails only because of this check.
//
// For a Rekor v2 entry, sigstore-go v1.1.4 checks the inclusion proof
// against the signed checkpoint's root and size and the entry's index, and
// never reads the proof's own rootHash, treeSize and logIndex. consign
// refuses a bundle whose proof says otherwise than its checkpoint.
//
// # Rekor intoto v0.0.1 entries
//
// cosign before v2.1 logged keyless attestations as Rekor intoto v0.0.1
// entries, which sigstore-go v1.1.4 cannot parse. A bundle v0.1 whose one
// entry is of that kind (package oci rewrites cosign's attestation layers
// as such bundles) is checked here with sigstore-go's parts and the same
// rules: the signed entry timestamp by a log of the trusted root valid at
// the integrated time, the entry's payload hash and certificate equal to
// the bundle's, the certificate chain to a Fulcio CA at the integrated time
// and its SCT, the DSSE signature, the identity, and the artifact among the
// statement's subjects. Only keyless bundles with a digest are read so, and
// none with RFC 3161 timestamps (which this path would not check).
//
// # Policies
//
// [PolicyVerifier] is the verification engine's bundle verifier: it checks a
// bundle as [Verify] does, for the keyless identities of a consign policy
// ([Config.Identities]: any one of them), and reports which of them the
// certificate matches ([Result.Matched]); and, for a bundle a policy key
// signed, it checks the bundle with that key ([Config.Key]), so its
// transparency log entry is verified against the policy's trusted root as a
// keyless bundle's is.
//
// # Errors
//
// [ErrConfig] for unusable options; [ErrBundle] and [ErrTrustedRoot] for
// input that does not parse; [ErrUnverified] when the answer is no, with
// [ErrIdentity] and [ErrLogEntry] wrapping it for the two causes a caller
// may want to tell apart.
//
// [sigstore-go]: https://github.com/sigstore/sigstore-go
package sigstore
