package oci_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/consign-dev/consign/internal/oci"
)

// requestLog counts the requests a registry answers, by method and path.
type requestLog struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *requestLog) add(r *http.Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n[r.Method+" "+r.URL.Path]++
}

func (l *requestLog) counts() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]int, len(l.n))
	for k, v := range l.n {
		out[k] = v
	}
	return out
}

// waitFor answers whether ch closes within a few seconds.
func waitFor(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	case <-time.After(5 * time.Second):
		return false
	}
}

// TestAttachmentsByDigestRequests: for a reference by digest, Attachments
// pings the registry once, asks for each place and each layer once, reads
// the places while the image's manifest is being read, and fetches the
// layers of cosign's .att image while the other places are being read. It
// finds what Resolve and then Discover find.
func TestAttachmentsByDigestRequests(t *testing.T) {
	t.Parallel()
	h, host := startHostile(t)
	ctx := context.Background()
	img := signedImage(t, newClient(t, oci.ModeBoth), host, "app")
	ref := img.Ref.String()
	tag := "sha256-" + img.Digest.Hex
	want, err := newClient(t, oci.ModeBoth).Discover(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	attManifest := "/v2/app/manifests/" + tag + ".att"
	var attLayer string
	for _, a := range want {
		if a.Source == oci.SourceCosignTag && a.Kind == oci.KindAttestation {
			attLayer = "/v2/app/blobs/" + a.Digest.String()
		}
	}
	if attLayer == "" {
		t.Fatalf("no attestation in cosign's .att tag among %d attachments", len(want))
	}

	log := &requestLog{n: map[string]int{}}
	placeAsked, layerAsked := make(chan struct{}), make(chan struct{})
	var placeOnce, layerOnce sync.Once
	var overlapped, early atomic.Bool
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		log.add(r)
		switch r.URL.Path {
		case attManifest:
			placeOnce.Do(func() { close(placeAsked) })
		case attLayer:
			layerOnce.Do(func() { close(layerAsked) })
		case "/v2/app/manifests/" + img.Digest.String():
			// The image's manifest is answered once a place was asked for.
			overlapped.Store(waitFor(placeAsked))
		case "/v2/app/manifests/" + tag + ".sig":
			// The .sig image is answered once the .att image's layer was asked for.
			early.Store(waitFor(layerAsked))
		}
		return false
	})
	defer h.set(nil)

	got, atts, err := newClient(t, oci.ModeBoth).Attachments(ctx, ref)
	if err != nil {
		t.Fatalf("Attachments(%q) = %v", ref, err)
	}
	if got.Digest != img.Digest || string(got.Manifest) != string(img.Manifest) {
		t.Errorf("Attachments(%q) resolved %s, want %s", ref, got.Digest, img.Digest)
	}
	// The order of a referrers index is the registry's (a map in
	// go-containerregistry's): compare in a fixed order.
	byPlace := cmpopts.SortSlices(func(a, b oci.Attachment) bool { return a.Name() < b.Name() })
	if diff := cmp.Diff(want, atts, byPlace); diff != "" {
		t.Errorf("Attachments(%q) differs from Resolve then Discover (-want +got):\n%s", ref, diff)
	}
	if !overlapped.Load() {
		t.Errorf("the places were not asked for while the image's manifest was read")
	}
	if !early.Load() {
		t.Errorf("the .att image's layer was not asked for while the .sig image was read")
	}
	counts := log.counts()
	if n := counts["GET /v2/"]; n != 1 {
		t.Errorf("%d pings, want 1", n)
	}
	for _, p := range []string{"/v2/app/manifests/" + img.Digest.String(), "/v2/app/referrers/" + img.Digest.String(),
		attManifest, "/v2/app/manifests/" + tag + ".sig", "/v2/app/manifests/" + tag + ".sbom"} {
		if n := counts["GET "+p]; n != 1 {
			t.Errorf("GET %s asked %d times, want 1", p, n)
		}
	}
	for k, n := range counts {
		if !strings.HasPrefix(k, "GET ") {
			t.Errorf("%s asked %d times, want only GETs", k, n)
		}
		if n != 1 && k != "GET /v2/" {
			t.Errorf("%s asked %d times, want once", k, n)
		}
	}
}

// TestAttachmentsByDigestUnresolved: a reference by a digest the registry
// has no manifest for fails as resolving it fails, though the places,
// looked in at the same time, hold attachments for that digest.
func TestAttachmentsByDigestUnresolved(t *testing.T) {
	t.Parallel()
	h, host := startHostile(t)
	ctx := context.Background()
	img := signedImage(t, newClient(t, oci.ModeBoth), host, "gone")
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/v2/gone/manifests/"+img.Digest.String() {
			http.Error(w, `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}`, http.StatusNotFound)
			return true
		}
		return false
	})
	defer h.set(nil)
	_, _, err := newClient(t, oci.ModeBoth).Attachments(ctx, img.Ref.String())
	if !errors.Is(err, oci.ErrNotFound) || !strings.Contains(err.Error(), "manifest of "+img.Ref.String()) {
		t.Fatalf("Attachments(unknown manifest) = %v, want ErrNotFound naming the manifest", err)
	}
}

