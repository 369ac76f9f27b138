package sbomdoc

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzDecodeSBOM feeds Decode anything, seeded with every SBOM in
// testdata (hand-made documents of every format and version, bad ones)
// and the generator's golden outputs. Decode must never panic, must return a
// document or an error wrapping one of its two sentinels (never both,
// never a partial document), and must be deterministic; Check must never
// panic on what it returns, and its percentages stay within 0 to 100.
func FuzzDecodeSBOM(f *testing.F) {
	seeds := []string{
		filepath.Join(testdata, "docs", "*"),
		filepath.Join(testdata, "spdx3", "tools-golang-test.json"),
		filepath.Join(testdata, "spdx-spec", "*"),
		filepath.Join(testdata, "..", "..", "sbomgen", "testdata", "TestGolden", "*", "sbom.golden"),
	}
	for _, pattern := range seeds {
		files, err := filepath.Glob(pattern)
		if err != nil || len(files) == 0 {
			f.Fatalf("no seeds in %s: %v", pattern, err)
		}
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := Decode(data)
		if err != nil {
			if doc != nil {
				t.Fatalf("Decode returned a document with error %v", err)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("Decode error %v wraps neither ErrMalformed nor ErrUnsupportedFormat", err)
			}
			return
		}
		again, err := Decode(data)
		if err != nil {
			t.Fatalf("Decode succeeded, then failed on the same input: %v", err)
		}
		if diff := cmp.Diff(doc, again); diff != "" {
			t.Fatalf("Decode is not deterministic (-first +second):\n%s", diff)
		}
		rep := Check(doc)
		for _, c := range rep.Coverage {
			if c.Percent < 0 || c.Percent > 100 || c.Covered > c.Total {
				t.Fatalf("coverage out of range: %+v", c)
			}
		}
		Diff(doc, doc)
		for _, name := range ProfileNames() {
			r, err := CheckProfile(doc, name)
			if err != nil {
				t.Fatalf("CheckProfile(%s) = %v", name, err)
			}
			var missing []string
			var pe *ProfileError
			if errors.As(r.Err(), &pe) {
				missing = pe.Missing
			}
			for _, e := range r.Elements {
				if e.Covered > e.Total || (e.Status == StatusMissing) != slices.Contains(missing, e.Element) {
					t.Fatalf("%s %s: %+v against Err() = %v", name, e.Element, e, r.Err())
				}
			}
		}
	})
}

// FuzzValidate feeds Validate anything, seeded like FuzzDecodeSBOM and with
// the CycloneDX specification's test documents. Validate must never panic
// (its recover would say "the validator failed"), must return a result or
// an error wrapping one of Decode's sentinels, never both, and every
// violation must say where it is and which rule it breaks.
func FuzzValidate(f *testing.F) {
	for _, pattern := range []string{
		filepath.Join(testdata, "docs", "*"),
		filepath.Join(testdata, "profiles", "*"),
		filepath.Join(testdata, "spdx3", "tools-golang-test.json"),
		filepath.Join(testdata, "spdx-spec", "*"),
		filepath.Join(testdata, "cyclonedx-spec", "1.6", "*"),
	} {
		files, _ := filepath.Glob(pattern)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	rules := []string{RuleSchema, RuleLicense, RulePURL, RuleCPE, RuleHash, RuleModel, RuleTagValue}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Validate(data)
		if err != nil {
			if v != nil {
				t.Fatalf("Validate returned a result with error %v", err)
			}
			if strings.Contains(err.Error(), "the validator failed") {
				t.Fatalf("Validate panicked: %v", err)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedFormat) {
				t.Fatalf("Validate error %v wraps neither ErrMalformed nor ErrUnsupportedFormat", err)
			}
			return
		}
		for _, x := range v.Violations {
			if !slices.Contains(rules, x.Rule) || x.Message == "" {
				t.Fatalf("violation without a rule or message: %+v", x)
			}
		}
		if (v.Err() == nil) != (len(v.Violations) == 0) {
			t.Fatalf("Err() = %v with %d violations", v.Err(), len(v.Violations))
		}
	})
}
