package oci

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sign"
)

// Written says where an attachment went.
type Written struct {
	// Referrer is the digest of the referrer manifest (referrers mode).
	Referrer *v1.Hash
	// Tag is the cosign tag appended to (tag mode), as REPO:TAG.
	Tag string
}

// layerSpec is one layer to attach.
type layerSpec struct {
	mediaType   string
	data        []byte
	annotations map[string]string
	// same reports whether a layer already attached with the same digest
	// is this one; nil means when the annotations are equal too.
	same func(old v1.Descriptor) bool
}

func (l layerSpec) descriptor() v1.Descriptor {
	h, n, _ := v1.SHA256(bytes.NewReader(l.data))
	return v1.Descriptor{MediaType: types.MediaType(l.mediaType), Size: n, Digest: h, Annotations: maps.Clone(l.annotations)}
}

// Sign signs img's manifest digest with cosign's simple-signing format and
// attaches the signature where the client's mode says.
func (c *Client) Sign(ctx context.Context, img *Image, signer *sign.Signer) (*Written, error) {
	payload, err := NewSimpleSigning(img)
	if err != nil {
		return nil, err
	}
	sig, err := signer.Sign(payload)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", img.Ref, err)
	}
	l := layerSpec{mediaType: SimpleSigningMediaType, data: payload, annotations: map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)}}
	v, err := sign.NewVerifier(signer.Public())
	if err != nil {
		return nil, err
	}
	// As cosign does, a signature by the same key over the same payload
	// already in the tag is not added again (ECDSA signatures differ each time).
	l.same = func(old v1.Descriptor) bool {
		oldSig, err := base64.StdEncoding.DecodeString(old.Annotations[SignatureAnnotation])
		return err == nil && v.Verify(payload, oldSig) == nil
	}
	return c.attach(ctx, img, SuffixSignature, SigArtifactType, nil, l)
}

// Attach attaches a DSSE envelope whose in-toto statement has img among its
// subjects. An envelope about other artifacts is an error wrapping
// [ErrNotAboutImage]; nothing is written then.
func (c *Client) Attach(ctx context.Context, img *Image, env *attest.Envelope) (*Written, error) {
	st, err := subjectStatement(img, env)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(env)
	if err != nil {
		return nil, err
	}
	l := layerSpec{mediaType: DSSEMediaType, data: data, annotations: map[string]string{PredicateTypeAnnotation: st.PredicateType, SignatureAnnotation: ""}}
	return c.attach(ctx, img, SuffixAttestation, DSSEMediaType, map[string]string{InTotoPredicateAnnotation: st.PredicateType}, l)
}

// CheckSubjects checks, before anything is attached, that every envelope is
// an in-toto statement about img, with the errors of [Client.Attach].
func (c *Client) CheckSubjects(img *Image, envs []*attest.Envelope) error {
	for i, env := range envs {
		if _, err := subjectStatement(img, env); err != nil {
			return fmt.Errorf("envelope %d: %w", i+1, err)
		}
	}
	return nil
}

func subjectStatement(img *Image, env *attest.Envelope) (*attest.Statement, error) {
	if env.PayloadType != attest.PayloadType {
		return nil, fmt.Errorf("%w: payload type %q", attest.ErrPayloadType, env.PayloadType)
	}
	st, err := attest.ParseStatement(env.Payload)
	if err != nil {
		return nil, err
	}
	if len(st.Matches(ImageDigestSet(img))) == 0 {
		return nil, fmt.Errorf("attaching to %s: %w: its subjects do not include %s", img.Ref, ErrNotAboutImage, img.Digest)
	}
	return st, nil
}

func (c *Client) attach(ctx context.Context, img *Image, suffix, artifactType string, annotations map[string]string, l layerSpec) (*Written, error) {
	repo := img.Ref.Context()
	opts, err := c.remoteOptions(ctx, repo)
	if err != nil {
		return nil, err
	}
	w := &Written{}
	if c.opts.Mode == ModeReferrers || c.opts.Mode == ModeBoth {
		h, err := c.pushReferrer(img, artifactType, annotations, l, opts)
		if err != nil {
			return nil, err
		}
		w.Referrer = &h
	}
	if c.opts.Mode == ModeTag || c.opts.Mode == ModeBoth {
		tag, err := c.appendTag(ctx, img, suffix, l, opts)
		if err != nil {
			return nil, err
		}
		w.Tag = tag.String()
	}
	return w, nil
}

