package sbomgen

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// cycloneDXDeps encodes res as CycloneDX JSON, decodes it, and returns
// each component's dependencies by name, the subject's under "SUBJECT".
func cycloneDXDeps(t *testing.T, res *Result) map[string][]string {
	t.Helper()
	doc := encodeDecode(t, res, "cyclonedx-json")
	names := map[string]string{doc.Subject.Ref: "SUBJECT"}
	for _, c := range doc.Components {
		names[c.Ref] = c.Name
	}
	deps := map[string][]string{}
	for _, c := range append([]sbomdoc.Component{*doc.Subject}, doc.Components...) {
		for _, to := range c.DependsOn {
			deps[names[c.Ref]] = append(deps[names[c.Ref]], names[to])
		}
		slices.Sort(deps[names[c.Ref]])
	}
	return deps
}

func TestGoModuleGraph(t *testing.T) {
	dir := t.TempDir()
	tree, cache := filepath.Join(dir, "tree"), filepath.Join(dir, "cache")
	writeFiles(t, tree, map[string]string{
		"go.mod": "module example.com/app\n\ngo 1.22\n\nrequire a.example/a v1.0.0\n\nrequire (\n" +
			"\tb.example/b v1.1.0 // indirect\n" +
			"\tc.example/c v1.0.0 // indirect\n" +
			"\td.example/d v1.0.0 // indirect\n" +
			"\tgithub.com/Example/E v1.0.0 // indirect\n" +
			")\n",
	})
	dl := filepath.Join(cache, "cache", "download")
	writeFiles(t, dl, map[string]string{
		// a asks for an older b than the one selected, and for a module
		// the build does not select: the edge goes to the selected b.
		"a.example/a/@v/v1.0.0.mod": "module a.example/a\n\ngo 1.21\n\nrequire (\n\tb.example/b v1.0.0\n\tz.example/z v1.0.0\n\tgithub.com/Example/E v1.0.0\n)\n",
		"b.example/b/@v/v1.1.0.mod": "module b.example/b\n\nrequire c.example/c v1.0.0\n",
		// c closes a cycle back to a, the subject's direct requirement.
		"c.example/c/@v/v1.0.0.mod": "module c.example/c\n\nrequire a.example/a v0.9.0\n",
		// Module paths with capitals are escaped in the cache.
		"github.com/!example/!e/@v/v1.0.0.mod": "module github.com/Example/E\n",
		"outside.mod":                          "module d.example/d\n\nrequire b.example/b v1.1.0\n",
	})
	// d's go.mod is a link out of the cache: not followed, d depends on nothing.
	must(t, os.MkdirAll(filepath.Join(dl, "d.example", "d", "@v"), 0o755))
	must(t, os.Symlink(filepath.Join(dir, "outside.mod"), filepath.Join(dl, "d.example", "d", "@v", "v1.0.0.mod")))
	must(t, os.Rename(filepath.Join(dl, "outside.mod"), filepath.Join(dir, "outside.mod")))

	res, err := Generate(context.Background(), sbomspec.Config{Target: tree, GoModCache: cache})
	if err != nil {
		t.Fatalf("Generate = %v", err)
	}
	got := cycloneDXDeps(t, res)
	want := map[string][]string{
		// a: required directly, though c depends on it too; d: nothing
		// depends on it. b, c and E are reached through a.
		"SUBJECT":     {"a.example/a", "d.example/d"},
		"a.example/a": {"b.example/b", "github.com/Example/E"},
		"b.example/b": {"c.example/c"},
		"c.example/c": {"a.example/a"},
	}
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s depends on %q, want %q", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok && len(got[k]) > 0 {
			t.Errorf("%s depends on %q, want nothing", k, got[k])
		}
	}

	// SPDX carries the same edges, as syft writes relationships.
	spdx := encodeAs(t, res, "spdx-tagvalue")
	var rels []string
	for _, line := range strings.Split(string(spdx), "\n") {
		if strings.HasPrefix(line, "Relationship: ") && strings.Contains(line, "DEPENDENCY_OF") {
			rels = append(rels, line)
		}
	}
	if len(rels) != 4 {
		t.Errorf("SPDX has %d DEPENDENCY_OF relationships, want 4 (a-b, a-E, b-c, c-a):\n%s", len(rels), strings.Join(rels, "\n"))
	}

	// Without a module cache the list is flat, as syft makes it: the
	// subject depends on every module.
	res, err = Generate(context.Background(), sbomspec.Config{Target: tree, NoGoModCache: true})
	if err != nil {
		t.Fatalf("Generate(NoGoModCache) = %v", err)
	}
	got = cycloneDXDeps(t, res)
	if w := []string{"a.example/a", "b.example/b", "c.example/c", "d.example/d", "github.com/Example/E"}; !slices.Equal(got["SUBJECT"], w) || len(got) != 1 {
		t.Errorf("without a module cache: %q, want only SUBJECT -> %q", got, w)
	}
}
