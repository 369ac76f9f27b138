// Package sign loads, generates and writes signing keys, and signs and
// verifies raw messages with them.
//
// # Key files
//
// Private keys are written in cosign's encrypted format: a PEM block of type
// "ENCRYPTED SIGSTORE PRIVATE KEY" holding PKCS #8 DER sealed with scrypt and
// NaCl secretbox (go-securesystemslib/encrypted), so cosign reads consign's
// keys and consign reads cosign's. Plain PKCS #8, SEC 1 ("EC PRIVATE KEY") and
// PKCS #1 PEM private keys are read too; they are written only on explicit
// request ([MarshalPrivateKeyUnencryptedUnsafe]). Public keys are PKIX PEM
// ("PUBLIC KEY"); a certificate's key is accepted where a public key is asked for.
//
// # Algorithms
//
// ECDSA P-256 (the default), P-384 and P-521 sign the SHA-256, SHA-384 and
// SHA-512 digest of the message respectively, with ASN.1 DER signatures, as
// sigstore does. Ed25519 signs the message itself (pure Ed25519, as DSSE and
// in-toto expect); a verifier also accepts Ed25519ph, which cosign uses for
// blobs. RSA keys of at least 2048 bits with e = 65537 verify PKCS #1 v1.5 and
// PSS over SHA-256. Anything else (RSA under 2048 bits, small exponents, P-224,
// secp256k1, DSA, a malformed Ed25519 key, or one of small order, under
// which one signature verifies every message) is refused with [ErrUnsupportedKey]
// (security case 62 in docs/security.md).
//
// # Key ids
//
// A key's id is the lowercase hex SHA-256 of its DER SubjectPublicKeyInfo
// ([KeyID]). Ids are labels for people and hints for lookup; trust decisions
// compare the keys themselves.
package sign
