package slsa

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/consign-dev/consign/internal/sigstore"
)

const (
	fixtures      = "../../testdata/slsa-verifier"
	exampleSource = "github.com/slsa-framework/example-package"
)

func ptr(s string) *string { return &s }

// artifactCase is one case of slsa-verifier's verify-artifact tests for
// the GitHub generic generator (cli/slsa-verifier/main_regression_test.go,
// Test_runVerifyGHAArtifactPath), with slsa-verifier's verdict.
type artifactCase struct {
	name          string
	provenance    string // file name under the version's directory, without .intoto.jsonl
	source        string
	branch        *string
	tag           *string
	versionedTag  *string
	builderID     *string // nil: each of the builder ids slsa-verifier's test tries
	inputs        map[string]string
	otherArtifact bool // verify another file than the one built
	want          error
}

// genericCases are slsa-verifier's cases that run against every version of
// the generic generator, in its order, with its verdicts.
var genericCases = []artifactCase{
	{name: "valid main branch default", provenance: "workflow_dispatch", source: exampleSource},
	{name: "valid main branch default - invalid builderID", provenance: "workflow_dispatch", source: exampleSource,
		builderID: ptr(workflows + "not-trusted.yml"), want: ErrUntrustedBuilder},
	{name: "valid main branch set", provenance: "workflow_dispatch", source: exampleSource, branch: ptr("main")},
	{name: "wrong branch master", provenance: "workflow_dispatch", source: exampleSource, branch: ptr("master"), want: ErrMismatchBranch},
	{name: "wrong source append A", provenance: "workflow_dispatch", source: "github.com/laurentsimon/slsa-verifier-test-genA", want: ErrMismatchSource},
	{name: "wrong source prepend A", provenance: "workflow_dispatch", source: "github.com/laurentsimon/slsa-verifier-test-gen", want: ErrMismatchSource},
	{name: "wrong source middle A", provenance: "workflow_dispatch", source: "github.com/Alaurentsimon/slsa-verifier-test-gen", want: ErrMismatchSource},
	{name: "tag no match empty tag workflow_dispatch", provenance: "workflow_dispatch", source: exampleSource, tag: ptr("v1.2.3"), want: ErrInvalidRef},
	{name: "versioned tag no match empty tag workflow_dispatch", provenance: "workflow_dispatch", source: exampleSource, versionedTag: ptr("v1"), want: ErrInvalidRef},
	{name: "tag v13.0.29 no match v13.0.30", provenance: "push-v13.0.30", source: exampleSource, tag: ptr("v13.0.29"), want: ErrMismatchTag},
	{name: "tag v13.0 no match v13.0.30", provenance: "push-v13.0.30", source: exampleSource, tag: ptr("v13.0"), want: ErrMismatchTag},
	{name: "tag v13 no match v13.0.30", provenance: "push-v13.0.30", source: exampleSource, tag: ptr("v13"), want: ErrMismatchTag},
	{name: "versioned v13.0.30 match push-v13.0.30", provenance: "push-v13.0.30", source: exampleSource, versionedTag: ptr("v13.0.30")},
	{name: "versioned v13.0 match push-v13.0.30", provenance: "push-v13.0.30", source: exampleSource, versionedTag: ptr("v13.0")},
	{name: "versioned v13 match push-v13.0.30", provenance: "push-v13.0.30", source: exampleSource, versionedTag: ptr("v13")},
	{name: "versioned v2 no match push-v13.0.30", provenance: "push-v13.0.30", source: exampleSource, versionedTag: ptr("v2"), want: ErrMismatchVersionedTag},
	{name: "versioned v0 no match push-v13.0.30", provenance: "push-v13.0.30", source: exampleSource, versionedTag: ptr("v0"), want: ErrMismatchVersionedTag},
	{name: "versioned v13.1 no match push-v13.0.30", provenance: "push-v13.0.30", source: exampleSource, versionedTag: ptr("v13.1"), want: ErrMismatchVersionedTag},
	{name: "versioned v12.9 no match push-v13.0.30", provenance: "push-v13.0.30", source: exampleSource, versionedTag: ptr("v12.9"), want: ErrMismatchVersionedTag},
	{name: "versioned v13.0.29 no match push-v13.0.30", provenance: "push-v13.0.30", source: exampleSource, versionedTag: ptr("v13.0.29"), want: ErrMismatchVersionedTag},
	{name: "versioned v13.0.31 no match push-v13.0.30", provenance: "push-v13.0.30", source: exampleSource, versionedTag: ptr("v13.0.31"), want: ErrMismatchVersionedTag},
	{name: "versioned v14 match push-v14", provenance: "push-v14", source: exampleSource, versionedTag: ptr("v14")},
	{name: "versioned v14.0 match push-v14", provenance: "push-v14", source: exampleSource, versionedTag: ptr("v14.0")},
	{name: "versioned v14.1 no match push-v14", provenance: "push-v14", source: exampleSource, versionedTag: ptr("v14.1"), want: ErrMismatchVersionedTag},
	{name: "versioned v13 no match push-v14", provenance: "push-v14", source: exampleSource, versionedTag: ptr("v13"), want: ErrMismatchVersionedTag},
	{name: "versioned v15 no match push-v14", provenance: "push-v14", source: exampleSource, versionedTag: ptr("v15"), want: ErrMismatchVersionedTag},
	{name: "versioned v13.2 no match push-v14", provenance: "push-v14", source: exampleSource, versionedTag: ptr("v13.2"), want: ErrMismatchVersionedTag},
	{name: "versioned v0 no match push-v14", provenance: "push-v14", source: exampleSource, versionedTag: ptr("v0"), want: ErrMismatchVersionedTag},
	{name: "versioned v14.2 match push-v14.2", provenance: "push-v14.2", source: exampleSource, versionedTag: ptr("v14.2")},
	{name: "versioned v14.2.1 match push-v14.2", provenance: "push-v14.2", source: exampleSource, versionedTag: ptr("v14.2.1"), want: ErrMismatchVersionedTag},
	{name: "versioned v14.2.3 match push-v14.2", provenance: "push-v14.2", source: exampleSource, versionedTag: ptr("v14.2.3"), want: ErrMismatchVersionedTag},
	{name: "versioned v14 match push-v14.2", provenance: "push-v14.2", source: exampleSource, versionedTag: ptr("v14")},
	{name: "versioned v14.1 no match push-v14.2", provenance: "push-v14.2", source: exampleSource, versionedTag: ptr("v14.1"), want: ErrMismatchVersionedTag},
	{name: "versioned v14.1.1 no match push-v14.2", provenance: "push-v14.2", source: exampleSource, versionedTag: ptr("v14.1.1"), want: ErrMismatchVersionedTag},
	{name: "versioned v14.3.1 no match push-v14.2", provenance: "push-v14.2", source: exampleSource, versionedTag: ptr("v14.3.1"), want: ErrMismatchVersionedTag},
	{name: "versioned v13 no match push-v14.2", provenance: "push-v14.2", source: exampleSource, versionedTag: ptr("v13"), want: ErrMismatchVersionedTag},
	{name: "versioned v15 no match push-v14.2", provenance: "push-v14.2", source: exampleSource, versionedTag: ptr("v15"), want: ErrMismatchVersionedTag},
	{name: "versioned v15.1 no match push-v14.2", provenance: "push-v14.2", source: exampleSource, versionedTag: ptr("v15.1"), want: ErrMismatchVersionedTag},
}

