package demo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestDirNotEmpty: a project directory that holds a file is refused, and
// left as it was.
func TestDirNotEmpty(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mine"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := Run(context.Background(), Config{Dir: dir, Out: os.Stderr, Consign: "/nonexistent/consign"})
	var ne *DirNotEmptyError
	if !errors.As(err, &ne) || ne.Dir != dir {
		t.Fatalf("Run = %v, want a DirNotEmptyError for %s", err, dir)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the directory holds %d entries after the refusal, want 1", len(entries))
	}
}

// TestPaths: the walkthrough names files under its project directory,
// wherever the process is.
func TestPaths(t *testing.T) {
	d := &demo{ctx: context.Background(), root: "/p"}
	if got := d.path("dist/acme-app"); got != filepath.FromSlash("/p/dist/acme-app") {
		t.Errorf("path at the root = %s", got)
	}
	d.cwd = "release"
	if got := d.path("../owner.pub"); got != filepath.FromSlash("/p/owner.pub") {
		t.Errorf("path in release = %s", got)
	}
	if got := d.command("inspect", "x").Dir; got != filepath.FromSlash("/p/release") {
		t.Errorf("a step in release runs in %s", got)
	}
}

func TestQuoteArgs(t *testing.T) {
	got := quoteArgs([]string{"plain", "two words", "it's", "$TOKEN"})
	want := []string{"plain", "'two words'", `'it'\''s'`, "'$TOKEN'"}
	if !slices.Equal(got, want) {
		t.Errorf("quoteArgs = %q, want %q", got, want)
	}
}
