// Command e2efix builds the fixtures of bench/e2e.sh in $CONSIGN_BENCH_DIR
// (default /tmp/consign-bench) and prints their paths as shell
// assignments: TREE (100,000 small files), LARGE (a 1 GiB file), NODE (a
// Node project whose node_modules holds packages as npm lays them out) and
// PYTHON (a site-packages directory of installed distributions); with
// -million also MILLION (1,000,000 files of 1 to 1024 bytes). Every fixture
// is deterministic and built once.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

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
	node, err := fixture.Cached(fmt.Sprintf("node-%d", nodePackages), buildNode)
	if err != nil {
		return err
	}
	python, err := fixture.Cached(fmt.Sprintf("python-%d", pythonPackages), buildPython)
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

// buildNode writes a project's package.json, package-lock.json and
// node_modules/NAME/{package.json,index.js} for every package, a tenth of
// them scoped.
func buildNode(dst string) error {
	deps := ""
	lock := ""
	for i := range nodePackages {
		name := fmt.Sprintf("pkg-%04d", i)
		if i%10 == 0 {
			name = fmt.Sprintf("@scope%d/pkg-%04d", i%7, i)
		}
		version := fmt.Sprintf("%d.%d.%d", 1+i%5, i%13, i%7)
		pj := fmt.Sprintf(`{
  "name": %q,
  "version": %q,
  "description": "fixture package %d",
  "license": "MIT",
  "author": "Fixture Author <author@example.com>",
  "homepage": "https://example.com/%s",
  "main": "index.js"
}
`, name, version, i, name)
		if err := write(filepath.Join(dst, "node_modules", name, "package.json"), pj); err != nil {
			return err
		}
		if err := write(filepath.Join(dst, "node_modules", name, "index.js"), "module.exports = {};\n"); err != nil {
			return err
		}
		if i > 0 {
			deps += ",\n"
			lock += ",\n"
		}
		deps += fmt.Sprintf("    %q: %q", name, "^"+version)
		lock += fmt.Sprintf("    \"node_modules/%s\": {\"version\": %q, \"resolved\": \"https://registry.npmjs.org/%s/-/x-%s.tgz\", \"license\": \"MIT\"}", name, version, name, version)
	}
	if err := write(filepath.Join(dst, "package.json"), "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"dependencies\": {\n"+deps+"\n  }\n}\n"); err != nil {
		return err
	}
	return write(filepath.Join(dst, "package-lock.json"), "{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\"name\": \"app\", \"version\": \"1.0.0\"},\n"+lock+"\n  }\n}\n")
}

// buildPython writes site-packages/NAME-VERSION.dist-info/{METADATA,RECORD,
// INSTALLER,top_level.txt} and a module for every distribution.
func buildPython(dst string) error {
	sp := filepath.Join(dst, "lib", "python3.12", "site-packages")
	for i := range pythonPackages {
		name := fmt.Sprintf("fixture_pkg_%03d", i)
		version := fmt.Sprintf("%d.%d.%d", 1+i%4, i%11, i%5)
		di := filepath.Join(sp, fmt.Sprintf("%s-%s.dist-info", name, version))
		meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\nSummary: fixture distribution %d\nHome-page: https://example.com/%s\nAuthor: Fixture Author\nAuthor-email: author@example.com\nLicense: Apache-2.0\nRequires-Python: >=3.8\n", name, version, i, name)
		if i > 0 {
			meta += fmt.Sprintf("Requires-Dist: fixture_pkg_%03d\n", i-1)
		}
		files := map[string]string{
			filepath.Join(di, "METADATA"):          meta,
			filepath.Join(di, "INSTALLER"):         "pip\n",
			filepath.Join(di, "top_level.txt"):     name + "\n",
			filepath.Join(sp, name, "__init__.py"): "__version__ = \"" + version + "\"\n",
			filepath.Join(di, "RECORD"):            fmt.Sprintf("%s/__init__.py,,\n%s-%s.dist-info/METADATA,,\n%s-%s.dist-info/RECORD,,\n", name, name, version, name, version),
		}
		for p, c := range files {
			if err := write(p, c); err != nil {
				return err
			}
		}
	}
	return nil
}
