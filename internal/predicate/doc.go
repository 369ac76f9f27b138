// Package predicate is the one home of every predicate type consign
// writes or reads: each is written, parsed and checked against its JSON
// Schema (attestations/schemas) here, and nowhere else.
//
//   - [Link]: in-toto link predicate v0.3, the record of one step
//     ('consign run' writes it; verify reads its name and materials).
//   - [Provenance]: SLSA Provenance v1 ('consign run' writes it; the
//     policy's SLSA check reads the builder, build type, external
//     parameters and source repository).
//   - [VSA]: SLSA Verification Summary v1 (verify writes it; an evidence
//     pack's check reads its policy digest and result).
//   - [TestResult]: in-toto test result v0.1 (the policy's tests check
//     reads its result and failed tests).
//   - intake, delivery and patch, consign's own types, and any other type
//     with a schema: checked with [Validate] before they are signed. Audit
//     and the types Sigstore intake brings get their Go type here when
//     consign first reads them field by field.
//
// # Contract
//
// For a predicate type T:
//
//   - (*T).Marshal returns the JSON consign signs, and checks it against
//     the type's schema first; the bytes are deterministic (fields in a
//     fixed order, lists and maps written empty rather than null).
//   - ParseT reads the raw predicate of a statement [attest.ParseStatement]
//     returned (so strict JSON already), strictly: field names exact at
//     every level it reads, so that "ID" never stands in for a builder's
//     "id" (encoding/json would read it so, other readers would not). It
//     reads what consign acts on, and says in its doc what it leaves out.
//     On error it returns nil and an error wrapping [attest.ErrInvalid] ([attest.ErrMalformed] for what
//     does not decode): never a partial value.
//   - [Validate] checks any predicate against its type's schema; a type
//     with no schema only has to be a JSON object.
//
// A parser does not validate what a verifier validates with context: a
// link's material digests are checked by verify, which names the
// material in its error.
//
// # Errors
//
// Errors wrap the sentinels of attest ([attest.ErrInvalid],
// [attest.ErrMalformed], [attest.ErrPredicate] for a schema failure), so
// that a caller tells a bad predicate from a bad statement by neither.
package predicate
