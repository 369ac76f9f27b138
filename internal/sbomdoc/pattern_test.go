package sbomdoc

import (
	"regexp"
	"testing"
)

// TestPatternsCompile: every grammar pattern compiles (they are compiled
// on first use, not at start-up, so a bad one would otherwise show only
// when an SBOM needs it).
func TestPatternsCompile(t *testing.T) {
	if len(patterns) < 25 {
		t.Fatalf("%d patterns registered, want the package's grammars (at least 25)", len(patterns))
	}
	for _, p := range patterns {
		if _, err := regexp.Compile(p.src); err != nil {
			t.Errorf("pattern %q: %v", p.src, err)
		}
		if p.re().String() != p.src {
			t.Errorf("pattern %q compiled as %q", p.src, p.re().String())
		}
	}
}
