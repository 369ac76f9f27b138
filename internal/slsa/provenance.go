package slsa

import (
	"fmt"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/predicate"
)

// provenance is what the checks read of a signed SLSA provenance,
// whichever version and builder wrote it.
type provenance interface {
	builderID() string
	triggerURI() (string, error)
	sourceURI() (string, error)
	subjects() []attest.Subject
	branch() (string, error)
	tag() (string, error)
	workflowInputs() (map[string]any, error)
}

// v02 is SLSA Provenance v0.2 as the SLSA GitHub generators write it: the
// GitHub context of the run in invocation.environment.
type v02 struct {
	st *attest.Statement
	p  *predicate.ProvenanceV02
	// upper is a GitHub context whose keys are upper case (GITHUB_REF),
	// as BYOB builders and SLSA v1 internal parameters write them.
	upper bool
}

// parseProvenance reads the verified statement of a bundle: SLSA
// Provenance v0.2, which the SLSA GitHub generators write, whatever the
// builder.
func parseProvenance(payload []byte, _ string) (provenance, error) {
	st, p, err := predicate.ParseStatementV02(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
	}
	return &v02{st: st, p: p}, nil
}

func (v *v02) builderID() string          { return v.p.Builder.ID }
func (v *v02) subjects() []attest.Subject { return v.st.Subject }

func (v *v02) triggerURI() (string, error) {
	if v.p.Invocation.ConfigSource.URI == "" {
		return "", fmt.Errorf("%w: empty invocation.configSource.uri", ErrMalformedURI)
	}
	return v.p.Invocation.ConfigSource.URI, nil
}

func (v *v02) sourceURI() (string, error) {
	if len(v.p.Materials) == 0 {
		return "", fmt.Errorf("%w: no materials", ErrInvalidProvenance)
	}
	if v.p.Materials[0].URI == "" {
		return "", fmt.Errorf("%w: empty material uri", ErrMalformedURI)
	}
	return v.p.Materials[0].URI, nil
}

// env returns the string field key of the GitHub context.
func (v *v02) env(key string) (string, error) {
	key = v.key(key)
	s, ok := v.p.Invocation.Environment[key].(string)
	if !ok {
		return "", fmt.Errorf("%w: environment field %q is not a string", ErrInvalidProvenance, key)
	}
	return s, nil
}

func (v *v02) event() (map[string]any, error) {
	e, ok := v.p.Invocation.Environment[v.key("github_event_payload")].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: no github_event_payload object", ErrInvalidProvenance)
	}
	return e, nil
}

// key is the context's name for key.
func (v *v02) key(key string) string {
	if v.upper {
		return strings.ToUpper(key)
	}
	return key
}

// tag is github_ref for a run on a tag, "" for a run on a branch.
func (v *v02) tag() (string, error) {
	refType, err := v.env("github_ref_type")
	if err != nil {
		return "", err
	}
	switch refType {
	case "branch":
		return "", nil
	case "tag":
		return v.env("github_ref")
	}
	return "", fmt.Errorf("%w: unknown ref type %q", ErrInvalidProvenance, refType)
}

// branch is github_ref for a run on a branch; for a run on a tag, the
// branch the tag was pushed from (github_base_ref, the push event's
// base_ref, or the release's target_commitish).
func (v *v02) branch() (string, error) {
	refType, err := v.env("github_ref_type")
	if err != nil {
		return "", err
	}
	switch refType {
	case "branch":
		return v.env("github_ref")
	case "tag":
		return v.tagBranch()
	}
	return "", fmt.Errorf("%w: unknown ref type %q", ErrInvalidProvenance, refType)
}

func (v *v02) tagBranch() (string, error) {
	if base, err := v.env("github_base_ref"); err != nil || base != "" {
		return base, err
	}
	name, err := v.env("github_event_name")
	if err != nil {
		return "", err
	}
	event, err := v.event()
	if err != nil {
		return "", err
	}
	switch name {
	case "push":
		base, present := event["base_ref"]
		if !present {
			return "", fmt.Errorf("%w: push event without base_ref", ErrInvalidProvenance)
		}
		s, _ := base.(string) // null: a tag pushed on no branch
		return s, nil
	case "release":
		rel, ok := event["release"].(map[string]any)
		if !ok {
			return "", fmt.Errorf("%w: release event without release", ErrInvalidProvenance)
		}
		target, ok := rel["target_commitish"].(string)
		if !ok {
			return "", fmt.Errorf("%w: release without target_commitish", ErrInvalidProvenance)
		}
		return "refs/heads/" + target, nil
	}
	return "", nil
}

// workflowInputs are the inputs of a workflow_dispatch run.
func (v *v02) workflowInputs() (map[string]any, error) {
	name, err := v.env("github_event_name")
	if err != nil {
		return nil, err
	}
	if name != "workflow_dispatch" {
		return nil, fmt.Errorf("%w: expected a workflow_dispatch build, got %q", ErrMismatchWorkflowInputs, name)
	}
	event, err := v.event()
	if err != nil {
		return nil, err
	}
	in, ok := event["inputs"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: workflow_dispatch event without inputs", ErrInvalidProvenance)
	}
	return in, nil
}
