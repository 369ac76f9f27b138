package slsa

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
)

// exampleTRW is the builder slsa-verifier's delegator fixtures were made
// with: a trusted reusable workflow of slsa-framework/example-trw that
// runs the generic delegator.
const exampleTRW = "https://github.com/slsa-framework/example-trw/.github/workflows/builder_high-perms_slsa3.yml"

// byobBuilders are the BYOB builders of slsa-verifier's verify-artifact
// fixtures at v2.1.0: each signs through the generic delegator, and its
// provenance names it. artifact is "" where every run built a different
// file (binary-linux-amd64-RUN).
var byobBuilders = []struct {
	dir, builder, artifact string
	none                   bool // slsa-verifier's test also runs without --builder-id
}{
	{"gha_delegator", exampleTRW, "binary-linux-amd64", false},
	{"gha_maven", workflows + "builder_maven_slsa3.yml", "", true},
	{"gha_gradle", workflows + "builder_gradle_slsa3.yml", "", true},
}

// TestDelegator walks slsa-verifier's verify-artifact cases for BYOB
// builders (Test_runVerifyGHAArtifactPath over gha_delegator, gha_maven
// and gha_gradle, v2.1.0): the generic generator's cases with the builder
// ids slsa-verifier's test tries (for example-trw never none: without
// --builder-id slsa-verifier trusts only the SLSA GitHub generators' own
// builders), where an untrusted builder id is ErrMismatchBuilderID, as
// slsa-verifier has it for BYOB builders.
func TestDelegator(t *testing.T) {
	root := readFixture(t, publicGoodRoot)
	runs := 0
	for _, b := range byobBuilders {
		dir := filepath.Join(fixtures, b.dir, "v2.1.0")
		cases := genericCases
		if b.dir == "gha_delegator" {
			cases = append(cases[:len(cases):len(cases)], delegatorCases...)
		}
		for _, c := range cases {
			want := c.want
			if want == ErrUntrustedBuilder {
				want = ErrMismatchBuilderID
			}
			ids := []*string{ptr(b.builder), ptr(b.builder + "@v2.1.0"), ptr(b.builder + "@refs/tags/v2.1.0")}
			if b.none {
				ids = append(ids, nil)
			}
			if c.builderID != nil {
				ids = []*string{c.builderID}
			}
			if c.name == "consign: no builder id" {
				ids = []*string{nil}
			}
			artifact := b.artifact
			if artifact == "" {
				artifact = "binary-linux-amd64-" + c.provenance
			}
			art := sha256.Sum256(readFixture(t, filepath.Join(dir, artifact)))
			prov := readFixture(t, filepath.Join(dir, "binary-linux-amd64-"+c.provenance+".build.slsa"))
			for _, bid := range ids {
				runs++
				cfg := ArtifactConfig{Provenance: prov, TrustedRoot: root, Digests: [][]byte{art[:]}, SourceURI: c.source,
					BuilderID: bid, Branch: c.branch, Tag: c.tag, VersionedTag: c.versionedTag, Inputs: c.inputs}
				res, err := VerifyArtifact(cfg)
				name := fmt.Sprintf("%s/%s/builder=%v", b.dir, c.name, deref(bid))
				if !errors.Is(err, want) || (want == nil) != (err == nil) {
					t.Errorf("%s: VerifyArtifact() = %v, want %v", name, err, want)
					continue
				}
				if err == nil && res.BuilderID.String() != b.builder+"@refs/tags/v2.1.0" {
					t.Errorf("%s: builder %s, want the delegated builder", name, res.BuilderID)
				}
			}
		}
	}
	t.Logf("%d verify-artifact runs over slsa-verifier's BYOB fixtures", runs)
}

// delegatorCases are consign's own on the delegator's files.
var delegatorCases = []artifactCase{
	{name: "consign: no builder id", provenance: "workflow_dispatch", source: exampleSource, want: ErrInvalidBuilderID},
	{name: "consign: the delegator's own id", provenance: "workflow_dispatch", source: exampleSource, builderID: ptr(GenericDelegator), want: ErrMismatchBuilderID},
	{name: "consign: delegated builder at another version", provenance: "workflow_dispatch", source: exampleSource, builderID: ptr(exampleTRW + "@v2.0.0"), want: ErrMismatchBuilderID},
	{name: "consign: workflow inputs of a push build", provenance: "push-v14", source: exampleSource, builderID: ptr(exampleTRW), inputs: map[string]string{"a": "b"}, want: ErrMismatchWorkflowInputs},
	{name: "consign: tag v14.2 match push-v14.2", provenance: "push-v14.2", source: exampleSource, builderID: ptr(exampleTRW), tag: ptr("v14.2")},
	{name: "consign: branch of a tag push", provenance: "push-v14.2", source: exampleSource, builderID: ptr(exampleTRW), branch: ptr("main")},
}

