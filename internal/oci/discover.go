package oci

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"

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
	// ManifestAnnotations are the referrer manifest's own annotations.
	ManifestAnnotations map[string]string
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
// is an error, not a skipped entry. Requests go out a few at a time; the
// result's order does not depend on their timing.
func (c *Client) Discover(ctx context.Context, img *Image) ([]Attachment, error) {
	return c.discover(ctx, img, readAll)
}

// List is [Client.Discover] without fetching the layers: what is attached,
// from the manifests alone, with every Payload empty. The manifests are
// checked as Discover checks them.
func (c *Client) List(ctx context.Context, img *Image) ([]Attachment, error) {
	return c.discover(ctx, img, listAll)
}

// reading says what a discovery reads: the layers too or the manifests
// alone, and which of cosign's tags.
type reading struct {
	payloads bool     // fetch the layers, not only list them
	tags     []string // cosign tag suffixes to look in
}

var (
	allTags = []string{SuffixSignature, SuffixAttestation, SuffixSBOM}
	readAll = reading{payloads: true, tags: allTags}
	listAll = reading{payloads: false, tags: allTags}
	// readAttestations is for a reader of attestations and bundles only
	// ([Client.Attestations]): cosign keeps attestations in its .att tag,
	// and what its .sig and .sbom tags hold (simple-signing signatures, an
	// unsigned SBOM) is never an attestation, so those two tags are not
	// asked for. The referrers API and the referrers tag schema are read as
	// always, since they list every kind in one index.
	readAttestations = reading{payloads: true, tags: []string{SuffixAttestation}}
)

func (c *Client) discover(ctx context.Context, img *Image, r reading) ([]Attachment, error) {
	s, err := c.session(ctx, img.Ref.Context())
	if err != nil {
		return nil, err
	}
	d := &discovery{s: s, img: img, seen: map[v1.Hash]bool{}, payloads: r.payloads, tags: r.tags, early: map[blobKey][]byte{}}
	places, err := d.places(ctx)
	if err != nil {
		return nil, err
	}
	var refs []referrerJob
	for _, p := range places {
		if p.body == nil {
			continue
		}
		if p.source == SourceCosignTag {
			if err := d.cosignTag(p); err != nil {
				return nil, err
			}
			continue
		}
		r, err := d.index(p.body, p.source, p.what)
		if err != nil {
			return nil, err
		}
		refs = append(refs, r...)
	}
	if err := d.referrers(ctx, refs); err != nil {
		return nil, err
	}
	if !r.payloads {
		return d.out, nil
	}
	if err := d.fetchLayers(ctx); err != nil {
		return nil, err
	}
	return d.out, nil
}

type discovery struct {
	s    *session
	img  *Image
	seen map[v1.Hash]bool // manifests already read
	out  []Attachment
	jobs []layerJob // out[i] is filled by jobs[i]

	payloads bool     // the layers are wanted, not just listed
	tags     []string // the cosign tag suffixes looked in
	// early holds layers of cosign's tag images fetched as soon as their
	// manifest came, while the other places were still being read;
	// fetchLayers takes them from here instead of asking again.
	earlyMu sync.Mutex
	early   map[blobKey][]byte
	nEarly  atomic.Int64 // layers fetched early, at most Limits.Layers
}

// blobKey is what [session.blob]'s checks depend on: a blob fetched early
// was checked against the same digest and size.
type blobKey struct {
	digest v1.Hash
	size   int64
}

// place is one of the five places attachments are looked for.
type place struct {
	source Source
	path   string
	accept []string
	what   string
	body   []byte // nil when there is nothing there
}

