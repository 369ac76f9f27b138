package predicate

import (
	"encoding/json"
	"fmt"

	"github.com/consign-dev/consign/internal/attest"
)

// Verification results of a VSA.
const (
	VSAPassed = "PASSED"
	VSAFailed = "FAILED"
)

// VSA is a SLSA Verification Summary Attestation v1
// (https://slsa.dev/spec/v1.0/verification_summary): who verified what,
// against which policy, from which attestations, with which result.
type VSA struct {
	Verifier           VSAVerifier          `json:"verifier"`
	TimeVerified       string               `json:"timeVerified"`
	ResourceURI        string               `json:"resourceUri"`
	Policy             ResourceDescriptor   `json:"policy"`
	InputAttestations  []ResourceDescriptor `json:"inputAttestations"`
	VerificationResult string               `json:"verificationResult"`
	VerifiedLevels     []string             `json:"verifiedLevels"`
	SLSAVersion        string               `json:"slsaVersion"`
}

// VSAVerifier names the verifier and its versions.
type VSAVerifier struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// Marshal returns the predicate's JSON, checked against its schema
// ([Validate]). Missing lists are written empty, never null.
func (v *VSA) Marshal() (json.RawMessage, error) {
	out := *v
	if out.InputAttestations == nil {
		out.InputAttestations = []ResourceDescriptor{}
	}
	if out.VerifiedLevels == nil {
		out.VerifiedLevels = []string{}
	}
	return marshalChecked(attest.PredicateVSA, &out)
}

// ParseVSA reads a VSA with encoding/json, for a reader that checks its
// policy digest and result; the raw predicate must be part of a statement
// [attest.ParseStatement] returned (strict JSON already). On error it
// returns nil and an error wrapping [attest.ErrMalformed].
func ParseVSA(raw []byte) (*VSA, error) {
	v := &VSA{}
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("%w: %v", attest.ErrMalformed, err)
	}
	return v, nil
}
