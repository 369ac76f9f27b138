package oci_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/testutil/registrytest"
	"github.com/consign-dev/consign/internal/testutil/testkey"
)

func newClient(t *testing.T, mode oci.Mode) *oci.Client {
	t.Helper()
	c, err := oci.New(oci.Options{Insecure: true, Mode: mode, Backoff: 1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// attestation signs a statement of predicate type pt about img.
func attestation(t *testing.T, img *oci.Image, pt string, key *testkey.Key) *attest.Envelope {
	t.Helper()
	st, err := attest.NewStatement(pt, []attest.Subject{{Name: img.Ref.Context().Name(), Digest: oci.ImageDigestSet(img)}}, json.RawMessage(`{"note":"test"}`))
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.SignStatement(st, key.Signer)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

func sources(atts []oci.Attachment, k oci.Kind) map[oci.Source]int {
	out := map[oci.Source]int{}
	for _, a := range atts {
		if a.Kind == k {
			out[a.Source]++
		}
	}
	return out
}

// TestSignAttachDiscover writes a signature and an attestation in each mode
// to both registries and reads them back from where that mode puts them:
// the referrers API on go-containerregistry's registry, the referrers tag
// schema on the distribution registry (which has no referrers API), and
// cosign's tags.
func TestSignAttachDiscover(t *testing.T) {
	t.Parallel()
	registries := map[string]func(testing.TB) string{"ggcr": registrytest.Ggcr, "distribution": registrytest.Distribution}
	for regName, start := range registries {
		t.Run(regName, func(t *testing.T) {
			t.Parallel()
			host := start(t)
			referrerSource := oci.SourceReferrers
			if regName == "distribution" {
				referrerSource = oci.SourceReferrersTag
			}
			for _, tt := range []struct {
				mode oci.Mode
				want map[oci.Source]int
			}{
				{oci.ModeReferrers, map[oci.Source]int{referrerSource: 1}},
				{oci.ModeTag, map[oci.Source]int{oci.SourceCosignTag: 1}},
				{oci.ModeBoth, map[oci.Source]int{referrerSource: 1, oci.SourceCosignTag: 1}},
			} {
				t.Run(string(tt.mode), func(t *testing.T) {
					ctx := context.Background()
					ref := host + "/app/" + string(tt.mode) + ":v1"
					pushed := registrytest.PushImage(t, ref)
					c := newClient(t, tt.mode)
					img, err := c.Resolve(ctx, ref)
					if err != nil {
						t.Fatalf("Resolve(%q) = %v", ref, err)
					}
					if img.Digest != pushed {
						t.Fatalf("Resolve(%q) = %s, want %s", ref, img.Digest, pushed)
					}
					key, other := testkey.New(t, "oci-signer"), testkey.New(t, "oci-other")
					if _, err := c.Sign(ctx, img, key.Signer); err != nil {
						t.Fatalf("Sign = %v", err)
					}
					// Signing twice adds nothing to cosign's tag: the layer is there.
					if _, err := c.Sign(ctx, img, key.Signer); err != nil {
						t.Fatalf("Sign (again) = %v", err)
					}
					if _, err := c.Attach(ctx, img, attestation(t, img, "https://slsa.dev/provenance/v1", key)); err != nil {
						t.Fatalf("Attach = %v", err)
					}
					atts, err := c.Discover(ctx, img)
					if err != nil {
						t.Fatalf("Discover = %v", err)
					}
					wantSigs := tt.want
					if tt.mode != oci.ModeTag {
						// A second referrer is a second manifest (its layer is the
						// same, ECDSA signatures differ).
						wantSigs = map[oci.Source]int{}
						for s, n := range tt.want {
							wantSigs[s] = n
							if s != oci.SourceCosignTag {
								wantSigs[s] = 2
							}
						}
					}
					if got := sources(atts, oci.KindSignature); !equalCounts(got, wantSigs) {
						t.Errorf("signatures found in %v, want %v", got, wantSigs)
					}
					if got := sources(atts, oci.KindAttestation); !equalCounts(got, tt.want) {
						t.Errorf("attestations found in %v, want %v", got, tt.want)
					}
					checkVerifies(t, img, atts, key, other)
				})
			}
		})
	}
}

// checkVerifies checks that the signatures and attestations found verify
// with key and the image's digest, and not with other or another digest.
func checkVerifies(t *testing.T, img *oci.Image, atts []oci.Attachment, key, other *testkey.Key) {
	t.Helper()
	pushed := img.Digest
	kr, _ := attest.NewKeyring(key.Public())
	if _, err := oci.VerifySignatures(img, atts, kr); err != nil {
		t.Errorf("VerifySignatures(signer's key) = %v", err)
	}
	wrong, _ := attest.NewKeyring(other.Public())
	if _, err := oci.VerifySignatures(img, atts, wrong); !errors.Is(err, oci.ErrNoSignature) {
		t.Errorf("VerifySignatures(other key) = %v, want ErrNoSignature", err)
	}
	items := oci.Items(atts)
	if len(items) != len(atts)-countKind(atts, oci.KindSignature) {
		t.Fatalf("Items = %d items from %d attachments", len(items), len(atts))
	}
	for i := range items {
		opts := attest.VerifyOptions{PredicateTypes: []string{"https://slsa.dev/provenance/v1"}, Subject: oci.ImageDigestSet(img)}
		if _, err := attest.VerifyItem(&items[i], kr, opts); err != nil {
			t.Errorf("VerifyItem(%s) = %v", items[i].Source, err)
		}
		opts.Subject = oci.ImageDigestSet(&oci.Image{Digest: v1.Hash{Algorithm: "sha256", Hex: pushed.Hex[1:] + "0"}})
		if _, err := attest.VerifyItem(&items[i], kr, opts); !errors.Is(err, attest.ErrSubjectMismatch) {
			t.Errorf("VerifyItem(%s, another digest) = %v, want ErrSubjectMismatch", items[i].Source, err)
		}
	}
}

func countKind(atts []oci.Attachment, k oci.Kind) int {
	n := 0
	for _, a := range atts {
		if a.Kind == k {
			n++
		}
	}
	return n
}

func equalCounts(a, b map[oci.Source]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestAttachRefusesOtherSubject: an envelope about another artifact is not
// attached to the image.
func TestAttachRefusesOtherSubject(t *testing.T) {
	t.Parallel()
	host := registrytest.Ggcr(t)
	ctx := context.Background()
	registrytest.PushImage(t, host+"/a:v1")
	registrytest.PushImage(t, host+"/b:v1")
	c := newClient(t, oci.ModeBoth)
	a, err := c.Resolve(ctx, host+"/a:v1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Resolve(ctx, host+"/b:v1")
	if err != nil {
		t.Fatal(err)
	}
	env := attestation(t, b, "https://slsa.dev/provenance/v1", testkey.New(t, "oci-signer"))
	if _, err := c.Attach(ctx, a, env); !errors.Is(err, oci.ErrNotAboutImage) {
		t.Fatalf("Attach(envelope about b) to a = %v, want ErrNotAboutImage", err)
	}
	atts, err := c.Discover(ctx, a)
	if err != nil || len(atts) != 0 {
		t.Fatalf("Discover(a) = %d attachments, %v; want none", len(atts), err)
	}
}
