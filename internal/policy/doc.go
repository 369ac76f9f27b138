// Package policy reads, checks and signs consign's release policies: what a
// product must show before it ships (docs/design.md, "Policy"; docs/policy.md for
// the format, with examples in policies/).
//
// # Model
//
// A [Policy] names the product, an expiry, the owner's root key, optional
// transparency-log settings, the functionaries (people and systems, each
// with public keys, a validity window and a revocation time) and the stages
// in order. A [Stage] names who signs for it (By), how many distinct keys
// must (Threshold, at least 1), the predicate types it must show
// (Require), in-toto artifact [Rule]s for its materials and products, and
// predicate [Check]s: SBOM coverage and licences, SLSA provenance
// allow-lists (exact strings, never patterns), test results, and Rego.
//
// # Parsing
//
// [Parse] reads YAML strictly and reports every problem with its line
// ([ParseError]): unknown fields, duplicate keys, aliases, a second
// document, a threshold outside 1..(distinct keys), rules and patterns that
// do not parse ([CompilePattern]: Python fnmatch semantics, a bad pattern
// is an error), empty lists that would mean "anything", checks that no
// required type feeds. [Lint] adds what a verifier decides later or what is
// merely suspicious: expiry, one key under two names, unconnected stages,
// rule lists without a final DISALLOW, "[^" in a pattern.
//
// # Signing and trust
//
// [Sign] replaces every key file and Rego module file by its contents
// ([Inline], on the same lines) and signs the result as a DSSE envelope of
// type [PayloadType] with the owner's key. [Open] verifies such an envelope
// with the trust roots the verifier holds, in this order: payload type,
// signature over the PAE, strict parse (a signed policy never names a file,
// [ErrKeyFile]), owner, expiry. A policy is not an in-toto statement: its
// payload type keeps the owner's signatures on policies apart from any
// signature on attestations.
//
// # Legacy layouts
//
// [ParseLayout] reads an in-toto v0.9 layout as a [Layout]: steps become
// stages that require links, keys become functionaries; where in-toto-golang
// v0.9 departs from the in-toto specification (thresholds of 0, one key
// under two key ids, pattern errors, "[^" classes), the specification wins.
//
// # Errors
//
// Content errors wrap [ErrInvalid] ([ErrPattern], [ErrRule],
// [ErrPayloadType], [ErrKeyFile]); a policy that does not verify wraps
// [ErrUnverified] ([ErrSignature], [ErrOwner], [ErrExpired]), which wraps
// attest.ErrUnverified.
package policy
