// Command e2efix builds the fixtures of bench/e2e.sh in $CONSIGN_BENCH_DIR
// (default /tmp/consign-bench) and prints their paths as shell
// assignments: TREE (100,000 small files), LARGE (a 1 GiB file), NODE (a
// Node project whose node_modules holds packages as npm lays them out) and
// PYTHON (a site-packages directory of installed distributions); with
// -million also MILLION (1,000,000 files of 1 to 1024 bytes). Every fixture
// is deterministic and built once.
package main

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/consign-dev/consign/bench/fixture"
)

// Sizes of the package fixtures: a mid-sized web application's
// node_modules, a data-science virtualenv's site-packages.
const (
	nodePackages   = 800
	pythonPackages = 300
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2efix:", err)
		os.Exit(1)
	}
}

// Sizes of the million-file tree's files: an image's small files.
const (
	millionFiles   = 1_000_000
	millionMaxSize = 1024
)

func run() error {
	million := flag.Bool("million", false, "also build the million-file tree and print MILLION")
	flag.Parse()
	if *million {
		m, err := fixture.TreeOf(millionFiles, 1, millionMaxSize)
		if err != nil {
			return err
		}
		fmt.Printf("MILLION=%s\n", m)
	}
	tree, err := fixture.Tree()
	if err != nil {
		return err
	}
	large, err := fixture.Large()
	if err != nil {
		return err
	}
	node, err := fixture.Cached(fmt.Sprintf("node-%d-v2", nodePackages), buildNode)
	if err != nil {
		return err
	}
	python, err := fixture.Cached(fmt.Sprintf("python-%d-v2", pythonPackages), buildPython)
	if err != nil {
		return err
	}
	fmt.Printf("TREE=%s\nLARGE=%s\nNODE=%s\nPYTHON=%s\n", tree, large, node, python)
	return nil
}

func write(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(content), 0o644)
}

// source returns size bytes of code-like text (one line per function),
// deterministic in seed, so that files have the sizes and the line
// structure of real modules rather than a single line.
func source(seed uint64, size int, comment, fn string) string {
	r := mrand.New(mrand.NewPCG(seed, 0x5eed))
	var b strings.Builder
	for i := 0; b.Len() < size; i++ {
		if i%8 == 0 {
			fmt.Fprintf(&b, "%s helper %d of module %d: returns a value derived from its arguments.\n", comment, i, seed)
		}
		fmt.Fprintf(&b, fn+"\n", i, r.Uint32N(1<<20), r.Uint32N(1<<20))
	}
	return b.String()
}

