package digest

import (
	"context"
	"errors"
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
