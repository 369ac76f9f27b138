package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Image is an image resolved to its manifest digest.
type Image struct {
	// Ref is the repository and digest: everything about the image is
	// fetched and checked by it.
	Ref       name.Digest
	Digest    v1.Hash
	MediaType types.MediaType
	Size      int64
	// Manifest is the manifest's bytes, which hash to Digest.
	Manifest []byte
	// Given is the reference as the user wrote it.
	Given string
}

// session reads from one repository with one authenticated transport.
type session struct {
	c    *Client
	repo name.Repository
	rt   http.RoundTripper
}

// session returns the client's session for repo, made (and its registry
// pinged for its authentication scheme) once.
func (c *Client) session(ctx context.Context, repo name.Repository) (*session, error) {
	if s, ok := c.sessions.Load(repo.String()); ok {
		return s.(*session), nil
	}
	s, err := c.newSession(ctx, repo)
	if err != nil {
		return nil, err
	}
	actual, _ := c.sessions.LoadOrStore(repo.String(), s)
	return actual.(*session), nil
}

func (c *Client) newSession(ctx context.Context, repo name.Repository) (*session, error) {
	a, err := c.authenticator(repo)
	if err != nil {
		return nil, err
	}
	rt, err := transport.NewWithContext(ctx, repo.Registry, a, c.base, []string{repo.Scope(transport.PullScope)})
	if err != nil {
		return nil, classify(err, repo.String())
	}
	return &session{c: c, repo: repo, rt: rt}, nil
}

var manifestTypes = []string{
	string(types.OCIManifestSchema1), string(types.OCIImageIndex),
	string(types.DockerManifestSchema2), string(types.DockerManifestList),
}

// Resolve turns ref into the digest of its manifest, once. The digest is
// computed from the manifest bytes; a reference by digest must hash to that
// digest, and a Docker-Content-Digest header that disagrees with the bytes is
// an error wrapping [ErrDigestMismatch].
func (c *Client) Resolve(ctx context.Context, ref string) (*Image, error) {
	r, err := c.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	s, err := c.session(ctx, r.Context())
	if err != nil {
		return nil, err
	}
	return s.resolve(ctx, r, ref)
}

func (s *session) resolve(ctx context.Context, r name.Reference, given string) (*Image, error) {
	body, hdr, err := s.get(ctx, "manifests/"+r.Identifier(), manifestTypes, s.c.opts.Limits.Manifest, "manifest of "+given)
	if err != nil {
		return nil, err
	}
	h, n, _ := v1.SHA256(bytes.NewReader(body))
	if d, ok := r.(name.Digest); ok && d.DigestStr() != h.String() {
		return nil, fmt.Errorf("image %s: %w: the manifest sent for %s hashes to %s", given, ErrDigestMismatch, d.DigestStr(), h)
	}
	if cd := hdr.Get("Docker-Content-Digest"); cd != "" && cd != h.String() {
		return nil, fmt.Errorf("image %s: %w: the registry said %s but sent a manifest that hashes to %s", given, ErrDigestMismatch, cd, h)
	}
	mt := mediaTypeOf(body, hdr.Get("Content-Type"))
	if !mt.IsImage() && !mt.IsIndex() {
		return nil, fmt.Errorf("image %s: %w: manifest media type %q is not an image or an index", given, ErrMalformed, mt)
	}
	return &Image{Ref: s.repo.Digest(h.String()), Digest: h, MediaType: mt, Size: n, Manifest: body, Given: given}, nil
}

// mediaTypeOf is the manifest's own mediaType field, else the header's.
func mediaTypeOf(body []byte, header string) types.MediaType {
	var m struct {
		MediaType types.MediaType `json:"mediaType"`
	}
	if json.Unmarshal(body, &m) == nil && m.MediaType != "" {
		return m.MediaType
	}
	mt, _, _ := strings.Cut(header, ";")
	return types.MediaType(strings.TrimSpace(mt))
}

// manifest fetches the manifest with digest d, checked against it, or nil
// and no error when the registry has none.
func (s *session) manifest(ctx context.Context, d v1.Hash, what string) ([]byte, error) {
	body, _, err := s.get(ctx, "manifests/"+d.String(), manifestTypes, s.c.opts.Limits.Manifest, what)
	if err != nil {
		return nil, err
	}
	if err := checkDigest(body, d, what); err != nil {
		return nil, err
	}
	return body, nil
}

