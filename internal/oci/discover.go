package oci

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Kind is what an attachment is.
type Kind string

const (
	KindSignature   Kind = "signature"   // a cosign simple-signing signature
	KindAttestation Kind = "attestation" // a DSSE envelope
	KindBundle      Kind = "bundle"      // a Sigstore bundle
	KindSBOM        Kind = "sbom"        // an SBOM document (cosign attach sbom)
	KindOther       Kind = "other"       // a referrer consign does not read
)

// Source is where an attachment was found.
type Source string

const (
	SourceReferrers    Source = "referrers"     // the referrers API
	SourceReferrersTag Source = "referrers-tag" // the referrers tag schema index
	SourceCosignTag    Source = "cosign-tag"    // cosign's .sig/.att/.sbom tags
)

// Attachment is one layer attached to an image, its bytes checked against
// its digest. Nothing in it is verified yet: signatures are checked by
// [VerifySignatures] and by the attest package.
type Attachment struct {
	Kind   Kind
	Source Source
	// Manifest is the digest of the manifest holding the layer, and
	// ArtifactType that manifest's artifact type (referrers only).
	Manifest     v1.Hash
	ArtifactType string
	MediaType    string
	Digest       v1.Hash
	Annotations  map[string]string
	// Payload is the layer's bytes (empty for KindOther).
	Payload []byte
	// Signature is the decoded signature annotation of a KindSignature.
	Signature []byte
}

// Name identifies the attachment in reports: SOURCE@MANIFEST/LAYER.
func (a *Attachment) Name() string {
	return fmt.Sprintf("%s@%s/%s", a.Source, a.Manifest.Hex[:12], a.Digest.Hex[:12])
}

// Discover finds everything attached to img: referrers through the API
// and the referrers tag schema, and cosign's tags. A referrer about another
// image, a layer that does not match its digest, or anything over [Limits]
// is an error, not a skipped entry.
func (c *Client) Discover(ctx context.Context, img *Image) ([]Attachment, error) {
	s, err := c.session(ctx, img.Ref.Context())
	if err != nil {
		return nil, err
	}
	d := &discovery{s: s, img: img, seen: map[v1.Hash]bool{}}
	if err := d.referrers(ctx); err != nil {
		return nil, err
	}
	for _, suffix := range []string{SuffixSignature, SuffixAttestation, SuffixSBOM} {
		if err := d.cosignTag(ctx, suffix); err != nil {
			return nil, err
		}
	}
	return d.out, nil
}

type discovery struct {
	s    *session
	img  *Image
	seen map[v1.Hash]bool // manifests already read
	out  []Attachment
}

func (d *discovery) referrers(ctx context.Context) error {
	what := fmt.Sprintf("referrers of %s", d.img.Ref)
	body, hdr, err := d.s.get(ctx, "referrers/"+d.img.Digest.String(), []string{string(types.OCIImageIndex)}, d.s.c.opts.Limits.Manifest, what)
	switch code := statusOf(err); {
	case err == nil && strings.HasPrefix(hdr.Get("Content-Type"), string(types.OCIImageIndex)):
		if err := d.index(ctx, body, SourceReferrers, what); err != nil {
			return err
		}
	case err == nil, code == http.StatusNotFound, code == http.StatusBadRequest, code == http.StatusNotAcceptable:
		// No referrers API here: the tag schema below serves instead.
	default:
		return err
	}
	tag := referrersTag(d.img.Digest)
	what = fmt.Sprintf("referrers tag %s:%s", d.img.Ref.Context(), tag)
	body, _, err = d.s.get(ctx, "manifests/"+tag, []string{string(types.OCIImageIndex)}, d.s.c.opts.Limits.Manifest, what)
	if statusOf(err) == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	return d.index(ctx, body, SourceReferrersTag, what)
}

// index reads a referrers index and every referrer in it.
func (d *discovery) index(ctx context.Context, body []byte, src Source, what string) error {
	var idx struct {
		Manifests []json.RawMessage `json:"manifests"`
	}
	if err := json.Unmarshal(body, &idx); err != nil {
		return fmt.Errorf("%s: %w: %v", what, ErrMalformed, err)
	}
	if n := len(idx.Manifests); n > d.s.c.opts.Limits.Referrers {
		return fmt.Errorf("%s: %w: %d referrers, the limit is %d", what, ErrTooLarge, n, d.s.c.opts.Limits.Referrers)
	}
	for _, raw := range idx.Manifests {
		var desc v1.Descriptor
		if err := json.Unmarshal(raw, &desc); err != nil {
			return fmt.Errorf("%s: %w: %v", what, ErrMalformed, err)
		}
		if d.seen[desc.Digest] {
			continue
		}
		d.seen[desc.Digest] = true
		if !desc.MediaType.IsImage() {
			d.out = append(d.out, Attachment{Kind: KindOther, Source: src, Manifest: desc.Digest, ArtifactType: desc.ArtifactType, MediaType: string(desc.MediaType), Digest: desc.Digest})
			continue
		}
		if err := d.referrer(ctx, desc, src); err != nil {
			return err
		}
	}
	return nil
}

