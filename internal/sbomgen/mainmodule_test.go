package sbomgen

import (
	"context"
	"strings"
	"testing"

	cyclonedx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// TestGoMainModuleSubject scans a Go module's directory: the subject is
// the module, with its package URL and the version given, and no
// component repeats it, in CycloneDX and in SPDX.
func TestGoMainModuleSubject(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := fixtureFiles()
	writeFiles(t, dir, map[string]string{"go.mod": files["app/go.mod"], "go.sum": files["app/go.sum"]})
	res, err := Generate(context.Background(), sbomspec.Config{Target: dir, Version: "v1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	const purl = "pkg:golang/example.com/app@v1.2.3"
	for _, name := range []string{"cyclonedx-json", "cyclonedx-json@1.5", "spdx-json", "spdx-tagvalue"} {
		f, err := sbomspec.ParseFormat(name)
		if err != nil {
			t.Fatal(err)
		}
		out, err := res.Encode(f)
		if err != nil {
			t.Fatalf("Encode(%s) = %v", f, err)
		}
		doc, err := sbomdoc.Decode(out)
		if err != nil {
			t.Fatalf("sbomdoc.Decode(Encode(%s)) = %v", f, err)
		}
		if doc.Subject == nil {
			t.Fatalf("%s: no subject", f)
		}
		if got, want := [3]string{doc.Subject.Name, doc.Subject.Version, doc.Subject.PURL}, [3]string{"example.com/app", "v1.2.3", purl}; got != want {
			t.Errorf("%s: subject name, version, purl = %q, want %q", f, got, want)
		}
		for _, c := range doc.Components {
			if c.Name == "example.com/app" {
				t.Errorf("%s: the subject is also a component: %+v", f, c)
			}
		}
		if got := len(doc.Components); got != 2 {
			t.Errorf("%s: %d components, want the 2 modules go.mod requires", f, got)
		}
	}
}

func TestGoMainModule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, gomod, want string
	}{
		{"module", "module example.com/app\n\ngo 1.22\n", "example.com/app"},
		{"quoted", "module \"example.com/a b\"\n", "example.com/a b"},
		{"none", "", ""},
		{"no module line", "go 1.22\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.gomod != "" {
				writeFiles(t, dir, map[string]string{"go.mod": tt.gomod})
			}
			if got := goMainModule(dir); got != tt.want {
				t.Errorf("goMainModule(%q) = %q, want %q", tt.gomod, got, tt.want)
			}
		})
	}
	if got, want := goModulePURL("github.com/cli/cli/v2", ""), "pkg:golang/github.com/cli/cli/v2"; got != want {
		t.Errorf("goModulePURL = %q, want %q", got, want)
	}
}

// TestWithoutRefs checks that taking the main module's component out of
// the dependency graph removes its entry and the edges to it, and nothing
// else.
func TestWithoutRefs(t *testing.T) {
	t.Parallel()
	deps := &[]cyclonedx.Dependency{
		{Ref: "main", Dependencies: &[]string{"a", "b"}},
		{Ref: "a", Dependencies: &[]string{"b", "main"}},
		{Ref: "b"},
	}
	got := withoutRefs(deps, []string{"main"})
	want := &[]cyclonedx.Dependency{{Ref: "a", Dependencies: &[]string{"b"}}, {Ref: "b"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("withoutRefs (-want +got):\n%s", diff)
	}
	if got := strings.Join(*(*deps)[1].Dependencies, " "); got != "b main" {
		t.Errorf("withoutRefs changed its input: %q", got)
	}
}
