package main

import (
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os/exec"
	"slices"
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

const mod = "github.com/consign-dev/consign/"

// Import path prefixes the rules name.
const (
	cobra       = "github.com/spf13/cobra"
	clio        = "github.com/anchore/clio" // syft's CLI framework, on cobra
	cliPkg      = mod + "internal/cli"
	syft        = "github.com/anchore/syft"
	stereoscope = "github.com/anchore/stereoscope" // syft's image reader
	sigstoreGo  = "github.com/sigstore/sigstore-go"
	rekor       = "github.com/sigstore/rekor"
)

// reach says how far a rule looks from each package it applies to.
type reach int

const (
	reachImports reach = iota // the package's own imports
	reachTests                // its own imports and its tests'
	reachDeps                 // everything it links, transitively
)

// importRules are the package boundaries: the packages a rule applies to
// (module-relative paths; "internal/..." is every package under internal,
// "..." every package) must not reach the banned import path prefixes.
// Add a rule here, with its reason, to hold a new boundary.
var importRules = []struct {
	pkgs, except string // space-separated patterns
	reach        reach
	banned       []string
	why          string
}{
	{"internal/...", "internal/cli internal/cli/syftgen", reachImports, []string{cobra, clio, cliPkg},
		"domain packages do not use a CLI framework or the CLI: commands call them, never the reverse"},
	{"internal/...", "internal/cli internal/cli/syftgen internal/sbomgen", reachDeps, []string{cobra, cliPkg},
		"domain packages do not link a CLI framework either; internal/sbomgen alone does, through syft's own (clio)"},
	{"internal/cli internal/sbomspec cmd/consign", "", reachDeps, []string{syft, stereoscope, clio},
		"the consign binary links no SBOM generator: 'consign sbom TARGET' runs consign-sbom (internal/cli/syftgen); internal/sbomspec describes the job without it"},
	{"internal/verify internal/pack internal/sbomdoc internal/policy internal/report internal/evidence", "", reachDeps, []string{syft, stereoscope},
		"verification and the customer's side (verify-pack) do not link the SBOM generator"},
	{"internal/verify", "", reachImports, []string{"os", "net/http", mod + "internal/step", mod + "internal/evidence", mod + "internal/report"},
		"the verification engine does no I/O: the caller loads its inputs (internal/evidence), runs inspections for it (verify.Inspector) and renders its result (internal/report)"},
	{"internal/server/...", "", reachDeps, []string{syft, stereoscope},
		"the server and its inspection portal read SBOMs with internal/sbomdoc, never with the generator"},
	{"...", "internal/sbomgen bench", reachTests, []string{syft, stereoscope},
		"internal/sbomgen is the one package that uses syft, everything else asks it (bench measures syft itself)"},
	{"...", "internal/sigstore internal/sigstore/tufroot", reachImports, []string{sigstoreGo},
		"internal/sigstore is the one package that uses sigstore-go, consign's Sigstore bundle verifier (tests may use it as a peer); internal/sigstore/tufroot uses its TUF client, for 'trust-root update' alone"},
	{"...", "", reachImports, []string{rekor, "k8s.io"},
		"what sigstore-go brings along (rekor's entry types, klog) is in the binary for sigstore-go's sake only: consign reads Rekor entries through internal/sigstore"},
}

// pkgInfo is what go list says of one package.
type pkgInfo struct {
	ImportPath                         string
	Imports, TestImports, XTestImports []string
	Deps                               []string
}

// listModule lists every package of the module, by module-relative path.
func listModule(t *testing.T) map[string]pkgInfo {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports,Deps", mod+"...").Output()
	if err != nil {
		t.Fatalf("go list %s...: %v", mod, err)
	}
	pkgs := map[string]pkgInfo{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkgInfo
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("reading go list's output: %v", err)
		}
		pkgs[strings.TrimPrefix(p.ImportPath, mod)] = p
	}
	return pkgs
}

// matches reports whether pkg is one of the space-separated patterns.
func matches(patterns, pkg string) bool {
	for _, p := range strings.Fields(patterns) {
		dir, tree := strings.CutSuffix(p, "/...")
		if p == "..." || p == pkg || tree && (pkg == dir || strings.HasPrefix(pkg, dir+"/")) {
			return true
		}
	}
	return false
}

// reached is what p reaches under r.
func (p pkgInfo) reached(r reach) []string {
	switch r {
	case reachImports:
		return p.Imports
	case reachTests:
		return slices.Concat(p.Imports, p.TestImports, p.XTestImports)
	}
	return p.Deps
}

