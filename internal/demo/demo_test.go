package demo

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
	d := &demo{vars: map[string]string{"s3cret": "TOKEN", "http://127.0.0.1:1": "SERVER"}}
	args := []string{"plain", "two words", "it's", "$TOKEN", "s3cret", "http://127.0.0.1:1"}
	got := d.quoteArgs(args, false)
	want := []string{"plain", "'two words'", `'it'\''s'`, "'$TOKEN'", `"$TOKEN"`, "http://127.0.0.1:1"}
	if !slices.Equal(got, want) {
		t.Errorf("quoteArgs for the walkthrough = %q, want %q", got, want)
	}
	got = d.quoteArgs(args, true)
	want[5] = `"$SERVER"`
	if !slices.Equal(got, want) {
		t.Errorf("quoteArgs for steps.sh = %q, want %q", got, want)
	}
}

// TestScriptLine: each line of steps.sh fails the script unless its step
// exits as expected.
func TestScriptLine(t *testing.T) {
	for _, c := range []struct {
		s    step
		want string
	}{
		{step{}, "consign x || fail"},
		{step{want: 3}, "consign x; test $? -eq 3 || fail"},
		{step{capture: "TOKEN", stdout: &bytes.Buffer{}}, "TOKEN=$(consign x) || fail"},
		{step{stdout: &bytes.Buffer{}}, "consign x >/dev/null || fail"},
	} {
		if got := scriptLine(c.s, "consign x"); got != c.want {
			t.Errorf("scriptLine = %q, want %q", got, c.want)
		}
	}
}

// TestPolicyDates: the sample policy's dates are years after today.
func TestPolicyDates(t *testing.T) {
	now := time.Date(2041, 3, 4, 15, 0, 0, 0, time.UTC)
	got := policyDates(chainFiles["release/policy.yaml"], now)
	for _, want := range []string{"expires: 2051-03-04T00:00:00Z\n", "valid_until: 2046-03-04T00:00:00Z}"} {
		if !strings.Contains(got, want) {
			t.Errorf("the policy lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "{{") {
		t.Errorf("a date is left unfilled:\n%s", got)
	}
}

// TestQuoteImageArgs: an image on the registry's learnt address is shown
// with its address, and written to steps.sh with $REGISTRY; the image's
// reference by digest is $IMAGE in both.
func TestQuoteImageArgs(t *testing.T) {
	d := &demo{vars: map[string]string{"127.0.0.1:5": "REGISTRY", "127.0.0.1:5/app@sha256:ab": "IMAGE"}}
	args := []string{"127.0.0.1:5/app:1.0", "127.0.0.1:5/app@sha256:ab", "127.0.0.1:6/app:1.0", "http://127.0.0.1:5/x"}
	got := d.quoteArgs(args, false)
	want := []string{"127.0.0.1:5/app:1.0", `"$IMAGE"`, "127.0.0.1:6/app:1.0", "http://127.0.0.1:5/x"}
	if !slices.Equal(got, want) {
		t.Errorf("quoteArgs for the walkthrough = %q, want %q", got, want)
	}
	got = d.quoteArgs(args, true)
	want[0] = `"$REGISTRY"/app:1.0`
	if !slices.Equal(got, want) {
		t.Errorf("quoteArgs for steps.sh = %q, want %q", got, want)
	}
}
