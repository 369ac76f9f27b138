package oci

import (
	"fmt"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/sign"
)

// ImageDigestSet is the image's manifest digest as a subject digest, the
// artifact that signatures and attestations about the image must name.
func ImageDigestSet(img *Image) digest.Set {
	return digest.Set{img.Digest.Algorithm: img.Digest.Hex}
}

// SignatureResult is the check of one signature attachment.
type SignatureResult struct {
	Attachment *Attachment
	// Signers are the trusted keys the signature verifies with.
	Signers []*sign.Verifier
	// Identity is the keyless signer, "SUBJECT (issuer ISSUER)", of a
	// Sigstore bundle verified with [VerifySignaturesKeyless].
	Identity string
	// Err says why it did not verify; nil when it did.
	Err error
}

// VerifySignatures checks every signature attachment against the trusted
// keys: cosign's simple-signing signatures (the signature over the payload,
// and that the payload names img's digest) and cosign's Sigstore bundle
// signatures (cosign sign --new-bundle-format: a DSSE statement of predicate
// type [CosignSignPredicateType] whose subject is img's digest). It returns
// one result per signature, and an error wrapping [ErrNoSignature] when
// none verifies (no signature at all included).
func VerifySignatures(img *Image, atts []Attachment, kr *attest.Keyring) ([]SignatureResult, error) {
	return verifySignatures(img, atts, func(a *Attachment) SignatureResult {
		r := SignatureResult{Attachment: a}
		if a.Kind == KindBundle {
			r.Signers, r.Err = verifySignBundle(img, a, kr)
		} else if _, err := ParseSimpleSigning(a.Payload, img.Digest); err != nil {
			r.Err = err
		} else if r.Signers = kr.SignedBy(a.Payload, [][]byte{a.Signature}); len(r.Signers) == 0 {
			r.Err = fmt.Errorf("%w: no trusted key made this signature", attest.ErrSignature)
		}
		return r
	})
}

// VerifySignaturesKeyless is [VerifySignatures] for keyless signers: the
// Sigstore bundle signatures are checked with [sigstore.Verify] against
// kl's trusted root and identity; a simple-signing signature fails, as
// consign reads keyless image signatures only in bundles.
func VerifySignaturesKeyless(img *Image, atts []Attachment, kl *Keyless) ([]SignatureResult, error) {
	return verifySignatures(img, atts, func(a *Attachment) SignatureResult {
		r := SignatureResult{Attachment: a}
		if a.Kind != KindBundle {
			r.Err = fmt.Errorf("%w: keyless signatures are read from Sigstore bundles (cosign sign --new-bundle-format), not simple-signing layers", attest.ErrSignature)
			return r
		}
		res, err := kl.Verify(img, a.Payload, []string{CosignSignPredicateType})
		if err != nil {
			r.Err = err
			return r
		}
		r.Identity = res.Subject + " (issuer " + res.Issuer + ")"
		return r
	})
}

func verifySignatures(img *Image, atts []Attachment, check func(*Attachment) SignatureResult) ([]SignatureResult, error) {
	var out []SignatureResult
	ok := 0
	for i := range atts {
		a := &atts[i]
		if a.Kind != KindSignature && !isSignBundle(a) {
			continue
		}
		r := check(a)
		if r.Err == nil {
			ok++
		}
		out = append(out, r)
	}
	if ok == 0 {
		return out, fmt.Errorf("%s: %w (%d signature(s) found)", img.Ref, ErrNoSignature, len(out))
	}
	return out, nil
}

// Items reads the attestations and bundles among atts as attest items, for
// attest.VerifyItem with the image's digest as the subject. A payload that
// does not read becomes an item with Err set, so it is reported, not
// skipped. Bundles that are cosign's image signatures are left to
// [VerifySignatures].
func Items(atts []Attachment) []attest.Item {
	var out []attest.Item
	for i := range atts {
		a := &atts[i]
		if a.Kind != KindAttestation && a.Kind != KindBundle || isSignBundle(a) {
			continue
		}
		items, err := attest.Read(a.Payload, a.Name())
		if err != nil {
			out = append(out, attest.Item{Source: a.Name(), Format: string(a.Kind), Err: err})
			continue
		}
		out = append(out, items...)
	}
	return out
}

// PredicateType is the predicate type of an item's statement, read without
// checking its signature (for listing and filtering only), or "".
func PredicateType(it *attest.Item) string {
	if it.Err != nil || it.Envelope == nil || it.Envelope.PayloadType != attest.PayloadType {
		return ""
	}
	st, err := attest.ParseStatement(it.Envelope.Payload)
	if err != nil {
		return ""
	}
	return st.PredicateType
}
