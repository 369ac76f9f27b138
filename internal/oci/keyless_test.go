package oci_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/sigstore"
)

// The sigstore-conformance suite's keyless DSSE bundle (public-good
// Sigstore, the conformance beacon's identity): its statement's subject is
// the digest of a.txt, which stands in here for an image's manifest digest.
const (
	beacon  = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	actions = "https://token.actions.githubusercontent.com"
)

func readTestdata(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../testdata/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func hashOf(b []byte) v1.Hash {
	sum := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
}

// imageWithDigest is an image whose manifest digest is the SHA-256 of b.
func imageWithDigest(t *testing.T, b []byte) *oci.Image {
	t.Helper()
	h := hashOf(b)
	ref, err := name.NewDigest("registry.example/app@" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	return &oci.Image{Ref: ref, Digest: h}
}

// TestKeylessBundleAttestation: a keyless bundle attached to an image
// verifies against the trusted root and identity with the image's digest as
// the subject, and fails for another identity, another image, another
// predicate type, a DSSE envelope without a certificate, and as an image
// signature (it is not cosign's sign statement).
func TestKeylessBundleAttestation(t *testing.T) {
	t.Parallel()
	bundle := readTestdata(t, "sigstore-conformance/happy-path-intoto-in-dsse-v3/bundle.sigstore.json")
	kl := &oci.Keyless{TrustedRoot: readTestdata(t, "sigstore/public-good.trusted_root.json"),
		Identity: sigstore.Identity{Subject: beacon, Issuer: actions}}
	img := imageWithDigest(t, readTestdata(t, "sigstore-conformance/a.txt"))
	atts := []oci.Attachment{{Kind: oci.KindBundle, Source: oci.SourceReferrers, Manifest: hashOf([]byte("manifest")), Digest: hashOf(bundle), Payload: bundle}}

	res := oci.VerifyAttestationsKeyless(img, atts, kl, nil)
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("VerifyAttestationsKeyless = %+v, want one verified bundle", res)
	}
	if r := res[0].Result; r.Subject != beacon || r.Issuer != actions || !r.DSSE {
		t.Errorf("verified signer %q (issuer %q, DSSE %v), want %q (%q) in a DSSE bundle", r.Subject, r.Issuer, r.DSSE, beacon, actions)
	}
	pt := res[0].Result.PredicateType
	if res := oci.VerifyAttestationsKeyless(img, atts, kl, []string{pt}); res[0].Err != nil {
		t.Errorf("VerifyAttestationsKeyless(type %s) = %v", pt, res[0].Err)
	}
	if res := oci.VerifyAttestationsKeyless(img, atts, kl, []string{"https://spdx.dev/Document"}); !errors.Is(res[0].Err, attest.ErrWrongType) {
		t.Errorf("VerifyAttestationsKeyless(another type) = %v, want ErrWrongType", res[0].Err)
	}

	other := &oci.Keyless{TrustedRoot: kl.TrustedRoot, Identity: sigstore.Identity{Subject: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Issuer: actions}}
	if res := oci.VerifyAttestationsKeyless(img, atts, other, nil); !errors.Is(res[0].Err, sigstore.ErrIdentity) {
		t.Errorf("VerifyAttestationsKeyless(another identity) = %v, want ErrIdentity", res[0].Err)
	}
	if res := oci.VerifyAttestationsKeyless(imageWithDigest(t, []byte("another image")), atts, kl, nil); !errors.Is(res[0].Err, sigstore.ErrUnverified) {
		t.Errorf("VerifyAttestationsKeyless(another image) = %v, want ErrUnverified", res[0].Err)
	}

	dsse := []oci.Attachment{{Kind: oci.KindAttestation, Source: oci.SourceCosignTag, Manifest: hashOf([]byte("manifest")), Digest: hashOf([]byte(`{}`)), Payload: []byte(`{}`)}}
	if res := oci.VerifyAttestationsKeyless(img, dsse, kl, nil); len(res) != 1 || !errors.Is(res[0].Err, attest.ErrSignature) {
		t.Errorf("VerifyAttestationsKeyless(a bare DSSE envelope) = %+v, want ErrSignature", res)
	}
	if _, err := oci.VerifySignaturesKeyless(img, atts, kl); !errors.Is(err, oci.ErrNoSignature) {
		t.Errorf("VerifySignaturesKeyless(an attestation bundle) = %v, want ErrNoSignature", err)
	}
}
