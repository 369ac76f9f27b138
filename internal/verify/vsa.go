package verify

import (
	"encoding/json"
	"path"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
)

// Verification results of a VSA.
const (
	VSAPassed = "PASSED"
	VSAFailed = "FAILED"
)

type resourceDescriptor struct {
	URI    string     `json:"uri,omitempty"`
	Digest digest.Set `json:"digest,omitempty"`
}

// vsaPredicate is a SLSA Verification Summary Attestation v1
// (https://slsa.dev/spec/v1.0/verification_summary).
type vsaPredicate struct {
	Verifier struct {
		ID      string            `json:"id"`
		Version map[string]string `json:"version,omitempty"`
	} `json:"verifier"`
	TimeVerified       string               `json:"timeVerified"`
	ResourceURI        string               `json:"resourceUri"`
	Policy             resourceDescriptor   `json:"policy"`
	InputAttestations  []resourceDescriptor `json:"inputAttestations"`
	VerificationResult string               `json:"verificationResult"`
	VerifiedLevels     []string             `json:"verifiedLevels"`
	SLSAVersion        string               `json:"slsaVersion"`
}

// VSAStatement builds the VSA of a result about artifacts: every
// attestation read is an input (with the digest of its exact bytes), the
// policy is named by the digest of the file given, and the result is PASSED
// only when r passed. verifiedLevels is empty when the release passed
// (consign checks a policy, not a SLSA track level) and ["FAILED"] when it
// did not, as the VSA specification asks.
func VSAStatement(r *Result, artifacts []Artifact, opts VSAOptions) (*attest.Statement, error) {
	var p vsaPredicate
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
	p.Policy = resourceDescriptor{URI: r.Policy.Source, Digest: r.Policy.Digest}
	p.InputAttestations = []resourceDescriptor{}
	for _, a := range r.Attestations {
		if a.Digest != nil {
			p.InputAttestations = append(p.InputAttestations, resourceDescriptor{URI: a.Source, Digest: a.Digest})
		}
	}
	p.VerificationResult, p.VerifiedLevels = VSAFailed, []string{"FAILED"}
	if r.Passed {
		p.VerificationResult, p.VerifiedLevels = VSAPassed, []string{}
	}
	p.SLSAVersion = "1.0"
	pred, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	subjects := make([]attest.Subject, 0, len(artifacts))
	for _, a := range artifacts {
		subjects = append(subjects, attest.Subject{Name: a.Name, Digest: a.Digest})
	}
	return attest.NewStatement(attest.PredicateVSA, subjects, pred)
}
