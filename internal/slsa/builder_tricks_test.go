package slsa

import (
	"errors"
	"testing"
)

// namedBuilder is provenance that names a builder and nothing else.
type namedBuilder struct {
	provenance
	id string
}

func (n namedBuilder) builderID() string { return n.id }

// TestBuilderRefTricks: a trusted builder runs at refs/tags/vX.Y.Z and
// nothing that merely looks like it; a delegator's builder without
// --builder-id is one of the SLSA GitHub generators' own workflows, and
// with one, that builder at the version asked for.
func TestBuilderRefTricks(t *testing.T) {
	for _, ref := range []string{
		"refs/tags/v1.0.0-evil", "refs/tags/v1.0.0-rc.1", "refs/tags/v1.0.0+evil", "refs/heads/v1.0.0",
		"refs/tags/v1.0", "refs/tags/v1", "v1.0.0", "refs/tags/V1.0.0", "refs/tags/v1.0.0/evil",
		"refs/tags/", "refs/pull/1/merge", "refs/tags/1.0.0", "refs/tags/v01.0.0", "",
	} {
		if err := checkBuilderRef(ref); err == nil {
			t.Errorf("checkBuilderRef(%q) accepted it", ref)
		}
	}
	if err := checkBuilderRef("refs/tags/v1.0.0"); err != nil {
		t.Errorf("checkBuilderRef(refs/tags/v1.0.0) = %v", err)
	}

	const builder = "https://github.com/acme/builder/.github/workflows/builder.yml"
	tests := []struct {
		id   string
		want *string
		ok   bool
	}{
		{GoBuilder + "@refs/tags/v1.0.0", nil, true},
		{GoBuilder + "@refs/tags/v1.0.0-evil", nil, false},
		{GoBuilder + "@refs/heads/v1.0.0", nil, false},
		{GoBuilder + "@refs/tags/v1.0.0@refs/tags/v1.0.0", nil, false},
		{GoBuilder, nil, false},
		{"https://github.com/slsa-framework/slsa-github-generator-evil/.github/workflows/builder_go_slsa3.yml@refs/tags/v1.0.0", nil, false},
		{"https://github.com/evil/slsa-github-generator/.github/workflows/builder_go_slsa3.yml@refs/tags/v1.0.0", nil, false},
		{"https://evil.example/?u=" + GoBuilder + "@refs/tags/v1.0.0", nil, false},
		{builder + "@refs/tags/v1.0.0", nil, false},
		{builder + "@refs/tags/v1.0.0", ptr(builder), true},
		{builder + "@refs/tags/v1.0.0", ptr(builder + "@v1.0.0"), true},
		{builder + "@refs/tags/v1.0.0", ptr(builder + "@v1.0.1"), false},
		{builder + "@refs/tags/v1.0.0-evil", ptr(builder + "@v1.0.0"), false},
		{builder + "@refs/tags/v1.0.0-evil", ptr(builder), false},
		{builder + "-evil@refs/tags/v1.0.0", ptr(builder), false},
		{builder + "@refs/tags/v1.0.0", ptr(builder + "-evil"), false},
		{builder + "@refs/tags/v1.0.0", ptr(builder + "/"), false},
		{"https://github.com/ACME/builder/.github/workflows/builder.yml@refs/tags/v1.0.0", ptr(builder), false},
	}
	for _, tc := range tests {
		_, err := checkDelegatedBuilder(namedBuilder{id: tc.id}, tc.want)
		if tc.ok != (err == nil) {
			w := "<none>"
			if tc.want != nil {
				w = *tc.want
			}
			t.Errorf("checkDelegatedBuilder(%q, --builder-id %s) = %v, want ok=%v", tc.id, w, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidBuilderID) && !errors.Is(err, ErrMismatchBuilderID) && !errors.Is(err, ErrInvalidRef) {
			t.Errorf("checkDelegatedBuilder(%q): untyped error %v", tc.id, err)
		}
	}
}

// TestNpmBuilderIDTricks: the npm CLI's short runner id stands for the
// hosted runner and nothing else.
func TestNpmBuilderIDTricks(t *testing.T) {
	for _, tc := range []struct {
		got, want string
		ok        bool
	}{
		{NpmCLIHostedBuilder, NpmCLIHostedBuilder, true},
		{NpmCLILegacyBuilder, NpmCLIHostedBuilder, true},
		{NpmCLIHostedBuilder, NpmCLILegacyBuilder, true},
		{NpmCLISelfHostedBuilder, NpmCLIHostedBuilder, false},
		{NpmCLISelfHostedBuilder, NpmCLILegacyBuilder, false},
		{NpmCLIHostedBuilder + "-evil", NpmCLILegacyBuilder, false},
		{NpmCLIHostedBuilder + "/github-hosted", NpmCLIHostedBuilder, false},
		{NpmCLILegacyBuilder + "-evil/github-hosted", NpmCLIHostedBuilder, false},
		{NpmCLIHostedBuilder + "@refs/heads/main", NpmCLIHostedBuilder + "@v1", false},
		{"https://github.com/ACTIONS/runner/github-hosted", NpmCLIHostedBuilder, false},
	} {
		if err := matchNpmBuilderID(tc.got, tc.want); tc.ok != (err == nil) {
			t.Errorf("matchNpmBuilderID(%q, %q) = %v, want ok=%v", tc.got, tc.want, err, tc.ok)
		}
	}
}
