package oci_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/consign-dev/consign/internal/attest"

	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/testutil/registrytest"
	"github.com/consign-dev/consign/internal/testutil/testkey"
)

// hostile wraps go-containerregistry's registry; hook, when set, may answer
// a request itself (returning true) instead of the registry.
type hostile struct {
	next http.Handler
	mu   sync.Mutex
	hook func(w http.ResponseWriter, r *http.Request) bool
}

func (h *hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	hook := h.hook
	h.mu.Unlock()
	if hook != nil && hook(w, r) {
		return
	}
	h.next.ServeHTTP(w, r)
}

func (h *hostile) set(hook func(w http.ResponseWriter, r *http.Request) bool) {
	h.mu.Lock()
	h.hook = hook
	h.mu.Unlock()
}

func startHostile(t *testing.T) (*hostile, string) {
	h := &hostile{next: registrytest.Handler()}
	return h, registrytest.Serve(t, h)
}

// endless writes bytes until the client goes away, with no Content-Length.
func endless(w http.ResponseWriter, r *http.Request, contentType string) {
	w.Header().Set("Content-Type", contentType)
	chunk := bytes.Repeat([]byte(" "), 64<<10)
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// signedImage pushes an image, resolves it, and signs and attests it as
// referrers.
func signedImage(t *testing.T, c *oci.Client, host, repo string) *oci.Image {
	t.Helper()
	ctx := context.Background()
	registrytest.PushImage(t, host+"/"+repo+":v1")
	img, err := c.Resolve(ctx, host+"/"+repo+":v1")
	if err != nil {
		t.Fatal(err)
	}
	key := testkey.New(t, "oci-signer")
	if _, err := c.Sign(ctx, img, key.Signer); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Attach(ctx, img, attestation(t, img, "https://slsa.dev/provenance/v1", key)); err != nil {
		t.Fatal(err)
	}
	return img
}

func TestHostileManifestTooLarge(t *testing.T) {
	t.Parallel()
	h, host := startHostile(t)
	c := newClient(t, oci.ModeReferrers)
	for _, tt := range []struct {
		name  string
		serve func(w http.ResponseWriter, r *http.Request)
	}{
		{"declared", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
			w.Header().Set("Content-Length", fmt.Sprint(5<<20))
			_, _ = w.Write(bytes.Repeat([]byte(" "), 5<<20))
		}},
		{"endless", func(w http.ResponseWriter, r *http.Request) {
			endless(w, r, "application/vnd.oci.image.manifest.v1+json")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h.set(func(w http.ResponseWriter, r *http.Request) bool {
				if strings.HasSuffix(r.URL.Path, "/manifests/big") {
					tt.serve(w, r)
					return true
				}
				return false
			})
			start := time.Now()
			_, err := c.Resolve(context.Background(), host+"/app:big")
			if !errors.Is(err, oci.ErrTooLarge) {
				t.Fatalf("Resolve(5 MiB manifest) = %v, want ErrTooLarge", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("Resolve took %v to refuse", d)
			}
		})
	}
}

// TestHostileBlob: a layer declared larger than the cap is refused before it
// is fetched; a layer whose bytes differ from its digest, or that never ends,
// is refused when read.
func TestHostileBlob(t *testing.T) {
	t.Parallel()
	h, host := startHostile(t)
	c := newClient(t, oci.ModeReferrers)
	img := signedImage(t, c, host, "app")
	ctx := context.Background()
	isEnvelope := func(r *http.Request) bool {
		if !strings.Contains(r.URL.Path, "/blobs/") || r.Method != http.MethodGet {
			return false
		}
		rec := httptest.NewRecorder()
		h.next.ServeHTTP(rec, r)
		return bytes.HasPrefix(rec.Body.Bytes(), []byte(`{"payloadType"`))
	}
	for _, tt := range []struct {
		name  string
		serve func(w http.ResponseWriter, r *http.Request)
		want  error
	}{
		{"flipped byte", func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			h.next.ServeHTTP(rec, r)
			b := rec.Body.Bytes()
			b[len(b)/2] ^= 1
			_, _ = w.Write(b)
		}, oci.ErrDigestMismatch},
		{"endless", func(w http.ResponseWriter, r *http.Request) { endless(w, r, "application/octet-stream") }, oci.ErrTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h.set(func(w http.ResponseWriter, r *http.Request) bool {
				if isEnvelope(r) {
					tt.serve(w, r)
					return true
				}
				return false
			})
			if _, err := c.Discover(ctx, img); !errors.Is(err, tt.want) {
				t.Fatalf("Discover = %v, want %v", err, tt.want)
			}
		})
	}
	h.set(nil)

	// A referrer whose layer declares 2^40 bytes: refused before any fetch.
	var fetched atomic.Bool
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.Contains(r.URL.Path, "/blobs/sha256:"+strings.Repeat("ab", 32)) {
			fetched.Store(true)
		}
		return false
	})
	other := signedImage(t, c, host, "huge")
	putReferrer(t, host, "huge", other, v1.Descriptor{MediaType: oci.DSSEMediaType, Size: 1 << 40,
		Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}})
	if _, err := c.Discover(ctx, other); !errors.Is(err, oci.ErrTooLarge) {
		t.Fatalf("Discover(layer of 2^40 bytes) = %v, want ErrTooLarge", err)
	}
	if fetched.Load() {
		t.Errorf("the oversized layer was fetched")
	}
}