// emptyConfig is OCI 1.1's empty descriptor's content.
var emptyConfig = []byte("{}")

// pushReferrer writes an artifact manifest whose subject is img. Where the
// registry lacks the referrers API, go-containerregistry adds it to the
// referrers tag schema index (remote.WithReferrersTagFallback, on by default).
func (c *Client) pushReferrer(img *Image, artifactType string, annotations map[string]string, l layerSpec, opts []remote.Option) (v1.Hash, error) {
	repo := img.Ref.Context()
	for _, b := range []layerSpec{{mediaType: EmptyConfigMediaType, data: emptyConfig}, l} {
		if err := remote.WriteLayer(repo, static.NewLayer(b.data, types.MediaType(b.mediaType)), opts...); err != nil {
			return v1.Hash{}, classify(err, "uploading to "+repo.String())
		}
	}
	cfg := layerSpec{mediaType: EmptyConfigMediaType, data: emptyConfig}.descriptor()
	m := v1.Manifest{
		SchemaVersion: 2, MediaType: types.OCIManifestSchema1, ArtifactType: artifactType,
		Config: cfg, Layers: []v1.Descriptor{l.descriptor()},
		Subject:     &v1.Descriptor{MediaType: img.MediaType, Size: img.Size, Digest: img.Digest},
		Annotations: annotations,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return v1.Hash{}, err
	}
	h, _, _ := v1.SHA256(bytes.NewReader(raw))
	if err := remote.Put(repo.Digest(h.String()), rawManifest{raw, types.OCIManifestSchema1}, opts...); err != nil {
		return v1.Hash{}, classify(err, "writing a referrer of "+img.Ref.String())
	}
	return h, nil
}

// appendTag adds l to cosign's sha256-HEX.SUFFIX image, creating it if need
// be; a layer already there (same digest and annotations) is not added twice.
func (c *Client) appendTag(ctx context.Context, img *Image, suffix string, l layerSpec, opts []remote.Option) (name.Tag, error) {
	repo := img.Ref.Context()
	tag := repo.Tag(cosignTag(img.Digest, suffix))
	s, err := c.session(ctx, repo)
	if err != nil {
		return tag, err
	}
	var layers []v1.Descriptor
	body, _, err := s.get(ctx, "manifests/"+tag.TagStr(), manifestTypes, c.opts.Limits.Manifest, tag.String())
	switch {
	case statusOf(err) == http.StatusNotFound:
	case err != nil:
		return tag, err
	default:
		m, err := (&discovery{s: s, img: img}).parseManifest(body, tag.String())
		if err != nil {
			return tag, err
		}
		layers = m.Layers
	}
	add := l.descriptor()
	for _, old := range layers {
		if old.Digest == add.Digest && (maps.Equal(old.Annotations, add.Annotations) || l.same != nil && l.same(old)) {
			return tag, nil
		}
	}
	layers = append(layers, add)
	diffIDs := make([]v1.Hash, len(layers))
	for i, d := range layers {
		diffIDs[i] = d.Digest // the layers are not compressed
	}
	cfgBytes, err := json.Marshal(v1.ConfigFile{RootFS: v1.RootFS{Type: "layers", DiffIDs: diffIDs}})
	if err != nil {
		return tag, err
	}
	cfg := layerSpec{mediaType: string(types.OCIConfigJSON), data: cfgBytes}
	for _, b := range []layerSpec{cfg, l} {
		if err := remote.WriteLayer(repo, static.NewLayer(b.data, types.MediaType(b.mediaType)), opts...); err != nil {
			return tag, classify(err, "uploading to "+repo.String())
		}
	}
	raw, err := json.Marshal(v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1, Config: cfg.descriptor(), Layers: layers})
	if err != nil {
		return tag, err
	}
	if err := remote.Put(tag, rawManifest{raw, types.OCIManifestSchema1}, opts...); err != nil {
		return tag, classify(err, "writing "+tag.String())
	}
	return tag, nil
}

// rawManifest is a manifest to PUT as it is.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }
