package sbomgen

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/pkg"
	syftsbom "github.com/anchore/syft/syft/sbom"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// The Go module graph, without the Go toolchain.
//
// Without the toolchain, syft lists the modules a go.mod names with no
// relationship between them: a flat list in which a module the tree
// imports and one only a dependency needs look the same. consign adds the
// module requirement graph, as 'go mod graph' prints it, restricted to the
// modules the go.mod selects: module M depends on module R when M's own
// go.mod requires R and R is one of the scanned go.mod's modules (the
// version M asked for may be older; the build uses the selected one). Each
// dependency's go.mod comes from the module cache (cache/download/PATH/@v/
// VERSION.mod, which the go command keeps for every module of the graph it
// loaded); a module whose go.mod the cache does not hold depends on
// nothing. The subject of a Go module directory depends on the modules its
// go.mod requires directly (not marked // indirect).
//
// With the toolchain, syft makes its own graph from the packages' imports,
// and this one is not added.

// maxGoModFile bounds what is read of one go.mod file.
const maxGoModFile = 1 << 20

// addGoModuleGraph adds to s the requirement edges among the Go modules of
// each go.mod syft catalogued, reading the requirements of each module from
// the module cache at cacheDir. root is the directory syft indexed (the
// scanned tree, or an archive's unpacked contents); when mainModule is not
// empty, root/go.mod is that module's, and the IDs of the packages it
// requires directly are returned.
func addGoModuleGraph(s *syftsbom.SBOM, root, mainModule, cacheDir string) (direct map[artifact.ID]bool, err error) {
	// The modules of each go.mod, by the go.mod's location in the target.
	byGoMod := map[string]map[string]pkg.Package{}
	for _, p := range s.Artifacts.Packages.Sorted(pkg.GoModulePkg) {
		for _, l := range p.Locations.ToSlice() {
			if path.Base(l.RealPath) != "go.mod" {
				continue
			}
			mods := byGoMod[l.RealPath]
			if mods == nil {
				mods = map[string]pkg.Package{}
				byGoMod[l.RealPath] = mods
			}
			mods[p.Name] = p
		}
	}
	if len(byGoMod) == 0 {
		return nil, nil
	}
	cache, err := os.OpenRoot(cacheDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer cache.Close()

	seen := map[[2]artifact.ID]bool{}
	for _, gomod := range sortedStrings(byGoMod) {
		mods := byGoMod[gomod]
		for _, name := range sortedStrings(mods) {
			m := mods[name]
			reqs := cachedRequirements(cache.FS(), module.Version{Path: m.Name, Version: m.Version})
			for _, r := range reqs {
				dep, ok := mods[r]
				if !ok || dep.ID() == m.ID() || seen[[2]artifact.ID{m.ID(), dep.ID()}] {
					continue
				}
				seen[[2]artifact.ID{m.ID(), dep.ID()}] = true
				s.Relationships = append(s.Relationships, artifact.Relationship{From: dep, To: m, Type: artifact.DependencyOfRelationship})
			}
		}
	}

	if mainModule == "" {
		return nil, nil
	}
	mods := byGoMod["/go.mod"]
	tree, err := os.OpenRoot(root)
	if err != nil {
		return nil, err
	}
	defer tree.Close()
	f := readGoMod(tree.FS(), "go.mod", false)
	if f == nil || len(mods) == 0 {
		return nil, nil
	}
	direct = map[artifact.ID]bool{}
	for _, r := range f.Require {
		if p, ok := mods[r.Mod.Path]; ok && !r.Indirect {
			direct[p.ID()] = true
		}
	}
	return direct, nil
}

// cachedRequirements returns the module paths that module m's go.mod
// requires, read from the module cache fsys; none when m is not a valid
// module version or the cache does not hold its go.mod.
func cachedRequirements(fsys fs.FS, m module.Version) []string {
	escPath, escVersion, ok := escapedModule(m)
	if !ok {
		return nil
	}
	f := readGoMod(fsys, path.Join("cache", "download", escPath, "@v", escVersion+".mod"), true)
	if f == nil {
		return nil
	}
	var out []string
	for _, r := range f.Require {
		out = append(out, r.Mod.Path)
	}
	return out
}

// readGoMod parses the go.mod file name in fsys (leniently for a
// dependency's, as the go command reads those); nil if it is absent,
// larger than maxGoModFile, does not parse, or requires a path that is
// not a valid module path. modfile.ParseLax lets some malformed paths
// through (invalid UTF-8, for one), and a path from a go.mod in the
// module cache ends up in the SBOM's component names and purls, so it is
// checked here as the go command would check it before fetching.
func readGoMod(fsys fs.FS, name string, lax bool) *modfile.File {
	data, err := readSmall(fsys, name, maxGoModFile)
	if err != nil {
		return nil
	}
	parse := modfile.Parse
	if lax {
		parse = modfile.ParseLax
	}
	f, err := parse(name, data, nil)
	if err != nil {
		return nil
	}
	for _, r := range f.Require {
		if module.CheckPath(r.Mod.Path) != nil {
			return nil
		}
	}
	return f
}

// sortedStrings returns the keys of m, sorted.
func sortedStrings[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.SortFunc(out, strings.Compare)
	return out
}
