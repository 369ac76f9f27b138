package oci

import (
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/sigstore"
)

// CosignSignPredicateType is the predicate type of the statement cosign
// signs for an image with --new-bundle-format (cosign v3's default): a
// signature on the image, in a Sigstore bundle attached as a referrer.
const CosignSignPredicateType = "https://sigstore.dev/cosign/sign/v1"

// isSignBundle reports whether a bundle attachment is an image signature
// rather than an attestation, by the predicate type its annotations claim
// or, with the payload fetched, its statement says. Nothing is trusted
// here: this only picks the check the bundle gets, and the check requires
// the predicate type under the signature.
func isSignBundle(a *Attachment) bool {
	if a.Kind != KindBundle {
		return false
	}
	if len(a.Payload) == 0 {
		return a.AnnotatedPredicateType() == CosignSignPredicateType
	}
	items, err := attest.Read(a.Payload, a.Name())
	return err == nil && len(items) == 1 && PredicateType(&items[0]) == CosignSignPredicateType
}

// verifySignBundle checks a cosign sign bundle against trusted keys: the
// DSSE envelope's signature, the predicate type and the image's digest as
// its subject. The bundle's log entries are not read, as with every
// key-signed attestation consign verifies without a trusted root.
func verifySignBundle(img *Image, a *Attachment, kr *attest.Keyring) ([]*sign.Verifier, error) {
	items, err := attest.Read(a.Payload, a.Name())
	if err != nil {
		return nil, err
	}
	if len(items) != 1 {
		return nil, fmt.Errorf("%w: %d items in one bundle", attest.ErrMalformed, len(items))
	}
	v, err := attest.VerifyItem(&items[0], kr, attest.VerifyOptions{PredicateTypes: []string{CosignSignPredicateType}, Subject: ImageDigestSet(img)})
	if err != nil {
		return nil, err
	}
	return v.Signers, nil
}

// Keyless is who must have signed a keyless Sigstore bundle attached to an
// image, and under which trusted root (a trusted_root.json, never fetched).
type Keyless struct {
	TrustedRoot []byte
	Identity    sigstore.Identity
}

// Verify checks a Sigstore bundle about img with [sigstore.Verify]: the
// certificate chain, timestamps and log entries against the trusted root,
// the identity, and the image's digest as a subject of the DSSE statement,
// whose predicate type must be one of types (any, if types is empty). Its
// errors are those of [sigstore.Verify], and [attest.ErrWrongType] for
// another predicate type.
func (kl *Keyless) Verify(img *Image, bundle []byte, types []string) (*sigstore.Result, error) {
	if img.Digest.Algorithm != "sha256" {
		return nil, fmt.Errorf("%w: keyless bundles are checked against a sha256 image digest, the image's is %s", sigstore.ErrConfig, img.Digest.Algorithm)
	}
	d, err := hex.DecodeString(img.Digest.Hex)
	if err != nil {
		return nil, fmt.Errorf("image digest %s: %w", img.Digest, err)
	}
	res, err := sigstore.Verify(sigstore.Config{Bundle: bundle, TrustedRoot: kl.TrustedRoot, Identity: &kl.Identity, Digest: d})
	if err != nil {
		return nil, err
	}
	if !res.DSSE {
		return nil, fmt.Errorf("%w: a message signature, not an in-toto statement about the image", sigstore.ErrUnverified)
	}
	if len(types) > 0 && !slices.Contains(types, res.PredicateType) {
		return nil, fmt.Errorf("%w: %s", attest.ErrWrongType, res.PredicateType)
	}
	return res, nil
}