// places reads the referrers API, the referrers tag schema index and
// cosign's tags (all three, or those d.tags names), at once.
func (d *discovery) places(ctx context.Context) ([]place, error) {
	repo, dg := d.img.Ref.Context(), d.img.Digest
	index := []string{string(types.OCIImageIndex)}
	ps := []place{
		{SourceReferrers, "referrers/" + dg.String(), index, fmt.Sprintf("referrers of %s", d.img.Ref), nil},
		{SourceReferrersTag, "manifests/" + referrersTag(dg), index, fmt.Sprintf("referrers tag %s:%s", repo, referrersTag(dg)), nil},
	}
	for _, suffix := range d.tags {
		ps = append(ps, place{SourceCosignTag, "manifests/" + cosignTag(dg, suffix), manifestTypes, fmt.Sprintf("%s:%s", repo, cosignTag(dg, suffix)), nil})
	}
	err := parallel(ctx, len(ps), func(ctx context.Context, i int) error {
		p := &ps[i]
		body, hdr, err := d.s.get(ctx, p.path, p.accept, d.s.c.opts.Limits.Manifest, p.what)
		code := statusOf(err)
		switch {
		case err == nil && p.source == SourceReferrers && !strings.HasPrefix(hdr.Get("Content-Type"), string(types.OCIImageIndex)):
			// Not the referrers API, whatever answered: the tag schema serves instead.
		case err == nil:
			p.body = body
			if p.source == SourceCosignTag && d.payloads {
				d.fetchEarly(ctx, body, p.what)
			}
		case code == http.StatusNotFound:
		case p.source == SourceReferrers && (code == http.StatusBadRequest || code == http.StatusNotAcceptable):
		default:
			return err
		}
		return nil
	})
	return ps, err
}

// referrerJob is one referrer listed in an index.
type referrerJob struct {
	desc   v1.Descriptor
	source Source
	m      *v1.Manifest
}

// index reads a referrers index: the referrers consign will read, with
// those it does not read listed as [KindOther].
func (d *discovery) index(body []byte, src Source, what string) ([]referrerJob, error) {
	var idx struct {
		Manifests []json.RawMessage `json:"manifests"`
	}
	if err := json.Unmarshal(body, &idx); err != nil {
		return nil, fmt.Errorf("%s: %w: %v", what, ErrMalformed, err)
	}
	if n := len(idx.Manifests); n > d.s.c.opts.Limits.Referrers {
		return nil, fmt.Errorf("%s: %w: %d referrers, the limit is %d", what, ErrTooLarge, n, d.s.c.opts.Limits.Referrers)
	}
	var out []referrerJob
	for _, raw := range idx.Manifests {
		var desc v1.Descriptor
		if err := json.Unmarshal(raw, &desc); err != nil {
			return nil, fmt.Errorf("%s: %w: %v", what, ErrMalformed, err)
		}
		if d.seen[desc.Digest] {
			continue
		}
		d.seen[desc.Digest] = true
		if !desc.MediaType.IsImage() {
			d.out = append(d.out, Attachment{Kind: KindOther, Source: src, Manifest: desc.Digest, ArtifactType: desc.ArtifactType, MediaType: string(desc.MediaType), Digest: desc.Digest})
			d.jobs = append(d.jobs, layerJob{})
			continue
		}
		out = append(out, referrerJob{desc: desc, source: src})
	}
	return out, nil
}

