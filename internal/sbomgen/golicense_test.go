package sbomgen

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/cataloging"
	"github.com/anchore/syft/syft/pkg"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// The licence texts the fixture module cache holds: the standard MIT and
// BSD-3-Clause texts, which syft's scanner identifies by content.
const (
	mitText = `MIT License

Copyright (c) 2020 The Example Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
`
	bsd3Text = `Copyright (c) 2009 The Example Authors. All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are
met:

   * Redistributions of source code must retain the above copyright
notice, this list of conditions and the following disclaimer.
   * Redistributions in binary form must reproduce the above
copyright notice, this list of conditions and the following disclaimer
in the documentation and/or other materials provided with the
distribution.
   * Neither the name of the copyright holder nor the names of its
contributors may be used to endorse or promote products derived from
this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
"AS IS" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
(INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
`
)

// fixtureModCache is a Go module cache holding the fixture's
// github.com/google/uuid v1.6.0 with its licence at the module root.
func fixtureModCache() map[string]string {
	return map[string]string{"github.com/google/uuid@v1.6.0/LICENSE": bsd3Text}
}

// goLicences returns the licence values of the Go module name in res.
func goLicences(t *testing.T, res *Result, name string) []string {
	t.Helper()
	var out []string
	found := false
	for _, p := range res.s.Artifacts.Packages.Sorted(pkg.GoModulePkg) {
		if p.Name != name {
			continue
		}
		found = true
		for _, l := range p.Licenses.ToSlice() {
			out = append(out, l.Value)
		}
	}
	if !found {
		t.Fatalf("no Go module %s in the SBOM", name)
	}
	return out
}

func TestGoModuleLicences(t *testing.T) {
	dir := t.TempDir()
	tree, cache, outside := filepath.Join(dir, "tree"), filepath.Join(dir, "cache"), filepath.Join(dir, "outside")
	writeFiles(t, tree, map[string]string{
		"go.mod": "module example.com/app\n\ngo 1.22\n\nrequire (\n" +
			"\tgithub.com/google/uuid v1.6.0\n" +
			"\tgithub.com/BurntSushi/toml v1.6.0\n" +
			"\tgolang.org/x/text v0.14.0\n" +
			"\texample.com/linked v1.0.0\n" +
			"\texample.com/symlicence v1.0.0\n" +
			"\texample.com/huge v1.0.0\n" +
			"\texample.com/absent v1.0.0\n" +
			")\n",
	})
	writeFiles(t, cache, map[string]string{
		"github.com/google/uuid@v1.6.0/LICENSE": bsd3Text,
		"github.com/google/uuid@v1.6.0/uuid.go": "package uuid\n",
		// Module paths with capitals are escaped in the cache (!burnt!sushi);
		// only the root's licence counts, not a command's own copy.
		"github.com/!burnt!sushi/toml@v1.6.0/COPYING":             mitText,
		"github.com/!burnt!sushi/toml@v1.6.0/cmd/tomlv/LICENSE":   bsd3Text,
		"github.com/!burnt!sushi/toml@v1.6.0/testdata/license.md": bsd3Text,
		// A licence only in testdata is not the module's.
		"golang.org/x/text@v0.14.0/testdata/LICENSE": mitText,
		"golang.org/x/text@v0.14.0/doc.go":           "package text\n",
		// Too large to be a licence text: not read.
		"example.com/huge@v1.0.0/LICENSE": mitText + strings.Repeat(" ", maxLicenceFile),
	})
	writeFiles(t, outside, map[string]string{"linked/LICENSE": mitText, "secret": mitText})
	// A module directory linked out of the cache, and a licence file
	// linked to a file outside it: neither is followed.
	must(t, os.Symlink(filepath.Join(outside, "linked"), filepath.Join(cache, "example.com", "linked@v1.0.0")))
	must(t, os.MkdirAll(filepath.Join(cache, "example.com", "symlicence@v1.0.0"), 0o755))
	must(t, os.Symlink(filepath.Join(outside, "secret"), filepath.Join(cache, "example.com", "symlicence@v1.0.0", "LICENSE")))

	res, err := Generate(context.Background(), sbomspec.Config{Target: tree, GoModCache: cache})
	if err != nil {
		t.Fatalf("Generate = %v", err)
	}
	want := map[string][]string{
		"github.com/google/uuid":     {"BSD-3-Clause"},
		"github.com/BurntSushi/toml": {"MIT"},
		"golang.org/x/text":          nil,
		"example.com/linked":         nil,
		"example.com/symlicence":     nil,
		"example.com/huge":           nil,
		"example.com/absent":         nil,
	}
	for name, w := range want {
		if got := goLicences(t, res, name); !slices.Equal(got, w) {
			t.Errorf("licences of %s = %q, want %q", name, got, w)
		}
	}
	for _, p := range res.s.Artifacts.Packages.Sorted(pkg.GoModulePkg) {
		for _, l := range p.Licenses.ToSlice() {
			if len(l.URLs) != 1 || !strings.HasPrefix(l.URLs[0], goModCacheURL) || strings.Contains(l.URLs[0], dir) {
				t.Errorf("licence of %s says it came from %q: want %s..., never the host's path", p.Name, l.URLs, goModCacheURL)
			}
		}
	}
	// The licence is in the CycloneDX output, and the dependency edges
	// still reach the module whose licence was added.
	doc := encodeDecode(t, res, "cyclonedx-json")
	for _, c := range doc.Components {
		if c.Name == "github.com/google/uuid" && !slices.Equal(c.Licenses, []string{"BSD-3-Clause"}) {
			t.Errorf("CycloneDX licences of uuid = %q", c.Licenses)
		}
	}
	if cov, _ := sbomdoc.Check(doc).Percent(sbomdoc.ElemDependencies); cov != 100 {
		t.Errorf("dependency coverage %v%%, want 100%% after licences were added", cov)
	}

	// NoGoModCache: the SBOM depends on the target alone.
	res, err = Generate(context.Background(), sbomspec.Config{Target: tree, NoGoModCache: true})
	if err != nil {
		t.Fatalf("Generate(NoGoModCache) = %v", err)
	}
	if got := goLicences(t, res, "github.com/google/uuid"); got != nil {
		t.Errorf("with NoGoModCache, uuid has licences %q", got)
	}
}