// containerBasedCases are slsa-verifier's Test_runVerifyGHAContainerBased.
var containerBasedCases = []artifactCase{
	{name: "valid main branch default", provenance: "workflow_dispatch", source: exampleSource},
	{name: "versioned tag no match empty tag workflow_dispatch", provenance: "workflow_dispatch", source: exampleSource, versionedTag: ptr("v1"), want: ErrInvalidRef},
	{name: "tag no match empty tag workflow_dispatch", provenance: "workflow_dispatch", source: exampleSource, tag: ptr("v1.2.3"), want: ErrInvalidRef},
	{name: "wrong branch master", provenance: "workflow_dispatch", source: exampleSource, branch: ptr("master"), want: ErrMismatchBranch},
	{name: "valid main branch set", provenance: "workflow_dispatch", source: exampleSource, branch: ptr("main")},
	{name: "valid main branch default - invalid builderID", provenance: "workflow_dispatch", source: exampleSource,
		builderID: ptr(workflows + "not-trusted.yml"), want: ErrUntrustedBuilder},
	{name: "wrong source append A", provenance: "workflow_dispatch", source: exampleSource + "A", want: ErrMismatchSource},
	{name: "wrong source prepend A", provenance: "workflow_dispatch", source: "A" + exampleSource, want: ErrMismatchSource},
	{name: "wrong source middle A", provenance: "workflow_dispatch", source: "github.com/Aslsa-framework/example-package", want: ErrMismatchSource},
	// consign's own.
	{name: "consign: versioned v14 match push-v14.2", provenance: "push-v14.2", source: exampleSource, versionedTag: ptr("v14")},
	{name: "consign: tag v13.0 no match push-v13.0.30", provenance: "push-v13.0.30", source: exampleSource, tag: ptr("v13.0"), want: ErrMismatchTag},
	{name: "consign: branch of a tag push", provenance: "push-v14", source: exampleSource, branch: ptr("main")},
	{name: "consign: artifact not a subject", provenance: "workflow_dispatch", source: exampleSource, otherArtifact: true, want: ErrMismatchHash},
}

// TestContainerBased walks slsa-verifier's container-based builder cases
// (v2.1.0: SLSA v1 provenance in Sigstore bundles), each with the builder
// ids slsa-verifier's test tries.
func TestContainerBased(t *testing.T) {
	root := readFixture(t, publicGoodRoot)
	dir := filepath.Join(fixtures, "gha_container-based/v2.1.0")
	art := sha256.Sum256(readFixture(t, filepath.Join(dir, "binary-linux-amd64")))
	other := sha256.Sum256([]byte("not the artifact"))
	runs := 0
	for _, c := range containerBasedCases {
		ids := []*string{ptr(ContainerBased + "@refs/tags/v2.1.0"), ptr(ContainerBased), ptr(ContainerBased + "@v2.1.0"), nil}
		if c.builderID != nil {
			ids = []*string{c.builderID}
		}
		prov := readFixture(t, filepath.Join(dir, "binary-linux-amd64-"+c.provenance+".intoto.build.slsa"))
		for _, bid := range ids {
			runs++
			cfg := ArtifactConfig{Provenance: prov, TrustedRoot: root, Digests: [][]byte{art[:]}, SourceURI: c.source,
				BuilderID: bid, Branch: c.branch, Tag: c.tag, VersionedTag: c.versionedTag, Inputs: c.inputs}
			if c.otherArtifact {
				cfg.Digests = [][]byte{other[:]}
			}
			res, err := VerifyArtifact(cfg)
			name := fmt.Sprintf("%s/builder=%v", c.name, deref(bid))
			if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
				t.Errorf("%s: VerifyArtifact() = %v, want %v", name, err, c.want)
				continue
			}
			if err == nil && res.BuilderID.String() != ContainerBased+"@refs/tags/v2.1.0" {
				t.Errorf("%s: builder %s", name, res.BuilderID)
			}
		}
	}
	t.Logf("%d verify-artifact runs over slsa-verifier's container-based builder fixtures", runs)
}
