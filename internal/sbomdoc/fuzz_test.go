package sbomdoc

import (
	"errors"
	"os"
	"path/filepath"
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
	})
}
