package verify

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
)

// mapFiled is how artifacts were filed before tables: one at a time, in
// order, into a map (the reference fileTable must agree with).
func mapFiled(names []string, sets []digest.Set, what string, skipEmpty bool) (map[string]digest.Set, error) {
	m := map[string]digest.Set{}
	for i, name := range names {
		if skipEmpty && name == "" {
			continue
		}
		if err := sets[i].Validate(); err != nil {
			return nil, fmt.Errorf("%w: %s %q: %v", attest.ErrInvalid, what, name, err)
		}
		if err := checkArtifactName(name, what); err != nil {
			return nil, err
		}
		clean := path.Clean(name)
		if have, ok := m[clean]; ok {
			if !sameContent(have, sets[i]) {
				return nil, fmt.Errorf("%w: %s %q is listed twice with different digests (as %q once cleaned)", attest.ErrInvalid, what, name, clean)
			}
			continue
		}
		m[clean] = sets[i]
	}
	return m, nil
}

func TestFileTable(t *testing.T) {
	h := func(c string) string { return strings.Repeat(c, 64) }
	a, b := digest.Set{digest.SHA256: h("a")}, digest.Set{digest.SHA256: h("b")}
	ab512 := digest.Set{digest.SHA256: h("a"), digest.SHA512: strings.Repeat("c", 128)}
	bad := digest.Set{digest.SHA256: h("A")}
	huge := strings.Repeat("n", 1<<20)
	tests := []struct {
		name      string
		names     []string
		sets      []digest.Set
		skipEmpty bool
		wantErr   string
	}{
		{name: "sorted and clean", names: []string{"a", "b/c", "d"}, sets: []digest.Set{a, b, a}},
		{name: "unsorted", names: []string{"z", "a", "m"}, sets: []digest.Set{a, b, a}},
		{name: "cleaned", names: []string{"./x", "y/../z", "a//b"}, sets: []digest.Set{a, b, a}},
		{name: "same name same digest", names: []string{"x", "x"}, sets: []digest.Set{a, a}},
		{name: "same name once cleaned, agreeing sets", names: []string{"x", "./x"}, sets: []digest.Set{a, ab512}},
		{name: "same name different digest", names: []string{"x", "x"}, sets: []digest.Set{a, b}, wantErr: `"x" is listed twice`},
		{name: "different once cleaned", names: []string{"q/../x", "m", "x"}, sets: []digest.Set{a, a, b}, wantErr: `"x" is listed twice with different digests (as "x" once cleaned)`},
		{name: "first conflict by listing", names: []string{"b", "a", "b", "a"}, sets: []digest.Set{a, a, b, b}, wantErr: `"b" is listed twice`},
		{name: "conflict before a bad name", names: []string{"x", "x", `c\d`}, sets: []digest.Set{a, b, a}, wantErr: "listed twice"},
		{name: "bad name before a conflict", names: []string{"x", `c\d`, "x"}, sets: []digest.Set{a, a, b}, wantErr: "backslash"},
		{name: "invalid digest before a conflict", names: []string{"x", "y", "x"}, sets: []digest.Set{a, bad, b}, wantErr: "not lowercase hex"},
		{name: "NUL", names: []string{"a\x00b"}, sets: []digest.Set{a}, wantErr: "backslash or NUL"},
		{name: "empty name", names: []string{"a", ""}, sets: []digest.Set{a, a}, wantErr: `name ""`},
		{name: "empty name skipped", names: []string{"b", "", "a"}, sets: []digest.Set{a, b, a}, skipEmpty: true},
		{name: "empty digest set", names: []string{"a"}, sets: []digest.Set{nil}, wantErr: "empty digest set"},
		{name: "huge names", names: []string{huge + "b", huge + "a", huge + "b"}, sets: []digest.Set{a, b, b}, wantErr: "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := digest.NewTable(0)
			for i, n := range tt.names {
				tb.Add(n, tt.sets[i])
			}
			want, wantErr := mapFiled(tt.names, tt.sets, "product", tt.skipEmpty)
			got, err := fileTable(tb, "product", false, tt.skipEmpty)
			if (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
				t.Fatalf("fileTable() error = %v, want %v (as a map filed them)", err, wantErr)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, attest.ErrInvalid) {
					t.Fatalf("fileTable() error = %v, want ErrInvalid saying %q", err, tt.wantErr)
				}
				return
			}
			if got.Len() != len(want) {
				t.Fatalf("fileTable() holds %d entries, want %d", got.Len(), len(want))
			}
			var names []string
			for i := range got.Len() {
				names = append(names, got.Name(i))
				if d := want[got.Name(i)]; !sameSet(d, got.Set(i)) {
					t.Errorf("entry %q = %v, want %v", got.Name(i), got.Set(i), d)
				}
			}
			if !slices.IsSorted(names) {
				t.Errorf("names %q are not sorted", names)
			}
			for n := range want {
				if i, ok := got.Index(n); !ok || got.Name(i) != n {
					t.Errorf("Index(%q) = %d, %v", n, i, ok)
				}
			}
			// The table given is left as it was.
			for i, n := range tt.names {
				if tb.Name(i) != n {
					t.Errorf("entry %d of the table given is now %q, was %q", i, tb.Name(i), n)
				}
			}
		})
	}
}

// sameSet reports whether two digest sets are equal, algorithm for algorithm.
func sameSet(a, b digest.Set) bool {
	if len(a) != len(b) {
		return false
	}
	for alg, v := range a {
		if b[alg] != v {
			return false
		}
	}
	return true
}
