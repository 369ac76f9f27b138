package sbomgen

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/consign-dev/consign/internal/sbomspec"
)

// The fixture is a small tree of real package metadata, one ecosystem per
// directory, written by the tests: a Go module (go.mod, go.sum), a Python
// site-packages with a dist-info, an npm project with package-lock.json and
// node_modules, and a Debian dpkg status file with its os-release.

// integrity is an npm lock file's SRI value for a made-up tarball.
func integrity(pkg string) (sri, hexDigest string) {
	sum := sha512.Sum512([]byte("tarball of " + pkg))
	return "sha512-" + base64.StdEncoding.EncodeToString(sum[:]), hex.EncodeToString(sum[:])
}

func fixtureFiles() map[string]string {
	lodash, _ := integrity("lodash-4.17.21")
	leftPad, _ := integrity("left-pad-1.3.0")
	return map[string]string{
		"app/go.mod": "module example.com/app\n\ngo 1.22\n\nrequire (\n\tgithub.com/google/uuid v1.6.0\n\tgolang.org/x/text v0.14.0 // indirect\n)\n",
		"app/go.sum": "github.com/google/uuid v1.6.0 h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=\n" +
			"github.com/google/uuid v1.6.0/go.mod h1:TfCQFn2csm/KsaXE3nJwxjQfsMjsCNVlXKZvLeiwHSpk=\n" +
			"golang.org/x/text v0.14.0 h1:ScX5w1eTa3QqT8oi6+ziP7dTV1LGuThBt/cUU9FEvmM=\n" +
			"golang.org/x/text v0.14.0/go.mod h1:18ZOQIKpY8NJVqYksKHtTdi31H5itFRjB5/qKTNYzSU=\n",
		"app/main.go": "package main\n\nimport \"github.com/google/uuid\"\n\nfunc main() { println(uuid.NewString()) }\n",
		"usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n" +
			"Summary: Python HTTP for Humans.\nHome-page: https://requests.readthedocs.io\nAuthor: Kenneth Reitz\n" +
			"Author-email: me@kennethreitz.org\nLicense: Apache-2.0\nRequires-Dist: urllib3 (<3,>=1.21.1)\n",
		"usr/lib/python3/site-packages/requests-2.31.0.dist-info/RECORD": "requests/__init__.py,sha256=LvmKhjIz8mHaKXthC2Mv5ykZ1d92voyf3oJpd-VuAig,18\n" +
			"requests-2.31.0.dist-info/METADATA,,\n",
		"usr/lib/python3/site-packages/requests-2.31.0.dist-info/top_level.txt": "requests\n",
		"usr/lib/python3/site-packages/requests/__init__.py":                    "# requests\n",
		"web/package.json": `{"name": "web", "version": "1.0.0", "dependencies": {"lodash": "^4.17.21", "left-pad": "^1.3.0"}}` + "\n",
		"web/package-lock.json": `{
  "name": "web",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {"name": "web", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0", "lodash": "^4.17.21"}},
    "node_modules/left-pad": {"version": "1.3.0", "resolved": "https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz", "integrity": "` + leftPad + `", "license": "WTFPL"},
    "node_modules/lodash": {"version": "4.17.21", "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz", "integrity": "` + lodash + `", "license": "MIT"}
  }
}
`,
		"web/node_modules/lodash/package.json":   `{"name": "lodash", "version": "4.17.21", "license": "MIT", "author": "John-David Dalton <john.david.dalton@gmail.com>"}` + "\n",
		"web/node_modules/left-pad/package.json": `{"name": "left-pad", "version": "1.3.0", "license": "WTFPL", "author": {"name": "azer"}}` + "\n",
		"var/lib/dpkg/status": "Package: libc6\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 12345\n" +
			"Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u4\n" +
			"Description: GNU C Library: Shared libraries\n\n" +
			"Package: zlib1g\nStatus: install ok installed\nPriority: optional\nSection: libs\nInstalled-Size: 164\n" +
			"Maintainer: Mark Brown <broonie@debian.org>\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n" +
			"Depends: libc6 (>= 2.14)\nDescription: compression library - runtime\n",
		"etc/os-release": "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n",
	}
}

// fixtureDirPackages are the packages a directory scan of the fixture finds.
var fixtureDirPackages = []string{
	"deb libc6 2.36-9+deb12u4",
	"deb zlib1g 1:1.2.13.dfsg-1",
	"go-module github.com/google/uuid v1.6.0",
	"go-module golang.org/x/text v0.14.0",
	"npm left-pad 1.3.0",
	"npm lodash 4.17.21",
	"python requests 2.31.0",
}

