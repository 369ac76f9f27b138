package slsa

import (
	"fmt"
	"strings"

	"golang.org/x/mod/semver"
)

const (
	generatorRepo = "https://github.com/slsa-framework/slsa-github-generator"
	workflows     = generatorRepo + "/.github/workflows/"

	// GenericGenerator and the other builder ids are the reusable
	// workflows of the SLSA GitHub generators that consign trusts by
	// default, as slsa-verifier does.
	GenericGenerator   = workflows + "generator_generic_slsa3.yml"
	ContainerGenerator = workflows + "generator_container_slsa3.yml"
	GoBuilder          = workflows + "builder_go_slsa3.yml"
	ContainerBased     = workflows + "builder_container-based_slsa3.yml"
	// GenericDelegator and LowPermsDelegator are the BYOB delegators: the
	// certificate names them, the provenance names the builder that used
	// them.
	GenericDelegator  = workflows + "delegator_generic_slsa3.yml"
	LowPermsDelegator = workflows + "delegator_lowperms-generic_slsa3.yml"
)

// artifactBuilders are the workflows trusted to sign provenance for an
// artifact when no --builder-id is given.
var artifactBuilders = map[string]bool{
	GenericGenerator: true, GoBuilder: true, ContainerBased: true,
	GenericDelegator: true, LowPermsDelegator: true,
}

var delegators = []string{GenericDelegator, LowPermsDelegator}

// BuilderID is a builder id: a name (a workflow URL) and, after "@", a
// version (a ref such as refs/tags/v2.1.0, or a short v2.1.0).
type BuilderID struct {
	Name, Version string
}

func (b BuilderID) String() string {
	if b.Version == "" {
		return b.Name
	}
	return b.Name + "@" + b.Version
}

// ParseBuilderID splits id at its one "@". needVersion refuses an id
// without one; an empty version or a second "@" is always refused.
func ParseBuilderID(id string, needVersion bool) (BuilderID, error) {
	name, version, found := strings.Cut(id, "@")
	switch {
	case found && (version == "" || strings.Contains(version, "@")):
		return BuilderID{}, fmt.Errorf("%w: builder id %q", ErrMismatchBuilderID, id)
	case !found && needVersion:
		return BuilderID{}, fmt.Errorf("%w: builder id %q has no version", ErrMismatchBuilderID, id)
	}
	return BuilderID{Name: name, Version: version}, nil
}

// MatchesLoose reports whether want (a name, or name@version) names b:
// the names are equal and, if want has a version, so are the versions. With
// allowRef, want's short v1.2.3 matches b's refs/tags/v1.2.3.
func (b BuilderID) MatchesLoose(want string, allowRef bool) error {
	w, err := ParseBuilderID(want, false)
	if err != nil {
		return err
	}
	if w.Name != b.Name {
		return fmt.Errorf("%w: expected name %q, got %q", ErrMismatchBuilderID, b.Name, w.Name)
	}
	if w.Version != "" {
		return b.matchVersion(w.Version, allowRef)
	}
	return nil
}

// MatchesFull is [BuilderID.MatchesLoose] where want's version is
// required to equal b's, an absent version included.
func (b BuilderID) MatchesFull(want string, allowRef bool) error {
	w, err := ParseBuilderID(want, false)
	if err != nil {
		return err
	}
	if w.Name != b.Name {
		return fmt.Errorf("%w: expected name %q, got %q", ErrMismatchBuilderID, b.Name, w.Name)
	}
	return b.matchVersion(w.Version, allowRef)
}

func (b BuilderID) matchVersion(v string, allowRef bool) error {
	if v == b.Version || (allowRef && "refs/tags/"+v == b.Version) {
		return nil
	}
	return fmt.Errorf("%w: expected version %q, got %q", ErrMismatchBuilderID, v, b.Version)
}

// trustedBuilder checks the certificate's workflow (name@ref) against
// want (--builder-id; empty for the default trusted set). byob reports a
// trusted delegator, whose real builder the provenance names and which
// the caller checks against want there.
func trustedBuilder(cert BuilderID, want string, trusted map[string]bool) (byob bool, err error) {
	isDelegator := false
	for _, d := range delegators {
		if cert.Name == d && trusted[d] {
			isDelegator = true
		}
	}
	switch {
	case want == "" && !trusted[cert.Name]:
		return false, fmt.Errorf("%w: %s", ErrUntrustedBuilder, cert.Name)
	case want == "" || isDelegator:
		return isDelegator, nil
	}
	if cert.MatchesLoose(want, true) != nil {
		return false, fmt.Errorf("%w: signed by %s, not %s", ErrUntrustedBuilder, cert, want)
	}
	return false, nil
}

// checkBuilderRef requires a trusted builder to run at a release: a ref
// refs/tags/vX.Y.Z, no pre-release, no build metadata.
func checkBuilderRef(ref string) error {
	v, err := gitRef("tags", ref)
	if err != nil {
		return err
	}
	if !semver.IsValid(v) || strings.Count(v, ".") != 2 || semver.Prerelease(v) != "" || semver.Build(v) != "" {
		return fmt.Errorf("%w: builder ref %q is not of the form refs/tags/vX.Y.Z", ErrInvalidRef, ref)
	}
	return nil
}
