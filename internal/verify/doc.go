// Package verify is consign's verification engine: a signed policy (or an
// in-toto v0.9 layout) and a set of attestations in, a [Result] out, as a
// tree: the policy, each stage, the attestations that counted for it and
// their signers, its rules and checks, then the artifacts.
//
// # Trust
//
// Trust flows one way (docs/design.md): the trust root the caller holds verifies
// the policy; the policy names the functionaries' keys; those keys verify
// attestations; counted attestations vouch for artifacts. Key ids inside
// envelopes and links are hints that only order the keys tried; nothing in
// an attestation chooses which key it is checked with.
//
// # Counting
//
// An attestation counts for a stage when a key of one of the stage's
// functionaries signed it (over the DSSE PAE, or the canonical JSON of an
// in-toto v0.9 link), the key is valid (see below), its predicate type is
// one the stage requires, and, for a link, its name is the stage's. Each
// required type needs threshold distinct signers, counted by key (SPKI) or
// by keyless identity (issuer and subject), never by label. A stage's
// materials and products are the union of its counted links (or, with no
// link, its attestations' subjects as products); an artifact two counted
// links report with different digests is a failure, and with a threshold
// above 1 every artifact must be reported by threshold distinct signers. An in-toto layout's steps keep in-toto's rule instead: all
// their links must report identical artifacts.
//
// # Keyless functionaries
//
// A functionary may be a keyless identity (policy.Identity): a Sigstore
// bundle that no policy key signed is verified in full by the caller's
// [BundleVerifier] against the trusted root the identity names (carried in
// the signed policy, or named there by digest and supplied in
// [Config.TrustedRoots]), and counts for the functionaries whose identities
// its certificate matches. Its signer is the certificate's OIDC issuer and
// subject: thresholds count one identity once, however many certificates or
// bundles it has. Its time is the earliest time the bundle's log or
// timestamp authority verifiably observed the signature.
//
// # Time
//
// A key counts when its functionary's window holds the time of the
// signature: the time a transparency log recorded the attestation, proven by
// a [ReceiptChecker], or without one the time of verification. A time an
// attestation claims for itself is never used. So without a receipt, a
// revoked or expired key counts for nothing (docs/design.md, "Receipt").
//
// # Rules and checks
//
// Artifact rules follow in-toto (the specification, section 4.3.3, and its
// Python reference where in-toto-golang differs): MATCH only considers
// artifacts under its source prefix, patterns are fnmatch (policy.Pattern),
// names and patterns are cleaned, and a MATCH needs a strong digest to
// agree. Checks (SBOM, SLSA, tests, Rego) run over every counted attestation
// of their types; a check with nothing to check, an error, or a panic is a
// failure.
//
// # No I/O
//
// The engine reads nothing and runs nothing by itself: attestations come
// as bytes ([Input]), receipts through a [ReceiptChecker], keyless bundles
// through a [BundleVerifier], rollback state
// through a [StateStore], an in-toto layout's links through an [fs.FS] and
// its inspections through an [Inspector], each supplied by the caller (the
// evidence package loads them from the file system; an evidence pack holds
// them in memory). A [Result] is data, with a versioned media type
// ([ResultMediaType]); the report package renders it.
//
// # Failing closed
//
// An empty set of attestations, an attestation that cannot be read, a
// stage with nothing to show, a required type nobody produced, a parse
// error, a panic in a check: each is a failure, never a pass. [Verify]
// returns an error only for settings it cannot use ([ErrConfig]);
// otherwise the answer is in [Result.Passed] and [Result.Err].
package verify
