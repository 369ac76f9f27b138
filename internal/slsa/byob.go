package slsa

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/predicate"
)

// The build types of the builders whose provenance these readers read, as
// slsa-verifier names them.
const (
	// BYOBBuildType is the build type of the BYOB delegators' provenance
	// (SLSA v0.2 or v1): the builder that used the delegator in its
	// builder id, the GitHub context with upper-case keys.
	BYOBBuildType = "https://github.com/slsa-framework/slsa-github-generator/delegator-generic@v0"
	// ContainerBasedBuildType is the container-based builder's (SLSA v1).
	ContainerBasedBuildType = "https://slsa.dev/container-based-build/v0.1?draft"
	// NpmCLIBuildTypeV1 and NpmCLIBuildTypeV2 are the npm CLI's SLSA v0.2
	// build types; NpmCLIGitHubActionsBuildType its SLSA v1 build type.
	NpmCLIBuildTypeV1            = "https://github.com/npm/cli/gha@v1"
	NpmCLIBuildTypeV2            = "https://github.com/npm/cli/gha/v2"
	NpmCLIGitHubActionsBuildType = "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1"
)

// readBuilderProvenance reads a verified statement with the reader
// slsa-verifier has for its predicate type, the builder (the certificate's
// workflow, or for the npm CLI the runner asked for) and the build type:
// any other combination is refused, as slsa-verifier refuses it.
func readBuilderProvenance(payload []byte, builder string) (provenance, string, error) {
	st, err := attest.ParseStatement(payload)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
	}
	switch st.PredicateType {
	case predicate.PredicateSLSAProvenanceV02:
		_, p, err := predicate.ParseStatementV02(payload)
		if err != nil {
			return nil, "", fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
		}
		v := &v02{st: st, p: p}
		switch bt := p.BuildType; {
		case isDelegator(builder) && bt == BYOBBuildType:
			v.upper = true
			return byobProv{v}, bt, nil
		case (builder == NpmCLILegacyBuilder || builder == NpmCLIHostedBuilder) && (bt == NpmCLIBuildTypeV1 || bt == NpmCLIBuildTypeV2):
			return npmV02{v, bt == NpmCLIBuildTypeV1}, bt, nil
		case !knownV02Builder(builder):
			return nil, "", fmt.Errorf("%w: no reader of SLSA v0.2 provenance for the builder %s", ErrInvalidBuilderID, builder)
		default:
			return nil, "", fmt.Errorf("%w: build type %q for the builder %s", ErrInvalidProvenance, bt, builder)
		}
	case attest.PredicateSLSAProvenance:
		p, err := predicate.ParseProvenance(st.Predicate)
		if err != nil {
			return nil, "", fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
		}
		v, err := newV1Base(st, p)
		if err != nil {
			return nil, "", err
		}
		switch bt := p.BuildDefinition.BuildType; {
		case isDelegator(builder) && bt == BYOBBuildType:
			return byobProv{v}, bt, nil
		case builder == ContainerBased && bt == ContainerBasedBuildType:
			return v, bt, nil
		case builder == NpmCLIHostedBuilder && bt == NpmCLIGitHubActionsBuildType:
			v.triggerFromWorkflow = true
			return v, bt, nil
		case !isDelegator(builder) && builder != ContainerBased && builder != NpmCLIHostedBuilder:
			return nil, "", fmt.Errorf("%w: no reader of SLSA v1 provenance for the builder %s", ErrInvalidBuilderID, builder)
		default:
			return nil, "", fmt.Errorf("%w: build type %q for the builder %s", ErrInvalidProvenance, bt, builder)
		}
	}
	return nil, "", fmt.Errorf("%w: predicate type %q is not SLSA provenance", ErrInvalidProvenance, st.PredicateType)
}

func isDelegator(builder string) bool {
	return builder == GenericDelegator || builder == LowPermsDelegator
}

// knownV02Builder reports a builder slsa-verifier reads SLSA v0.2 of.
func knownV02Builder(builder string) bool {
	switch builder {
	case GenericDelegator, LowPermsDelegator, GoBuilder, GenericGenerator, ContainerGenerator,
		NpmCLILegacyBuilder, NpmCLIHostedBuilder:
		return true
	}
	return false
}

// npmV02 is the npm CLI's SLSA v0.2 provenance. Its first build type
// (before npm's GA) names the source without a ref.
type npmV02 struct {
	*v02
	refOptional bool
}

func (n npmV02) sourceRefOptional() bool { return n.refOptional }

// byobProv is provenance of a BYOB builder: the source's ref says the
// branch or tag built (a tag's branch comes from the GitHub context), and
// the source may be another commit than the trigger's, without a ref.
type byobProv struct{ provenance }

func (byobProv) sourceRefOptional() bool { return true }

func (b byobProv) sourceRef() (kind, ref string, err error) {
	src, err := b.sourceURI()
	if err != nil {
		return "", "", err
	}
	if _, ref, err = splitGitURI(src); err != nil {
		return "", "", err
	}
	if ref == "" {
		return "", "", fmt.Errorf("%w: no ref in the source %q", ErrInvalidProvenance, src)
	}
	parts := strings.SplitN(ref, "/", 3)
	if len(parts) != 3 || parts[0] != "refs" || (parts[1] != "heads" && parts[1] != "tags") {
		return "", "", fmt.Errorf("%w: unknown kind of ref %q", ErrInvalidProvenance, ref)
	}
	return parts[1], ref, nil
}

