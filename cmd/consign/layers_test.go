package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// layers is the architecture of consign, lowest first: a package may import
// the packages of lower layers, and those listed before it in its own layer,
// and nothing above. docs/architecture.md shows the same table with a line
// for each package; TestArchitectureDoc keeps the two equal.
var layers = []struct {
	name string
	pkgs []string
}{
	{"foundation", []string{"internal/startup", "internal/limits", "internal/strictjson", "internal/jsonl", "internal/fsutil", "internal/redact", "internal/shell", "internal/digest", "internal/sign", "attestations"}},
	{"formats", []string{"internal/tlog", "internal/attest", "internal/predicate", "internal/sbomdoc", "internal/policy", "internal/receipt"}},
	{"engines", []string{"internal/step", "internal/verify", "internal/pack", "internal/evidence", "internal/report", "internal/monitor", "internal/sigstore", "internal/sigstore/tufroot", "internal/slsa", "internal/oci", "internal/sbomspec", "internal/sbomgen"}},
	{"log service", []string{"internal/api", "internal/store", "internal/store/internal/batch", "internal/store/internal/sqldb", "internal/store/memory", "internal/store/sqlite", "internal/store/postgres", "internal/server", "internal/server/ui", "internal/client"}},
	{"front", []string{"internal/demo", "internal/cli", "internal/cli/syftgen", "cmd/consign", "cmd/consign-sbom"}},
}

// testSupport are packages that only tests import.
var testSupport = []string{"internal/testutil/...", "internal/store/storetest", "internal/interop", "bench", "bench/..."}

// TestLayers holds the import direction of the layers table: every package
// of the module is placed once, and imports only what is placed below it.
func TestLayers(t *testing.T) {
	pkgs := listModule(t)
	rank := map[string]int{}
	for _, l := range layers {
		for _, p := range l.pkgs {
			if _, dup := rank[p]; dup {
				t.Errorf("%s is placed twice in the layers", p)
			}
			rank[p] = len(rank)
			if _, ok := pkgs[p]; !ok {
				t.Errorf("the layers place %s, which is not a package of the module", p)
			}
		}
	}
	support := strings.Join(testSupport, " ")
	for name, p := range pkgs {
		if matches(support, name) {
			continue
		}
		r, ok := rank[name]
		if !ok {
			t.Errorf("%s is in no layer: place it in the layers table and in docs/architecture.md", name)
			continue
		}
		for _, imp := range p.Imports {
			dep, ours := strings.CutPrefix(imp, mod)
			if !ours {
				continue
			}
			if matches(support, dep) {
				t.Errorf("%s imports %s, which is for tests only", name, dep)
				continue
			}
			if dr, ok := rank[dep]; ok && dr >= r {
				t.Errorf("%s imports %s, which is not below it in the layers", name, dep)
			}
		}
	}
}

// TestArchitectureDoc checks that docs/architecture.md shows the layers table
// as it is: the same layers, in the same order, with the same packages.
func TestArchitectureDoc(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "architecture.md"))
	if err != nil {
		t.Fatal(err)
	}
	heading := regexp.MustCompile(`^### \d+\. (.+)$`)
	row := regexp.MustCompile("^\\| `([^`]+)` \\|")
	var got [][]string
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			names = append(names, strings.ToLower(m[1]))
			got = append(got, nil)
		} else if m := row.FindStringSubmatch(line); m != nil && len(got) > 0 {
			got[len(got)-1] = append(got[len(got)-1], m[1])
		}
	}
	if len(got) != len(layers) {
		t.Fatalf("docs/architecture.md shows %d layers (%v), the test %d", len(got), names, len(layers))
	}
	for i, l := range layers {
		if names[i] != l.name {
			t.Errorf("layer %d is %q in docs/architecture.md, %q in the test", i+1, names[i], l.name)
		}
		if !slices.Equal(got[i], l.pkgs) {
			t.Errorf("layer %q lists %v in docs/architecture.md, %v in the test", l.name, got[i], l.pkgs)
		}
	}
}
