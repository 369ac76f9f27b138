package predicate_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/predicate"
)

var h = strings.Repeat("ab", 32)

func TestLinkRoundTrip(t *testing.T) {
	l := &predicate.Link{
		Name:        "build",
		Command:     []string{"make"},
		Materials:   predicate.Descriptors(map[string]digest.Set{"b.c": {digest.SHA256: h}, "a.c": {digest.SHA256: h}}),
		Byproducts:  map[string]any{"exitCode": 0},
		Environment: map[string]any{"excludePatterns": []string{}},
	}
	b, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := predicate.ParseLink(b)
	if err != nil {
		t.Fatalf("ParseLink(%s) = %v", b, err)
	}
	want := &predicate.Link{Name: "build", Materials: l.Materials}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseLink(Marshal(link)) (-want +got):\n%s", diff)
	}
	if got.Materials[0].Name != "a.c" {
		t.Errorf("materials are not sorted by name: %+v", got.Materials)
	}
	if _, err := (&predicate.Link{}).Marshal(); !errors.Is(err, attest.ErrInvalid) {
		t.Errorf("Marshal(link without a name) = %v, want ErrInvalid", err)
	}
	bad := &predicate.Link{Name: "x", Materials: []predicate.ResourceDescriptor{{Name: "a", Digest: digest.Set{digest.SHA256: "AB"}}}}
	if _, err := bad.Marshal(); !errors.Is(err, attest.ErrInvalid) {
		t.Errorf("Marshal(link with a bad digest) = %v, want ErrInvalid", err)
	}
}

func TestParseLinkRejects(t *testing.T) {
	d := `{"sha256":"` + h + `"}`
	for name, in := range map[string]string{
		"not an object":          `[]`,
		"null":                   `null`,
		"no name":                `{"materials":[]}`,
		"empty name":             `{"name":""}`,
		"name not a string":      `{"name":1}`,
		"case-folded field":      `{"name":"x","Materials":[]}`,
		"materials not an array": `{"name":"x","materials":{}}`,
		"material not an object": `{"name":"x","materials":[1]}`,
		"material field case":    `{"name":"x","materials":[{"Name":"a","digest":` + d + `}]}`,
		"material name number":   `{"name":"x","materials":[{"name":1,"digest":` + d + `}]}`,
		"digest not an object":   `{"name":"x","materials":[{"name":"a","digest":"` + h + `"}]}`,
		"digest value number":    `{"name":"x","materials":[{"name":"a","digest":{"sha256":1}}]}`,
	} {
		if l, err := predicate.ParseLink([]byte(in)); err == nil || l != nil || !errors.Is(err, attest.ErrInvalid) {
			t.Errorf("ParseLink(%s: %s) = %+v, %v; want nil and ErrInvalid", name, in, l, err)
		}
	}
	// A material known by its uri only.
	l, err := predicate.ParseLink([]byte(`{"name":"x","materials":[{"uri":"git+https://e.com/r","digest":` + d + `}]}`))
	if err != nil || l.Materials[0].ArtifactName() != "git+https://e.com/r" {
		t.Errorf("ParseLink(material with a uri) = %+v, %v", l, err)
	}
}

