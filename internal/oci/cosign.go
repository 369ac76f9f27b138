package oci

import (
	"encoding/json"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// cosign's tag scheme and media types, written here rather than imported
// from github.com/sigstore/cosign/v2/pkg/oci, whose import graph brings
// cosign's Fulcio, Rekor and TUF clients into the binary (see the package
// documentation). They follow cosign v2's pkg/oci/static, pkg/types and
// pkg/oci/remote: one layer per signature or attestation, the signature in a
// layer annotation.
const (
	// SimpleSigningMediaType is the media type of a cosign signature's payload layer.
	SimpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// DSSEMediaType is the media type of an attestation layer: a DSSE envelope.
	DSSEMediaType = "application/vnd.dsse.envelope.v1+json"
	// SignatureAnnotation holds a layer's base64 signature over its payload.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
	// PredicateTypeAnnotation holds an attestation layer's predicate type (cosign's key).
	PredicateTypeAnnotation = "predicateType"
	// SigArtifactType is the artifactType of a signature written as a referrer.
	SigArtifactType = "application/vnd.dev.cosign.artifact.sig.v1+json"
	// SigstoreBundleArtifactType is cosign v3's bundle referrers (--new-bundle-format).
	SigstoreBundleArtifactType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// EmptyConfigMediaType is OCI 1.1's empty descriptor, the config of an artifact manifest.
	EmptyConfigMediaType = "application/vnd.oci.empty.v1+json"
	// InTotoPredicateAnnotation carries the predicate type on a referrer.
	InTotoPredicateAnnotation = "in-toto.io/predicate-type"

	// simpleSigningType is the critical.type of a cosign simple-signing payload.
	simpleSigningType = "cosign container image signature"
)

// cosign's tag suffixes.
const (
	SuffixSignature   = "sig"
	SuffixAttestation = "att"
	SuffixSBOM        = "sbom"
)

// cosignTag is cosign's tag for an attachment of kind suffix to digest d:
// sha256-HEX.sig.
func cosignTag(d v1.Hash, suffix string) string {
	return d.Algorithm + "-" + d.Hex + "." + suffix
}

// referrersTag is the OCI referrers tag schema's tag for d: sha256-HEX.
func referrersTag(d v1.Hash) string {
	return d.Algorithm + "-" + d.Hex
}

// SimpleSigning is cosign's simple-signing payload (the "critical" part of
// containers/image's signature format).
type SimpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// NewSimpleSigning is the payload cosign signs for the image: its
// repository and manifest digest.
func NewSimpleSigning(img *Image) ([]byte, error) {
	var p SimpleSigning
	p.Critical.Identity.DockerReference = img.Ref.Context().Name()
	p.Critical.Image.DockerManifestDigest = img.Digest.String()
	p.Critical.Type = simpleSigningType
	return json.Marshal(p)
}

// ParseSimpleSigning reads a simple-signing payload and checks that it is
// about the image with digest want. It returns an error wrapping
// [ErrMalformed] for a payload that does not parse, and [ErrSubjectMismatch]
// for one about another image.
func ParseSimpleSigning(payload []byte, want v1.Hash) (*SimpleSigning, error) {
	var p SimpleSigning
	dec := json.NewDecoder(strings.NewReader(string(payload)))
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("%w: simple-signing payload: %v", ErrMalformed, err)
	}
	if p.Critical.Type != simpleSigningType {
		return nil, fmt.Errorf("%w: simple-signing payload of type %q", ErrMalformed, p.Critical.Type)
	}
	if p.Critical.Image.DockerManifestDigest != want.String() {
		return nil, fmt.Errorf("%w: the signature is for %q, the image is %s", ErrSubjectMismatch, p.Critical.Image.DockerManifestDigest, want)
	}
	return &p, nil
}
