package main

import (
	"os/exec"
	"strings"
	"testing"
)

// goList returns the packages pkg depends on, with go list -deps.
func goList(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestImportGraph guards the package boundaries of DESIGN.md: domain
// packages never import the CLI or cobra, and the consign binary carries no
// dependency it does not use (cosign, sigstore-go and Kubernetes are test-only
// peers here, used to prove interoperability).
func TestImportGraph(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed for this test: %v", err)
	}
	const mod = "github.com/consign-dev/consign/"
	domain := []string{"internal/attest", "internal/sign", "internal/digest", "internal/step", "internal/limits", "internal/fsutil", "internal/sbomgen", "internal/policy", "internal/verify"}
	for _, d := range domain {
		for _, dep := range goList(t, mod+d) {
			// syft (under internal/sbomgen) imports its own CLI framework,
			// anchore/clio, and with it cobra; sbom's own imports are
			// checked below. internal/verify reads SBOMs with internal/sbomgen.
			viaSyft := (d == "internal/sbomgen" || d == "internal/verify") && strings.HasPrefix(dep, "github.com/spf13/cobra")
			if strings.HasPrefix(dep, mod+"internal/cli") || strings.HasPrefix(dep, "github.com/spf13/cobra") && !viaSyft {
				t.Errorf("%s imports %s; domain packages must not import the CLI", d, dep)
			}
		}
	}
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, mod+"internal/sbomgen").Output()
	if err != nil {
		t.Fatalf("go list internal/sbomgen: %v", err)
	}
	for _, imp := range strings.Fields(string(out)) {
		if strings.HasPrefix(imp, "github.com/spf13/cobra") || strings.HasPrefix(imp, "github.com/anchore/clio") {
			t.Errorf("internal/sbomgen imports %s itself; domain packages must not import a CLI framework", imp)
		}
	}
	banned := []string{"github.com/sigstore/cosign", "github.com/sigstore/sigstore-go", "k8s.io/", "github.com/sigstore/rekor", "github.com/open-policy-agent/opa/v1/test"}
	deps := goList(t, mod+"cmd/consign")
	for _, dep := range deps {
		for _, b := range banned {
			if strings.HasPrefix(dep, b) {
				t.Errorf("the consign binary imports %s; keep %s out of the binary", dep, b)
			}
		}
	}
	t.Logf("the consign binary has %d packages in its import graph", len(deps))
}
