// Package attest reads, writes, signs and verifies in-toto attestations:
// the [Statement] (in-toto Statement v1, v0.1 read too), the DSSE
// [Envelope] around it with its pre-authentication encoding ([PAE]),
// JSON Lines files of envelopes and the other containers consign reads
// ([Read]: Sigstore and cosign bundles, in-toto v0.9 links), and a
// [Keyring] of trusted keys.
//
// # Contract
//
// Everything this package reads is untrusted. It is read strictly and
// once: [CheckJSON] first (the one strict JSON checker of
// internal/strictjson: no duplicate or case-folded keys, valid UTF-8, no
// lone surrogate, bounded depth), then field names matched exactly, counts
// capped by internal/limits, and digest sets validated by
// [digest.Set.Validate]. A parse either returns a complete value or nil
// and an error; never a partial value.
//
// A long envelope line (a step of a million files is some 300 MB) can be
// read as it streams by an [EnvelopeSink] given to jsonl: the payload is
// decoded a piece at a time and the line is never held whole beside it.
// The sink reads only what [ParseEnvelope] reads, to the same envelope,
// and gives every other line back byte for byte to be read as before.
//
// Verification ([VerifyEnvelope], [VerifyItem]) checks the payload type,
// then signatures over the exact signed bytes (the PAE, never a
// re-encoding), and only then the statement inside, its predicate type
// and subject. Nothing an envelope says (a key id, a name) selects a
// trusted key or stands for one.
//
// Predicates are not this package's: internal/predicate writes, parses
// and schema-checks each predicate type. The predicate type URIs and
// their short names are here ([PredicateLink], [ShortNames]) because every
// reader of a statement needs them.
//
// # Errors
//
// Errors about content wrap [ErrInvalid] ([ErrMalformed] for input that
// does not parse strictly); "the answer is no" wraps [ErrUnverified]
// ([ErrSignature], [ErrWrongType], [ErrSubjectMismatch]). Callers use
// errors.Is.
package attest
