package sbomgen

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anchore/syft/syft/source"
	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// TestGenerateTargets scans the fixture in every form a syft user
// expects: a directory, a single file, tar, gzipped tar and zip archives,
// an OCI layout directory, an OCI archive and a docker-archive tarball,
// told apart by content (and by explicit scheme). Registry images are in
// registry_test.go.
func TestGenerateTargets(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	files := fixtureFiles()
	dir := filepath.Join(base, "tree")
	writeFixture(t, dir)
	write := func(name string, b []byte) string {
		p := filepath.Join(base, name)
		must(t, os.WriteFile(p, b, 0o644))
		return p
	}
	tarFile := write("tree.tar", tarBytes(t, files))
	tgzFile := write("tree.tgz", gzipBytes(t, tarBytes(t, files)))
	zipFile := write("tree.zip", zipBytes(t, files))
	single := write("package-lock.json", []byte(files["web/package-lock.json"]))
	img := fixtureImage(t)
	ociDir := filepath.Join(base, "oci")
	writeOCILayout(t, ociDir, img)
	ociArchive := filepath.Join(base, "oci.tar")
	tarDir(t, ociDir, ociArchive)
	dockerArchive := filepath.Join(base, "docker.tar")
	writeDockerArchive(t, dockerArchive, img)
	manifest, err := img.Digest()
	must(t, err)
	config, err := img.ConfigName()
	must(t, err)

	sum := func(p string) string {
		b, err := os.ReadFile(p)
		must(t, err)
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:])
	}
	tests := []struct {
		target, kind string
		packages     []string
		subject      string // digest of the one subject; "" for a directory's files
	}{
		{dir, KindDir, fixtureDirPackages, ""},
		{tarFile, KindArchive, fixtureDirPackages, sum(tarFile)},
		{tgzFile, KindArchive, fixtureDirPackages, sum(tgzFile)},
		{zipFile, KindArchive, fixtureDirPackages, sum(zipFile)},
		{"archive:" + zipFile, KindArchive, fixtureDirPackages, sum(zipFile)},
		{single, KindFile, []string{"npm left-pad 1.3.0", "npm lodash 4.17.21"}, sum(single)},
		{ociDir, KindOCIDir, fixtureImagePackages, manifest.Hex},
		{ociArchive, KindOCIArchive, fixtureImagePackages, manifest.Hex},
		{dockerArchive, KindDockerArchive, fixtureImagePackages, "docker"},
		{"oci-dir:" + ociDir, KindOCIDir, fixtureImagePackages, manifest.Hex},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(strings.TrimPrefix(tt.target, base+"/"), base+"/", ""), func(t *testing.T) {
			t.Parallel()
			res, err := Generate(context.Background(), sbomspec.Config{Target: tt.target, Subjects: true})
			if err != nil {
				t.Fatalf("Generate(%q) = %v", tt.target, err)
			}
			if res.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q", res.Kind, tt.kind)
			}
			if d := scannedDigest(res.s); tt.kind == KindFile && (d == nil || d["sha256"] != tt.subject) {
				// The subject is the digest syft took as it scanned: the
				// file is read once.
				t.Errorf("scannedDigest = %v, want syft's sha256 of the file, %s", d, tt.subject)
			}
			if m := missingKeys(res.PackageKeys(), tt.packages); len(m) > 0 {
				t.Errorf("packages %q missing from %q", m, res.PackageKeys())
			}
			if tt.subject == "" {
				if got, want := len(res.Subjects), len(files); got != want {
					t.Errorf("%d subjects, want one per file (%d)", got, want)
				}
				for _, s := range res.Subjects {
					if !strings.HasPrefix(s.Name, filepath.ToSlash(dir)+"/") {
						t.Errorf("subject %q is not named under the target", s.Name)
					}
				}
			} else if tt.subject == "docker" {
				// A docker-archive holds no manifest: the digest is that of
				// the OCI manifest made from the tarball (by stereoscope,
				// and named in the SBOM), which names the image's config.
				m, _ := res.s.Source.Metadata.(source.ImageMetadata)
				var man v1.Manifest
				must(t, json.Unmarshal(m.RawManifest, &man))
				raw := sha256.Sum256(m.RawManifest)
				if len(res.Subjects) != 1 || res.Subjects[0].Digest["sha256"] != hex.EncodeToString(raw[:]) || man.Config.Digest != config {
					t.Errorf("subjects = %+v, manifest %s naming config %s; want the manifest's digest, naming config %s", res.Subjects, m.ManifestDigest, man.Config.Digest, config)
				}
			} else if len(res.Subjects) != 1 || res.Subjects[0].Digest["sha256"] != tt.subject {
				t.Errorf("subjects = %+v, want one with sha256 %s", res.Subjects, tt.subject)
			}
			for _, f := range []sbomspec.Format{sbomspec.DefaultFormat, {Name: sbomspec.FormatSPDXJSON, Version: "2.3"}} {
				b, err := res.Encode(f)
				if err != nil {
					t.Fatalf("Encode(%s) = %v", f, err)
				}
				if v, err := sbomdoc.Validate(b); err != nil {
					t.Errorf("Validate(%s output) = %v", f, err)
				} else if err := v.Err(); err != nil {
					t.Errorf("%s output breaks its format's rules: %v", f, v.Violations)
				}
				if strings.Contains(string(b), os.TempDir()) {
					t.Errorf("%s output names a temporary path", f)
				}
				doc, err := sbomdoc.Decode(b)
				if err != nil {
					t.Fatal(err)
				}
				if p, _ := sbomdoc.Check(doc).Percent(sbomdoc.ElemDependencies); p != 100 && len(doc.Components) > 0 {
					t.Errorf("%s: dependencies %v%%, want 100", f, p)
				}
			}
		})
	}
}

