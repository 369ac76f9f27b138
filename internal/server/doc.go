// Package server is consign's attestation server and transparency log over
// HTTP: build systems publish DSSE envelopes with a token, the log records
// them and answers with receipts, and anyone (or, with ReadTokenRequired,
// anyone holding a token for the product) fetches attestations by subject
// digest, entries by index, the signed checkpoint, and proofs.
//
// # API
//
//	POST /api/v1/attestations                     publish (Bearer token; JSON Lines of envelopes, or one envelope)
//	GET  /api/v1/attestations?subject=sha256:HEX   every envelope about a digest, with receipts
//	GET  /api/v1/entries/{index}                   one entry, with its receipt
//	GET  /api/v1/log/checkpoint                    the signed checkpoint (C2SP tlog-checkpoint, text/plain)
//	GET  /api/v1/log/key                           the log's verifier key (informational: never trust it from here)
//	GET  /api/v1/log/proof/inclusion?index=I&size=N
//	GET  /api/v1/log/proof/consistency?from=M&to=N
//
// Errors are RFC 9457 problem details (application/problem+json). The
// bodies of each endpoint are the types of internal/api; the client is
// internal/client, which shares nothing with the server but those types.
//
// # Publishing
//
// Every envelope of a request is parsed strictly, every one of its
// signatures must verify with one of the keys the token is scoped to, and
// its statement must be a valid in-toto statement, before anything is
// logged; one bad envelope rejects the request. Entries are appended by a
// sequencer that groups concurrent requests into one database transaction;
// the transaction, not the process, serialises the log, so several servers
// may share one PostgreSQL database. A receipt is handed out only after the
// transaction commits.
//
// # Limits
//
// Request bodies, batch sizes and envelope sizes are capped ([Limits]), and
// so are the body bytes held at once over all requests (503 with
// Retry-After past it), large envelopes' real cost, and so are each
// token's body bytes and publishes in flight, so that one token cannot
// hold all of that budget however many connections it uses (429 with
// Retry-After past its share);
// each token has a token-bucket rate in envelopes per second (429 with
// Retry-After past it); a full sequencer queue answers 503 with Retry-After;
// the HTTP server has header, read, write and idle timeouts, so a slow
// client holds a connection, never the log.
package server