// referrers reads the referrer manifests, at once; each must have the image
// as its subject.
func (d *discovery) referrers(ctx context.Context, refs []referrerJob) error {
	err := parallel(ctx, len(refs), func(ctx context.Context, i int) error {
		r := &refs[i]
		what := fmt.Sprintf("referrer %s of %s", r.desc.Digest, d.img.Ref)
		body, err := d.s.manifest(ctx, r.desc.Digest, what)
		if err != nil {
			return err
		}
		if r.m, err = d.parseManifest(body, what); err != nil {
			return err
		}
		if r.m.Subject == nil || r.m.Subject.Digest != d.img.Digest {
			got := "no subject"
			if r.m.Subject != nil {
				got = r.m.Subject.Digest.String()
			}
			return fmt.Errorf("%s: %w: its subject is %s", what, ErrSubjectMismatch, got)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range refs {
		at := r.m.ArtifactType
		if at == "" {
			at = string(r.m.Config.MediaType)
		}
		n := len(d.out)
		if err := d.layers(r.m, r.desc.Digest, at, r.source, fmt.Sprintf("referrer %s of %s", r.desc.Digest, d.img.Ref)); err != nil {
			return err
		}
		for i := n; i < len(d.out); i++ {
			d.out[i].ManifestAnnotations = r.m.Annotations
		}
	}
	return nil
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

// cosignTag lists the layers of cosign's sha256-HEX.SUFFIX image.
func (d *discovery) cosignTag(p place) error {
	h, _, _ := v1.SHA256(bytes.NewReader(p.body))
	if d.seen[h] {
		return nil
	}
	d.seen[h] = true
	m, err := d.parseManifest(p.body, p.what)
	if err != nil {
		return err
	}
	return d.layers(m, h, "", SourceCosignTag, p.what)
}

// fetchEarly fetches the layers of a cosign tag image that fetchLayers
// would fetch, at once, into d.early. Failures are not kept: fetchLayers
// asks again and reports them. At most Limits.Layers are fetched early in
// all, so that this holds no more than fetchLayers would.
func (d *discovery) fetchEarly(ctx context.Context, body []byte, what string) {
	m, err := d.parseManifest(body, what)
	if err != nil {
		return
	}
	var want []v1.Descriptor
	for _, l := range m.Layers {
		if kindOf(string(l.MediaType), "") != KindOther && d.nEarly.Add(1) <= int64(d.s.c.opts.Limits.Layers) {
			want = append(want, l)
		}
	}
	_ = parallel(ctx, len(want), func(ctx context.Context, i int) error {
		b, err := d.s.blob(ctx, want[i], what)
		if err == nil {
			d.earlyMu.Lock()
			d.early[blobKey{want[i].Digest, want[i].Size}] = b
			d.earlyMu.Unlock()
		}
		return nil
	})
}

// layerJob is a layer to fetch into the attachment of the same index.
type layerJob struct {
	desc v1.Descriptor
	what string
}

// layers lists a manifest's layers; those consign knows how to check are
// fetched later by fetchLayers.
func (d *discovery) layers(m *v1.Manifest, manifest v1.Hash, artifactType string, src Source, what string) error {
	for _, l := range m.Layers {
		if len(d.out) >= d.s.c.opts.Limits.Layers {
			return fmt.Errorf("attachments of %s: %w: more than %d", d.img.Ref, ErrTooLarge, d.s.c.opts.Limits.Layers)
		}
		a := Attachment{Kind: kindOf(string(l.MediaType), artifactType), Source: src, Manifest: manifest, ArtifactType: artifactType,
			MediaType: string(l.MediaType), Digest: l.Digest, Annotations: l.Annotations}
		d.out = append(d.out, a)
		d.jobs = append(d.jobs, layerJob{l, fmt.Sprintf("layer %s of %s", l.Digest, what)})
	}
	return nil
}

// fetchLayers fetches, at once, the layers of the attachments consign checks.
func (d *discovery) fetchLayers(ctx context.Context) error {
	return parallel(ctx, len(d.out), func(ctx context.Context, i int) error {
		a, j := &d.out[i], d.jobs[i]
		if a.Kind == KindOther {
			return nil
		}
		d.earlyMu.Lock()
		b, ok := d.early[blobKey{j.desc.Digest, j.desc.Size}]
		d.earlyMu.Unlock()
		if !ok {
			var err error
			if b, err = d.s.blob(ctx, j.desc, j.what); err != nil {
				return err
			}
		}
		a.Payload = b
		if a.Kind == KindSignature {
			sig, err := base64.StdEncoding.DecodeString(j.desc.Annotations[SignatureAnnotation])
			if err != nil {
				return fmt.Errorf("%s: %w: signature annotation: %v", j.what, ErrMalformed, err)
			}
			a.Signature = sig
		}
		return nil
	})
}

// fetchWorkers bounds the requests one discovery has in flight.
const fetchWorkers = 8

// parallel runs f for 0..n-1 with at most fetchWorkers at a time. The first
// failure cancels the rest; the error returned is that of the lowest index,
// so that the answer does not depend on timing.
func parallel(ctx context.Context, n int, f func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, n)
	sem := make(chan struct{}, fetchWorkers)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if errs[i] = f(ctx, i); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
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

// AnnotatedPredicateType is the predicate type an attestation's annotations
// claim (cosign's layer annotation, or the referrer's), unverified: for
// listing only.
func (a *Attachment) AnnotatedPredicateType() string {
	for _, v := range []string{a.Annotations[PredicateTypeAnnotation], a.ManifestAnnotations[InTotoPredicateAnnotation],
		a.ManifestAnnotations["dev.sigstore.bundle.predicateType"]} {
		if v != "" {
			return v
		}
	}
	return ""
}
