package predicate_test

import (
	"io/fs"
	"testing"

	"github.com/consign-dev/consign/attestations"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/predicate"
)

// exampleStatements returns the example statements of attestations/,
// each read strictly, by predicate type.
func exampleStatements(t testing.TB) map[string]*attest.Statement {
	t.Helper()
	out := map[string]*attest.Statement{}
	paths, err := fs.Glob(attestations.Examples, "examples/*.json")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, p := range paths {
		b, err := fs.ReadFile(attestations.Examples, p)
		if err != nil {
			t.Fatal(err)
		}
		st, err := attest.ParseStatement(b)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if out[st.PredicateType] != nil {
			t.Fatalf("%s: a second example of %s", p, st.PredicateType)
		}
		out[st.PredicateType] = st
	}
	return out
}

// TestExamples: every example statement fits its type's schema, and the
// types consign reads field by field parse.
func TestExamples(t *testing.T) {
	ex := exampleStatements(t)
	for _, typ := range []string{
		attest.PredicateLink, attest.PredicateSLSAProvenance, attest.PredicateTestResult, attest.PredicateVSA,
		attest.PredicateIntake, attest.PredicateDelivery, attest.PredicatePatch,
	} {
		st := ex[typ]
		if st == nil {
			t.Errorf("no example of %s in attestations/examples", typ)
			continue
		}
		if !predicate.HasSchema(typ) {
			t.Errorf("no schema for %s", typ)
		}
		if err := predicate.Validate(typ, st.Predicate); err != nil {
			t.Errorf("example %s: %v", typ, err)
		}
	}
	if l, err := predicate.ParseLink(ex[attest.PredicateLink].Predicate); err != nil || l.Name != "build" || len(l.Materials) != 2 || l.Materials[1].Name != "src/main.c" {
		t.Errorf("ParseLink(example) = %+v, %v", l, err)
	}
	p, err := predicate.ParseProvenance(ex[attest.PredicateSLSAProvenance].Predicate)
	if err != nil || p.RunDetails.Builder.ID != "https://ci.example.com/builders/firmware" || p.BuildDefinition.BuildType != "https://consign.dev/buildtypes/run/v1" {
		t.Fatalf("ParseProvenance(example) = %+v, %v", p, err)
	}
	if got := p.SourceURIs(); len(got) != 2 || got[0] != "git+https://git.example.com/acme/router-firmware@refs/tags/v3.2.1" || got[1] != got[0] {
		t.Errorf("SourceURIs(example) = %q, want the source parameter then the git+ dependency", got)
	}
	if r, err := predicate.ParseTestResult(ex[attest.PredicateTestResult].Predicate); err != nil || r.Result != predicate.TestPassed || len(r.FailedTests) != 0 {
		t.Errorf("ParseTestResult(example) = %+v, %v", r, err)
	}
	if v, err := predicate.ParseVSA(ex[attest.PredicateVSA].Predicate); err != nil || v.VerificationResult != predicate.VSAPassed || v.Policy.Digest.Validate() != nil {
		t.Errorf("ParseVSA(example) = %+v, %v", v, err)
	}
}
