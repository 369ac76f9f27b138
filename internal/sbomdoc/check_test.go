package sbomdoc

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRequirement(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Requirement
		wantErr error
		bad     bool
	}{
		{in: "supplier=80", want: Requirement{ElemSupplier, 80}},
		{in: "Dependencies=100%", want: Requirement{ElemDependencies, 100}},
		{in: " hashes = 12.5 ", want: Requirement{ElemHashes, 12.5}},
		{in: "licenses=0", want: Requirement{ElemLicenses, 0}},
		{in: "purl=95", wantErr: ErrUnknownElement},
		{in: "supplier", bad: true},
		{in: "supplier=", bad: true},
		{in: "supplier=eighty", bad: true},
		{in: "supplier=101", bad: true},
		{in: "supplier=-1", bad: true},
		{in: "supplier=NaN", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseRequirement(tt.in)
		switch {
		case tt.wantErr != nil:
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ParseRequirement(%q) = %v, want %v", tt.in, err, tt.wantErr)
			}
		case tt.bad:
			if err == nil {
				t.Errorf("ParseRequirement(%q) = %v, want an error", tt.in, got)
			}
		case err != nil:
			t.Errorf("ParseRequirement(%q) = %v", tt.in, err)
		case got != tt.want:
			t.Errorf("ParseRequirement(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func testDoc() *Document {
	return &Document{
		Authors: []string{"Tool: x"},
		Components: []Component{
			{Name: "a", Version: "1", Supplier: "S", PURL: "pkg:npm/a@1", InDependencyGraph: true, Hashes: map[string]string{"sha256": "00"}, Licenses: []string{"MIT"}},
			{Name: "b", Version: "2", CPEs: []string{"cpe:2.3:a:b:b:2:*:*:*:*:*:*:*"}, InDependencyGraph: true},
			{Name: "c", Version: "3", OtherIDs: []string{"swh:1:cnt:94a9ed024d3859793618152ea559a168bbcbb5e2"}},
			{Name: "c", Version: "3"}, // the same label twice is named once
		},
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	rep := Check(testDoc())
	want := map[string]Coverage{
		ElemSupplier:     {Element: ElemSupplier, Covered: 1, Total: 4, Percent: 25, Missing: []string{"b@2", "c@3"}},
		ElemName:         {Element: ElemName, Covered: 4, Total: 4, Percent: 100},
		ElemVersion:      {Element: ElemVersion, Covered: 4, Total: 4, Percent: 100},
		ElemIdentifiers:  {Element: ElemIdentifiers, Covered: 3, Total: 4, Percent: 75, Missing: []string{"c@3"}},
		ElemDependencies: {Element: ElemDependencies, Covered: 2, Total: 4, Percent: 50, Missing: []string{"c@3"}},
		ElemAuthor:       {Element: ElemAuthor, Covered: 1, Total: 1, Percent: 100},
		ElemTimestamp:    {Element: ElemTimestamp, Covered: 0, Total: 1, Percent: 0},
		ElemHashes:       {Element: ElemHashes, Covered: 1, Total: 4, Percent: 25, Missing: []string{"b@2", "c@3"}},
		ElemLicenses:     {Element: ElemLicenses, Covered: 1, Total: 4, Percent: 25, Missing: []string{"b@2", "c@3"}},
	}
	if len(rep.Coverage) != len(Elements) {
		t.Fatalf("%d coverage entries, want %d", len(rep.Coverage), len(Elements))
	}
	for i, c := range rep.Coverage {
		if c.Element != Elements[i] {
			t.Errorf("coverage %d is %s, want %s (report order)", i, c.Element, Elements[i])
		}
		if diff := cmp.Diff(want[c.Element], c); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.Element, diff)
		}
	}
	if _, ok := rep.Percent("purl"); ok {
		t.Error(`Percent("purl") is known, want false`)
	}
}

// TestCheckEmpty: an SBOM with no components covers no component element;
// a gate on it must fail, never pass vacuously.
func TestCheckEmpty(t *testing.T) {
	t.Parallel()
	rep := Check(&Document{})
	for _, c := range rep.Coverage {
		if c.Percent != 0 {
			t.Errorf("%s = %v%% on an empty SBOM, want 0", c.Element, c.Percent)
		}
	}
	if err := rep.Require([]Requirement{{ElemName, 100}}); !errors.Is(err, ErrCoverage) {
		t.Errorf("Require(name=100) on an empty SBOM = %v, want ErrCoverage", err)
	}
}

func TestRequire(t *testing.T) {
	t.Parallel()
	rep := Check(testDoc())
	if err := rep.Require([]Requirement{{ElemName, 100}, {ElemSupplier, 25}, {ElemIdentifiers, 74.9}}); err != nil {
		t.Errorf("Require(met) = %v, want nil", err)
	}
	err := rep.Require([]Requirement{{ElemName, 100}, {ElemDependencies, 100}, {ElemSupplier, 80}})
	if !errors.Is(err, ErrCoverage) {
		t.Fatalf("Require(unmet) = %v, want ErrCoverage", err)
	}
	var ce *CoverageError
	if !errors.As(err, &ce) {
		t.Fatalf("Require(unmet) = %T, want *CoverageError", err)
	}
	want := []Shortfall{{ElemDependencies, 50, 100}, {ElemSupplier, 25, 80}}
	if diff := cmp.Diff(want, ce.Shortfalls); diff != "" {
		t.Errorf("shortfalls (-want +got):\n%s", diff)
	}
	if got := err.Error(); !strings.Contains(got, "dependencies 50.0% (100% required), supplier 25.0% (80% required)") {
		t.Errorf("error = %q", got)
	}
	if err := rep.Require([]Requirement{{"purl", 1}}); !errors.Is(err, ErrUnknownElement) {
		t.Errorf("Require(purl) = %v, want ErrUnknownElement", err)
	}
}

func TestFormatPercent(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{100: "100.0%", 99.96: "99.9%", 200.0 / 3: "66.6%", 0: "0.0%", 12.5: "12.5%"} {
		if got := FormatPercent(in); got != want {
			t.Errorf("FormatPercent(%v) = %q, want %q", in, got, want)
		}
	}
}