// TestGoModuleLicencesRefusesBadNames: a module path or version a go.mod
// could hold but that is not a valid module path never becomes a path
// into the cache.
func TestGoModuleLicencesRefusesBadNames(t *testing.T) {
	dir := t.TempDir()
	cache := filepath.Join(dir, "a", "cache")
	writeFiles(t, dir, map[string]string{
		"a/cache/x@v1.0.0/LICENSE":            mitText, // a module path without a dot is not valid
		"a/evil@v1.0.0/LICENSE":               mitText,
		"a/cache/ok.example/m@v1.0.0/LICENSE": mitText,
	})
	ctx, err := licenseScanner(syft.DefaultCreateSBOMConfig())
	if err != nil {
		t.Fatal(err)
	}
	pkgs := pkg.NewCollection()
	for _, nv := range [][2]string{{"../evil", "v1.0.0"}, {"x", "v1.0.0"}, {"ok.example/m", "../../evil@v1.0.0"}, {"ok.example/m", "v1.0.0"}} {
		p := pkg.Package{Name: nv[0], Version: nv[1], Type: pkg.GoModulePkg}
		p.SetID()
		pkgs.Add(p)
	}
	var steps stepCounter
	if err := addGoModuleLicences(ctx, pkgs, cache, cataloging.LicenseContentExcludeAll, &steps); err != nil {
		t.Fatal(err)
	}
	// Only the valid module is looked up, and the count says so.
	if done, total := steps.done.Load(), steps.total.Load(); done != 1 || total != 1 {
		t.Errorf("steps = %d of %d, want 1 of 1", done, total)
	}
	for _, p := range pkgs.Sorted() {
		got := !p.Licenses.Empty()
		if want := p.Name == "ok.example/m" && p.Version == "v1.0.0"; got != want {
			t.Errorf("%s@%s: licensed %v, want %v", p.Name, p.Version, got, want)
		}
	}
}

// TestGoModCacheDir: the cache is where the go command looks, without
// running it.
func TestGoModCacheDir(t *testing.T) {
	dir := t.TempDir()
	envFile := filepath.Join(dir, "goenv")
	must(t, os.WriteFile(envFile, []byte("GOPATH=/from/goenv/path\nGOFLAGS=-mod=mod\n"), 0o644))
	home := filepath.Join(dir, "home")
	t.Setenv("HOME", home)
	t.Setenv("GOENV", "off")
	t.Setenv("GOMODCACHE", "")
	t.Setenv("GOPATH", "")
	if got, want := goModCacheDir(), filepath.Join(home, "go", "pkg", "mod"); got != want {
		t.Errorf("nothing set: %s, want %s", got, want)
	}
	t.Setenv("GOENV", envFile)
	if got, want := goModCacheDir(), filepath.Join("/from/goenv/path", "pkg", "mod"); got != want {
		t.Errorf("GOPATH in the go env file: %s, want %s", got, want)
	}
	t.Setenv("GOPATH", "/first"+string(os.PathListSeparator)+"/second")
	if got, want := goModCacheDir(), filepath.Join("/first", "pkg", "mod"); got != want {
		t.Errorf("a GOPATH list: %s, want %s", got, want)
	}
	must(t, os.WriteFile(envFile, []byte("GOMODCACHE=/from/goenv/cache\n"), 0o644))
	if got, want := goModCacheDir(), "/from/goenv/cache"; got != want {
		t.Errorf("GOMODCACHE in the go env file: %s, want %s", got, want)
	}
	t.Setenv("GOMODCACHE", "/from/env")
	if got, want := goModCacheDir(), "/from/env"; got != want {
		t.Errorf("GOMODCACHE set: %s, want %s", got, want)
	}
}
