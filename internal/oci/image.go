package oci

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sigstore"
)

// Attachments resolves ref once and discovers what is attached to its
// digest ([Client.Resolve], then [Client.Discover]). A reference by digest
// names the places to look in before its manifest is read, so then the
// manifest and the places are read at once; the answer is the same as
// reading them one after the other (a failure to resolve is the error,
// whatever discovery found).
func (c *Client) Attachments(ctx context.Context, ref string) (*Image, []Attachment, error) {
	return c.attachments(ctx, ref, readAll)
}

func (c *Client) attachments(ctx context.Context, ref string, rd reading) (*Image, []Attachment, error) {
	r, err := c.ParseReference(ref)
	if err != nil {
		return nil, nil, err
	}
	s, err := c.session(ctx, r.Context())
	if err != nil {
		return nil, nil, err
	}
	if d, ok := r.(name.Digest); ok {
		if h, err := v1.NewHash(d.DigestStr()); err == nil {
			return c.attachmentsByDigest(ctx, s, r, ref, h, rd)
		}
	}
	img, err := s.resolve(ctx, r, ref)
	if err != nil {
		return nil, nil, err
	}
	atts, err := c.discover(ctx, img, rd)
	if err != nil {
		return nil, nil, err
	}
	return img, atts, nil
}

// attachmentsByDigest is attachments for a reference by digest h: the
// places are looked in while the manifest is read, and the looking is
// cancelled if the manifest does not resolve.
func (c *Client) attachmentsByDigest(ctx context.Context, s *session, r name.Reference, ref string, h v1.Hash, rd reading) (*Image, []Attachment, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type found struct {
		atts []Attachment
		err  error
	}
	done := make(chan found, 1)
	go func() {
		atts, err := c.discover(ctx, &Image{Ref: s.repo.Digest(h.String()), Digest: h, Given: ref}, rd)
		done <- found{atts, err}
	}()
	img, err := s.resolve(ctx, r, ref)
	if err != nil {
		cancel()
		<-done
		return nil, nil, err
	}
	f := <-done
	if f.err != nil {
		return nil, nil, f.err
	}
	return img, f.atts, nil
}

// AttachedAttestations is [Client.Attachments] for a reader of
// attestations and bundles: cosign's .sig and .sbom tags, which never hold
// one, are not read.
func (c *Client) AttachedAttestations(ctx context.Context, ref string) (*Image, []Attachment, error) {
	return c.attachments(ctx, ref, readAttestations)
}

// ImageSignatures is what [Client.VerifyImage] found.
type ImageSignatures struct {
	Image   *Image
	Results []SignatureResult
}

// VerifyImage resolves ref once, finds the signatures attached to its
// digest, and checks them against kr. It returns the results with an error
// wrapping [ErrNoSignature] when none verifies, or the error of resolving or
// discovery.
func (c *Client) VerifyImage(ctx context.Context, ref string, kr *attest.Keyring) (*ImageSignatures, error) {
	img, atts, err := c.Attachments(ctx, ref)
	if err != nil {
		return nil, err
	}
	res, err := VerifySignatures(img, atts, kr)
	return &ImageSignatures{Image: img, Results: res}, err
}

// Attestations resolves ref once and returns the attestations attached to
// its digest as items for attest.VerifyItem, unverified.
func (c *Client) Attestations(ctx context.Context, ref string) (*Image, []attest.Item, error) {
	img, atts, err := c.attachments(ctx, ref, readAttestations)
	if err != nil {
		return nil, nil, err
	}
	return img, Items(atts), nil
}