// blob fetches the blob desc names, checked against its size and digest.
func (s *session) blob(ctx context.Context, desc v1.Descriptor, what string) ([]byte, error) {
	if desc.Size < 0 || desc.Size > s.c.opts.Limits.Blob {
		return nil, fmt.Errorf("%s: %w: it declares %d bytes, the limit is %d", what, ErrTooLarge, desc.Size, s.c.opts.Limits.Blob)
	}
	if desc.Digest.Algorithm != "sha256" {
		return nil, fmt.Errorf("%s: %w: digest algorithm %q", what, ErrMalformed, desc.Digest.Algorithm)
	}
	body, _, err := s.get(ctx, "blobs/"+desc.Digest.String(), nil, desc.Size, what)
	if err != nil {
		return nil, err
	}
	if int64(len(body)) != desc.Size {
		return nil, fmt.Errorf("%s: %w: %d bytes where the manifest says %d", what, ErrDigestMismatch, len(body), desc.Size)
	}
	if err := checkDigest(body, desc.Digest, what); err != nil {
		return nil, err
	}
	return body, nil
}

func checkDigest(body []byte, d v1.Hash, what string) error {
	if d.Algorithm != "sha256" {
		return fmt.Errorf("%s: %w: digest algorithm %q", what, ErrMalformed, d.Algorithm)
	}
	h, _, _ := v1.SHA256(bytes.NewReader(body))
	if h != d {
		return fmt.Errorf("%s: %w: asked for %s, got bytes hashing to %s", what, ErrDigestMismatch, d, h)
	}
	return nil
}

// get reads /v2/REPO/PATH, at most max bytes, and maps error statuses.
func (s *session) get(ctx context.Context, path string, accept []string, max int64, what string) ([]byte, http.Header, error) {
	u := url.URL{Scheme: s.repo.Scheme(), Host: s.repo.RegistryStr(), Path: "/v2/" + s.repo.RepositoryStr() + "/" + path}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, nil, err
	}
	if len(accept) > 0 {
		req.Header.Set("Accept", strings.Join(accept, ","))
	}
	resp, err := (&http.Client{Transport: s.rt, CheckRedirect: sameScheme}).Do(req)
	if err != nil {
		return nil, nil, classify(err, what)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, resp.Header, &statusErr{resp.StatusCode, statusError(resp.StatusCode, what, nil)}
	}
	if resp.ContentLength > max {
		return nil, nil, fmt.Errorf("%s: %w: %d bytes, the limit is %d", what, ErrTooLarge, resp.ContentLength, max)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: reading %s: %v", ErrRegistry, what, err)
	}
	if int64(len(body)) > max {
		return nil, nil, fmt.Errorf("%s: %w: more than %d bytes", what, ErrTooLarge, max)
	}
	return body, resp.Header, nil
}

// statusErr keeps the HTTP status of a failed request for callers that
// treat some statuses as answers (404: nothing attached).
type statusErr struct {
	code int
	err  error
}

func (e *statusErr) Error() string { return e.err.Error() }
func (e *statusErr) Unwrap() error { return e.err }

func statusOf(err error) int {
	var se *statusErr
	if errors.As(err, &se) {
		return se.code
	}
	return 0
}

// sameScheme refuses a redirect that would downgrade HTTPS to HTTP (blobs
// are often redirected to storage); the guard under the transport refuses
// HTTP anyway unless it was asked for.
func sameScheme(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("too many redirects")
	}
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w: redirect from HTTPS to %s", ErrInsecure, req.URL.Redacted())
	}
	return nil
}

// Platforms returns the manifests an index lists (one per platform), each
// fetched by digest and checked against it, or nil when img is not an index.
// An index of more than Limits.Referrers manifests is an error wrapping
// [ErrTooLarge].
func (c *Client) Platforms(ctx context.Context, img *Image) ([]*Image, error) {
	if !img.MediaType.IsIndex() {
		return nil, nil
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(img.Manifest, &idx); err != nil {
		return nil, fmt.Errorf("index %s: %w: %v", img.Ref, ErrMalformed, err)
	}
	if n := len(idx.Manifests); n > c.opts.Limits.Referrers {
		return nil, fmt.Errorf("index %s: %w: %d manifests, the limit is %d", img.Ref, ErrTooLarge, n, c.opts.Limits.Referrers)
	}
	s, err := c.session(ctx, img.Ref.Context())
	if err != nil {
		return nil, err
	}
	var out []*Image
	for _, d := range idx.Manifests {
		if !d.MediaType.IsImage() {
			continue
		}
		ref := img.Ref.Context().Digest(d.Digest.String())
		child, err := s.resolve(ctx, ref, ref.String())
		if err != nil {
			return nil, err
		}
		out = append(out, child)
	}
	return out, nil
}
