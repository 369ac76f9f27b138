// Package oci reads and writes signatures and attestations about container
// images in OCI registries, with go-containerregistry for the registry
// protocol.
//
// # Identity
//
// An image is known by its manifest digest. [Client.Resolve] turns a
// reference into a digest once, by hashing the manifest bytes the registry
// sent (never by trusting a header or a tag), and everything afterwards is
// fetched and checked by that digest: a tag that moves while consign works
// changes nothing, and a reference by digest must resolve to exactly that
// digest.
//
// # Conventions
//
// Two conventions attach things to an image, and both are read and written:
//
//   - OCI 1.1 referrers: an artifact manifest whose subject is the image,
//     found through the registry's referrers API, or, where a registry lacks
//     it, through the referrers tag schema (an index tagged sha256-HEX).
//   - cosign's tag scheme: an image tagged sha256-HEX.sig holding simple-signing
//     payloads with their signatures in layer annotations, sha256-HEX.att
//     holding DSSE envelopes, and sha256-HEX.sbom holding SBOMs.
//
// [Mode] chooses where writes go; reads always look in every place.
//
// Sigstore bundles attached as referrers (cosign --new-bundle-format, cosign
// v3's default) are read too. A bundle whose DSSE statement has the predicate
// type [CosignSignPredicateType] is a signature on the image, checked by
// [VerifySignatures] (with keys) or [VerifySignaturesKeyless] (a trusted root
// and an identity, through the sigstore package); any other bundle is an
// attestation. Either way the signed statement must name the image's
// resolved digest: a bundle about another image attached to this one signs
// nothing.
//
// An OCI image layout directory as 'cosign save' writes it is read by
// [ReadLayout]: the image and its signatures and attestations, every blob
// checked against its digest. [Attachment.CosignBundle] rewrites cosign's
// keyless attestation layer (a DSSE envelope with the Fulcio certificate and
// the Rekor entry in annotations) as the Sigstore bundle v0.1 it amounts to,
// for package sigstore to verify.
//
// cosign's own OCI packages (github.com/sigstore/cosign/v2/pkg/oci) are not
// used: importing them pulls cosign's Fulcio, Rekor and TUF clients into the
// consign binary, which the import-graph test forbids. The tag scheme and its
// media types and annotations are small and written here instead (see
// cosign.go); the interoperability tests prove cosign reads what this
// package writes and the other way round.
//
// # Untrusted registries
//
// A registry is not trusted. Manifests, blobs and indexes are read through
// size caps ([Limits]), every blob and manifest is checked against its
// digest, a referrer whose subject is another image is refused, and lists
// are cut off at a fixed length. Each of these is an error, never a
// silent skip: errors wrap [ErrTooLarge], [ErrDigestMismatch],
// [ErrSubjectMismatch]. Registry answers map to [ErrUnauthorized],
// [ErrDenied], [ErrNotFound] and [ErrRegistry]; 429 and 5xx answers are
// retried with backoff first.
package oci
