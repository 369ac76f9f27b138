package slsa

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// gcbCase is one case of slsa-verifier's verify-image tests for Google
// Cloud Build (cli/slsa-verifier/main_regression_test.go,
// Test_runVerifyGCBArtifactImage; the cases that reach a registry are
// left out), with slsa-verifier's verdict under consign's name for it.
type gcbCase struct {
	name, artifact, provenance, source string
	tag, versioned, branch, builderID  *string
	onlyV03                            bool
	want                               error
}

const gcbSource = "github.com/laurentsimon/gcb-tests"

var gcbCases = []gcbCase{
	{name: "valid main branch default", artifact: "gcloud-container-github", provenance: "gcloud-container-github", source: gcbSource},
	{name: "valid main branch gcs", artifact: "gcloud-container-gcs", provenance: "gcloud-container-gcs", onlyV03: true,
		source: "gs://slsa-tooling_cloudbuild/source/1663616632.078353-fc7db143dcc64b5f9fe71d0497125ca1.tgz"},
	{name: "mismatch input builder version", provenance: "gcloud-container-github", source: gcbSource, builderID: ptr(GCBBuilder + "@v0.4"), want: ErrMismatchBuilderID},
	{name: "unsupported builder", provenance: "gcloud-container-github", source: gcbSource, builderID: ptr(GCBBuilder + "a"), want: ErrVerifierNotSupported},
	{name: "match output builder name", provenance: "gcloud-container-github", source: gcbSource},
	{name: "invalid repo name", provenance: "gcloud-container-github", source: "github.com/laurentsimon/name", want: ErrMismatchSource},
	{name: "invalie org name", provenance: "gcloud-container-github", source: "github.com/org/gcb-tests", want: ErrMismatchSource},
	{name: "invalid cloud git", provenance: "gcloud-container-github", source: "gitlab.com/laurentsimon/gcb-tests", want: ErrMismatchSource},
	{name: "invalid payload digest", provenance: "gcloud-container-mismatch-payload-digest", source: gcbSource, want: ErrNoValidSignature},
	{name: "invalid payload builderid", provenance: "gcloud-container-mismatch-payload-builderid", source: gcbSource, want: ErrNoValidSignature},
	{name: "invalid summary digest", provenance: "gcloud-container-mismatch-summary-digest", source: gcbSource, want: ErrMismatchHash},
	{name: "invalid text digest", provenance: "gcloud-container-mismatch-text-digest", source: gcbSource, want: ErrMismatchIntoto},
	{name: "invalid text build steps", provenance: "gcloud-container-mismatch-text-steps", source: gcbSource, want: ErrMismatchIntoto},
	{name: "invalid metadata kind", provenance: "gcloud-container-mismatch-metadata-kind", source: gcbSource, want: ErrInvalidProvenance},
	{name: "invalid metadata resourceUri sha256", provenance: "gcloud-container-mismatch-metadata-urisha256", source: gcbSource, want: ErrMismatchHash},
	{name: "invalid signature encoding", provenance: "gcloud-container-invalid-signature-encoding", source: gcbSource, want: ErrNoValidSignature},
	{name: "invalid signature empty", provenance: "gcloud-container-empty-signature", source: gcbSource, want: ErrNoValidSignature},
	{name: "invalid signature none", provenance: "gcloud-container-no-signature", source: gcbSource, want: ErrInvalidProvenance},
	{name: "invalid region", provenance: "gcloud-container-invalid-signature-region", source: gcbSource, want: ErrNoValidSignature},
	{name: "invalid empty region", provenance: "gcloud-container-empty-signature-region", source: gcbSource, want: ErrNoValidSignature},
	{name: "invalid keyid", provenance: "gcloud-container-invalid-keyid", source: gcbSource, want: ErrNoValidSignature},
	{name: "invalid keyid empty", provenance: "gcloud-container-empty-keyid", source: gcbSource, want: ErrNoValidSignature},
	{name: "invalid keyid none", provenance: "gcloud-container-no-keyid", source: gcbSource, want: ErrNoValidSignature},
	{name: "invalid signature multiple", provenance: "gcloud-container-multiple-invalid-signatures", source: gcbSource, want: ErrNoValidSignature},
	{name: "signature multiple 2nd valid", provenance: "gcloud-container-multiple-signatures-2ndvalid", source: gcbSource},
	{name: "signature multiple 3rd valid", provenance: "gcloud-container-multiple-signatures-3rdvalid", source: gcbSource},
	{name: "invalid multiple provenance", provenance: "gcloud-container-multiple-invalid-provenance", source: gcbSource, want: ErrNoValidSignature},
	{name: "tag match", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github-tag", source: exampleSource, tag: ptr("v33.0.4"), onlyV03: true},
	{name: "tag mismatch major", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github-tag", source: exampleSource, tag: ptr("v34.0.4"), onlyV03: true, want: ErrMismatchTag},
	{name: "tag mismatch minor", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github-tag", source: exampleSource, tag: ptr("v33.1.4"), onlyV03: true, want: ErrMismatchTag},
	{name: "tag mismatch patch", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github-tag", source: exampleSource, tag: ptr("v33.0.5"), onlyV03: true, want: ErrMismatchTag},
	{name: "versioned tag match major", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github-tag", source: exampleSource, versioned: ptr("v33"), onlyV03: true},
	{name: "versioned tag match minor", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github-tag", source: exampleSource, versioned: ptr("v33.0"), onlyV03: true},
	{name: "versioned tag match patch", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github-tag", source: exampleSource, versioned: ptr("v33.0.4"), onlyV03: true},
	{name: "versioned tag mismatch patch", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github-tag", source: exampleSource, versioned: ptr("v33.0.5"), onlyV03: true, want: ErrMismatchVersionedTag},
	{name: "versioned tag mismatch minor", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github-tag", source: exampleSource, versioned: ptr("v33.1"), onlyV03: true, want: ErrMismatchVersionedTag},
	{name: "versioned tag mismatch major", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github-tag", source: exampleSource, versioned: ptr("v35"), onlyV03: true, want: ErrMismatchVersionedTag},
	{name: "multiple provenance 2nd valid", provenance: "gcloud-container-multiple-provenance-2ndvalid", source: gcbSource},
	{name: "multiple provenance 3rd valid", provenance: "gcloud-container-multiple-provenance-3rdvalid", source: gcbSource},
	// consign's own.
	{name: "consign: branch asked", provenance: "gcloud-container-github", source: gcbSource, branch: ptr("main"), want: ErrNotSupported},
	{name: "consign: tag asked of a build without one", provenance: "gcloud-container-github", source: gcbSource, tag: ptr("v1"), want: ErrMismatchTag},
	{name: "consign: versioned tag not semantic", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github-tag", source: exampleSource, versioned: ptr("33"), onlyV03: true, want: ErrConfig},
	{name: "consign: another image", artifact: "gcloud-container-github-tag", provenance: "gcloud-container-github", source: gcbSource, onlyV03: true, want: ErrMismatchHash},
	{name: "consign: source with https scheme", provenance: "gcloud-container-github", source: "https://" + gcbSource},
	{name: "consign: source as a prefix", provenance: "gcloud-container-github", source: "github.com/laurentsimon/gcb-test", want: ErrMismatchSource},
}

// TestGCB walks slsa-verifier's Cloud Build verify-image cases at v0.2
// and v0.3, each with the builder id at the version and without one.
func TestGCB(t *testing.T) {
	runs := 0
	for _, v := range []string{"v0.2", "v0.3"} {
		dir := filepath.Join(fixtures, "gcb_container", v)
		for _, c := range gcbCases {
			if c.onlyV03 && v != "v0.3" {
				continue
			}
			art := c.artifact
			if art == "" {
				art = "gcloud-container-github"
			}
			digest, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(string(readFixture(t, filepath.Join(dir, art+".digest")))), "sha256:"))
			if err != nil {
				t.Fatal(err)
			}
			prov := readFixture(t, filepath.Join(dir, c.provenance+".json"))
			ids := []*string{ptr(GCBBuilder + "@" + v), ptr(GCBBuilder)}
			if c.builderID != nil {
				ids = []*string{c.builderID}
			}
			for _, bid := range ids {
				cfg := ImageConfig{Provenance: prov, Digest: digest, SourceURI: c.source, BuilderID: bid,
					Branch: c.branch, Tag: c.tag, VersionedTag: c.versioned}
				name := fmt.Sprintf("%s/%s/builder=%s", v, c.name, *bid)
				res, err := VerifyImage(cfg)
				runs++
				if !errors.Is(err, c.want) || (c.want == nil) != (err == nil) {
					t.Errorf("%s: VerifyImage() = %v, want %v", name, err, c.want)
					continue
				}
				if err == nil && (res.BuilderID.String() != GCBBuilder+"@"+v || res.BuilderID.MatchesLoose(*bid, false) != nil) {
					t.Errorf("%s: builder %s", name, res.BuilderID)
				}
			}
		}
	}
	t.Logf("%d verify-image runs over slsa-verifier's Cloud Build fixtures", runs)
}

// TestGCBTampered: a signature, the signed payload or the key id changed
// in the valid provenance is refused; so is provenance of another key.
func TestGCBTampered(t *testing.T) {
	dir := filepath.Join(fixtures, "gcb_container", "v0.3")
	prov := string(readFixture(t, filepath.Join(dir, "gcloud-container-github.json")))
	digest, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(string(readFixture(t, filepath.Join(dir, "gcloud-container-github.digest")))), "sha256:"))
	if err != nil {
		t.Fatal(err)
	}
	verify := func(p string) error {
		_, err := VerifyImage(ImageConfig{Provenance: []byte(p), Digest: digest, SourceURI: gcbSource, BuilderID: ptr(GCBBuilder)})
		return err
	}
	if err := verify(prov); err != nil {
		t.Fatal(err)
	}
	var out gcloudOutput
	if err := json.Unmarshal([]byte(prov), &out); err != nil {
		t.Fatal(err)
	}
	env := out.ProvenanceSummary.Provenance[0].Envelope
	sig, payload, keyID := env.Signatures[0].Sig, env.Payload, env.Signatures[0].KeyID
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for name, p := range map[string]string{
		"signature changed":          strings.Replace(prov, sig, flip(sig, 20), 1),
		"payload changed":            strings.Replace(prov, payload, flip(payload, 100), 1),
		"key of another region":      strings.Replace(prov, keyID, strings.Replace(keyID, "/us-west2/", "/us-east1/", 1), 1),
		"key id of an unknown form":  strings.Replace(prov, keyID, keyID+"x", 1),
		"a region with a path in it": strings.Replace(prov, keyID, strings.Replace(keyID, "/us-west2/", "/../us-west2/", 1), 1),
	} {
		if p == prov {
			t.Fatalf("%s: nothing changed", name)
		}
		if err := verify(p); !errors.Is(err, ErrNoValidSignature) && !errors.Is(err, ErrInvalidProvenance) {
			t.Errorf("%s: VerifyImage() = %v, want %v", name, err, ErrNoValidSignature)
		}
	}
}

// TestGCBKeys: every key file embedded in gcbkeys/ parses to an ECDSA key,
// under its file name without ".key". The keys are read on first use, not
// at start-up, so a defective file fails here rather than at the first
// Cloud Build verification.
func TestGCBKeys(t *testing.T) {
	entries, err := gcbKeyFiles.ReadDir("gcbkeys")
	if err != nil {
		t.Fatal(err)
	}
	keys := gcbKeys()
	if got, want := len(keys), len(entries); got != want || want == 0 {
		t.Fatalf("gcbKeys() has %d keys, want one per file (%d)", got, want)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".key")
		if keys[name] == nil {
			t.Errorf("gcbKeys()[%q] = nil, want the key of %s", name, e.Name())
		}
	}
	if keys[gcbGlobalPAEKeyPEM] == nil {
		t.Errorf("no key under gcbGlobalPAEKeyPEM (%q)", gcbGlobalPAEKeyPEM)
	}
}
