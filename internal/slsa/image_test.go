package slsa

import (
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/semver"

	"github.com/consign-dev/consign/internal/oci"
	"github.com/consign-dev/consign/internal/sigstore"
)

// imageCase is one case of slsa-verifier's verify-image tests for the
// SLSA GitHub container generator (cli/slsa-verifier/main_regression_test.go,
// Test_runVerifyGHAArtifactImage), with slsa-verifier's verdict and the
// versions it runs at: above minVersion (exclusive), up to maxVersion
// (inclusive), as slsa-verifier's test selects them.
type imageCase struct {
	name                   string
	source                 string
	branch, tag, versioned *string
	builderID              *string
	minVersion, maxVersion string
	want                   error
}

var containerCases = []imageCase{
	{name: "valid main branch default", source: exampleSource},
	{name: "valid main branch default - invalid builderID", source: exampleSource, builderID: ptr(workflows + "not-trusted.yml"), want: ErrUntrustedBuilder},
	{name: "valid main branch set", source: exampleSource, branch: ptr("main")},
	{name: "wrong branch master", source: exampleSource, branch: ptr("master"), want: ErrMismatchBranch},
	{name: "wrong source append A", source: exampleSource + "A", want: ErrMismatchSource},
	{name: "wrong source prepend A", source: "A" + exampleSource, want: ErrMismatchSource},
	{name: "wrong source middle A", source: "github.com/Aslsa-framework/example-package", want: ErrMismatchSource},
	{name: "tag no match empty tag workflow_dispatch", source: exampleSource, tag: ptr("v1.2.3"), maxVersion: "v1.8.0", want: ErrInvalidRef},
	{name: "versioned tag no match empty tag workflow_dispatch", source: exampleSource, versioned: ptr("v1"), maxVersion: "v1.8.0", want: ErrInvalidRef},
	{name: "tag no match empty tag workflow_dispatch > v1.9.0, <= v2.0.0", source: exampleSource, tag: ptr("v1.2.3"), minVersion: "v1.9.0", maxVersion: "v2.0.0", want: ErrMismatchTag},
	{name: "tag no match empty tag workflow_dispatch > v2.0.0", source: exampleSource, tag: ptr("v1.2.3"), minVersion: "v2.0.0", want: ErrInvalidRef},
	{name: "versioned tag no match empty tag workflow_dispatch > v1.9.0, <= v2.0.0", source: exampleSource, versioned: ptr("v1"), minVersion: "v1.9.0", maxVersion: "v2.0.0", want: ErrMismatchVersionedTag},
	{name: "versioned tag no match empty tag workflow_dispatch > v2.0.0", source: exampleSource, versioned: ptr("v1"), minVersion: "v2.0.0", want: ErrInvalidRef},
	// consign's own.
	{name: "consign: builder id of the generic generator", source: exampleSource, builderID: ptr(GenericGenerator), want: ErrUntrustedBuilder},
	{name: "consign: builder at another version", source: exampleSource, builderID: ptr(ContainerGenerator + "@v0.0.1"), want: ErrUntrustedBuilder},
	{name: "consign: builder id of no verifier", source: exampleSource, builderID: ptr("https://example.com/builder"), want: ErrVerifierNotSupported},
}

// containerVersions are the container generator's versions in
// slsa-verifier's fixtures. Up to v1.9.0 cosign logged the attestation as
// a Rekor intoto v0.0.1 entry (package sigstore's own check), from v1.10.0
// as a dsse v0.0.1 entry (sigstore-go's).
var containerVersions = []string{"v1.4.0", "v1.5.0", "v1.6.0", "v1.7.0", "v1.8.0", "v1.9.0", "v1.10.0", "v2.0.0", "v2.1.0"}

// readContainerFixture reads one version's OCI layout as the CLI does:
// the image digest, and each attestation layer rewritten as a bundle.
func readContainerFixture(t *testing.T, v string) (digest []byte, bundles [][]byte, unreadable []error) {
	t.Helper()
	dir := filepath.Join(fixtures, "gha_generic_container", v, "container_workflow_dispatch")
	img, atts, err := oci.ReadLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.TrimSpace(string(readFixture(t, dir+".digest")))
	if img.Digest.String() != want {
		t.Fatalf("%s: layout image %s, slsa-verifier's digest file %s", v, img.Digest, want)
	}
	for i := range atts {
		b, err := atts[i].CosignBundle()
		switch {
		case errors.Is(err, oci.ErrLogEntryKind):
			unreadable = append(unreadable, err)
		case err != nil:
			t.Fatalf("%s: %v", v, err)
		default:
			bundles = append(bundles, b)
		}
	}
	d, _ := hex.DecodeString(img.Digest.Hex)
	return d, bundles, unreadable
}

