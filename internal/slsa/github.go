package slsa

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/predicate"
)

// The Bazel Central Registry's reusable workflows, whose GitHub
// attestations slsa-verifier reads as SLSA v1 of the GitHub workflow
// build type.
const (
	BCRReleaser  = "https://github.com/bazel-contrib/.github/.github/workflows/release_ruleset.yaml"
	BCRPublisher = "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml"
)

// githubAttestBuilders are the builders slsa-verifier has a reader of the
// GitHub workflow build type for.
var githubAttestBuilders = map[string]bool{BCRReleaser: true, BCRPublisher: true}

// maxAttestations bounds the bundles of one GitHub attestation file.
const maxAttestations = 100

// VerifyGitHubAttestation verifies a GitHub artifact attestation (a
// Sigstore bundle with SLSA provenance, or JSON Lines of them, as GitHub's
// attestation API gives them) for artifacts, offline, giving slsa-verifier
// verify-github-attestation's verdicts: as [VerifyArtifact], except that no
// builder is trusted by default (cfg.BuilderID is required, else
// [ErrUntrustedBuilder]) and the provenance may be SLSA v1 of the GitHub
// workflow build type from the builders slsa-verifier reads it for. With
// several bundles, the first that verifies is the result; if none does,
// the first bundle's error is returned. Errors are [VerifyArtifact]'s.
func VerifyGitHubAttestation(cfg ArtifactConfig) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	docs, err := splitJSONLines(cfg.Provenance)
	if err != nil {
		return nil, err
	}
	var first error
	for _, d := range docs {
		c := cfg
		c.Provenance = d
		res, err := verifyGitHub(c, map[string]bool{}, parseGitHubAttestation)
		if err == nil {
			return res, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// parseGitHubAttestation reads SLSA Provenance v0.2, or v1 of the GitHub
// workflow build type when builder is one slsa-verifier reads it for.
func parseGitHubAttestation(payload []byte, builder string) (provenance, error) {
	st, err := attest.ParseStatement(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
	}
	switch st.PredicateType {
	case predicate.PredicateSLSAProvenanceV02:
		return parseProvenance(payload, builder)
	case attest.PredicateSLSAProvenance:
		if !githubAttestBuilders[builder] {
			return nil, fmt.Errorf("%w: no reader of SLSA v1 provenance for the builder %s", ErrMismatchBuilderID, builder)
		}
		return parseProvenanceV1(st)
	}
	return nil, fmt.Errorf("%w: predicate type %q is not SLSA provenance", ErrInvalidProvenance, st.PredicateType)
}

// splitJSONLines reads data as one JSON document, or else as JSON Lines
// ([jsonl.Documents]: each line and the count of lines capped).
func splitJSONLines(data []byte) ([][]byte, error) {
	docs, err := jsonl.Documents(context.Background(), bytes.NewReader(data), "the attestation file", jsonl.Limits{})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidProvenance, err)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%w: the attestation file holds no bundle", ErrInvalidProvenance)
	}
	if len(docs) > maxAttestations {
		return nil, fmt.Errorf("%w: more than %d attestations", ErrInvalidProvenance, maxAttestations)
	}
	out := make([][]byte, len(docs))
	for i, d := range docs {
		if !json.Valid(d.Data) {
			return nil, fmt.Errorf("%w: line %d is not JSON", ErrInvalidProvenance, d.N)
		}
		out[i] = d.Data
	}
	return out, nil
}
