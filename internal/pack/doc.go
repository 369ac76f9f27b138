// Package pack writes and reads evidence packs: one archive per release that
// a customer or an inspector verifies offline with nothing but the vendor's
// root public key.
//
// # Format (version 1)
//
// A pack is a POSIX tar archive, gzip-compressed or not. Its first entry is
// manifest.json ([Manifest]); every other entry is a regular file the
// manifest lists with its role, size, SHA-256 and mode, or a symbolic link
// it lists with its target:
//
//	manifest.json                          what the pack holds (not signed: every digest in it is checked)
//	policy/NAME                            the signed policy (DSSE), verified with the owner's key
//	attestations/NN-STAGE.intoto.jsonl     the attestations each stage counted, exact bytes, one per line
//	attestations/NN-STAGE.receipts.jsonl   their transparency-log receipts, when a log is involved
//	attestations/NN-STAGE.K.json|.link     an attestation that is a whole document (a bundle, a v0.9 link)
//	log/checkpoint                         the latest signed checkpoint of the log
//	log/consistency.json                   proofs that each receipt's checkpoint is a prefix of it
//	sboms/NN-STAGE.K.cdx.json|.spdx.json   the SBOMs (predicates of counted SBOM attestations), for reading
//	vsa/NAME.intoto.jsonl                  the signed verification summary, when one was made
//	artifacts/NAME                         the shipped artifacts, when included
//
// The same inputs give the same bytes: entries are sorted, and every header
// carries the same owner, mode and time (SOURCE_DATE_EPOCH, or the epoch).
//
// # Reading
//
// A pack comes from outside, so [Read] trusts nothing in it and reads the
// stream once: the bytes it hashes are the bytes it returns or extracts
// (security case 44 in docs/security.md). It refuses names that are absolute, climb out with
// "..", use backslashes or drive letters, or collide with another after
// case folding and Unicode NFC normalisation (41, 68); duplicate names;
// device files, FIFOs and sparse files; symbolic links that leave the pack
// or point at anything but a file in it, and hard links to anything but an
// earlier file (42); a mode, size or digest other than the manifest's (36);
// entries the manifest does not list, and listed files that are missing; and
// archives larger than the configured caps in bytes, entries or compression
// ratio (43). Nothing is written to the filesystem unless extraction is asked
// for, and then only inside a fresh directory that appears whole or not at
// all (45).
package pack
