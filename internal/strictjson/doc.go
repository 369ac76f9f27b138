// Package strictjson is consign's one strict reader of untrusted JSON:
// [Check] refuses any document that two parsers could read differently,
// and the decoder functions read the parts of a document Check accepted
// without decoding what the caller does not look at.
//
// # The rules
//
// [Check] accepts exactly one JSON value (RFC 8259) in valid UTF-8, with
// no escaped lone UTF-16 surrogate, nesting no deeper than
// [limits.JSONDepth], and no object holding one key twice or two keys
// equal under Unicode case folding (encoding/json matches field names
// that way and keeps the last duplicate; other parsers keep the first).
// Every package that reads signed or logged JSON (attestations, policies,
// receipts, packs) calls it before anything else reads the bytes, so that
// one document has one reading wherever it is read.
//
// # The decoder
//
// [ObjectFields], [Object], [Array], [String] and [Text] read a document
// Check accepted: an object's members with their values undecoded, an
// array's elements, a string. [ObjectFields] also refuses a key that
// equals a known field name under case folding without being it, so that
// "Subject" never stands in for "subject". A [Text] hands out the strings
// of its document as substrings of one copy, for readers of documents
// holding thousands of names and digests.
//
// # Errors
//
// Errors say what is wrong ("duplicate key \"a\"", "material is not a JSON
// object") and wrap no sentinel: a caller wraps them in its own
// ("%w: %v"), as attest does with attest.ErrMalformed.
//
// # Layering
//
// The package imports nothing of consign but [limits], so that every
// layer, the transparency log's maths included, can use it.
package strictjson