func (b byobProv) tag() (string, error) {
	kind, ref, err := b.sourceRef()
	if err != nil || kind == "heads" {
		return "", err
	}
	return ref, nil
}

func (b byobProv) branch() (string, error) {
	kind, ref, err := b.sourceRef()
	if err != nil || kind == "heads" {
		return ref, err
	}
	return b.provenance.branch()
}

// v1Base is SLSA v1 provenance of the GitHub builders: the trigger in
// internalParameters' GITHUB_WORKFLOW_REF (or, for the npm CLI, in
// externalParameters.workflow), the source as the first resolved
// dependency, and the GitHub context (upper-case keys) in
// internalParameters.
type v1Base struct {
	st                  *attest.Statement
	p                   *predicate.Provenance
	ctx                 *v02 // internalParameters, read as v0.2's environment is
	triggerFromWorkflow bool
}

func newV1Base(st *attest.Statement, p *predicate.Provenance) (*v1Base, error) {
	// package predicate reads no internal parameters: they are the
	// builder's own, here the GitHub context.
	var raw struct {
		BuildDefinition struct {
			InternalParameters map[string]any `json:"internalParameters"`
		} `json:"buildDefinition"`
	}
	if err := json.Unmarshal(st.Predicate, &raw); err != nil {
		return nil, fmt.Errorf("%w: internalParameters: %v", ErrInvalidProvenance, err)
	}
	env := raw.BuildDefinition.InternalParameters
	ctx := &v02{st: st, p: &predicate.ProvenanceV02{Invocation: predicate.InvocationV02{Environment: env}}, upper: true}
	return &v1Base{st: st, p: p, ctx: ctx}, nil
}

func (v *v1Base) builderID() string          { return v.p.RunDetails.Builder.ID }
func (v *v1Base) subjects() []attest.Subject { return v.st.Subject }

func (v *v1Base) triggerURI() (string, error) {
	if v.triggerFromWorkflow {
		return (&githubAttest{st: v.st, p: v.p}).triggerURI()
	}
	ref, err := v.ctx.env("github_workflow_ref")
	if err != nil {
		return "", err
	}
	repoPath, at, ok := strings.Cut(ref, "@")
	parts := strings.SplitN(repoPath, "/", 3)
	if !ok || strings.Contains(at, "@") || len(parts) < 2 || at == "" {
		return "", fmt.Errorf("%w: GITHUB_WORKFLOW_REF %q", ErrMalformedURI, ref)
	}
	return "git+https://github.com/" + parts[0] + "/" + parts[1] + "@" + at, nil
}

func (v *v1Base) sourceURI() (string, error) {
	return (&githubAttest{st: v.st, p: v.p}).sourceURI()
}

func (v *v1Base) branch() (string, error)                 { return v.ctx.branch() }
func (v *v1Base) tag() (string, error)                    { return v.ctx.tag() }
func (v *v1Base) workflowInputs() (map[string]any, error) { return v.ctx.workflowInputs() }

// trustedBuilderPrefix is where the builders a delegator may run without
// --builder-id live: the SLSA GitHub generators' own workflows.
const trustedBuilderPrefix = workflows

// checkDelegatedBuilder is slsa-verifier's check of the builder a trusted
// BYOB delegator ran, which the provenance names (the certificate names
// the delegator): name@ref with ref a vX.Y.Z release tag, and either the
// --builder-id asked for (by name, and by version if given) or, with none,
// one of the SLSA GitHub generators' workflows. It returns that builder.
// slsa-verifier also accepts JReleaser's builder at vX.Y.Z-LANGUAGE tags;
// consign has no fixture of it and holds it to vX.Y.Z.
func checkDelegatedBuilder(p provenance, want *string) (BuilderID, error) {
	id := p.builderID()
	builder, err := ParseBuilderID(id, true)
	if err != nil {
		return BuilderID{}, fmt.Errorf("%w: %v", ErrInvalidBuilderID, err)
	}
	if err := checkBuilderRef(builder.Version); err != nil {
		return BuilderID{}, err
	}
	expected := builder.Name
	if want == nil {
		if !strings.HasPrefix(builder.Name, trustedBuilderPrefix) {
			return BuilderID{}, fmt.Errorf("%w: the delegator ran %s, which is none of the SLSA GitHub generators' builders; name it with --builder-id to trust it",
				ErrInvalidBuilderID, builder.Name)
		}
	} else {
		expected = *want
	}
	if err := builder.MatchesLoose(expected, true); err != nil {
		return BuilderID{}, err
	}
	return builder, nil
}

// parseArtifactProvenance reads verify-artifact's provenance: the BYOB
// delegators' and the container-based builder's with their readers (SLSA
// v0.2 or v1), the other trusted builders' as SLSA v0.2.
func parseArtifactProvenance(payload []byte, builder string) (provenance, error) {
	if isDelegator(builder) || builder == ContainerBased {
		p, _, err := readBuilderProvenance(payload, builder)
		return p, err
	}
	return parseProvenance(payload, builder)
}