// TestGenerateSupplierAndHashes checks the improvements over syft's
// defaults on the fixture: suppliers from package metadata (Debian
// maintainers, the Python author) and never on packages whose metadata
// names nobody, hashes from the npm lock file, no file entries.
func TestGenerateSupplierAndHashes(t *testing.T) {
	t.Parallel()
	res := sharedScan(t)
	b, err := res.Encode(sbomspec.DefaultFormat)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := sbomdoc.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]sbomdoc.Component{}
	for _, c := range doc.Components {
		got[c.Name] = c
	}
	suppliers := map[string]string{
		"libc6": "GNU Libc Maintainers", "zlib1g": "Mark Brown", "requests": "Kenneth Reitz",
		"lodash": "", "left-pad": "", "github.com/google/uuid": "", "golang.org/x/text": "",
	}
	for name, want := range suppliers {
		if s := got[name].Supplier; s != want {
			t.Errorf("%s supplier = %q, want %q", name, s, want)
		}
	}
	_, lodash := integrity("lodash-4.17.21")
	if diff := cmp.Diff(map[string]string{"sha512": lodash}, got["lodash"].Hashes); diff != "" {
		t.Errorf("lodash hashes (-want +got):\n%s", diff)
	}
	if doc.Files != 0 {
		t.Errorf("%d file entries without IncludeFiles", doc.Files)
	}
}

// TestGenerateIncludeFiles: with IncludeFiles the package-owned files
// come back, with their digests, as syft writes them by default.
func TestGenerateIncludeFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFixture(t, dir)
	res, err := Generate(context.Background(), sbomspec.Config{Target: dir, IncludeFiles: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []sbomspec.Format{sbomspec.DefaultFormat, {Name: sbomspec.FormatSPDXJSON, Version: "2.3"}} {
		b, err := res.Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := sbomdoc.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if doc.Files == 0 {
			t.Errorf("%s: no file entries with IncludeFiles", f)
		}
	}
}

func TestGenerateBadTargets(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	corrupt := filepath.Join(base, "corrupt.zip")
	must(t, os.WriteFile(corrupt, []byte("PK\x03\x04 this is not a zip at all"), 0o644))
	corruptTar := filepath.Join(base, "corrupt.tar.gz")
	must(t, os.WriteFile(corruptTar, []byte("\x1f\x8b\x08\x00 not gzip data"), 0o644))
	fakeDocker := filepath.Join(base, "image.tar")
	must(t, os.WriteFile(fakeDocker, tarBytes(t, map[string]string{"manifest.json": "[{\"Config\": \"nope.json\", \"Layers\": [\"missing.tar\"]}]"}), 0o644))
	fakeOCI := filepath.Join(base, "oci")
	writeFiles(t, fakeOCI, map[string]string{"oci-layout": `{"imageLayoutVersion": "1.0.0"}`, "index.json": `{"schemaVersion": 2, "manifests": []}`})
	fifo := filepath.Join(base, "fifo")
	tests := []struct {
		target  string
		wantErr error
	}{
		{filepath.Join(base, "missing"), ErrNoTarget},
		{"", ErrNoTarget},
		{"dir:" + corrupt, ErrNoTarget},
		{"file:" + base, ErrNoTarget},
		{"oci-dir:" + filepath.Join(base, "missing"), ErrNoTarget},
		{"oci-dir:" + base, ErrNotLayout},
		{corrupt, ErrArchive},
		{corruptTar, ErrArchive},
		{fakeDocker, ErrArchive},
		{fakeOCI, ErrArchive},
		{"registry:", ErrImage},
		{fifo, ErrNotFile},
		// Named with a scheme, a device or pipe is refused too: syft would
		// read /dev/zero forever, and a pipe is read more than once.
		{"file:/dev/null", ErrNotFile},
		{"file:/dev/zero", ErrNotFile},
		{"archive:/dev/zero", ErrNotFile},
		{"oci-archive:" + fifo, ErrNotFile},
		{"docker-archive:" + fifo, ErrNotFile},
	}
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(base, "dangling")
	must(t, os.Symlink("gone.tar.gz", dangling))
	tests = append(tests, struct {
		target  string
		wantErr error
	}{dangling, ErrNoTarget})
	for _, tt := range tests {
		res, err := Generate(context.Background(), sbomspec.Config{Target: tt.target})
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("Generate(%q) = %v, want %v", tt.target, err, tt.wantErr)
		}
		if !errors.Is(err, ErrTarget) {
			t.Errorf("Generate(%q) = %v, want an ErrTarget", tt.target, err)
		}
		if res != nil {
			t.Errorf("Generate(%q) returned a result with its error", tt.target)
		}
	}
}