// TestAttestationsSkipSignatureTags: a reader of attestations
// (Attestations, AttachedAttestations) looks in the referrers API and
// cosign's .att tag but not in the .sig and .sbom tags, which never hold an
// attestation, and finds every attestation Attachments finds.
func TestAttestationsSkipSignatureTags(t *testing.T) {
	t.Parallel()
	h, host := startHostile(t)
	ctx := context.Background()
	img := signedImage(t, newClient(t, oci.ModeBoth), host, "atts")
	ref := img.Ref.String()
	tag := "/v2/atts/manifests/sha256-" + img.Digest.Hex
	_, all, err := newClient(t, oci.ModeBoth).Attachments(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, it := range oci.Items(all) {
		want = append(want, it.Source)
	}
	if len(want) < 2 {
		t.Fatalf("Attachments found %d attestations, want one as a referrer and one in the .att tag", len(want))
	}

	log := &requestLog{n: map[string]int{}}
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		log.add(r)
		return false
	})
	defer h.set(nil)
	_, items, err := newClient(t, oci.ModeBoth).Attestations(ctx, ref)
	if err != nil {
		t.Fatalf("Attestations(%q) = %v", ref, err)
	}
	var got []string
	for _, it := range items {
		if it.Err != nil {
			t.Errorf("%s: %v", it.Source, it.Err)
		}
		got = append(got, it.Source)
	}
	if diff := cmp.Diff(want, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("Attestations(%q) found other attestations than Attachments (-want +got):\n%s", ref, diff)
	}
	counts := log.counts()
	for _, p := range []string{tag + ".sig", tag + ".sbom"} {
		if n := counts["GET "+p]; n != 0 {
			t.Errorf("GET %s asked %d times by a reader of attestations, want 0", p, n)
		}
	}
	for _, p := range []string{tag + ".att", "/v2/atts/referrers/" + img.Digest.String()} {
		if n := counts["GET "+p]; n != 1 {
			t.Errorf("GET %s asked %d times, want 1", p, n)
		}
	}
}

// TestAttachmentsByDigestHostile: reading the image's manifest and the
// places at once, and cosign's tag layers early, checks what reading them
// one after the other checks. A manifest that does not hash to the
// reference's digest is refused though the places hold attachments for
// that digest; a cosign tag layer that does not match its digest is
// refused, though it was fetched early; and a layer whose early fetch
// failed is asked again, not taken as missing.
func TestAttachmentsByDigestHostile(t *testing.T) {
	t.Parallel()
	h, host := startHostile(t)
	ctx := context.Background()
	img := signedImage(t, newClient(t, oci.ModeBoth), host, "app")
	other := signedImage(t, newClient(t, oci.ModeBoth), host, "other")
	want, err := newClient(t, oci.ModeBoth).Discover(ctx, img)
	if err != nil {
		t.Fatal(err)
	}
	var attLayer string
	for _, a := range want {
		if a.Source == oci.SourceCosignTag && a.Kind == oci.KindAttestation {
			attLayer = "/v2/app/blobs/" + a.Digest.String()
		}
	}
	if attLayer == "" {
		t.Fatalf("no attestation in cosign's .att tag among %d attachments", len(want))
	}
	flipped := func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.next.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		b[len(b)/2] ^= 1
		_, _ = w.Write(b)
	}

	// The manifest of another image, sent for img's digest.
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == "/v2/app/manifests/"+img.Digest.String() {
			w.Header().Set("Content-Type", string(other.MediaType))
			_, _ = w.Write(other.Manifest)
			return true
		}
		return false
	})
	if _, _, err := newClient(t, oci.ModeBoth).Attachments(ctx, img.Ref.String()); !errors.Is(err, oci.ErrDigestMismatch) {
		t.Errorf("Attachments(another image's manifest) = %v, want ErrDigestMismatch", err)
	}

	// The .att layer altered, every time it is asked for.
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == attLayer {
			flipped(w, r)
			return true
		}
		return false
	})
	if _, _, err := newClient(t, oci.ModeBoth).Attachments(ctx, img.Ref.String()); !errors.Is(err, oci.ErrDigestMismatch) {
		t.Errorf("Attachments(altered .att layer) = %v, want ErrDigestMismatch", err)
	}

	// The .att layer altered the first time only: the early fetch fails,
	// the layer is asked for again and found.
	var asked atomic.Int32
	h.set(func(w http.ResponseWriter, r *http.Request) bool {
		if r.URL.Path == attLayer && asked.Add(1) == 1 {
			flipped(w, r)
			return true
		}
		return false
	})
	_, atts, err := newClient(t, oci.ModeBoth).Attachments(ctx, img.Ref.String())
	if err != nil {
		t.Fatalf("Attachments(.att layer altered once) = %v", err)
	}
	byPlace := cmpopts.SortSlices(func(a, b oci.Attachment) bool { return a.Name() < b.Name() })
	if diff := cmp.Diff(want, atts, byPlace); diff != "" {
		t.Errorf("Attachments(.att layer altered once) differs from Discover (-want +got):\n%s", diff)
	}
	// Early, then again (and once more for the referrer holding the
	// same envelope).
	if n := asked.Load(); n < 2 {
		t.Errorf("the .att layer was asked for %d times, want it asked again after its early fetch failed", n)
	}
	h.set(nil)
}
