package sbomgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/anchore/syft/syft/cataloging"
	"github.com/anchore/syft/syft/file"
	"github.com/anchore/syft/syft/pkg"
	"golang.org/x/mod/module"
)

// Go module licences.
//
// Without the Go toolchain (consign's default, see [sbomspec.Config.UseGoToolchain])
// syft reads go.mod and go.sum and gives no Go module a licence: on this
// repository's tree, 1 component of 757 had one, where syft's default (which
// runs the toolchain) gives 566 of 895. syft's own offline switch for this,
// golang.search-local-mod-cache-licenses, walks every file of every module
// and takes every file whose name looks like a licence, testdata included:
// dario.cat/mergo gets its testdata/license.json as an unidentified licence,
// github.com/BurntSushi/toml four copies of MIT, one per command directory.
//
// consign reads instead what the Go tools show as a module's licence: the
// licence files in the module's root directory, in the local module cache,
// identified by syft's own licence scanner (pkg.NewLicensesFromReadCloserWithContext).
// It is what syft's toolchain path finds for nearly every module (it walks
// up from each package directory to the module root), without running the
// toolchain, and it never reaches the network. A module version's content is
// fixed by its go.sum hash, so the licence read from any machine's cache is
// the same; a machine without the module in its cache gives no licence.

// licenceFileName matches the names syft takes for licence files
// (syft/pkg/cataloger/internal/licenses, which a caller cannot import):
// LICENSE, LICENCE, UNLICENSE, MIT-LICENSE, COPYING and NOTICE, in any
// case, with any suffix (LICENSE.md, LICENSE-APACHE, COPYING.txt).
var licenceFileName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?i)(?:(?:UN|MIT-)?LICEN[SC]E|COPYING|NOTICE)`) })

// maxLicenceFile bounds what is read of one licence file: licence texts
// are a few kilobytes; a larger file is not read at all.
const maxLicenceFile = 512 << 10

// goModCacheURL is how a licence read from the module cache says where it
// came from, without the host's path (as syft's own module cache lookup
// writes it).
const goModCacheURL = "file://$GOPATH/pkg/mod/"

// goModCacheDir is the Go module cache the go command uses, found the way
// the go command finds it: GOMODCACHE, else the first GOPATH entry's
// pkg/mod, each from the environment or else from the go env file
// ('go env -w'), else ~/go/pkg/mod. It runs no program. syft's own lookup
// reads only $GOPATH, whole, so it misses GOMODCACHE and a GOPATH list.
func goModCacheDir() string {
	goenv := goEnvFile()
	if d := cmpOr(os.Getenv("GOMODCACHE"), goenv["GOMODCACHE"]); d != "" {
		return d
	}
	if gp := cmpOr(os.Getenv("GOPATH"), goenv["GOPATH"]); gp != "" {
		if first := filepath.SplitList(gp); len(first) > 0 && first[0] != "" {
			return filepath.Join(first[0], "pkg", "mod")
		}
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return ""
	}
	return filepath.Join(home, "go", "pkg", "mod")
}

// goEnvFile reads the settings 'go env -w' writes (GOENV, else
// $XDG_CONFIG_HOME/go/env or its platform equivalent); none when it is
// absent, unreadable or turned off (GOENV=off).
func goEnvFile() map[string]string {
	name := os.Getenv("GOENV")
	if name == "off" {
		return nil
	}
	if name == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return nil
		}
		name = filepath.Join(dir, "go", "env")
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if ok && (k == "GOMODCACHE" || k == "GOPATH") {
			out[k] = strings.TrimSpace(v)
		}
	}
	return out
}

// addGoModuleLicences gives every Go module in pkgs that has no licence
// the licences of its module root in the module cache at dir. ctx must
// hold syft's licence scanner. A module the cache does not hold, or whose
// name or version is not a valid module path and version (a go.mod in the
// scanned tree says what they are), is left as it is; nothing is read
// outside dir, whatever links the cache holds. A licence keeps its text
// as content says, the rule syft applies to what its catalogers found.
// steps, if not nil, counts the modules to look up and those looked up.
func addGoModuleLicences(ctx context.Context, pkgs *pkg.Collection, dir string, content cataloging.LicenseContent, steps *stepCounter) error {
	var todo []pkg.Package
	keys := map[module.Version]struct{}{}
	for _, p := range pkgs.Sorted(pkg.GoModulePkg) {
		m := module.Version{Path: p.Name, Version: p.Version}
		if !p.Licenses.Empty() || module.Check(m.Path, m.Version) != nil {
			continue
		}
		todo = append(todo, p)
		keys[m] = struct{}{}
	}
	if len(todo) == 0 {
		return nil
	}
	steps.add(0, int64(len(keys)))
	root, err := os.OpenRoot(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer root.Close()

	found := make(map[module.Version][]pkg.License, len(keys))
	var mu sync.Mutex
	work := make(chan module.Version)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(keys)) {
		wg.Go(func() {
			for m := range work {
				if l := moduleLicences(ctx, root.FS(), m, content); len(l) > 0 {
					mu.Lock()
					found[m] = l
					mu.Unlock()
				}
				steps.add(1, 0)
			}
		})
	}
	for _, m := range sortedKeys(keys) {
		if ctx.Err() != nil {
			break
		}
		work <- m
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}

	for _, p := range todo {
		l, ok := found[module.Version{Path: p.Name, Version: p.Version}]
		if !ok {
			continue
		}
		// The licence set is not part of a package's identity (its ID is
		// kept), so relationships still point at it.
		p.Licenses = pkg.NewLicenseSet(l...)
		pkgs.Delete(p.ID())
		pkgs.Add(p)
	}
	return nil
}

// moduleLicences reads the licence files in the root directory of module
// m in the module cache fsys.
func moduleLicences(ctx context.Context, fsys fs.FS, m module.Version, content cataloging.LicenseContent) []pkg.License {
	escPath, escVersion, ok := escapedModule(m)
	if !ok {
		return nil
	}
	dir := escPath + "@" + escVersion
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil
	}
	var out []pkg.License
	for _, e := range entries {
		if !e.Type().IsRegular() || !licenceFileName().MatchString(e.Name()) {
			continue
		}
		name := path.Join(dir, e.Name())
		data, err := readSmall(fsys, name, maxLicenceFile)
		if err != nil {
			continue
		}
		rc := file.NewLocationReadCloser(file.NewLocation(e.Name()), io.NopCloser(bytes.NewReader(data)))
		for _, l := range pkg.NewLicensesFromReadCloserWithContext(ctx, rc) {
			// The location is outside the scanned target: say where the
			// text is instead, without the host's path.
			l.URLs = []string{goModCacheURL + name}
			l.Locations = file.NewLocationSet()
			switch {
			case content == cataloging.LicenseContentIncludeAll:
			case content == cataloging.LicenseContentIncludeUnknown && l.SPDXExpression == "":
			default:
				l.Contents = ""
			}
			out = append(out, l)
		}
	}
	return out
}

// escapedModule returns m's path and version as the module cache writes
// them (capitals as !lower), and false when m is not a valid module path
// and version: a go.mod in the scanned tree says what they are, and only a
// valid one becomes a path in the cache.
func escapedModule(m module.Version) (path, version string, ok bool) {
	if module.Check(m.Path, m.Version) != nil {
		return "", "", false
	}
	path, err := module.EscapePath(m.Path)
	if err != nil {
		return "", "", false
	}
	version, err = module.EscapeVersion(m.Version)
	if err != nil {
		return "", "", false
	}
	return path, version, true
}

// readSmall reads name from fsys if it is a regular file of at most max
// bytes.
func readSmall(fsys fs.FS, name string, max int64) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() || info.Size() > max {
		return nil, errors.New("not a small regular file")
	}
	return io.ReadAll(io.LimitReader(f, max))
}

// sortedKeys returns the modules in path, then version, order.
func sortedKeys(keys map[module.Version]struct{}) []module.Version {
	out := make([]module.Version, 0, len(keys))
	for m := range keys {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b module.Version) int {
		return cmpOr(strings.Compare(a.Path, b.Path), strings.Compare(a.Version, b.Version))
	})
	return out
}
