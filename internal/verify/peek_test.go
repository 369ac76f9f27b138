package verify

import (
	"bytes"
	"strings"
	"testing"
)

// TestLastForwards: lastForwards finds what bytes.LastIndex finds,
// overlapping occurrences included.
func TestLastForwards(t *testing.T) {
	for _, tt := range []struct{ b, key string }{
		{"", "a"}, {"a", "a"}, {"abc", "d"}, {"aaaa", "aa"}, {"abab", "ab"},
		{`{"predicateType":"x","predicate":{"predicateType":"y"}}`, `"predicateType":"`},
		{strings.Repeat("x", 1000) + `"k":"` + strings.Repeat("y", 1000), `"k":"`},
		{`"k":"` + strings.Repeat(`"k":`, 100), `"k":"`},
		{`Type":"x"predicateType":"y"Type":"`, `"predicateType":"`},
		{`"predicateType":"`, `"predicateType":"`},
		{`redicateType":"`, `"predicateType":"`},
		{"aXbXcX", "bX"}, {"XXXX", "XX"}, {"aXaX", "aXaX"},
	} {
		if got, want := lastForwards([]byte(tt.b), []byte(tt.key)), bytes.LastIndex([]byte(tt.b), []byte(tt.key)); got != want {
			t.Errorf("lastForwards(%.40q, %q) = %d, want %d", tt.b, tt.key, got, want)
		}
	}
}

func FuzzLastForwards(f *testing.F) {
	f.Add([]byte("aaaa"), []byte("aa"))
	f.Add([]byte(`{"predicateType":"x"}`), []byte(`"predicateType":"`))
	f.Fuzz(func(t *testing.T, b, key []byte) {
		if len(key) == 0 {
			return
		}
		if got, want := lastForwards(b, key), bytes.LastIndex(b, key); got != want {
			t.Fatalf("lastForwards(%q, %q) = %d, want %d", b, key, got, want)
		}
	})
}