// mitLicense is the licence text packages carry in a LICENSE file.
const mitLicense = `MIT License

Copyright (c) 2020 Fixture Author

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

// nodePkg is one package of the Node fixture.
type nodePkg struct {
	name, version string
	deps          []int // indices of the packages it depends on
	dev           bool  // only the project's devDependencies need it
}

func nodePackageList() []nodePkg {
	pkgs := make([]nodePkg, nodePackages)
	for i := range pkgs {
		name := fmt.Sprintf("pkg-%04d", i)
		if i%10 == 0 {
			name = fmt.Sprintf("@scope%d/pkg-%04d", i%7, i)
		}
		p := nodePkg{name: name, version: fmt.Sprintf("%d.%d.%d", 1+i%5, i%13, i%7), dev: i%5 == 4}
		// Each depends on up to three later packages of its kind (dev or
		// not), as a dependency tree flattened by npm looks.
		for _, d := range []int{i + 1, i + 7, i + 31} {
			if d < nodePackages && (d%5 == 4) == p.dev && len(p.deps) < i%4 {
				p.deps = append(p.deps, d)
			}
		}
		pkgs[i] = p
	}
	return pkgs
}

// integrity is an npm lock file's integrity field for a package: the
// SHA-512 of its (here imaginary) tarball.
func integrity(name, version string) string {
	sum := sha512.Sum512([]byte(name + "@" + version))
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:])
}

// buildNode writes a project as npm 10 leaves it: package.json (with
// dependencies and devDependencies), package-lock.json (lockfileVersion 3:
// version, resolved, integrity, license, dependencies and the dev flag of
// every package) and node_modules/NAME with what a published package
// holds: package.json, README.md, LICENSE, index.js, index.d.ts and lib/
// modules (about a dozen files, 40 KiB, per package), a tenth of them
// scoped. One package in twenty also carries a nested node_modules with
// another version of a dependency, as npm installs a conflicting version.
func buildNode(dst string) error {
	pkgs := nodePackageList()
	var deps, devDeps, lock []string
	for i, p := range pkgs {
		dir := filepath.Join(dst, "node_modules", p.name)
		depMap := map[string]string{}
		for _, d := range p.deps {
			depMap[pkgs[d].name] = "^" + pkgs[d].version
		}
		pj, err := json.MarshalIndent(map[string]any{
			"name": p.name, "version": p.version, "description": fmt.Sprintf("fixture package %d", i),
			"license": "MIT", "author": "Fixture Author <author@example.com>",
			"homepage":   "https://example.com/" + p.name,
			"repository": map[string]string{"type": "git", "url": "git+https://example.com/" + p.name + ".git"},
			"main":       "index.js", "types": "index.d.ts", "dependencies": depMap,
		}, "", "  ")
		if err != nil {
			return err
		}
		files := map[string]string{
			"package.json": string(pj) + "\n",
			"README.md":    fmt.Sprintf("# %s\n\n", p.name) + source(uint64(i), 1500+i%3000, "<!--", "Call `f%d(%d, %d)` for a value. -->"),
			"LICENSE":      mitLicense,
			"index.js":     "'use strict';\nmodule.exports = require('./lib/main.js');\n",
			"index.d.ts":   source(uint64(i)+1<<32, 800, "//", "export declare function f%d(a: number /* %d */, b: number /* %d */): number;"),
		}
		for m := range 3 + i%6 {
			files[fmt.Sprintf("lib/m%d.js", m)] = source(uint64(i)<<8|uint64(m), 1000+(i*37+m*911)%8000, "//", "function f%d(a, b) { return a * %d + b - %d; }")
		}
		files["lib/main.js"] = source(uint64(i)<<8|0xff, 2000, "//", "exports.f%d = (a, b) => a + %d - b * %d;")
		if i%20 == 3 && len(p.deps) > 0 {
			// A nested copy of the first dependency at another major version.
			d := pkgs[p.deps[0]]
			nested := filepath.Join("node_modules", d.name)
			files[filepath.Join(nested, "package.json")] = fmt.Sprintf("{\n  \"name\": %q,\n  \"version\": \"0.9.%d\",\n  \"license\": \"MIT\",\n  \"main\": \"index.js\"\n}\n", d.name, i%10)
			files[filepath.Join(nested, "index.js")] = source(uint64(i)<<8|0xfe, 1500, "//", "exports.g%d = (a, b) => a - %d + b * %d;")
			lock = append(lock, fmt.Sprintf("    \"node_modules/%s/node_modules/%s\": {\n      \"version\": \"0.9.%d\",\n      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-0.9.%d.tgz\",\n      \"integrity\": %q,\n      \"license\": \"MIT\"%s\n    }",
				p.name, d.name, i%10, d.name, path.Base(d.name), i%10, integrity(d.name, fmt.Sprintf("0.9.%d", i%10)), devFlag(p.dev)))
		}
		for name, content := range files {
			if err := write(filepath.Join(dir, name), content); err != nil {
				return err
			}
		}
		entry := fmt.Sprintf("    \"node_modules/%s\": {\n      \"version\": %q,\n      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-%s.tgz\",\n      \"integrity\": %q,\n      \"license\": \"MIT\"",
			p.name, p.version, p.name, path.Base(p.name), p.version, integrity(p.name, p.version))
		if len(p.deps) > 0 {
			var ds []string
			for _, d := range p.deps {
				ds = append(ds, fmt.Sprintf("        %q: %q", pkgs[d].name, "^"+pkgs[d].version))
			}
			entry += ",\n      \"dependencies\": {\n" + strings.Join(ds, ",\n") + "\n      }"
		}
		lock = append(lock, entry+devFlag(p.dev)+"\n    }")
		// The project depends directly on every tenth package and on
		// those nothing else depends on (its lock file lists them all).
		if i%10 == 0 || !dependedOn(pkgs, i) {
			line := fmt.Sprintf("    %q: %q", p.name, "^"+p.version)
			if p.dev {
				devDeps = append(devDeps, line)
			} else {
				deps = append(deps, line)
			}
		}
	}
	slices.Sort(lock)
	if err := write(filepath.Join(dst, "package.json"), "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"private\": true,\n  \"dependencies\": {\n"+strings.Join(deps, ",\n")+"\n  },\n  \"devDependencies\": {\n"+strings.Join(devDeps, ",\n")+"\n  }\n}\n"); err != nil {
		return err
	}
	if err := write(filepath.Join(dst, "src", "server.js"), source(1, 6000, "//", "app.get('/r%d', (req, res) => res.send(%d + %d));")); err != nil {
		return err
	}
	root := "    \"\": {\n      \"name\": \"app\",\n      \"version\": \"1.0.0\",\n      \"dependencies\": {\n" + strings.Join(deps, ",\n") + "\n      },\n      \"devDependencies\": {\n" + strings.Join(devDeps, ",\n") + "\n      }\n    },\n"
	return write(filepath.Join(dst, "package-lock.json"), "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n"+root+strings.Join(lock, ",\n")+"\n  }\n}\n")
}

func devFlag(dev bool) string {
	if dev {
		return ",\n      \"dev\": true"
	}
	return ""
}

func dependedOn(pkgs []nodePkg, i int) bool {
	for _, p := range pkgs {
		if slices.Contains(p.deps, i) {
			return true
		}
	}
	return false
}

// buildPython writes lib/python3.12/site-packages as pip leaves it: for
// every distribution NAME-VERSION.dist-info/{METADATA,RECORD,INSTALLER,
// WHEEL,top_level.txt,licenses/LICENSE} and a package NAME/ of modules
// (with a subpackage and the __pycache__/*.pyc pip compiles), about fifteen
// files per distribution; one in ten also ships a 256 KiB compiled
// extension (NAME/_speedups.cpython-312-x86_64-linux-gnu.so), as
// data-science wheels do. RECORD lists every file with its sha256 and
// size, as pip writes it.
func buildPython(dst string) error {
	sp := filepath.Join(dst, "lib", "python3.12", "site-packages")
	for i := range pythonPackages {
		name := fmt.Sprintf("fixture_pkg_%03d", i)
		version := fmt.Sprintf("%d.%d.%d", 1+i%4, i%11, i%5)
		di := fmt.Sprintf("%s-%s.dist-info", name, version)
		meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: fixture distribution %d\nHome-page: https://example.com/%s\nAuthor: Fixture Author\nAuthor-email: author@example.com\nLicense: Apache-2.0\nClassifier: License :: OSI Approved :: Apache Software License\nClassifier: Programming Language :: Python :: 3\nRequires-Python: >=3.8\n", name, version, i, name)
		for _, d := range []int{i - 1, i - 5, i - 17} {
			if d >= 0 && d%3 != 2 {
				meta += fmt.Sprintf("Requires-Dist: fixture_pkg_%03d>=1.0\n", d)
			}
		}
		meta += "Description-Content-Type: text/markdown\n\n" + source(uint64(i), 1000+i%2000, "#", "Call `f%d(%d, %d)` for a value.")
		files := map[string]string{
			filepath.Join(di, "METADATA"):          meta,
			filepath.Join(di, "INSTALLER"):         "pip\n",
			filepath.Join(di, "WHEEL"):             "Wheel-Version: 1.0\nGenerator: setuptools (75.1.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
			filepath.Join(di, "top_level.txt"):     name + "\n",
			filepath.Join(di, "licenses/LICENSE"):  strings.ReplaceAll(mitLicense, "MIT License", "Licensed under the Apache License, Version 2.0 (fixture text)"),
			filepath.Join(name, "__init__.py"):     "__version__ = \"" + version + "\"\nfrom .core import *\n",
			filepath.Join(name, "sub/__init__.py"): "",
		}
		mods := []string{"core"}
		for m := range 3 + i%7 {
			mods = append(mods, fmt.Sprintf("m%d", m))
		}
		for m, mod := range mods {
			src := source(uint64(i)<<8|uint64(m), 1500+(i*53+m*701)%9000, "#", "def f%d(a, b):\n    return a * %d + b - %d\n")
			files[filepath.Join(name, mod+".py")] = src
			files[filepath.Join(name, "__pycache__", mod+".cpython-312.pyc")] = pyc(src)
		}
		files[filepath.Join(name, "sub", "util.py")] = source(uint64(i)<<8|0xff, 1200, "#", "def g%d(a, b):\n    return a - %d + b * %d\n")
		if i%10 == 7 {
			files[filepath.Join(name, "_speedups.cpython-312-x86_64-linux-gnu.so")] = extension(uint64(i))
		}
		// RECORD lists every file with its sha256 and size, and itself
		// without either.
		var rec []string
		for p, c := range files {
			sum := sha256.Sum256([]byte(c))
			rec = append(rec, fmt.Sprintf("%s,sha256=%s,%d", filepath.ToSlash(p), base64.RawURLEncoding.EncodeToString(sum[:]), len(c)))
		}
		rec = append(rec, di+"/RECORD,,")
		slices.Sort(rec)
		files[filepath.Join(di, "RECORD")] = strings.Join(rec, "\n") + "\n"
		for p, c := range files {
			if err := write(filepath.Join(sp, p), c); err != nil {
				return err
			}
		}
	}
	return nil
}

// pyc is a stand-in for the bytecode CPython 3.12 compiles src to: its
// magic number and header, then bytes derived from the source.
func pyc(src string) string {
	sum := sha512.Sum512([]byte(src))
	body := strings.Repeat(string(sum[:]), len(src)/2/len(sum)+1)
	return "\xcb\x0d\x0d\x0a\x00\x00\x00\x00" + body[:len(src)/2]
}

// extension is a stand-in for a compiled extension module: a valid ELF64
// header of a shared object (no sections, so binary catalogers read it and
// find nothing) and 256 KiB of pseudo-random bytes.
func extension(seed uint64) string {
	b := make([]byte, 256<<10)
	_, _ = mrand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)}).Read(b)
	h := b[:64]
	clear(h)
	copy(h, "\x7fELF\x02\x01\x01") // 64-bit, little-endian, version 1
	le := binary.LittleEndian
	le.PutUint16(h[16:], 3)    // ET_DYN
	le.PutUint16(h[18:], 0x3e) // x86-64
	le.PutUint32(h[20:], 1)    // version
	le.PutUint16(h[52:], 64)   // header size
	le.PutUint16(h[54:], 56)   // program header entry size
	le.PutUint16(h[58:], 64)   // section header entry size
	return string(b)
}
