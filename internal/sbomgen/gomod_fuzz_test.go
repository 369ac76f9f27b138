package sbomgen

import (
	"os"
	"testing"
	"testing/fstest"

	"golang.org/x/mod/module"
)

// FuzzReadGoMod: the go.mod reader never panics on any file (a
// dependency's go.mod in the module cache is input from the internet),
// refuses a file over its size cap, and what it reads names only valid
// module paths; a dependency's requirements come out as its go.mod lists
// them.
func FuzzReadGoMod(f *testing.F) {
	if b, err := os.ReadFile("../../go.mod"); err == nil {
		f.Add(b, false)
		f.Add(b, true)
	}
	f.Add([]byte("module example.com/m\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/mod v0.43.0\n\texample.com/x v1.0.0 // indirect\n)\n"), true)
	f.Add([]byte("module m\nretract v1.0.0\nreplace a => ../a\ntool x\nignore y\ngodebug default=go1.21\n"), false)
	f.Add([]byte("module \"quoted/path\"\nrequire a.b/c v1.2.3-pre+incompatible\n"), true)
	// Found by this fuzzer in CI: ParseLax accepted a path of invalid UTF-8.
	f.Add([]byte("module m\nrequire githu\xc3\xc3b.com/clbanning/mxj/v2 v2.7.0\n"), true)
	f.Fuzz(func(t *testing.T, data []byte, lax bool) {
		fsys := fstest.MapFS{"go.mod": {Data: data}}
		mf := readGoMod(fsys, "go.mod", lax)
		if mf == nil {
			return
		}
		if len(data) > maxGoModFile {
			t.Fatalf("read a go.mod of %d bytes, over the cap of %d", len(data), maxGoModFile)
		}
		for _, r := range mf.Require {
			if err := module.CheckPath(r.Mod.Path); err != nil {
				// Neither parser checks every path (ParseLax lets
				// invalid UTF-8 through); readGoMod does.
				t.Fatalf("requirement %q: %v", r.Mod.Path, err)
			}
		}
		m := module.Version{Path: "example.com/dep", Version: "v1.0.0"}
		cache := fstest.MapFS{"cache/download/example.com/dep/@v/v1.0.0.mod": {Data: data}}
		reqs := cachedRequirements(cache, m)
		if lax && len(reqs) != len(mf.Require) {
			t.Fatalf("cachedRequirements = %d paths, the go.mod lists %d", len(reqs), len(mf.Require))
		}
	})
}