// fixtureImagePackages are those an image scan of the fixture finds: an
// image is catalogued as installed software (dpkg, site-packages,
// node_modules), not from lock and module files.
var fixtureImagePackages = []string{
	"deb libc6 2.36-9+deb12u4",
	"deb zlib1g 1:1.2.13.dfsg-1",
	"npm left-pad 1.3.0",
	"npm lodash 4.17.21",
	"python requests 2.31.0",
}

// writeFixture writes the fixture tree into dir.
func writeFixture(t testing.TB, dir string) {
	t.Helper()
	writeFiles(t, dir, fixtureFiles())
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	must(t, createFiles(dir, files))
}

func createFiles(dir string, files map[string]string) error {
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// sortedNames returns the fixture's file names in a fixed order.
func sortedNames(files map[string]string) []string {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// tarBytes is an uncompressed tar of files, with directory entries.
func tarBytes(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	mtime := time.Unix(1700000000, 0)
	for _, n := range sortedNames(files) {
		for d := filepath.ToSlash(filepath.Dir(n)); d != "." && !dirs[d]; d = filepath.ToSlash(filepath.Dir(d)) {
			dirs[d] = true
		}
	}
	var dl []string
	for d := range dirs {
		dl = append(dl, d)
	}
	sort.Strings(dl)
	for _, d := range dl {
		must(t, tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime}))
	}
	for _, n := range sortedNames(files) {
		must(t, tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[n])), ModTime: mtime}))
		_, err := tw.Write([]byte(files[n]))
		must(t, err)
	}
	must(t, tw.Close())
	return buf.Bytes()
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write(b)
	must(t, err)
	must(t, zw.Close())
	return buf.Bytes()
}

func zipBytes(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range sortedNames(files) {
		w, err := zw.Create(n)
		must(t, err)
		_, err = w.Write([]byte(files[n]))
		must(t, err)
	}
	must(t, zw.Close())
	return buf.Bytes()
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// fixtureImage is a one-layer image holding the fixture tree.
func fixtureImage(t testing.TB) v1.Image {
	t.Helper()
	layerTar := tarBytes(t, fixtureFiles())
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(layerTar)), nil })
	must(t, err)
	img, err := mutate.AppendLayers(empty.Image, layer)
	must(t, err)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{Architecture: "amd64", OS: "linux", RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{mustDiffID(t, layer)}}})
	must(t, err)
	return img
}

func mustDiffID(t testing.TB, l v1.Layer) v1.Hash {
	t.Helper()
	h, err := l.DiffID()
	must(t, err)
	return h
}

// writeOCILayout writes img as an OCI image layout directory at dir.
func writeOCILayout(t testing.TB, dir string, img v1.Image) {
	t.Helper()
	p, err := layout.Write(dir, empty.Index)
	must(t, err)
	must(t, p.AppendImage(img))
}

// writeDockerArchive writes img as a 'docker save' tarball.
func writeDockerArchive(t testing.TB, file string, img v1.Image) {
	t.Helper()
	tag, err := name.NewTag("example.com/fixture:1.0")
	must(t, err)
	must(t, tarball.WriteToFile(file, tag, img))
}

// tarDir writes a tar of the files under dir (an OCI archive, when dir is
// an OCI layout).
func tarDir(t testing.TB, dir, file string) {
	t.Helper()
	files := map[string]string{}
	must(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = string(b)
		return nil
	}))
	must(t, os.WriteFile(file, tarBytes(t, files), 0o644))
}

// fixtureScan is one reproducible scan of the fixture directory, shared by
// the tests that only encode and read it.
var fixtureScan = sync.OnceValues(func() (*Result, error) {
	dir, err := os.MkdirTemp("", "consign-sbom-fixture-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tree, cache := filepath.Join(dir, "tree"), filepath.Join(dir, "modcache")
	if err := createFiles(tree, fixtureFiles()); err != nil {
		return nil, err
	}
	if err := createFiles(cache, fixtureModCache()); err != nil {
		return nil, err
	}
	epoch := time.Unix(1700000000, 0).UTC()
	return Generate(context.Background(), sbomspec.Config{Target: tree, Name: "fixture", Epoch: &epoch, ToolVersion: "test", GoModCache: cache})
})

// fixtureTB lets writeFixture run outside a test; it panics on failure.
type fixtureTB struct{ testing.TB }

func (fixtureTB) Helper()               {}
func (fixtureTB) Fatal(args ...any)     { panic(args) }
func (fixtureTB) Fatalf(string, ...any) { panic("fixture") }

func sharedScan(t *testing.T) *Result {
	t.Helper()
	res, err := fixtureScan()
	if err != nil {
		t.Fatalf("scanning the fixture: %v", err)
	}
	return res
}

// missingKeys returns the wanted keys missing from got.
func missingKeys(got, want []string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			out = append(out, w)
		}
	}
	return out
}
