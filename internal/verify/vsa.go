package verify

import (
	"path"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/predicate"
)

// Verification results of a VSA ([predicate.VSAPassed], [predicate.VSAFailed]).
const (
	VSAPassed = predicate.VSAPassed
	VSAFailed = predicate.VSAFailed
)

// VSAStatement builds the VSA of a result about artifacts: every
// attestation read is an input (with the digest of its exact bytes), the
// policy is named by the digest of the file given, and the result is PASSED
// only when r passed. verifiedLevels is empty when the release passed
// (consign checks a policy, not a SLSA track level) and ["FAILED"] when it
// did not, as the VSA specification asks.
func VSAStatement(r *Result, artifacts []Artifact, opts VSAOptions) (*attest.Statement, error) {
	var p predicate.VSA
	p.Verifier.ID = opts.VerifierID
	if p.Verifier.ID == "" {
		p.Verifier.ID = DefaultVerifierID
	}
	if opts.Version != "" {
		p.Verifier.Version = map[string]string{"consign": opts.Version}
	}
	p.TimeVerified = r.VerifiedAt.UTC().Format(time.RFC3339)
	p.ResourceURI = opts.ResourceURI
	if p.ResourceURI == "" && len(artifacts) > 0 {
		p.ResourceURI = path.Base(artifacts[0].Name)
	}
	p.Policy = predicate.ResourceDescriptor{URI: r.Policy.Source, Digest: r.Policy.Digest}
	p.InputAttestations = []predicate.ResourceDescriptor{}
	for _, a := range r.Attestations {
		if a.Digest != nil {
			p.InputAttestations = append(p.InputAttestations, predicate.ResourceDescriptor{URI: a.Source, Digest: a.Digest})
		}
	}
	p.VerificationResult, p.VerifiedLevels = VSAFailed, []string{"FAILED"}
	if r.Passed {
		p.VerificationResult, p.VerifiedLevels = VSAPassed, []string{}
	}
	p.SLSAVersion = "1.0"
	pred, err := p.Marshal()
	if err != nil {
		return nil, err
	}
	subjects := make([]attest.Subject, 0, len(artifacts))
	for _, a := range artifacts {
		subjects = append(subjects, attest.Subject{Name: a.Name, Digest: a.Digest})
	}
	return attest.NewStatement(attest.PredicateVSA, subjects, pred)
}
