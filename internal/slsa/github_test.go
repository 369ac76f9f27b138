package slsa

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"testing"
)

// TestGitHubAttestation walks slsa-verifier's verify-github-attestation
// cases (cli/slsa-verifier/main_regression_test.go,
// Test_runVerifyGithubAttestation) over its Bazel Central Registry
// fixtures, with its verdicts, then consign's own.
func TestGitHubAttestation(t *testing.T) {
	const rulesLint = "github.com/aspect-build/rules_lint"
	root := readFixture(t, "../../testdata/sigstore/public-good.trusted_root.json")
	tests := []struct {
		name, artifact, attestation, source string
		builderID                           *string
		branch, tag                         *string
		want                                error
	}{
		{name: "module.bazel using publishing builder", artifact: "MODULE.bazel", source: rulesLint, builderID: ptr(BCRPublisher)},
		{name: "source archive using release builder", artifact: "rules_lint-v1.3.1.tar.gz", source: rulesLint, builderID: ptr(BCRReleaser)},
		{name: "module.bazel wrong signer", artifact: "MODULE-wrong-signer.bazel", source: rulesLint, builderID: ptr(BCRPublisher), want: ErrUntrustedBuilder},
		{name: "module.bazel no builder id", artifact: "MODULE.bazel", source: rulesLint, builderID: ptr(""), want: ErrUntrustedBuilder},
		{name: "source archive no builder id", artifact: "rules_lint-v1.3.1.tar.gz", source: rulesLint, builderID: ptr(""), want: ErrUntrustedBuilder},

		{name: "consign: builder id absent", artifact: "MODULE.bazel", source: rulesLint, want: ErrUntrustedBuilder},
		{name: "consign: the other BCR builder", artifact: "MODULE.bazel", source: rulesLint, builderID: ptr(BCRReleaser), want: ErrUntrustedBuilder},
		{name: "consign: builder at its version", artifact: "MODULE.bazel", source: rulesLint, builderID: ptr(BCRPublisher + "@v0.0.1")},
		{name: "consign: builder at another version", artifact: "MODULE.bazel", source: rulesLint, builderID: ptr(BCRPublisher + "@v0.0.2"), want: ErrUntrustedBuilder},
		{name: "consign: another source", artifact: "MODULE.bazel", source: "github.com/aspect-build/rules_lin", builderID: ptr(BCRPublisher), want: ErrMismatchSource},
		{name: "consign: another artifact", artifact: "rules_lint-v1.3.1.tar.gz", attestation: "MODULE.bazel", source: rulesLint, builderID: ptr(BCRPublisher), want: ErrMismatchHash},
		{name: "consign: branch asked of the GitHub workflow build type", artifact: "MODULE.bazel", source: rulesLint, builderID: ptr(BCRPublisher), branch: ptr("main"), want: ErrInvalidProvenance},
		{name: "consign: tag asked of the GitHub workflow build type", artifact: "MODULE.bazel", source: rulesLint, builderID: ptr(BCRPublisher), tag: ptr("v1.3.1"), want: ErrInvalidProvenance},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			att := tt.attestation
			if att == "" {
				att = tt.artifact
			}
			sum := sha256.Sum256(readFixture(t, filepath.Join(fixtures, "bcr", tt.artifact)))
			cfg := ArtifactConfig{Provenance: readFixture(t, filepath.Join(fixtures, "bcr", att+".intoto.jsonl")),
				TrustedRoot: root, Digests: [][]byte{sum[:]}, SourceURI: tt.source, BuilderID: tt.builderID,
				Branch: tt.branch, Tag: tt.tag}
			_, err := VerifyGitHubAttestation(cfg)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("VerifyGitHubAttestation() = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestGitHubAttestationLines: JSON Lines of bundles pass when one verifies
// for what was asked, and give the first bundle's error when none does.
func TestGitHubAttestationLines(t *testing.T) {
	root := readFixture(t, "../../testdata/sigstore/public-good.trusted_root.json")
	good := bytes.TrimSpace(readFixture(t, filepath.Join(fixtures, "bcr", "MODULE.bazel.intoto.jsonl")))
	wrong := bytes.TrimSpace(readFixture(t, filepath.Join(fixtures, "bcr", "MODULE-wrong-signer.bazel.intoto.jsonl")))
	sum := sha256.Sum256(readFixture(t, filepath.Join(fixtures, "bcr", "MODULE.bazel")))
	cfg := ArtifactConfig{TrustedRoot: root, Digests: [][]byte{sum[:]}, SourceURI: "github.com/aspect-build/rules_lint", BuilderID: ptr(BCRPublisher)}
	cfg.Provenance = bytes.Join([][]byte{wrong, good, nil}, []byte("\n"))
	if _, err := VerifyGitHubAttestation(cfg); err != nil {
		t.Errorf("VerifyGitHubAttestation(wrong signer, then good) = %v", err)
	}
	cfg.Provenance = bytes.Join([][]byte{wrong, wrong}, []byte("\n"))
	if _, err := VerifyGitHubAttestation(cfg); !errors.Is(err, ErrUntrustedBuilder) {
		t.Errorf("VerifyGitHubAttestation(wrong signer twice) = %v, want %v", err, ErrUntrustedBuilder)
	}
	cfg.Provenance = append(append([]byte(nil), good...), []byte("\n{not json")...)
	if _, err := VerifyGitHubAttestation(cfg); !errors.Is(err, ErrInvalidProvenance) {
		t.Errorf("VerifyGitHubAttestation(a line that is no JSON) = %v, want %v", err, ErrInvalidProvenance)
	}
}
