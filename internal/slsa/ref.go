package slsa

import (
	"fmt"
	"strings"

	"golang.org/x/mod/semver"
)

// gitRef returns the name of ref if it is refs/<kind>/<name>.
func gitRef(kind, ref string) (string, error) {
	parts := strings.SplitN(ref, "/", 3)
	if len(parts) < 3 || parts[0] != "refs" || parts[1] != kind {
		return "", fmt.Errorf("%w: %q is not a refs/%s/ ref", ErrInvalidRef, ref, kind)
	}
	if parts[2] == "" {
		return "", fmt.Errorf("%w: %q: empty ref name", ErrInvalidRef, ref)
	}
	return parts[2], nil
}

// checkBranch compares the branch the build ran on with want.
func checkBranch(p provenance, want string) error {
	ref, err := p.branch()
	if err != nil {
		return err
	}
	got, err := gitRef("heads", ref)
	if err != nil {
		return fmt.Errorf("verifying branch: %w", err)
	}
	if got != want {
		return fmt.Errorf("%w: expected branch %q, got %q", ErrMismatchBranch, want, got)
	}
	return nil
}

// checkTag compares the tag the build ran on with want, exactly.
func checkTag(p provenance, want string) error {
	got, err := provenanceTag(p)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%w: expected tag %q, got %q", ErrMismatchTag, want, got)
	}
	return nil
}

func provenanceTag(p provenance) (string, error) {
	ref, err := p.tag()
	if err != nil {
		return "", err
	}
	tag, err := gitRef("tags", ref)
	if err != nil {
		return "", fmt.Errorf("verifying tag: %w", err)
	}
	return tag, nil
}

// checkVersionedTag accepts a build from any tag of the release line want
// names: want v1 accepts v1.x.y, v1.2 accepts v1.2.x, v1.2.3 accepts
// v1.2.3 (and v1.2.3+build). The tag is read as a semantic version with
// missing parts zero (v14 is v14.0.0).
func checkVersionedTag(p provenance, want string) error {
	if !semver.IsValid(want) {
		return fmt.Errorf("%w: --source-versioned-tag %q is not a semantic version", ErrConfig, want)
	}
	tag, err := provenanceTag(p)
	if err != nil {
		return err
	}
	return matchVersionedTag(tag, want)
}

// matchVersionedTag is checkVersionedTag's rule on a tag name: want (a
// valid semantic version) names the release line tag must be on.
func matchVersionedTag(tag, want string) error {
	got := semver.Canonical(tag)
	if !semver.IsValid(got) {
		return fmt.Errorf("%w: tag %q is not a semantic version", ErrMismatchVersionedTag, tag)
	}
	wantParts := strings.SplitN(strings.TrimSuffix(want, semver.Build(want)), ".", 3)
	gotParts := strings.SplitN(got, ".", 3)
	for i, w := range wantParts {
		if w != gotParts[i] {
			return fmt.Errorf("%w: expected %s, got tag %s", ErrMismatchVersionedTag, want, tag)
		}
	}
	return nil
}
