package slsa

import (
	"encoding/json"
	"fmt"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/predicate"
)

// GitHubWorkflowBuildType is the build type of SLSA Provenance v1 as
// GitHub's artifact attestations (actions/attest-build-provenance) write it.
const GitHubWorkflowBuildType = "https://actions.github.io/buildtypes/workflow/v1"

// githubAttest is SLSA Provenance v1 of the GitHub workflow build type
// (slsa-verifier's GithubAttestProvenance): the workflow run in
// externalParameters.workflow, the source in resolvedDependencies.
type githubAttest struct {
	st *attest.Statement
	p  *predicate.Provenance
}

// parseProvenanceV1 reads SLSA Provenance v1 of the GitHub workflow build
// type; any other build type is refused, as slsa-verifier refuses a build
// type it has no reader for.
func parseProvenanceV1(st *attest.Statement) (provenance, error) {
	p, err := predicate.ParseProvenance(st.Predicate)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
	}
	if p.BuildDefinition.BuildType != GitHubWorkflowBuildType {
		return nil, fmt.Errorf("%w: build type %q is not supported", ErrInvalidProvenance, p.BuildDefinition.BuildType)
	}
	return &githubAttest{st: st, p: p}, nil
}

func (g *githubAttest) builderID() string          { return g.p.RunDetails.Builder.ID }
func (g *githubAttest) subjects() []attest.Subject { return g.st.Subject }

// triggerURI is git+REPOSITORY@REF of externalParameters.workflow.
func (g *githubAttest) triggerURI() (string, error) {
	var w struct {
		Ref        *string `json:"ref"`
		Repository *string `json:"repository"`
	}
	raw, ok := g.p.BuildDefinition.ExternalParameters["workflow"]
	if !ok || json.Unmarshal(raw, &w) != nil || w.Ref == nil || w.Repository == nil {
		return "", fmt.Errorf("%w: externalParameters.workflow has no repository and ref", ErrInvalidProvenance)
	}
	return fmt.Sprintf("git+%s@%s", *w.Repository, *w.Ref), nil
}

// sourceURI is the first resolved dependency's URI.
func (g *githubAttest) sourceURI() (string, error) {
	deps := g.p.BuildDefinition.ResolvedDependencies
	if len(deps) == 0 {
		return "", fmt.Errorf("%w: empty resolvedDependencies", ErrInvalidProvenance)
	}
	if deps[0].URI == "" {
		return "", fmt.Errorf("%w: empty uri", ErrMalformedURI)
	}
	return deps[0].URI, nil
}

// The GitHub workflow build type records no GITHUB_REF or event payload in
// its internal parameters, where slsa-verifier reads branch, tag and
// inputs of SLSA v1 provenance: it fails on them too.
func (g *githubAttest) branch() (string, error) { return "", g.notRecorded("the branch") }
func (g *githubAttest) tag() (string, error)    { return "", g.notRecorded("the tag") }
func (g *githubAttest) workflowInputs() (map[string]any, error) {
	return nil, g.notRecorded("the workflow inputs")
}

func (g *githubAttest) notRecorded(what string) error {
	return fmt.Errorf("%w: %s build type records no GITHUB_REF or event payload for %s", ErrInvalidProvenance, g.p.BuildDefinition.BuildType, what)
}
