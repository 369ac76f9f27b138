package predicate

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
)

// Provenance is a SLSA Provenance v1 predicate
// (https://slsa.dev/spec/v1.0/provenance), with the fields consign writes
// and reads. Fields are in the order encoding/json writes a map's keys,
// so that [Provenance.Marshal] gives the bytes consign has always written.
type Provenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition is what a build was asked to do.
type BuildDefinition struct {
	BuildType            string                     `json:"buildType"`
	ExternalParameters   map[string]json.RawMessage `json:"externalParameters"`
	InternalParameters   map[string]json.RawMessage `json:"internalParameters,omitempty"`
	ResolvedDependencies []ResourceDescriptor       `json:"resolvedDependencies"`
}

// RunDetails is who ran a build, when, and what else it made.
type RunDetails struct {
	Builder    Builder              `json:"builder"`
	Byproducts []ResourceDescriptor `json:"byproducts"`
	Metadata   *BuildMetadata       `json:"metadata,omitempty"`
}

// Builder names the builder; its id is what a policy allows.
type Builder struct {
	ID string `json:"id"`
}

// BuildMetadata holds a build's start and end times (RFC 3339).
type BuildMetadata struct {
	FinishedOn string `json:"finishedOn,omitempty"`
	StartedOn  string `json:"startedOn,omitempty"`
}

// The fields of a provenance and of its parts.
var (
	provenanceKeys      = []string{"buildDefinition", "runDetails"}
	buildDefinitionKeys = []string{"buildType", "externalParameters", "internalParameters", "resolvedDependencies"}
	runDetailsKeys      = []string{"builder", "metadata", "byproducts"}
	builderKeys         = []string{"id", "version", "builderDependencies"}
)

// Params encodes each value of m as JSON, for ExternalParameters and
// InternalParameters.
func Params(m map[string]any) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("parameter %q: %w", k, err)
		}
		out[k] = b
	}
	return out, nil
}

// Marshal returns the predicate's JSON, checked against its schema
// ([Validate]). Missing lists and maps are written empty, never null.
func (p *Provenance) Marshal() (json.RawMessage, error) {
	out := *p
	if out.BuildDefinition.ExternalParameters == nil {
		out.BuildDefinition.ExternalParameters = map[string]json.RawMessage{}
	}
	if out.BuildDefinition.ResolvedDependencies == nil {
		out.BuildDefinition.ResolvedDependencies = []ResourceDescriptor{}
	}
	if out.RunDetails.Byproducts == nil {
		out.RunDetails.Byproducts = []ResourceDescriptor{}
	}
	return marshalChecked(attest.PredicateSLSAProvenance, &out)
}

// ParseProvenance reads what a policy checks of a provenance, strictly:
// field names exact at every level consign reads, the
// builder id and build type strings, the external parameters an object.
// Resolved dependencies are read only for their URIs, and leniently (a
// list that is not one of objects gives none), as the source repository is
// looked for there last. Internal parameters, metadata and byproducts are
// not read. The raw predicate must be part of a document
// [attest.CheckJSON] accepted. On error it returns nil and an error
// wrapping [attest.ErrInvalid].
func ParseProvenance(raw []byte) (*Provenance, error) {
	pred, err := exactObject(raw, "provenance", provenanceKeys...)
	if err != nil {
		return nil, err
	}
	bd, err := exactObject(orNull(pred["buildDefinition"]), "buildDefinition", buildDefinitionKeys...)
	if err != nil {
		return nil, err
	}
	rd, err := exactObject(orNull(pred["runDetails"]), "runDetails", runDetailsKeys...)
	if err != nil {
		return nil, err
	}
	builder, err := exactObject(orNull(rd["builder"]), "builder", builderKeys...)
	if err != nil {
		return nil, err
	}
	p := &Provenance{}
	if err := unmarshalOpt(builder, "id", &p.RunDetails.Builder.ID); err != nil {
		return nil, err
	}
	if err := unmarshalOpt(bd, "buildType", &p.BuildDefinition.BuildType); err != nil {
		return nil, err
	}
	p.BuildDefinition.ExternalParameters = map[string]json.RawMessage{}
	if raw := bd["externalParameters"]; len(raw) > 0 && string(raw) != "null" {
		if p.BuildDefinition.ExternalParameters, err = exactObject(raw, "externalParameters"); err != nil {
			return nil, err
		}
	}
	p.BuildDefinition.ResolvedDependencies = dependencyURIs(bd["resolvedDependencies"])
	return p, nil
}

// dependencyURIs reads the URIs of resolved dependencies, leniently.
func dependencyURIs(deps json.RawMessage) []ResourceDescriptor {
	if len(deps) == 0 || string(deps) == "null" {
		return nil
	}
	var list []map[string]json.RawMessage
	if json.Unmarshal(deps, &list) != nil {
		return nil
	}
	out := make([]ResourceDescriptor, len(list))
	for i, d := range list {
		_ = json.Unmarshal(d["uri"], &out[i].URI)
	}
	return out
}

// SourceURIs returns the repositories the provenance says it built from,
// in the order a verifier trusts them: externalParameters.source (a URI,
// or an object with uri), then externalParameters.workflow.repository
// (GitHub Actions), then the first resolved dependency whose URI starts
// with "git+". Each is as written; a verifier checks its form.
func (p *Provenance) SourceURIs() []string {
	var out []string
	ext := p.BuildDefinition.ExternalParameters
	if raw, ok := ext["source"]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out = append(out, s)
		} else if m, err := exactObject(raw, "externalParameters.source", "uri"); err == nil {
			if json.Unmarshal(m["uri"], &s) == nil {
				out = append(out, s)
			}
		}
	}
	if raw, ok := ext["workflow"]; ok {
		if m, err := exactObject(raw, "externalParameters.workflow", "repository", "ref", "path"); err == nil {
			var s string
			if json.Unmarshal(m["repository"], &s) == nil {
				out = append(out, s)
			}
		}
	}
	for _, d := range p.BuildDefinition.ResolvedDependencies {
		if strings.HasPrefix(d.URI, "git+") {
			out = append(out, d.URI)
			break
		}
	}
	return out
}