// Entry is one line of [Client.DiscoverImage]'s listing.
type Entry struct {
	Kind          Kind   `json:"kind"`
	Source        Source `json:"source"`
	Manifest      string `json:"manifest"`
	Layer         string `json:"layer"`
	MediaType     string `json:"mediaType"`
	ArtifactType  string `json:"artifactType,omitempty"`
	PredicateType string `json:"predicateType,omitempty"`
	// KeyIDs are the trusted keys that verified it (with keys given).
	KeyIDs []string `json:"keyIds,omitempty"`
	// Status is "verified", "unverified" (keys given, none verifies it), or
	// "unchecked" (no keys given, or a kind consign does not check).
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// DiscoverImage resolves ref once and lists everything attached to its
// digest. With kr, signatures and attestations are fetched and checked
// against it (the image's digest as the subject); without, they are listed
// from the manifests alone, unchecked, with the predicate types their
// annotations claim.
func (c *Client) DiscoverImage(ctx context.Context, ref string, kr *attest.Keyring) (*Image, []Entry, error) {
	if kr == nil {
		// Nothing to check: the manifests say what is there.
		img, atts, err := c.attachments(ctx, ref, listAll)
		if err != nil {
			return nil, nil, err
		}
		out := make([]Entry, len(atts))
		for i := range atts {
			out[i] = newEntry(&atts[i])
			out[i].PredicateType = atts[i].AnnotatedPredicateType()
		}
		return img, out, nil
	}
	img, atts, err := c.attachments(ctx, ref, readAll)
	if err != nil {
		return nil, nil, err
	}
	var out []Entry
	for i := range atts {
		a := &atts[i]
		base := newEntry(a)
		switch {
		case a.Kind == KindSignature || isSignBundle(a):
			e := base
			r, _ := VerifySignatures(img, atts[i:i+1], kr)
			e.Status = "verified"
			if r[0].Err != nil {
				e.Status, e.Reason = "unverified", r[0].Err.Error()
			}
			for _, s := range r[0].Signers {
				e.KeyIDs = append(e.KeyIDs, s.KeyID())
			}
			out = append(out, e)
		case a.Kind == KindAttestation || a.Kind == KindBundle:
			for _, it := range Items(atts[i : i+1]) {
				out = append(out, describeItem(base, &it, img, kr))
			}
		default:
			out = append(out, base)
		}
	}
	return img, out, nil
}

func newEntry(a *Attachment) Entry {
	return Entry{Kind: a.Kind, Source: a.Source, Manifest: a.Manifest.String(), Layer: a.Digest.String(),
		MediaType: a.MediaType, ArtifactType: a.ArtifactType, Status: "unchecked"}
}

func describeItem(e Entry, it *attest.Item, img *Image, kr *attest.Keyring) Entry {
	if it.Err != nil {
		e.Status, e.Reason = "unverified", it.Err.Error()
		return e
	}
	e.PredicateType = PredicateType(it)
	v, err := attest.VerifyItem(it, kr, attest.VerifyOptions{Subject: ImageDigestSet(img)})
	if err != nil {
		e.Status, e.Reason = "unverified", err.Error()
		return e
	}
	e.Status = "verified"
	for _, s := range v.Signers {
		e.KeyIDs = append(e.KeyIDs, s.KeyID())
	}
	return e
}

// Evidence is one attestation or bundle attached to an image, as bytes to
// hand to a verifier, named by the image's digest and where it was found.
type Evidence struct {
	Name string
	Data []byte
}

// Evidence resolves ref once and returns the attestations and bundles
// attached to its digest, unverified, for a release gate that checks them
// with the digest as the artifact.
func (c *Client) Evidence(ctx context.Context, ref string) (*Image, []Evidence, error) {
	img, atts, err := c.attachments(ctx, ref, readAttestations)
	if err != nil {
		return nil, nil, err
	}
	var out []Evidence
	for i := range atts {
		if a := &atts[i]; (a.Kind == KindAttestation || a.Kind == KindBundle) && !isSignBundle(a) {
			out = append(out, Evidence{Name: img.Ref.String() + " " + a.Name(), Data: a.Payload})
		}
	}
	return img, out, nil
}

// VerifyImageKeyless is [Client.VerifyImage] for a keyless signer: the
// signatures are checked with [VerifySignaturesKeyless].
func (c *Client) VerifyImageKeyless(ctx context.Context, ref string, kl *Keyless) (*ImageSignatures, error) {
	img, atts, err := c.Attachments(ctx, ref)
	if err != nil {
		return nil, err
	}
	res, err := VerifySignaturesKeyless(img, atts, kl)
	return &ImageSignatures{Image: img, Results: res}, err
}

// KeylessResult is the check of one attestation attached to an image
// against a keyless signer.
type KeylessResult struct {
	Attachment *Attachment
	// Result is what verified; nil when Err is set.
	Result *sigstore.Result
	Err    error
}

// VerifyAttestationsKeyless checks every attestation in atts against kl
// with [Keyless.Verify], the image's digest as the subject and the
// predicate type one of types (any when empty; another type is an
// [attest.ErrWrongType]). A DSSE envelope outside a bundle carries no
// certificate, so it fails.
func VerifyAttestationsKeyless(img *Image, atts []Attachment, kl *Keyless, types []string) []KeylessResult {
	var out []KeylessResult
	for i := range atts {
		a := &atts[i]
		switch {
		case a.Kind == KindBundle && !isSignBundle(a):
			res, err := kl.Verify(img, a.Payload, types)
			out = append(out, KeylessResult{Attachment: a, Result: res, Err: err})
		case a.Kind == KindAttestation:
			out = append(out, KeylessResult{Attachment: a, Err: fmt.Errorf("%w: a DSSE envelope without a certificate cannot be checked against a keyless identity", attest.ErrSignature)})
		}
	}
	return out
}
