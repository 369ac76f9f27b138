package verify

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
)

// One side of a record (a stage's materials or products) is a
// [digest.Table] filed by fileTable: names cleaned, sorted and each once.
// A step of a million files is held as a million names and sha256 values,
// substrings of its statement, without a map entry or a digest.Set each.

// fileTable files the entries of tb as a map filled one entry at a time,
// in tb's order, would hold them: each entry's digest set valid (checked
// unless validated), its name not empty and free of backslashes and NULs
// (security case 34 in docs/security.md), and cleaned; a name listed
// twice kept once (the first listing's set) when its sets name the same
// content, and refused as ambiguous otherwise (security case 32). The
// error is the one such a map meets first. With skipEmpty, entries with an empty
// name are left out rather than refused (a statement's unnamed subjects).
// When every name is already valid, clean, and in increasing order, the
// table is tb itself; otherwise a new one, and tb is left as it was.
func fileTable(tb *digest.Table, what string, validated, skipEmpty bool) (*digest.Table, error) {
	if tb == nil {
		return &digest.Table{}, nil
	}
	n := tb.Len()
	// The first entry that is refused on its own, and whether the table
	// can be taken as it is.
	bad, badErr := n, error(nil)
	asIs := true
	prev := ""
	for i := range n {
		name := tb.Name(i)
		if skipEmpty && name == "" {
			asIs = false
			continue
		}
		if !validated {
			if err := tb.Validate(i); err != nil {
				bad, badErr = i, fmt.Errorf("%w: %s %q: %v", attest.ErrInvalid, what, name, err)
				break
			}
		}
		if err := checkArtifactName(name, what); err != nil {
			bad, badErr = i, err
			break
		}
		if asIs && ((i > 0 && name <= prev) || !isClean(name)) {
			asIs = false
		}
		prev = name
	}
	if asIs && badErr == nil {
		return tb, nil
	}
	// The entries before the first refused one, by cleaned name, in
	// their order among equal names.
	idx := make([]int, 0, bad)
	clean := make([]string, n)
	for i := range bad {
		if name := tb.Name(i); !skipEmpty || name != "" {
			idx = append(idx, i)
			clean[i] = path.Clean(name)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return strings.Compare(clean[a], clean[b]) })
	// A name listed again with a set naming other content is refused at
	// its listing, if that comes before the first entry refused alone.
	for g := 0; g < len(idx); {
		first, end := idx[g], g+1
		for ; end < len(idx) && clean[idx[end]] == clean[first]; end++ {
			if k := idx[end]; k < bad && !sameContentAt(tb, first, tb, k) {
				bad, badErr = k, fmt.Errorf("%w: %s %q is listed twice with different digests (as %q once cleaned)", attest.ErrInvalid, what, tb.Name(k), clean[k])
			}
		}
		g = end
	}
	if badErr != nil {
		return nil, badErr
	}
	out := digest.NewTable(len(idx))
	for g := 0; g < len(idx); g++ {
		i := idx[g]
		if g > 0 && clean[idx[g-1]] == clean[i] {
			continue
		}
		if v, ok := tb.SHA256(i); ok {
			out.AddSHA256(clean[i], v)
		} else {
			out.Add(clean[i], tb.Set(i))
		}
	}
	return out, nil
}

// checkArtifactName refuses a name with a backslash or NUL rather than
// match it differently than written (security case 34 in
// docs/security.md), and an empty one.
func checkArtifactName(name, what string) error {
	if name == "" || strings.IndexByte(name, '\\') >= 0 || strings.IndexByte(name, 0) >= 0 {
		return fmt.Errorf("%w: %s name %q: artifact names use \"/\" and hold no backslash or NUL", attest.ErrInvalid, what, name)
	}
	return nil
}

// fileByName files a table that lists each name once, in any order, as
// [fileTable] files the same entries in the order of their names (a
// map's, or a link's whose names the document need not sort).
func fileByName(tb *digest.Table, what string, validated bool) (*digest.Table, error) {
	return fileTable(tb.SortedByName(), what, validated, false)
}

// isClean reports whether path.Clean(name) == name, without cleaning the
// usual name (relative, no empty, "." or ".." element), which is clean.
func isClean(name string) bool {
	if name == "" || name[0] == '/' || name[len(name)-1] == '/' {
		return path.Clean(name) == name
	}
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '/' {
			switch name[start:i] {
			case "", ".", "..":
				return path.Clean(name) == name
			}
			start = i + 1
		}
	}
	return true
}

// tableOf is the table of a map of artifacts, in no particular order.
func tableOf(m map[string]digest.Set) *digest.Table {
	tb := digest.NewTable(len(m))
	for n, d := range m {
		tb.Add(n, d)
	}
	return tb
}

// sameContentAt is [sameContent] of entry i of a and entry j of b.
func sameContentAt(a *digest.Table, i int, b *digest.Table, j int) bool {
	v, vok := a.SHA256(i)
	w, wok := b.SHA256(j)
	switch {
	case vok && wok:
		return v == w
	case vok:
		// a's set is a lone sha256: the rule reduces to comparing it.
		return b.Set(j)[digest.SHA256] == v
	}
	return sameContent(a.Set(i), b.Set(j))
}

// sameTables reports whether two filed tables list the same names with
// equal sets.
func sameTables(a, b *digest.Table) bool {
	if a.Len() != b.Len() {
		return false
	}
	for i := range a.Len() {
		if a.Name(i) != b.Name(i) || !a.Equal(i, b, i) {
			return false
		}
	}
	return true
}
