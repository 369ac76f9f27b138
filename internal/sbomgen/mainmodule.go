package sbomgen

import (
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/anchore/packageurl-go"
	"github.com/anchore/syft/syft/cataloging"
	"github.com/anchore/syft/syft/pkg"
	"golang.org/x/mod/modfile"
)

// A scanned directory with a go.mod at its root is a Go main module, and
// that module is what the SBOM is about: its subject (CycloneDX
// metadata.component, the package an SPDX document DESCRIBES) is named by
// the module path and carries the module's package URL, with the version
// when one was given (sbomspec.Config.Version). It is not also listed among the
// components: CycloneDX asks that the subject not be repeated there, and
// syft's own package for the main module (made with the Go toolchain, its
// version the "UNKNOWN" stub) is taken out, its dependency edges becoming
// the subject's.

// maxGoModBytes bounds the go.mod read to name the main module.
const maxGoModBytes = 1 << 20

// goMainModule returns the module path declared by dir/go.mod, or "" if
// there is none, or it cannot be read or parsed.
func goMainModule(dir string) string {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return ""
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxGoModBytes))
	if err != nil {
		return ""
	}
	return modfile.ModulePath(data)
}

// goModulePURL is the package URL of a Go module, written as syft writes
// those of its dependencies (pkg:golang/NAMESPACE/NAME@VERSION, the
// slashes of the module path unescaped).
func goModulePURL(module, version string) string {
	namespace, name := "", module
	if i := strings.LastIndex(module, "/"); i > 0 && i < len(module)-1 {
		namespace, name = module[:i], module[i+1:]
	}
	return packageurl.NewPackageURL(packageurl.TypeGolang, namespace, name, version, nil, "").ToString()
}

// isMainModulePackage reports whether p is syft's package for the main
// module itself: a Go module of that path found in the root go.mod.
func (r *Result) isMainModulePackage(p pkg.Package) bool {
	if r.mainModule == "" || p.Type != pkg.GoModulePkg || p.Name != r.mainModule {
		return false
	}
	if v := p.Version; v != "" && v != cataloging.UnknownStubValue && v != r.s.Source.Version {
		return false
	}
	for _, l := range p.Locations.ToSlice() {
		if l.RealPath == "/go.mod" {
			return true
		}
	}
	return false
}