// referrer reads one referrer manifest, which must have the image as its subject.
func (d *discovery) referrer(ctx context.Context, desc v1.Descriptor, src Source) error {
	what := fmt.Sprintf("referrer %s of %s", desc.Digest, d.img.Ref)
	body, err := d.s.manifest(ctx, desc.Digest, what)
	if err != nil {
		return err
	}
	m, err := d.parseManifest(body, what)
	if err != nil {
		return err
	}
	if m.Subject == nil || m.Subject.Digest != d.img.Digest {
		got := "no subject"
		if m.Subject != nil {
			got = m.Subject.Digest.String()
		}
		return fmt.Errorf("%s: %w: its subject is %s", what, ErrSubjectMismatch, got)
	}
	at := m.ArtifactType
	if at == "" {
		at = string(m.Config.MediaType)
	}
	return d.layers(ctx, m, desc.Digest, at, src, what)
}

func (d *discovery) parseManifest(body []byte, what string) (*v1.Manifest, error) {
	var m v1.Manifest
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", what, ErrMalformed, err)
	}
	if n := len(m.Layers); n > d.s.c.opts.Limits.Layers {
		return nil, fmt.Errorf("%s: %w: %d layers, the limit is %d", what, ErrTooLarge, n, d.s.c.opts.Limits.Layers)
	}
	return &m, nil
}

// cosignTag reads cosign's sha256-HEX.SUFFIX image, if there is one.
func (d *discovery) cosignTag(ctx context.Context, suffix string) error {
	tag := cosignTag(d.img.Digest, suffix)
	what := fmt.Sprintf("%s:%s", d.img.Ref.Context(), tag)
	body, _, err := d.s.get(ctx, "manifests/"+tag, manifestTypes, d.s.c.opts.Limits.Manifest, what)
	if statusOf(err) == http.StatusNotFound {
		return nil
	}
	if err != nil {
		return err
	}
	h, _, _ := v1.SHA256(strings.NewReader(string(body)))
	if d.seen[h] {
		return nil
	}
	d.seen[h] = true
	m, err := d.parseManifest(body, what)
	if err != nil {
		return err
	}
	return d.layers(ctx, m, h, "", SourceCosignTag, what)
}

// layers reads the layers consign knows how to check, and lists the rest.
func (d *discovery) layers(ctx context.Context, m *v1.Manifest, manifest v1.Hash, artifactType string, src Source, what string) error {
	for _, l := range m.Layers {
		if len(d.out) >= d.s.c.opts.Limits.Layers {
			return fmt.Errorf("attachments of %s: %w: more than %d", d.img.Ref, ErrTooLarge, d.s.c.opts.Limits.Layers)
		}
		a := Attachment{Kind: kindOf(string(l.MediaType), artifactType), Source: src, Manifest: manifest, ArtifactType: artifactType,
			MediaType: string(l.MediaType), Digest: l.Digest, Annotations: l.Annotations}
		if a.Kind != KindOther {
			b, err := d.s.blob(ctx, l, fmt.Sprintf("layer %s of %s", l.Digest, what))
			if err != nil {
				return err
			}
			a.Payload = b
		}
		if a.Kind == KindSignature {
			sig, err := base64.StdEncoding.DecodeString(l.Annotations[SignatureAnnotation])
			if err != nil {
				return fmt.Errorf("layer %s of %s: %w: signature annotation: %v", l.Digest, what, ErrMalformed, err)
			}
			a.Signature = sig
		}
		d.out = append(d.out, a)
	}
	return nil
}

func kindOf(mediaType, artifactType string) Kind {
	switch {
	case mediaType == SimpleSigningMediaType:
		return KindSignature
	case mediaType == DSSEMediaType:
		return KindAttestation
	case strings.HasPrefix(mediaType, "application/vnd.dev.sigstore.bundle"):
		return KindBundle
	case strings.Contains(mediaType, "spdx") || strings.Contains(mediaType, "cyclonedx"):
		return KindSBOM
	}
	return KindOther
}