// consignCases are consign's own cases on the same files: what
// slsa-verifier's shared fixtures leave out for this version.
var consignCases = []artifactCase{
	{name: "consign: artifact not a subject", provenance: "workflow_dispatch", source: exampleSource, otherArtifact: true, want: ErrMismatchHash},
	{name: "consign: builder id of another trusted builder", provenance: "workflow_dispatch", source: exampleSource, builderID: ptr(GoBuilder), want: ErrUntrustedBuilder},
	{name: "consign: builder id at another version", provenance: "workflow_dispatch", source: exampleSource, builderID: ptr(GenericGenerator + "@v2.0.0"), want: ErrUntrustedBuilder},
	{name: "consign: source with https scheme (refused, as slsa-verifier does)", provenance: "workflow_dispatch", source: "https://" + exampleSource, want: ErrMismatchSource},
	{name: "consign: source with git+https scheme", provenance: "workflow_dispatch", source: "git+https://" + exampleSource},
	{name: "consign: source as a prefix of the real one", provenance: "workflow_dispatch", source: "github.com/slsa-framework/example-packag", want: ErrMismatchSource},
	{name: "consign: source on another host", provenance: "workflow_dispatch", source: "gitlab.com/slsa-framework/example-package", want: ErrMismatchSource},
	{name: "consign: workflow inputs of a push build", provenance: "push-v14", source: exampleSource, inputs: map[string]string{"a": "b"}, want: ErrMismatchWorkflowInputs},
	{name: "consign: branch of a tag push", provenance: "push-v14", source: exampleSource, branch: ptr("main")},
	{name: "consign: tag v14 match push-v14", provenance: "push-v14", source: exampleSource, tag: ptr("v14")},
	{name: "consign: versioned tag not semantic", provenance: "push-v14", source: exampleSource, versionedTag: ptr("14"), want: ErrConfig},
}