// bannedIn returns the paths that are, or are under, a banned prefix.
func bannedIn(paths, banned []string) []string {
	var out []string
	for _, p := range paths {
		if slices.ContainsFunc(banned, func(b string) bool { return p == b || strings.HasPrefix(p, b+"/") }) {
			out = append(out, p)
		}
	}
	return out
}

// TestImportGraph holds the package boundaries in importRules, and keeps
// out of the consign binary any dependency it does not use (cosign and
// Kubernetes are test-only peers here, used to prove interoperability;
// rekor and klog are allowed as sigstore-go's dependencies only).
func TestImportGraph(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed for this test: %v", err)
	}
	pkgs := listModule(t)
	for _, rule := range importRules {
		for _, name := range strings.Fields(rule.pkgs + " " + rule.except) {
			if _, ok := pkgs[name]; !ok && !strings.HasSuffix(name, "...") {
				t.Errorf("the rule %q names %s, which is not a package of the module", rule.why, name)
			}
		}
		applied := 0
		for _, name := range slices.Sorted(maps.Keys(pkgs)) {
			if !matches(rule.pkgs, name) || matches(rule.except, name) {
				continue
			}
			applied++
			if bad := bannedIn(pkgs[name].reached(rule.reach), rule.banned); len(bad) > 0 {
				t.Errorf("%s reaches %s (%d banned packages in all): %s", name, bad[0], len(bad), rule.why)
			}
		}
		if applied == 0 {
			t.Errorf("the rule %q applies to no package", rule.why)
		}
	}
	// The controls: the banned paths are real, so the rules can fail.
	if gen := pkgs["internal/sbomgen"]; !slices.ContainsFunc(gen.Imports, func(s string) bool { return strings.HasPrefix(s, syft+"/") }) ||
		!slices.ContainsFunc(gen.Imports, func(s string) bool { return strings.HasPrefix(s, stereoscope) }) || !slices.Contains(gen.Deps, cobra) {
		t.Errorf("internal/sbomgen links no syft, stereoscope or cobra: the rules above look for the wrong import paths")
	}

	banned := []string{"github.com/sigstore/cosign", "k8s.io/", rekor, "github.com/open-policy-agent/opa/v1/test", "github.com/chromedp/"}
	viaSigstoreGo := sigstoreGoDeps(t, pkgs["internal/sigstore"])
	for _, bin := range []string{"consign", "consign-sbom"} {
		deps := goList(t, mod+"cmd/"+bin)
		for _, dep := range deps {
			for _, b := range banned {
				if strings.HasPrefix(dep, b) && !viaSigstoreGo[dep] {
					t.Errorf("the %s binary imports %s; keep %s out of the binary", bin, dep, b)
				}
			}
		}
		t.Logf("the %s binary has %d packages in its import graph", bin, len(deps))
	}
}

// anchoreOutsideSyft are the github.com/anchore modules the consign binary
// may link, and why: small libraries of their own, not syft's.
var anchoreOutsideSyft = map[string]string{
	"github.com/anchore/packageurl-go":       "internal/sbomdoc reads package URLs with it",
	"github.com/anchore/go-struct-converter": "spdx/tools-golang converts SPDX 2.2 to 2.3 with it, for internal/sbomdoc",
}

// TestConsignLinksNoSyft keeps syft, and everything only it brings (the
// cloud SDKs, gRPC, go-getter: a thousand packages, some 20 ms of package
// initialisers at every start, 100 MB of binary), out of the consign
// binary, which the customer's verifier is: nothing of anchore's but the
// two small libraries above. consign-sbom, which 'consign sbom TARGET'
// runs, links syft; that it does is the control that this test can fail.
func TestConsignLinksNoSyft(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed for this test: %v", err)
	}
	consign, sbom := goList(t, mod+"cmd/consign"), goList(t, mod+"cmd/consign-sbom")
	for _, dep := range consign {
		rest, ok := strings.CutPrefix(dep, "github.com/anchore/")
		if !ok {
			continue
		}
		modPath := "github.com/anchore/" + strings.SplitN(rest, "/", 2)[0]
		if _, allowed := anchoreOutsideSyft[modPath]; !allowed {
			t.Errorf("the consign binary links %s: SBOM generation belongs to consign-sbom (internal/cli/syftgen), never to consign", dep)
		}
	}
	if !slices.ContainsFunc(sbom, func(p string) bool { return strings.HasPrefix(p, syft+"/") }) {
		t.Errorf("consign-sbom links no %s: this test looks for the wrong import path", syft)
	}
	if len(sbom) <= len(consign) {
		t.Errorf("consign-sbom links %d packages, consign %d: consign-sbom is consign with syft", len(sbom), len(consign))
	}
	t.Logf("consign links %d packages, consign-sbom %d", len(consign), len(sbom))
}
