package predicate

import (
	"encoding/json"
	"fmt"

	"github.com/consign-dev/consign/internal/attest"
)

// PredicateSLSAProvenanceV02 is the predicate type of SLSA Provenance
// v0.2, which the SLSA GitHub generators (generic, container, Go) write.
const PredicateSLSAProvenanceV02 = "https://slsa.dev/provenance/v0.2"

// ProvenanceV02 is a SLSA Provenance v0.2 predicate
// (https://slsa.dev/spec/v0.2/provenance), with the fields a verifier of
// the SLSA GitHub generators reads: the builder, the build type, the
// invocation (the workflow that triggered the build, and the GitHub
// context it ran in) and the materials.
type ProvenanceV02 struct {
	Builder    Builder              `json:"builder"`
	BuildType  string               `json:"buildType"`
	Invocation InvocationV02        `json:"invocation"`
	Materials  []ResourceDescriptor `json:"materials,omitempty"`
}

// InvocationV02 is what started a v0.2 build.
type InvocationV02 struct {
	ConfigSource ConfigSourceV02 `json:"configSource"`
	// Parameters are the build's parameters, as the builder wrote them.
	Parameters json.RawMessage `json:"parameters,omitempty"`
	// Environment is the GitHub context of the run (github_ref,
	// github_ref_type, github_event_name, github_event_payload, ...):
	// free-form, so kept as decoded JSON.
	Environment map[string]any `json:"environment,omitempty"`
}

// ConfigSourceV02 is the workflow a v0.2 build ran: its repository and
// ref (uri, "git+https://github.com/org/repo@refs/tags/v1"), commit and
// path.
type ConfigSourceV02 struct {
	URI        string            `json:"uri"`
	Digest     map[string]string `json:"digest,omitempty"`
	EntryPoint string            `json:"entryPoint"`
}

var (
	provenanceV02Keys   = []string{"builder", "buildType", "invocation", "buildConfig", "metadata", "materials"}
	invocationV02Keys   = []string{"configSource", "parameters", "environment"}
	configSourceV02Keys = []string{"uri", "digest", "entryPoint"}
)

// ParseProvenanceV02 reads a SLSA Provenance v0.2 predicate: field names
// exact (no key that differs from a known one only in case) at every
// level it reads, each field of the type it must have. Build config and
// metadata are not read. The raw predicate must be part of a document
// [attest.CheckJSON] accepted. On error it returns nil and an error
// wrapping [attest.ErrInvalid] or [attest.ErrMalformed].
func ParseProvenanceV02(raw []byte) (*ProvenanceV02, error) {
	pred, err := exactObject(raw, "provenance", provenanceV02Keys...)
	if err != nil {
		return nil, err
	}
	p := &ProvenanceV02{}
	builder, err := exactObject(orNull(pred["builder"]), "builder", "id")
	if err != nil {
		return nil, err
	}
	if err := unmarshalOpt(builder, "id", &p.Builder.ID); err != nil {
		return nil, err
	}
	if err := unmarshalOpt(pred, "buildType", &p.BuildType); err != nil {
		return nil, err
	}
	inv, err := exactObject(orNull(pred["invocation"]), "invocation", invocationV02Keys...)
	if err != nil {
		return nil, err
	}
	cs, err := exactObject(orNull(inv["configSource"]), "configSource", configSourceV02Keys...)
	if err != nil {
		return nil, err
	}
	for key, v := range map[string]any{"uri": &p.Invocation.ConfigSource.URI,
		"digest": &p.Invocation.ConfigSource.Digest, "entryPoint": &p.Invocation.ConfigSource.EntryPoint} {
		if err := unmarshalOpt(cs, key, v); err != nil {
			return nil, err
		}
	}
	if err := unmarshalOpt(inv, "environment", &p.Invocation.Environment); err != nil {
		return nil, err
	}
	if raw, ok := inv["parameters"]; ok && string(raw) != "null" {
		p.Invocation.Parameters = raw
	}
	if err := unmarshalOpt(pred, "materials", &p.Materials); err != nil {
		return nil, err
	}
	return p, nil
}

// ParseStatementV02 reads an in-toto statement (v0.1 or v1) whose
// predicate is SLSA Provenance v0.2. It returns an error wrapping
// [attest.ErrInvalid] for another predicate type or a malformed document.
func ParseStatementV02(payload []byte) (*attest.Statement, *ProvenanceV02, error) {
	st, err := attest.ParseStatement(payload)
	if err != nil {
		return nil, nil, err
	}
	if st.PredicateType != PredicateSLSAProvenanceV02 {
		return nil, nil, fmt.Errorf("%w: predicate type %q, want %q", attest.ErrInvalid, st.PredicateType, PredicateSLSAProvenanceV02)
	}
	p, err := ParseProvenanceV02(st.Predicate)
	if err != nil {
		return nil, nil, err
	}
	return st, p, nil
}
