package digest

import (
	"slices"
	"strings"
)

// Table is a list of named digest sets, as a step's materials or a
// statement's subjects are read for verification: a step can list a
// million files, and a [Set] of its own (a map) costs each of them some
// 300 bytes. An entry whose set is a lone, valid sha256 (nearly every one)
// is held as two strings instead, its name and its hex value, both
// usually substrings of the document read; any other set (more
// algorithms, another algorithm, an invalid value) is kept as it was
// read, so that [Table.Validate] says of it exactly what [Set.Validate]
// says.
//
// Entries keep the order they were added in. The zero Table is empty and
// ready to use.
type Table struct {
	names []string
	// sha is entry i's sha256 value when its set is a lone valid sha256,
	// and "" when sets holds its set.
	sha  []string
	sets map[int]Set
}

// NewTable returns an empty table with room for n entries.
func NewTable(n int) *Table {
	return &Table{names: make([]string, 0, n), sha: make([]string, 0, n)}
}

// Len is the number of entries.
func (t *Table) Len() int {
	if t == nil {
		return 0
	}
	return len(t.names)
}

// Add appends an entry. The table keeps s (it does not copy it) unless s
// is a lone valid sha256, which it keeps as a string.
func (t *Table) Add(name string, s Set) {
	if len(s) == 1 {
		if v, ok := s[SHA256]; ok && validSHA256(v) {
			t.AddSHA256(name, v)
			return
		}
	}
	if t.sets == nil {
		t.sets = map[int]Set{}
	}
	t.sets[len(t.names)] = s
	t.names = append(t.names, name)
	t.sha = append(t.sha, "")
}

// AddSHA256 appends an entry whose set is {sha256: value}, without making
// the set. A value that is not a valid sha256 is kept as a set, as [Add]
// keeps it.
func (t *Table) AddSHA256(name, value string) {
	if !t.TryAddSHA256(name, value) {
		t.Add(name, Set{SHA256: value})
	}
}

// TryAddSHA256 appends an entry whose set is {sha256: value} and reports
// true when value is a valid sha256; otherwise it adds nothing and
// reports false, for a reader that has a value it has not decoded (a
// literal with escapes, which no valid value has) to read it in full.
func (t *Table) TryAddSHA256(name, value string) bool {
	if !validSHA256(value) {
		return false
	}
	t.names = append(t.names, name)
	t.sha = append(t.sha, value)
	return true
}

func validSHA256(v string) bool { return len(v) == 64 && isLowerHex(v) }

// Name is entry i's name.
func (t *Table) Name(i int) string { return t.names[i] }

// SHA256 returns entry i's value when its set is a lone valid sha256.
func (t *Table) SHA256(i int) (string, bool) {
	v := t.sha[i]
	return v, v != ""
}

// Set returns entry i's set: the one [Table.Add] was given (which the
// caller must not change), or a new one for a lone sha256.
func (t *Table) Set(i int) Set {
	if v := t.sha[i]; v != "" {
		return Set{SHA256: v}
	}
	return t.sets[i]
}

// Validate is [Set.Validate] of entry i's set.
func (t *Table) Validate(i int) error {
	if t.sha[i] != "" {
		return nil
	}
	return t.sets[i].Validate()
}

// Equal reports whether entry i of t and entry j of u have equal sets,
// algorithm for algorithm.
func (t *Table) Equal(i int, u *Table, j int) bool {
	v, w := t.sha[i], u.sha[j]
	if v != "" || w != "" {
		return v == w
	}
	a, b := t.sets[i], u.sets[j]
	if len(a) != len(b) {
		return false
	}
	for alg, x := range a {
		if y, ok := b[alg]; !ok || x != y {
			return false
		}
	}
	return true
}

// MatchesValidated is [MatchesValidated] of entry i of t and entry j of
// u, both valid.
func (t *Table) MatchesValidated(i int, u *Table, j int) bool {
	if v, w := t.sha[i], u.sha[j]; v != "" && w != "" {
		return v == w
	}
	return MatchesValidated(t.Set(i), u.Set(j))
}

// Map returns the entries as a map of sets (of a name listed twice, the
// last listing's), each set new or as [Table.Add] was given it; nil for
// an empty table.
func (t *Table) Map() map[string]Set {
	if t.Len() == 0 {
		return nil
	}
	m := make(map[string]Set, t.Len())
	for i := range t.Len() {
		m[t.names[i]] = t.Set(i)
	}
	return m
}

// SortedByName returns t's entries in increasing order of name, entries
// with one name in the order they were added: t itself when they are in
// that order already (as a document written from a map usually lists
// them), a new table otherwise, leaving t as it was.
func (t *Table) SortedByName() *Table {
	if t == nil || slices.IsSorted(t.names) {
		return t
	}
	idx := make([]int, len(t.names))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(t.names[a], t.names[b]) })
	out := NewTable(len(idx))
	for _, i := range idx {
		if v := t.sha[i]; v != "" {
			out.names = append(out.names, t.names[i])
			out.sha = append(out.sha, v)
		} else {
			out.Add(t.names[i], t.sets[i])
		}
	}
	return out
}

// Index returns the place of the entry named name in a table sorted by
// name, the first if several have it. The search is written out, not
// slices.BinarySearch, which compares strings twice per step (cmp.Compare).
func (t *Table) Index(name string) (int, bool) {
	if t == nil {
		return 0, false
	}
	lo, hi := 0, len(t.names)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.names[m] < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(t.names) && t.names[lo] == name
}

// IndexBytes is [Table.Index] of a name held as bytes, without making a
// string of it: string(name) in a comparison is not copied, where
// strings.Compare(n, string(name)) (slices.BinarySearchFunc's way) copies
// it at every step (TestTableIndexBytesAllocs).
func (t *Table) IndexBytes(name []byte) (int, bool) {
	if t == nil {
		return 0, false
	}
	lo, hi := 0, len(t.names)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.names[m] < string(name) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(t.names) && t.names[lo] == string(name)
}