// putReferrer writes a referrer manifest about img with one layer, as a
// hostile pusher would (the layer need not exist).
func putReferrer(t *testing.T, host, repo string, img *oci.Image, layer v1.Descriptor) v1.Hash {
	t.Helper()
	m := v1.Manifest{SchemaVersion: 2, MediaType: "application/vnd.oci.image.manifest.v1+json", ArtifactType: oci.DSSEMediaType,
		Config:  v1.Descriptor{MediaType: oci.EmptyConfigMediaType, Size: 2, Digest: v1.Hash{Algorithm: "sha256", Hex: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}},
		Layers:  []v1.Descriptor{layer},
		Subject: &v1.Descriptor{MediaType: img.MediaType, Size: img.Size, Digest: img.Digest}}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	d, _, _ := v1.SHA256(bytes.NewReader(raw))
	req, _ := http.NewRequest(http.MethodPut, "http://"+host+"/v2/"+repo+"/manifests/"+d.String(), bytes.NewReader(raw))
	req.Header.Set("Content-Type", string(m.MediaType))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("PUT referrer: %s", resp.Status)
	}
	return d
}

// TestHostileReferrerSubject: the referrers of image a served as those of
// image b are refused, not counted for b.
func TestHostileReferrerSubject(t *testing.T) {
	t.Parallel()
	h, host := startHostile(t)
	c := newClient(t, oci.ModeReferrers)
	a := signedImage(t, c, host, "a")
	registrytest.PushImage(t, host+"/a:b")
	b, err := c.Resolve(context.Background(), host+"/a:b")
	if err != nil {
		t.Fatal(err)
	}
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/referrers/"+b.Digest.String()) {
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.Replace(r.URL.Path, b.Digest.String(), a.Digest.String(), 1)
			h.next.ServeHTTP(w, r2)
			return true
		}
		return false
	})
	_, err = c.Discover(context.Background(), b)
	if !errors.Is(err, oci.ErrSubjectMismatch) {
		t.Fatalf("Discover(b, serving a's referrers) = %v, want ErrSubjectMismatch", err)
	}
	if !strings.Contains(err.Error(), a.Digest.String()) {
		t.Errorf("the error does not name the referrer's subject: %v", err)
	}
}

// TestHostileTagMoves: a tag is resolved once; when it moves afterwards,
// everything is still about the digest resolved, and a registry whose
// digest header or digest reference disagrees with the bytes it sends is
// refused.
func TestHostileTagMoves(t *testing.T) {
	t.Parallel()
	h, host := startHostile(t)
	c := newClient(t, oci.ModeReferrers)
	ctx := context.Background()
	first := signedImage(t, c, host, "app")
	var tagGets atomic.Int32
	moved := false
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/manifests/v1") {
			tagGets.Add(1)
			if !moved { // the tag moves right after this first answer
				moved = true
				rec := httptest.NewRecorder()
				h.next.ServeHTTP(rec, r)
				registrytest.PushImage(t, host+"/app:v1")
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				_, _ = w.Write(rec.Body.Bytes())
				return true
			}
		}
		return false
	})
	kr, _ := attest.NewKeyring(testkey.New(t, "oci-signer").Public())
	res, err := c.VerifyImage(ctx, host+"/app:v1", kr)
	if err != nil {
		t.Fatalf("VerifyImage(tag moved after resolving) = %v", err)
	}
	if res.Image.Digest != first.Digest {
		t.Errorf("VerifyImage verified %s, want the digest resolved, %s", res.Image.Digest, first.Digest)
	}
	if n := tagGets.Load(); n != 1 {
		t.Errorf("the tag was fetched %d times, want once", n)
	}
	// The tag now names an unsigned image.
	if _, err := c.VerifyImage(ctx, host+"/app:v1", kr); !errors.Is(err, oci.ErrNoSignature) {
		t.Errorf("VerifyImage(moved tag) = %v, want ErrNoSignature", err)
	}

	// A Docker-Content-Digest that is not the bytes' digest.
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/manifests/v1") {
			rec := httptest.NewRecorder()
			h.next.ServeHTTP(rec, r)
			w.Header().Set("Content-Type", rec.Header().Get("Content-Type"))
			w.Header().Set("Docker-Content-Digest", first.Digest.String())
			_, _ = w.Write(rec.Body.Bytes())
			return true
		}
		return false
	})
	if _, err := c.Resolve(ctx, host+"/app:v1"); !errors.Is(err, oci.ErrDigestMismatch) {
		t.Errorf("Resolve(header names another digest) = %v, want ErrDigestMismatch", err)
	}

	// Asked by digest, the registry sends another manifest.
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/manifests/"+first.Digest.String()) {
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.Replace(r.URL.Path, first.Digest.String(), "v1", 1)
			h.next.ServeHTTP(w, r2)
			return true
		}
		return false
	})
	if _, err := c.Resolve(ctx, first.Ref.String()); !errors.Is(err, oci.ErrDigestMismatch) {
		t.Errorf("Resolve(by digest, another manifest sent) = %v, want ErrDigestMismatch", err)
	}
}