// builderIDs are the builder ids slsa-verifier's test tries for each case
// of a builder at version v: the name, none, and name@version in short and
// long form.
func builderIDs(c artifactCase, v string) []*string {
	if c.builderID != nil {
		return []*string{c.builderID}
	}
	return []*string{ptr(GenericGenerator), nil, ptr(GenericGenerator + "@" + v), ptr(GenericGenerator + "@refs/tags/" + v)}
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGenericGenerator walks slsa-verifier's verify-artifact cases for
// the generic generator. v2.1.0 writes Sigstore bundles, which consign
// verifies offline with slsa-verifier's verdict; v2.0.0 and v1.10.0 write
// DSSE envelopes whose log entry slsa-verifier looks up in Rekor, which
// consign refuses offline (ErrNeedsOnline) whatever the case.
func TestGenericGenerator(t *testing.T) {
	root := readFixture(t, "../../testdata/sigstore/public-good.trusted_root.json")
	art := sha256.Sum256(readFixture(t, filepath.Join(fixtures, "gha_generic/v2.1.0/binary-linux-amd64")))
	other := sha256.Sum256([]byte("not the artifact"))
	runs := 0
	for _, v := range []string{"v2.1.0", "v2.0.0", "v1.10.0"} {
		cases := genericCases
		if v == "v2.1.0" {
			cases = append(cases[:len(cases):len(cases)], consignCases...)
		}
		for _, c := range cases {
			want := c.want
			if v != "v2.1.0" {
				want = ErrNeedsOnline
			}
			prov := readFixture(t, filepath.Join(fixtures, "gha_generic", v, "binary-linux-amd64-"+c.provenance+".intoto.jsonl"))
			for _, bid := range builderIDs(c, v) {
				cfg := ArtifactConfig{Provenance: prov, TrustedRoot: root, Digests: [][]byte{art[:]},
					SourceURI: c.source, BuilderID: bid, Branch: c.branch, Tag: c.tag, VersionedTag: c.versionedTag, Inputs: c.inputs}
				if c.otherArtifact {
					cfg.Digests = [][]byte{other[:]}
				}
				name := fmt.Sprintf("%s/%s/builder=%v", v, c.name, deref(bid))
				res, err := VerifyArtifact(cfg)
				runs++
				if !errors.Is(err, want) || (want == nil) != (err == nil) {
					t.Errorf("%s: VerifyArtifact() = %v, want %v", name, err, want)
					continue
				}
				if err == nil && res.BuilderID.String() != GenericGenerator+"@refs/tags/"+v {
					t.Errorf("%s: builder %s, want the generic generator at %s", name, res.BuilderID, v)
				}
			}
		}
	}
	t.Logf("%d verify-artifact runs over slsa-verifier's generic generator fixtures", runs)
}

func deref(s *string) string {
	if s == nil {
		return "(none)"
	}
	return *s
}

// TestTamperedBundle: a bundle whose statement changed after signing, or
// checked against another trusted root, is refused before any SLSA rule.
func TestTamperedBundle(t *testing.T) {
	root := readFixture(t, "../../testdata/sigstore/public-good.trusted_root.json")
	prov := readFixture(t, filepath.Join(fixtures, "gha_generic/v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl"))
	art := sha256.Sum256(readFixture(t, filepath.Join(fixtures, "gha_generic/v2.1.0/binary-linux-amd64")))
	cfg := ArtifactConfig{Provenance: prov, TrustedRoot: root, Digests: [][]byte{art[:]}, SourceURI: exampleSource}
	if _, err := VerifyArtifact(cfg); err != nil {
		t.Fatalf("untampered: %v", err)
	}
	// The payload is base64; change one character inside it.
	i := indexAfter(t, prov, `"payload":"`) + 200
	bad := append([]byte(nil), prov...)
	bad[i] ^= 0x01
	cfg.Provenance = bad
	if _, err := VerifyArtifact(cfg); !errors.Is(err, sigstore.ErrUnverified) && !errors.Is(err, sigstore.ErrBundle) && !errors.Is(err, ErrInvalidProvenance) {
		t.Errorf("payload changed: VerifyArtifact() = %v, want a verification failure", err)
	}
	cfg.Provenance = prov
	cfg.TrustedRoot = readFixture(t, "../../testdata/sigstore-conformance/rekor2-happy-path/trusted_root.json")
	if _, err := VerifyArtifact(cfg); !errors.Is(err, sigstore.ErrUnverified) {
		t.Errorf("another trusted root: VerifyArtifact() = %v, want %v", err, sigstore.ErrUnverified)
	}
}

func indexAfter(t *testing.T, b []byte, s string) int {
	t.Helper()
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i + len(s)
		}
	}
	t.Fatalf("%q not found", s)
	return 0
}