// TestGenerateBadTargetMessages: the error says what the path is, not
// that nothing is there: a pipe is a named pipe, a device a character
// device, and a link to nothing names where it points.
func TestGenerateBadTargetMessages(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	fifo := filepath.Join(base, "fifo")
	if err := mkfifo(fifo); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(base, "dangling")
	must(t, os.Symlink("gone.tar.gz", dangling))
	half := filepath.Join(base, "half")
	writeFiles(t, half, map[string]string{"index.json": `{"schemaVersion": 2, "manifests": []}`})
	tests := []struct{ target, want string }{
		// A directory given as oci-dir: that is no layout was "archive
		// cannot be read safely".
		{"oci-dir:" + base, "not an OCI image layout: " + strconv.Quote(base) + " has no oci-layout or index.json, which an OCI image layout has: to scan the files of the directory, give it as dir:" + base},
		{"oci-dir:" + half, strconv.Quote(half) + " has no oci-layout,"},
		{fifo, "is a named pipe"},
		{"file:/dev/null", "is a character device"},
		{dangling, `is a symbolic link to "gone.tar.gz", which does not exist`},
	}
	for _, tt := range tests {
		_, err := Generate(context.Background(), sbomspec.Config{Target: tt.target})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Generate(%q) = %v, want an error saying %q", tt.target, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "no such file") && tt.target != dangling {
			t.Errorf("Generate(%q) = %v: it exists", tt.target, err)
		}
	}
}

// TestGenerateSymlinkLoops: a tree with symbolic link loops (a link to
// itself, two links to each other, a link to its own parent) is scanned
// to the end, and the packages beside the loops are found.
func TestGenerateSymlinkLoops(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFixture(t, dir)
	for link, target := range map[string]string{"self": "self", "ping": "pong", "pong": "ping", "app/up": "..", "deep/down": "../deep"} {
		p := filepath.Join(dir, link)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.Symlink(target, p))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := Generate(ctx, sbomspec.Config{Target: dir})
	if err != nil {
		t.Fatalf("Generate = %v", err)
	}
	if m := missingKeys(res.PackageKeys(), fixtureDirPackages); len(m) > 0 {
		t.Errorf("packages %q missing from %q", m, res.PackageKeys())
	}
}

// TestGenerateTellsWorkDirs: Config.WorkDir hears of every directory the
// scan makes for itself, by its absolute path, when it is made and once
// it is removed: here the pin of an archive target beside it and the
// archive's extraction. consign removes those a killed consign-sbom
// made and did not remove by what it heard.
func TestGenerateTellsWorkDirs(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	archive := filepath.Join(base, "app.tar")
	must(t, os.WriteFile(archive, tarBytes(t, map[string]string{"go.mod": "module example.com/app\n\ngo 1.22\n"}), 0o644))
	var mu sync.Mutex
	var events []string
	made := map[string]bool{}
	_, err := Generate(context.Background(), sbomspec.Config{Target: archive, WorkDir: func(dir string, m bool) {
		mu.Lock()
		defer mu.Unlock()
		if !filepath.IsAbs(dir) {
			t.Errorf("WorkDir(%q): not an absolute path", dir)
		}
		if fi, err := os.Stat(dir); m && (err != nil || !fi.IsDir()) {
			t.Errorf("WorkDir(%q, made): %v, want the directory there", dir, err)
		}
		if _, err := os.Stat(dir); !m && !errors.Is(err, os.ErrNotExist) {
			t.Errorf("WorkDir(%q, removed): %v, want it gone", dir, err)
		}
		if m {
			made[dir] = true
			events = append(events, "+"+filepath.Base(filepath.Dir(dir)))
		} else {
			delete(made, dir)
			events = append(events, "-")
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 4 || events[0] != "+"+filepath.Base(base) || len(made) != 0 {
		t.Errorf("WorkDir heard %v, %d left; want the pin beside the archive and the extraction, each made then removed", events, len(made))
	}
}
