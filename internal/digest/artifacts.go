package digest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// Artifact is one recorded file: its normalised relative path, as
// [Result.Artifacts] keys it, and its SHA-256 digest. A step of a million
// files holds a million of these at once: 48 bytes and the path each,
// where a [Set] is a map of its own (some 300 bytes) and a hex string.
type Artifact struct {
	Path   string
	SHA256 [sha256.Size]byte
}

// Set returns f's digest as a Set.
func (f Artifact) Set() Set {
	return Set{SHA256: hex.EncodeToString(f.SHA256[:])}
}

// RecordArtifacts is [Record] with SHA-256 alone (opts.Algorithms must be empty
// or name only [SHA256]): the same files, paths, checks and errors, returned
// as a list sorted by path instead of a map of Sets.
func RecordArtifacts(ctx context.Context, root string, paths []string, opts RecordOptions) ([]Artifact, []Skipped, error) {
	r, err := walk(ctx, root, paths, opts, openSysDir, true)
	if err != nil {
		return nil, nil, err
	}
	// Each batch's files are a run sorted by path (see readDir): the runs,
	// put in the order of their first paths, are the sorted list whenever
	// no two overlap, as in a tree whose directories hold either files or
	// directories. sortArtifacts sorts what they leave unsorted.
	type run struct {
		w *worker
		span
	}
	var runs []run
	n := 0
	for _, w := range r.workers {
		n += w.n
		for _, s := range w.runs {
			runs = append(runs, run{w, s})
		}
	}
	slices.SortFunc(runs, func(a, b run) int {
		return strings.Compare(a.w.at(a.start).Path, b.w.at(b.start).Path)
	})
	files := make([]Artifact, 0, n)
	for _, rn := range runs {
		files = rn.w.appendSpan(files, rn.span)
	}
	for _, w := range r.workers {
		w.blocks, w.runs = nil, nil
	}
	return sortArtifacts(files), r.skipped, nil
}

// sortArtifacts sorts files by path, unless they are sorted already, and
// keeps one of each path: path arguments that overlap reach some files
// twice, and [Record]'s map keeps one too.
func sortArtifacts(files []Artifact) []Artifact {
	byPath := func(a, b Artifact) int { return strings.Compare(a.Path, b.Path) }
	if !slices.IsSortedFunc(files, byPath) {
		slices.SortFunc(files, byPath)
	}
	return slices.CompactFunc(files, func(a, b Artifact) bool { return a.Path == b.Path })
}

// ArtifactsOf returns the files of m sorted by path; every Set must hold a
// valid SHA-256 digest (it may hold others, which are left out).
func ArtifactsOf(m map[string]Set) ([]Artifact, error) {
	files := make([]Artifact, 0, len(m))
	for p, s := range m {
		v, ok := s[SHA256]
		if !ok {
			return nil, fmt.Errorf("%w: %q has no %s digest", ErrInvalidOptions, p, SHA256)
		}
		f := Artifact{Path: p}
		if n, err := hex.Decode(f.SHA256[:], []byte(v)); err != nil || n != sha256.Size || !isLowerHex(v) {
			return nil, fmt.Errorf("%w: %q: %s digest %q is not %d bytes of lowercase hex", ErrInvalidOptions, p, SHA256, v, sha256.Size)
		}
		files = append(files, f)
	}
	return sortArtifacts(files), nil
}

// Sets returns files as a map of Sets, as [Record] returns them.
func Sets(files []Artifact) map[string]Set {
	m := make(map[string]Set, len(files))
	for _, f := range files {
		m[f.Path] = f.Set()
	}
	return m
}
