package digest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRecordArtifactsIsRecord: the list holds what Record's map holds,
// sorted by path, with overlapping path arguments giving each file once.
func TestRecordArtifactsIsRecord(t *testing.T) {
	dir := t.TempDir()
	fixture{
		files: map[string]string{"src/a.c": "a", "src/sub/b.c": "b", "z": "z", "dist/app": "app"},
		links: map[string]string{"src/link.c": "a.c", "out": "/nonexistent/x", "dist/src": "../src"},
	}.build(t, dir)
	paths := []string{"src", "src/sub", "dist", "z", "out", "./src/a.c"}
	want, err := Record(context.Background(), dir, paths, RecordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, skipped, err := RecordArtifacts(context.Background(), dir, paths, RecordOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(got, func(a, b Artifact) int { return strings.Compare(a.Path, b.Path) }) {
		t.Errorf("RecordArtifacts() not sorted by path: %v", got)
	}
	if diff := cmp.Diff(want.Artifacts, Sets(got)); diff != "" {
		t.Errorf("RecordArtifacts() differs from Record() (-want +got):\n%s", diff)
	}
	if len(got) != len(want.Artifacts) {
		t.Errorf("RecordArtifacts() = %d artifacts, want %d (each path once)", len(got), len(want.Artifacts))
	}
	if diff := cmp.Diff(want.Skipped, skipped); diff != "" {
		t.Errorf("RecordArtifacts() skipped (-want +got):\n%s", diff)
	}
	back, err := ArtifactsOf(want.Artifacts)
	if err != nil || !slices.Equal(back, got) {
		t.Errorf("ArtifactsOf(Record()) = %v, %v, want %v", back, err, got)
	}
}

func TestRecordArtifactsSHA256Alone(t *testing.T) {
	dir := t.TempDir()
	fixture{files: map[string]string{"a": "a"}}.build(t, dir)
	if _, _, err := RecordArtifacts(context.Background(), dir, []string{"."}, RecordOptions{Algorithms: []string{SHA512}}); !errors.Is(err, ErrInvalidOptions) {
		t.Errorf("RecordArtifacts(sha512) = %v, want %v", err, ErrInvalidOptions)
	}
	if got, _, err := RecordArtifacts(context.Background(), dir, []string{"."}, RecordOptions{Algorithms: []string{SHA256}}); err != nil || len(got) != 1 {
		t.Errorf("RecordArtifacts(sha256) = %v, %v, want one artifact", got, err)
	}
}

func TestArtifactsOfRefusesBadDigests(t *testing.T) {
	for _, s := range []Set{
		{SHA512: strings.Repeat("a", 128)},
		{SHA256: strings.Repeat("A", 64)},
		{SHA256: strings.Repeat("a", 62)},
		{SHA256: strings.Repeat("g", 64)},
	} {
		if _, err := ArtifactsOf(map[string]Set{"f": s}); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("ArtifactsOf(%v) = %v, want %v", s, err, ErrInvalidOptions)
		}
	}
}

// TestRecordArtifactsRuns: the list is sorted and complete however the
// batches' sorted runs fall: runs that overlap (a directory whose files
// sort among its subdirectories' files, "." sorting before "/", a file
// reached twice through overlapping path arguments, link targets) and runs
// that cross from one of a worker's blocks into the next (one worker, a
// directory of 10 files, then one of more than a block).
func TestRecordArtifactsRuns(t *testing.T) {
	dir := t.TempDir()
	f := fixture{
		files: map[string]string{
			"a/b": "1", "a/c/x": "2", "a/c.txt": "3", "a/d": "4", "a/c/y/z": "5",
			"a/c-": "6", "a/c0": "7",
		},
		links: map[string]string{"a/c/l": "../d", "a/bl": "c/x"},
	}
	for i := range 10 {
		f.files[fmt.Sprintf("k/%d", i)] = fmt.Sprint(i)
	}
	for i := range artifactBlock + 100 {
		f.files[fmt.Sprintf("m/f%05d", (i*7919)%(artifactBlock+100))] = fmt.Sprint(i)
	}
	f.build(t, dir)
	byPath := func(a, b Artifact) int { return strings.Compare(a.Path, b.Path) }
	for _, paths := range [][]string{{"."}, {"k", "m"}, {"a", "a/c", "a/d", "k"}} {
		for _, workers := range []int{1, 3} {
			opts := RecordOptions{Workers: workers}
			want, err := Record(context.Background(), dir, paths, opts)
			if err != nil {
				t.Fatal(err)
			}
			got, _, err := RecordArtifacts(context.Background(), dir, paths, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.IsSortedFunc(got, byPath) {
				t.Errorf("RecordArtifacts(%q, workers %d) not sorted by path", paths, workers)
			}
			if len(got) != len(want.Artifacts) {
				t.Errorf("RecordArtifacts(%q, workers %d) = %d artifacts, want %d", paths, workers, len(got), len(want.Artifacts))
			}
			if diff := cmp.Diff(want.Artifacts, Sets(got)); diff != "" {
				t.Errorf("RecordArtifacts(%q, workers %d) differs from Record() (-want +got):\n%s", paths, workers, diff)
			}
		}
	}
}
