package slsa

import (
	"errors"
	"fmt"
	"strings"
)

// ImageConfig is what [VerifyImage] checks an image's provenance against:
// the options of slsa-verifier's verify-image. Pointers are options that
// may be absent.
type ImageConfig struct {
	// Bundles are the Sigstore bundles found with the image (cosign's
	// attestation layers rewritten as bundles, or bundles attached as
	// referrers): the SLSA GitHub container generator's provenance is
	// among them.
	Bundles [][]byte
	// Unreadable are the attestations found with the image that could not
	// be read as bundles (a log entry of a kind the verifier does not
	// read): reported when no bundle is left to verify.
	Unreadable []error
	// Provenance is --provenance-path: for Google Cloud Build, the output of
	// 'gcloud artifacts docker images describe --show-provenance'.
	Provenance []byte
	// TrustedRoot is the trusted_root.json the bundles are verified against
	// (GitHub builders only); nothing is fetched.
	TrustedRoot []byte
	// Digest is the SHA-256 of the image's manifest: the subject the
	// provenance must name.
	Digest []byte

	SourceURI    string  // required
	BuilderID    *string // the builder (name or name@version); nil for the default
	Branch       *string
	Tag          *string
	VersionedTag *string
	Inputs       map[string]string
}

// containerBuilders are the workflows trusted to sign provenance for an
// image when no --builder-id is given (slsa-verifier's default for
// containers).
var containerBuilders = map[string]bool{ContainerGenerator: true}

// ErrVerifierNotSupported is a --builder-id that no verifier is
// authoritative for: neither a github.com workflow nor Google Cloud Build.
var ErrVerifierNotSupported = fmt.Errorf("%w: no verifier for this builder", ErrUnverified)

// ErrNoValidSignature is provenance of which no signature verifies, or an
// image with no provenance at all.
var ErrNoValidSignature = fmt.Errorf("%w: no valid signature", ErrUnverified)

// IsGCB reports whether the builder id asked for names Google Cloud Build,
// whose provenance is read from a file rather than found with the image.
func IsGCB(builderID *string) bool {
	if builderID == nil {
		return false
	}
	b, err := ParseBuilderID(*builderID, false)
	return err == nil && b.Name == GCBBuilder
}

// SplitBundles reads a provenance file given for an image: one Sigstore
// bundle, or JSON Lines of them.
func SplitBundles(data []byte) ([][]byte, error) {
	return splitJSONLines(data)
}

// VerifyImage verifies SLSA provenance for a container image, offline,
// giving slsa-verifier verify-image's verdicts. The builder is chosen as
// slsa-verifier chooses it: Google Cloud Build when cfg.BuilderID names
// it ([VerifyGCBImage], over cfg.Provenance), a GitHub workflow otherwise:
// each bundle is verified as [VerifyArtifact] verifies provenance, the
// trusted builder being the SLSA GitHub container generator and the
// subject the image's digest; the first that verifies is the result, and
// if none does, the first bundle's error is returned.
func VerifyImage(cfg ImageConfig) (*Result, error) {
	switch {
	case len(cfg.Digest) != 32:
		return nil, fmt.Errorf("%w: the image digest is SHA-256 (32 bytes), got %d bytes", ErrConfig, len(cfg.Digest))
	case cfg.SourceURI == "":
		return nil, fmt.Errorf("%w: no source URI", ErrConfig)
	}
	if cfg.BuilderID != nil && *cfg.BuilderID != "" {
		b, err := ParseBuilderID(*cfg.BuilderID, false)
		if err != nil {
			return nil, err
		}
		switch {
		case b.Name == GCBBuilder:
			return VerifyGCBImage(cfg)
		case !strings.HasPrefix(b.Name, githubURL):
			return nil, fmt.Errorf("%w: %s", ErrVerifierNotSupported, *cfg.BuilderID)
		}
	}
	if len(cfg.TrustedRoot) == 0 {
		return nil, fmt.Errorf("%w: no trusted root (consign verifies offline: pass a trusted_root.json)", ErrConfig)
	}
	if len(cfg.Bundles) == 0 {
		if len(cfg.Unreadable) > 0 {
			return nil, fmt.Errorf("%w: %w", ErrNoValidSignature, errors.Join(cfg.Unreadable...))
		}
		return nil, fmt.Errorf("%w: no provenance attestation with a transparency log entry found for the image", ErrNoValidSignature)
	}
	var errs []error
	for _, b := range cfg.Bundles {
		res, err := verifyGitHub(ArtifactConfig{Provenance: b, TrustedRoot: cfg.TrustedRoot, Digests: [][]byte{cfg.Digest},
			SourceURI: cfg.SourceURI, BuilderID: cfg.BuilderID, Branch: cfg.Branch, Tag: cfg.Tag,
			VersionedTag: cfg.VersionedTag, Inputs: cfg.Inputs}, containerBuilders, parseProvenance)
		if err == nil {
			return res, nil
		}
		errs = append(errs, err)
	}
	if len(errs) == 1 {
		return nil, errs[0]
	}
	return nil, fmt.Errorf("%w (and %d more attestations that do not verify: %v)", errs[0], len(errs)-1, errors.Join(errs[1:]...))
}
