package digest

import (
	"fmt"
	"strings"
	"testing"
)

func TestTableCompact(t *testing.T) {
	good := strings.Repeat("ab", 32)
	tb := NewTable(0)
	tb.AddSHA256("b", good)
	tb.Add("a", Set{SHA256: good})
	tb.Add("c", Set{SHA256: good, SHA512: strings.Repeat("cd", 64)})
	tb.AddSHA256("d", strings.ToUpper(good)) // invalid: kept as a set
	tb.Add("e", nil)                         // no digest at all
	tb.AddSHA256("f", "")
	if got, want := tb.Len(), 6; got != want {
		t.Fatalf("Len() = %d, want %d", got, want)
	}
	for i, want := range []bool{true, true, false, false, false, false} {
		if _, ok := tb.SHA256(i); ok != want {
			t.Errorf("SHA256(%d) compact = %v, want %v", i, ok, want)
		}
	}
	// Validate says of each entry what Set.Validate says of its set.
	sets := []Set{{SHA256: good}, {SHA256: good}, {SHA256: good, SHA512: strings.Repeat("cd", 64)},
		{SHA256: strings.ToUpper(good)}, nil, {SHA256: ""}}
	for i, s := range sets {
		want := s.Validate()
		got := tb.Validate(i)
		if (got == nil) != (want == nil) || (got != nil && got.Error() != want.Error()) {
			t.Errorf("Validate(%d) = %v, want %v", i, got, want)
		}
		if g := tb.Set(i); g.String() != s.String() || len(g) != len(s) {
			t.Errorf("Set(%d) = %v, want %v", i, g, s)
		}
	}
	if !tb.Equal(0, tb, 1) || tb.Equal(0, tb, 2) || tb.Equal(2, tb, 0) || !tb.Equal(2, tb, 2) {
		t.Error("Equal: lone sha256 entries must be equal to each other only")
	}
	// A lone sha256 matches a set that agrees on it (MatchesValidated).
	if !tb.MatchesValidated(0, tb, 2) || !tb.MatchesValidated(2, tb, 1) {
		t.Error("MatchesValidated: sets agreeing on sha256 must match")
	}
	other := NewTable(1)
	other.AddSHA256("x", strings.Repeat("ef", 32))
	if tb.MatchesValidated(0, other, 0) || tb.MatchesValidated(2, other, 0) {
		t.Error("MatchesValidated: different sha256 values must not match")
	}
}

func TestTableIndex(t *testing.T) {
	h := func(c string) string { return strings.Repeat(c, 64) }
	tb := NewTable(0)
	for _, e := range [][2]string{{"a/b", h("5")}, {"b", h("2")}, {"b", h("4")}, {"m", h("1")}, {"z", h("3")}} {
		tb.AddSHA256(e[0], e[1])
	}
	for _, name := range []string{"a/b", "b", "m", "z"} {
		i, ok := tb.Index(name)
		j, okb := tb.IndexBytes([]byte(name))
		if !ok || !okb || tb.Name(i) != name || i != j {
			t.Errorf("Index(%q) = %d, %v; IndexBytes = %d, %v", name, i, ok, j, okb)
		}
	}
	if i, _ := tb.Index("b"); i != 1 {
		t.Errorf("Index(b) = %d, want the first of the two (1)", i)
	}
	huge := strings.Repeat("x", 1<<20)
	for _, name := range []string{"", "a", "bb", "zz", "b\x00", huge} {
		if _, ok := tb.Index(name); ok {
			t.Errorf("Index(%.10q) found a name the table does not hold", name)
		}
		if _, ok := tb.IndexBytes([]byte(name)); ok {
			t.Errorf("IndexBytes(%.10q) found a name the table does not hold", name)
		}
	}
	var empty *Table
	if _, ok := empty.Index("a"); ok || empty.Len() != 0 {
		t.Error("a nil table must be empty")
	}
}

func TestTableSortedByName(t *testing.T) {
	good, other := strings.Repeat("ab", 32), strings.Repeat("cd", 32)
	tb := NewTable(0)
	tb.AddSHA256("c", good)
	tb.Add("a", Set{SHA256: good, SHA512: strings.Repeat("ef", 64)})
	tb.AddSHA256("b", other)
	tb.Add("a", Set{"myhash": "v"})
	tb.AddSHA256("B", strings.ToUpper(good)) // invalid: kept as a set
	got := tb.SortedByName()
	want := []struct {
		name string
		set  Set
	}{{"B", Set{SHA256: strings.ToUpper(good)}}, {"a", Set{SHA256: good, SHA512: strings.Repeat("ef", 64)}},
		{"a", Set{"myhash": "v"}}, {"b", Set{SHA256: other}}, {"c", Set{SHA256: good}}}
	if got.Len() != len(want) {
		t.Fatalf("Len() = %d, want %d", got.Len(), len(want))
	}
	for i, w := range want {
		if got.Name(i) != w.name || got.Set(i).String() != w.set.String() || len(got.Set(i)) != len(w.set) {
			t.Errorf("entry %d = %s %v, want %s %v", i, got.Name(i), got.Set(i), w.name, w.set)
		}
		_, compact := got.SHA256(i)
		if wantCompact := len(w.set) == 1 && w.set.Validate() == nil && w.set[SHA256] != ""; compact != wantCompact {
			t.Errorf("entry %d held as a lone sha256 = %v, want %v", i, compact, wantCompact)
		}
	}
	if tb.Name(0) != "c" || tb.Name(4) != "B" {
		t.Errorf("SortedByName changed the table it was called on")
	}
	if got.SortedByName() != got {
		t.Errorf("SortedByName of a sorted table is a new table")
	}
	var none *Table
	if none.SortedByName() != nil {
		t.Errorf("SortedByName of nil is not nil")
	}
}

// TestTableIndexBytesAllocs: looking a name up from bytes makes no string
// of it (matchRule looks up every artifact's destination name so).
func TestTableIndexBytesAllocs(t *testing.T) {
	tb := NewTable(0)
	for i := range 1000 {
		tb.AddSHA256(fmt.Sprintf("s1/file%06d.o", i), strings.Repeat("ab", 32))
	}
	name := []byte("s1/file000500.o")
	allocs := testing.AllocsPerRun(100, func() {
		if i, ok := tb.IndexBytes(name); !ok || i != 500 {
			t.Fatalf("IndexBytes = %d, %v, want 500, true", i, ok)
		}
	})
	if allocs != 0 {
		t.Errorf("IndexBytes allocates %v times per lookup, want 0", allocs)
	}
}

func TestTableTryAddSHA256(t *testing.T) {
	good := strings.Repeat("ab", 32)
	tb := NewTable(0)
	for _, v := range []string{strings.ToUpper(good), good[:63], "", `\u0061` + good[1:], good + "ab"} {
		if tb.TryAddSHA256("x", v) {
			t.Errorf("TryAddSHA256(%q) = true, want false", v)
		}
	}
	if tb.Len() != 0 {
		t.Fatalf("TryAddSHA256 of invalid values added %d entries", tb.Len())
	}
	if !tb.TryAddSHA256("x", good) {
		t.Fatal("TryAddSHA256 of a valid value = false")
	}
	if v, ok := tb.SHA256(0); !ok || v != good || tb.Name(0) != "x" {
		t.Errorf("entry 0 = %s %q, %v", tb.Name(0), v, ok)
	}
}
