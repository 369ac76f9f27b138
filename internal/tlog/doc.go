// Package tlog is the mathematics of consign's transparency log: what a leaf
// commits to, RFC 6962 inclusion and consistency proofs, checkpoints in the
// C2SP tlog-checkpoint (signed-note) format, witness cosignatures, and
// receipts. It does no I/O: hashes come in through a [HashReader], keys as
// values, and every function is deterministic given its inputs.
//
// # The tree
//
// The log is an RFC 6962 Merkle tree (SHA-256; leaf hash H(0x00 || leaf),
// node hash H(0x01 || left || right)). Its hashes are stored and read by the
// index layout of golang.org/x/mod/sumdb/tlog ([StoredHashes], [StoredHashIndex]),
// whose proofs are the RFC 6962 audit paths and consistency proofs, ordered
// from the leaf upwards.
//
// # Leaves
//
// A leaf ([Leaf]) commits to the log's acceptance time, the SHA-256 of the
// attestation's DSSE pre-authentication encoding (payload type and payload),
// and each signature's SHA-256 with the id of the key the log verified it
// against. It holds no content: no payload, no subject, no product name, so
// that a public log of restricted products discloses nothing but digests
// (security case 76 in docs/security.md). The time is inside the leaf, so it is covered by every
// proof and checkpoint; it, and never a time an attestation claims for
// itself, decides whether a signing key was valid when it signed.
//
// # Checkpoints
//
// A checkpoint is the signed note
//
//	<origin>\n<size>\n<base64 root hash>\n\n— <origin> <base64 key hash || signature>\n
//
// signed by the log's Ed25519 key; the key's name is the origin. [OpenCheckpoint]
// requires the log's own signature (a key-hash match only selects the key to
// try; it never replaces verification), the pinned origin, no extension lines,
// and optionally a number of C2SP tlog-cosignature/v1 witness cosignatures
// (security cases 70, 71 in docs/security.md).
//
// # Trust
//
// A log key is always given by the caller (a policy, a command-line flag, a
// state file written after an earlier verification), never taken from a log's
// own answer (security case 39 in docs/security.md). Hashes are compared with exact byte
// equality, indices and sizes are uint64 on the wire and bounds-checked before
// use (security cases 72, 73 in docs/security.md).
//
// # Errors
//
// Every error wraps one of the sentinels in errors.go: [ErrMalformed] for
// input that does not parse, [ErrUnverified] (and its children
// [ErrCheckpointSignature], [ErrOrigin], [ErrInclusion], [ErrConsistency],
// [ErrIndex], [ErrWitness], [ErrFork], [ErrRollback], [ErrBinding]) when a
// check ran and the answer is no.
package tlog
