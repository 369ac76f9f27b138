package predicate_test

// Fuzz targets for every predicate parser. Run one with, for example:
//
//	go test -run='^$' -fuzz='^FuzzParseLink$' -fuzztime=30s ./internal/predicate/
//
// Each is seeded with the example of its type in attestations/examples and
// a few near misses, and asserts: no panic; on error, a nil value and an
// error wrapping attest.ErrInvalid; on success, a value that writes out and
// reads back the same.

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/predicate"
)

// seedPredicates adds the example predicate of typ and near misses of it.
func seedPredicates(f *testing.F, typ string) {
	f.Helper()
	st := exampleStatements(f)[typ]
	if st == nil {
		f.Fatalf("no example of %s", typ)
	}
	f.Add([]byte(st.Predicate))
	for _, s := range []string{`{}`, `null`, `[]`, `{"name":"x","materials":null}`, `{"a":1,"A":2}`, `{"name":"\ud800"}`} {
		f.Add([]byte(s))
	}
}

// checkParse holds a parser to its contract on any input: nil and an
// ErrInvalid on error, a value otherwise.
func checkParse[T any](t *testing.T, name string, b []byte, v *T, err error) bool {
	t.Helper()
	if err != nil {
		if v != nil {
			t.Fatalf("%s(%q) = %+v with error %v: a partial value", name, b, v, err)
		}
		if !errors.Is(err, attest.ErrInvalid) {
			t.Fatalf("%s(%q) error %v does not wrap attest.ErrInvalid", name, b, err)
		}
		return false
	}
	if v == nil {
		t.Fatalf("%s(%q) = nil, nil", name, b)
	}
	return true
}

func FuzzParseLink(f *testing.F) {
	seedPredicates(f, attest.PredicateLink)
	f.Fuzz(func(t *testing.T, b []byte) {
		if attest.CheckJSON(b) != nil {
			return // a predicate is part of a statement read strictly
		}
		l, err := predicate.ParseLink(b)
		if !checkParse(t, "ParseLink", b, l, err) {
			return
		}
		if l.Name == "" {
			t.Fatalf("ParseLink(%q) accepted a link without a name", b)
		}
		if l.Validate() != nil {
			return // a digest set a verifier refuses
		}
		out, err := l.Marshal()
		if err != nil {
			return // the schema asks more (a material with neither name nor uri...)
		}
		back, err := predicate.ParseLink(out)
		if err != nil {
			t.Fatalf("ParseLink(Marshal(%q)) = %v", b, err)
		}
		want := &predicate.Link{Name: l.Name, Materials: l.Materials}
		if diff := cmp.Diff(want, back, cmp.Comparer(func(a, b map[string]any) bool { return true })); diff != "" {
			t.Fatalf("round trip of %q (-want +got):\n%s", b, diff)
		}
	})
}

func FuzzParseProvenance(f *testing.F) {
	seedPredicates(f, attest.PredicateSLSAProvenance)
	f.Add([]byte(`{"buildDefinition":{"externalParameters":{"source":{"uri":"git+https://e.com/r"},"workflow":{"repository":"https://e.com/w"}},"resolvedDependencies":[{"uri":"git+x"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if attest.CheckJSON(b) != nil {
			return
		}
		p, err := predicate.ParseProvenance(b)
		if !checkParse(t, "ParseProvenance", b, p, err) {
			return
		}
		_ = p.SourceURIs() // must not panic
		if p.BuildDefinition.ExternalParameters == nil {
			t.Fatalf("ParseProvenance(%q): nil external parameters", b)
		}
		out, err := p.Marshal()
		if err != nil {
			return
		}
		back, err := predicate.ParseProvenance(out)
		if err != nil {
			t.Fatalf("ParseProvenance(Marshal(%q)) = %v", b, err)
		}
		if back.RunDetails.Builder.ID != p.RunDetails.Builder.ID || back.BuildDefinition.BuildType != p.BuildDefinition.BuildType {
			t.Fatalf("round trip of %q: %+v, want %+v", b, back, p)
		}
	})
}

func FuzzParseTestResult(f *testing.F) {
	seedPredicates(f, attest.PredicateTestResult)
	f.Fuzz(func(t *testing.T, b []byte) {
		if attest.CheckJSON(b) != nil {
			return
		}
		r, err := predicate.ParseTestResult(b)
		if !checkParse(t, "ParseTestResult", b, r, err) {
			return
		}
		out, err := r.Marshal()
		if err != nil {
			return
		}
		back, err := predicate.ParseTestResult(out)
		if err != nil || back.Result != r.Result || !cmp.Equal(back.FailedTests, r.FailedTests, cmpopts.EquateEmpty()) {
			t.Fatalf("round trip of %q: %+v, %v; want %+v", b, back, err, r)
		}
	})
}

func FuzzParseVSA(f *testing.F) {
	seedPredicates(f, attest.PredicateVSA)
	f.Fuzz(func(t *testing.T, b []byte) {
		if attest.CheckJSON(b) != nil {
			return
		}
		v, err := predicate.ParseVSA(b)
		if !checkParse(t, "ParseVSA", b, v, err) {
			return
		}
		out, err := v.Marshal()
		if err != nil {
			return
		}
		back, err := predicate.ParseVSA(out)
		if err != nil {
			t.Fatalf("ParseVSA(Marshal(%q)) = %v", b, err)
		}
		// An empty digest set is left out when written: it reads back as none.
		if back.VerificationResult != v.VerificationResult || !cmp.Equal(back.Policy, v.Policy, cmpopts.EquateEmpty()) {
			t.Fatalf("round trip of %q: %+v, want %+v", b, back, v)
		}
	})
}