// TestHostileEndlessIndex: a referrers index longer than the cap, and one
// that never ends, are refused in bounded time.
func TestHostileEndlessIndex(t *testing.T) {
	t.Parallel()
	h, host := startHostile(t)
	c := newClient(t, oci.ModeReferrers)
	img := signedImage(t, c, host, "app")
	long := func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		b.WriteString(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[`)
		for i := range 1001 {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":"sha256:%064x"}`, i)
		}
		b.WriteString(`]}`)
		w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json")
		_, _ = w.Write([]byte(b.String()))
	}
	for _, tt := range []struct {
		name  string
		serve func(w http.ResponseWriter, r *http.Request)
	}{
		{"1001 referrers", long},
		{"endless", func(w http.ResponseWriter, r *http.Request) { endless(w, r, "application/vnd.oci.image.index.v1+json") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h.set(func(w http.ResponseWriter, r *http.Request) bool {
				if strings.Contains(r.URL.Path, "/referrers/") {
					tt.serve(w, r)
					return true
				}
				return false
			})
			start := time.Now()
			if _, err := c.Discover(context.Background(), img); !errors.Is(err, oci.ErrTooLarge) {
				t.Fatalf("Discover = %v, want ErrTooLarge", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("Discover took %v to refuse", d)
			}
		})
	}
}

// TestRegistryAnswers: 401, 403 and 404 become errors naming the image;
// 503 is retried; credentials are sent when given.
func TestRegistryAnswers(t *testing.T) {
	t.Parallel()
	h, host := startHostile(t)
	registrytest.PushImage(t, host+"/app:v1")
	ctx := context.Background()
	var fails atomic.Int32
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case strings.Contains(r.URL.Path, "/denied/"):
			w.WriteHeader(http.StatusForbidden)
		case strings.Contains(r.URL.Path, "/private/"):
			if u, p, ok := r.BasicAuth(); ok && u == "alice" && p == "s3cret" {
				r2 := r.Clone(r.Context())
				r2.URL.Path = strings.Replace(r.URL.Path, "/private/", "/app/", 1)
				h.next.ServeHTTP(w, r2)
				return true
			}
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
		case strings.Contains(r.URL.Path, "/flaky/") && fails.Add(1) <= 2:
			w.WriteHeader(http.StatusServiceUnavailable)
		case strings.Contains(r.URL.Path, "/flaky/"):
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.Replace(r.URL.Path, "/flaky/", "/app/", 1)
			h.next.ServeHTTP(w, r2)
		default:
			return false
		}
		return true
	})
	c := newClient(t, oci.ModeReferrers)
	for _, tt := range []struct {
		ref  string
		want error
	}{
		{host + "/denied:v1", oci.ErrDenied},
		{host + "/private:v1", oci.ErrUnauthorized},
		{host + "/app:v2", oci.ErrNotFound},
	} {
		_, err := c.Resolve(ctx, tt.ref)
		if !errors.Is(err, tt.want) {
			t.Errorf("Resolve(%s) = %v, want %v", tt.ref, err, tt.want)
		} else if !strings.Contains(err.Error(), tt.ref) {
			t.Errorf("Resolve(%s) = %v, which does not name the image", tt.ref, err)
		}
	}
	if _, err := c.Resolve(ctx, host+"/flaky:v1"); err != nil {
		t.Errorf("Resolve(503 twice, then 200) = %v", err)
	}
	withCreds, err := oci.New(oci.Options{Insecure: true, Username: "alice", Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := withCreds.Resolve(ctx, host+"/private:v1"); err != nil {
		t.Errorf("Resolve(private, with credentials) = %v", err)
	}
	secure, err := oci.New(oci.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := secure.Resolve(ctx, host+"/app:v1"); !errors.Is(err, oci.ErrInsecure) {
		t.Errorf("Resolve(plain HTTP, not asked for) = %v, want ErrInsecure", err)
	}
}