// TestContainerGenerator walks slsa-verifier's verify-image cases for the
// container generator at every version of its fixtures, each case without
// a --builder-id four times as slsa-verifier's test runs it.
func TestContainerGenerator(t *testing.T) {
	root := readFixture(t, "../../testdata/sigstore/public-good.trusted_root.json")
	runs := 0
	for _, v := range containerVersions {
		digest, bundles, unreadable := readContainerFixture(t, v)
		if len(unreadable) != 0 || len(bundles) != 1 {
			t.Errorf("%s: %d bundles, %d unreadable attestations", v, len(bundles), len(unreadable))
		}
		for _, c := range containerCases {
			if (c.minVersion != "" && semver.Compare(v, c.minVersion) <= 0) || (c.maxVersion != "" && semver.Compare(v, c.maxVersion) > 0) {
				continue
			}
			want := c.want
			ids := []*string{c.builderID}
			if c.builderID == nil {
				ids = []*string{ptr(ContainerGenerator + "@" + v), ptr(ContainerGenerator + "@refs/tags/" + v), ptr(ContainerGenerator), nil}
			}
			for _, bid := range ids {
				cfg := ImageConfig{Bundles: bundles, Unreadable: unreadable, TrustedRoot: root, Digest: digest, SourceURI: c.source,
					BuilderID: bid, Branch: c.branch, Tag: c.tag, VersionedTag: c.versioned}
				name := fmt.Sprintf("%s/%s/builder=%v", v, c.name, deref(bid))
				res, err := VerifyImage(cfg)
				runs++
				if !errors.Is(err, want) || (want == nil) != (err == nil) {
					t.Errorf("%s: VerifyImage() = %v, want %v", name, err, want)
					continue
				}
				if err == nil && res.BuilderID.String() != ContainerGenerator+"@refs/tags/"+v {
					t.Errorf("%s: builder %s", name, res.BuilderID)
				}
			}
		}
	}
	t.Logf("%d verify-image runs over slsa-verifier's container generator fixtures", runs)
}

// TestContainerGeneratorConsign: consign's own cases on the v2.1.0 image.
func TestContainerGeneratorConsign(t *testing.T) {
	root := readFixture(t, "../../testdata/sigstore/public-good.trusted_root.json")
	digest, bundles, _ := readContainerFixture(t, "v2.1.0")
	otherDigest, otherBundles, _ := readContainerFixture(t, "v2.0.0")
	base := ImageConfig{Bundles: bundles, TrustedRoot: root, Digest: digest, SourceURI: exampleSource}
	for _, tc := range []struct {
		name string
		edit func(c *ImageConfig)
		want error
	}{
		{"untouched", func(*ImageConfig) {}, nil},
		{"another image's digest", func(c *ImageConfig) { c.Digest = otherDigest }, ErrMismatchHash},
		{"another image's provenance", func(c *ImageConfig) { c.Bundles = otherBundles }, ErrMismatchHash},
		{"the other image's provenance first, then its own", func(c *ImageConfig) { c.Bundles = append(otherBundles[:1:1], bundles...) }, nil},
		{"no attestation", func(c *ImageConfig) { c.Bundles = nil }, ErrNoValidSignature},
		{"only an attestation without its log entry", func(c *ImageConfig) {
			c.Bundles, c.Unreadable = nil, []error{fmt.Errorf("layer: %w", oci.ErrNoLogEntry)}
		}, oci.ErrNoLogEntry},
		{"workflow inputs that the run had not", func(c *ImageConfig) { c.Inputs = map[string]string{"nope": "x"} }, ErrInvalidProvenance},
		{"the generic generator as builder", func(c *ImageConfig) { c.BuilderID = ptr(GenericGenerator) }, ErrUntrustedBuilder},
		{"the container generator at another version", func(c *ImageConfig) { c.BuilderID = ptr(ContainerGenerator + "@v2.0.0") }, ErrUntrustedBuilder},
		{"a builder no verifier is for", func(c *ImageConfig) { c.BuilderID = ptr("https://example.com/builder") }, ErrVerifierNotSupported},
		{"a tag asked of a branch build", func(c *ImageConfig) { c.Tag = ptr("v2.1.0") }, ErrInvalidRef},
		{"another trusted root", func(c *ImageConfig) {
			c.TrustedRoot = readFixture(t, "../../testdata/sigstore-conformance/rekor2-happy-path/trusted_root.json")
		}, sigstore.ErrUnverified},
		{"no trusted root", func(c *ImageConfig) { c.TrustedRoot = nil }, ErrConfig},
		{"a short digest", func(c *ImageConfig) { c.Digest = digest[:31] }, ErrConfig},
	} {
		cfg := base
		tc.edit(&cfg)
		_, err := VerifyImage(cfg)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: VerifyImage() = %v, want %v", tc.name, err, tc.want)
		}
	}
}
