package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMEImageFlow: the five commands of README's image flow are the
// ones testdata/image/readme.txtar runs against a registry, with
// registry.example for the registry and no plain-HTTP flag.
func TestREADMEImageFlow(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Container images\n")
	if !ok {
		t.Fatal("README.md has no Container images section")
	}
	_, block, ok := strings.Cut(section, "```sh\n")
	if !ok {
		t.Fatal("README.md's Container images section has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	comment := regexp.MustCompile(`\s+#.*$`)
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		want = append(want, strings.TrimSpace(comment.ReplaceAllString(l, "")))
	}

	script, err := os.ReadFile("testdata/image/readme.txtar")
	if err != nil {
		t.Fatal(err)
	}
	_, flow, ok := strings.Cut(string(script), "# README begin\n")
	if !ok {
		t.Fatal("readme.txtar has no '# README begin' line")
	}
	flow, _, ok = strings.Cut(flow, "# README end\n")
	if !ok {
		t.Fatal("readme.txtar has no '# README end' line")
	}
	var got []string
	for _, l := range strings.Split(strings.TrimSpace(flow), "\n") {
		l = strings.TrimPrefix(l, "exec ")
		l = strings.ReplaceAll(strings.TrimSuffix(l, " --insecure-registry"), "$REG", "registry.example")
		got = append(got, l)
	}
	if len(want) != 5 {
		t.Errorf("README's image flow has %d commands, want 5", len(want))
	}
	if !slices.Equal(got, want) {
		t.Errorf("readme.txtar runs\n%s\nREADME.md shows\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