func TestProvenanceRoundTrip(t *testing.T) {
	ext, err := predicate.Params(map[string]any{"source": "git+https://e.com/r@v1", "step": "build"})
	if err != nil {
		t.Fatal(err)
	}
	p := &predicate.Provenance{
		BuildDefinition: predicate.BuildDefinition{BuildType: "https://e.com/bt", ExternalParameters: ext},
		RunDetails:      predicate.RunDetails{Builder: predicate.Builder{ID: "https://e.com/builder"}},
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := predicate.ParseProvenance(b)
	if err != nil {
		t.Fatalf("ParseProvenance(%s) = %v", b, err)
	}
	if got.RunDetails.Builder.ID != "https://e.com/builder" || got.BuildDefinition.BuildType != "https://e.com/bt" ||
		!cmp.Equal(got.BuildDefinition.ExternalParameters, ext) {
		t.Errorf("ParseProvenance(Marshal(p)) = %+v", got)
	}
	if src := got.SourceURIs(); len(src) != 1 || src[0] != "git+https://e.com/r@v1" {
		t.Errorf("SourceURIs = %q", src)
	}
	if _, err := (&predicate.Provenance{}).Marshal(); !errors.Is(err, attest.ErrPredicate) {
		t.Errorf("Marshal(provenance without a builder) = %v, want ErrPredicate", err)
	}
}

func TestParseProvenanceRejects(t *testing.T) {
	for name, in := range map[string]string{
		"not an object":           `[]`,
		"case-folded top":         `{"BuildDefinition":{},"runDetails":{}}`,
		"case-folded builder id":  `{"runDetails":{"builder":{"ID":"x"}}}`,
		"builder id not a string": `{"runDetails":{"builder":{"id":1}}}`,
		"build type not a string": `{"buildDefinition":{"buildType":[]}}`,
		"external not an object":  `{"buildDefinition":{"externalParameters":[]}}`,
		"external case-folded":    `{"buildDefinition":{"ExternalParameters":{}}}`,
	} {
		if p, err := predicate.ParseProvenance([]byte(in)); err == nil || p != nil || !errors.Is(err, attest.ErrInvalid) {
			t.Errorf("ParseProvenance(%s: %s) = %+v, %v; want nil and ErrInvalid", name, in, p, err)
		}
	}
}

func TestTestResult(t *testing.T) {
	r := &predicate.TestResult{Result: predicate.TestFailed, FailedTests: []string{"boot"}}
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := predicate.ParseTestResult(b)
	if err != nil || got.Result != predicate.TestFailed || !cmp.Equal(got.FailedTests, []string{"boot"}) {
		t.Errorf("ParseTestResult(%s) = %+v, %v", b, got, err)
	}
	if _, err := (&predicate.TestResult{Result: "MAYBE"}).Marshal(); !errors.Is(err, attest.ErrPredicate) {
		t.Errorf("Marshal(result MAYBE) = %v, want ErrPredicate", err)
	}
	for _, in := range []string{`[]`, `{"Result":"PASSED"}`, `{"result":1}`, `{"result":"PASSED","failedTests":"boot"}`} {
		if r, err := predicate.ParseTestResult([]byte(in)); err == nil || r != nil || !errors.Is(err, attest.ErrInvalid) {
			t.Errorf("ParseTestResult(%s) = %+v, %v; want nil and ErrInvalid", in, r, err)
		}
	}
}

func TestVSARoundTrip(t *testing.T) {
	v := &predicate.VSA{
		Verifier:           predicate.VSAVerifier{ID: "https://e.com/v"},
		TimeVerified:       "2026-12-01T00:00:00Z",
		ResourceURI:        "app",
		Policy:             predicate.ResourceDescriptor{URI: "policy.json", Digest: digest.Set{digest.SHA256: h}},
		VerificationResult: predicate.VSAPassed,
		SLSAVersion:        "1.0",
	}
	b, err := v.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := predicate.ParseVSA(b)
	if err != nil {
		t.Fatal(err)
	}
	want := *v
	want.InputAttestations, want.VerifiedLevels = []predicate.ResourceDescriptor{}, []string{}
	if diff := cmp.Diff(&want, got); diff != "" {
		t.Errorf("ParseVSA(Marshal(v)) (-want +got):\n%s", diff)
	}
	if _, err := (&predicate.VSA{}).Marshal(); !errors.Is(err, attest.ErrPredicate) {
		t.Errorf("Marshal(empty VSA) = %v, want ErrPredicate", err)
	}
	if got, err := predicate.ParseVSA([]byte(`{"policy":[]}`)); err == nil || got != nil || !errors.Is(err, attest.ErrMalformed) {
		t.Errorf("ParseVSA(policy not an object) = %+v, %v", got, err)
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil || m["verifiedLevels"] == nil || m["inputAttestations"] == nil {
		t.Errorf("Marshal writes null lists: %s", b)
	}
}

// TestParseStatement: a statement and its link predicate from one payload,
// with the three outcomes apart.
func TestParseStatement(t *testing.T) {
	ex := exampleStatements(t)
	for typ, st := range ex {
		b, err := st.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, l, err := predicate.ParseStatement(b)
		if err != nil || got == nil || got.PredicateType != typ || (l != nil) != (typ == attest.PredicateLink) {
			t.Errorf("ParseStatement(example %s) = %v, %v, %v", typ, got, l, err)
		}
		if l != nil {
			want, _ := predicate.ParseLink(st.Predicate)
			if diff := cmp.Diff(want, l); diff != "" {
				t.Errorf("ParseStatement's link differs from ParseLink's (-want +got):\n%s", diff)
			}
		}
	}
	if st, l, err := predicate.ParseStatement([]byte(`{"_type":"x"}`)); st != nil || l != nil || !errors.Is(err, attest.ErrInvalid) {
		t.Errorf("ParseStatement(not a statement) = %v, %v, %v; want nil, nil, ErrInvalid", st, l, err)
	}
	bad := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + h + `"}}],"predicateType":"` + attest.PredicateLink + `","predicate":{"name":""}}`
	if st, l, err := predicate.ParseStatement([]byte(bad)); st == nil || l != nil || !errors.Is(err, attest.ErrInvalid) {
		t.Errorf("ParseStatement(link without a name) = %v, %v, %v; want the statement, nil, ErrInvalid", st, l, err)
	}
}
