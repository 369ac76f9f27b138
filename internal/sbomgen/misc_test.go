package sbomgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/anchore/syft/syft/format/cyclonedxjson"
	"github.com/google/go-cmp/cmp"
	"github.com/wagoodman/go-progress"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// TestEncodeUnknownFormat: Encode refuses a format version
// sbomspec.ParseFormat would refuse.
func TestEncodeUnknownFormat(t *testing.T) {
	t.Parallel()
	res := sharedScan(t)
	if _, err := res.Encode(sbomspec.Format{Name: sbomspec.FormatCycloneDXJSON, Version: "1.1"}); !errors.Is(err, sbomdoc.ErrUnsupportedFormat) {
		t.Errorf("Encode(cyclonedx-json@1.1) = %v, want sbomdoc.ErrUnsupportedFormat", err)
	}
}

// TestOwnTreeDependencies scans consign's own source tree, a Go module
// with hundreds of dependencies, and checks the headline improvement:
// consign's CycloneDX SBOM has every component in the dependency graph,
// where syft's own CycloneDX writer, given the very same scan, leaves the
// root without edges and most components outside the graph
// (anchore/syft#3071).
func TestOwnTreeDependencies(t *testing.T) {
	t.Parallel()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	must(t, err)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the repository root %s has no go.mod: %v", root, err)
	}
	res, err := Generate(context.Background(), sbomspec.Config{Target: root})
	if err != nil {
		t.Fatal(err)
	}
	if n := res.PackageTypes()["go-module"]; n < 100 {
		t.Fatalf("%d Go modules in consign's tree, want the hundreds in go.mod", n)
	}
	ours, err := res.Encode(sbomspec.DefaultFormat)
	must(t, err)
	doc, err := sbomdoc.Decode(ours)
	must(t, err)
	rep := sbomdoc.Check(doc)
	if p, _ := rep.Percent(sbomdoc.ElemDependencies); p != 100 {
		t.Errorf("consign's SBOM of its own tree: dependencies %v%%, want 100", p)
	}
	// With the module cache, the modules form a graph: the subject depends
	// on what go.mod requires directly (and on what nothing else depends
	// on), not on every module.
	if n := len(doc.Subject.DependsOn); n == 0 || n > len(doc.Components)/4 {
		t.Errorf("the subject depends on %d of %d components: want the direct requirements, not a flat list", n, len(doc.Components))
	}
	// syft's own writer, given syft's own catalogue (no module cache: none
	// of consign's additions).
	plain, err := Generate(context.Background(), sbomspec.Config{Target: root, NoGoModCache: true})
	must(t, err)
	enc, err := cyclonedxjson.NewFormatEncoderWithConfig(cyclonedxjson.DefaultEncoderConfig())
	must(t, err)
	var buf bytes.Buffer
	must(t, enc.Encode(&buf, *plain.s))
	theirs, err := sbomdoc.Decode(buf.Bytes())
	must(t, err)
	p, _ := sbomdoc.Check(theirs).Percent(sbomdoc.ElemDependencies)
	if p > 50 {
		t.Errorf("syft's CycloneDX writer: dependencies %v%%; the test expects the gap consign fills", p)
	}
	t.Logf("dependencies: consign %s, syft's writer %s, of %d components", sbomdoc.FormatPercent(100), sbomdoc.FormatPercent(p), len(doc.Components))
}

func TestProgress(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFixture(t, dir)
	var (
		mu     sync.Mutex
		events []sbomspec.Progress
	)
	res, err := Generate(context.Background(), sbomspec.Config{Target: dir, Progress: func(p sbomspec.Progress) {
		mu.Lock()
		events = append(events, p)
		mu.Unlock()
	}})
	must(t, err)
	mu.Lock()
	defer mu.Unlock()
	if len(events) == 0 || !events[len(events)-1].Done {
		t.Fatalf("events = %+v, want a last one with Done", events)
	}
	last := events[len(events)-1]
	if last.Packages != int64(res.Packages()) {
		t.Errorf("last event has %d packages, the result %d", last.Packages, res.Packages())
	}
	for i, e := range events {
		if e.Files > int64(len(fixtureFiles())) {
			t.Errorf("event %d counts %d files, the tree has %d", i, e.Files, len(fixtureFiles()))
		}
		if i > 0 && (e.Elapsed < events[i-1].Elapsed || e.Files < events[i-1].Files) {
			t.Errorf("event %d goes backwards: %+v after %+v", i, e, events[i-1])
		}
	}
}

func TestCountFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFixture(t, dir)
	s := &scanState{root: dir}
	s.countFiles(context.Background())
	if got, want := s.files.Load(), int64(len(fixtureFiles())); got != want {
		t.Errorf("countFiles = %d, want %d", got, want)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s = &scanState{root: dir}
	s.countFiles(ctx)
	if got := s.files.Load(); got != 0 {
		t.Errorf("countFiles after cancel = %d, want 0", got)
	}
}

// TestHubWarnings: syft's indexer warnings reach the scans whose root
// holds the path, relative to it, and no other; other log lines are dropped.
func TestHubWarnings(t *testing.T) {
	t.Parallel()
	a := &scanState{root: "/scan/a"}
	b := &scanState{root: "/scan/b"}
	h := &scanHub{scans: map[*scanState]bool{a: true, b: true}}
	h.warn("/scan/a/secret", "cannot be read: open /scan/a/secret: permission denied")
	h.warn("/scan/ab/x", "cannot be read")
	h.warn("/elsewhere", "cannot be read")
	if diff := cmp.Diff([]string{"secret: cannot be read: open ./secret: permission denied"}, a.takeWarnings()); diff != "" {
		t.Errorf("scan a warnings (-want +got):\n%s", diff)
	}
	if got := b.takeWarnings(); len(got) != 0 {
		t.Errorf("scan b got %q", got)
	}
	// The logger keeps only the indexer's access warning.
	hubLogger{}.Warnf("something else %q", "/scan/a/x")
	hubLogger{}.Warnf(accessWarning, 42, errors.New("not a path"))
}

func TestRedact(t *testing.T) {
	t.Parallel()
	secret := "p@ss word/+"
	err := fmt.Errorf("%w: dial user:%s@host, auth %s, url %s", ErrImage, secret, "cEBzcyB3b3JkLys=", "p%40ss+word%2F%2B")
	got := redactError(err, []string{secret})
	if !errors.Is(got, ErrImage) || !errors.Is(got, ErrTarget) {
		t.Errorf("redactError lost the sentinel: %v", got)
	}
	for _, form := range []string{secret, "cEBzcyB3b3JkLys=", "p%40ss+word%2F%2B"} {
		if strings.Contains(got.Error(), form) {
			t.Errorf("redacted error %q still holds %q", got, form)
		}
	}
	if plain := errors.New("nothing secret"); redactError(plain, []string{secret}) != plain {
		t.Error("redactError wrapped an error that holds no secret")
	}
}

func TestRegistryTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, path, user, pass string
		wantErr              bool
	}{
		{in: "ghcr.io/acme/app:1.0", path: "ghcr.io/acme/app:1.0"},
		{in: "alpine", path: "alpine"},
		{in: "ghcr.io/acme/app@sha256:" + strings.Repeat("a", 64), path: "ghcr.io/acme/app@sha256:" + strings.Repeat("a", 64)},
		{in: "bob:s3cr%40t@ghcr.io/acme/app:1.0", path: "ghcr.io/acme/app:1.0", user: "bob", pass: "s3cr@t"},
		{in: "//bob:pw@127.0.0.1:5000/app@sha256:" + strings.Repeat("b", 64), path: "127.0.0.1:5000/app@sha256:" + strings.Repeat("b", 64), user: "bob", pass: "pw"},
		{in: "u:p/a@ss:w@rd@host:5000/app:1.0", path: "host:5000/app:1.0", user: "u", pass: "p/a@ss:w@rd"},
		{in: "", wantErr: true},
		{in: "bob:pw@", wantErr: true},
		{in: ":pw@host/app", wantErr: true},
		{in: "bob:%zz@host/app", wantErr: true},
	}
	for _, tt := range tests {
		got, err := registryTarget(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrImage) {
				t.Errorf("registryTarget(%q) = %v, want ErrImage", tt.in, err)
			}
			continue
		}
		if err != nil || got.path != tt.path || got.display != tt.path {
			t.Errorf("registryTarget(%q) = %+v, %v; want path %q", tt.in, got, err, tt.path)
		}
		if (got.creds == nil) != (tt.user == "") || got.creds != nil && (got.creds.Username != tt.user || got.creds.Password != tt.pass) {
			t.Errorf("registryTarget(%q) credentials = %+v, want %s/%s", tt.in, got.creds, tt.user, tt.pass)
		}
	}
}

func TestSupplierParsing(t *testing.T) {
	t.Parallel()
	tests := map[string]supplier{
		"GNU Libc Maintainers <debian-glibc@lists.debian.org>":             {name: "GNU Libc Maintainers", email: "debian-glibc@lists.debian.org", org: true},
		"John-David Dalton <john@example.com> (http://allyoucanleet.com/)": {name: "John-David Dalton", email: "john@example.com"},
		"me@example.com": {email: "me@example.com"},
		"Kenneth Reitz":  {name: "Kenneth Reitz"},
		"  ":             {},
		"The Go Authors": {name: "The Go Authors", org: true},
		"a <b> <c>":      {name: "a <b> <c>"},
	}
	for in, want := range tests {
		got := parseNameEmail(in)
		got.org = looksLikeOrganisation(got.name)
		if got != want {
			t.Errorf("parseNameEmail(%q) = %+v, want %+v", in, got, want)
		}
	}
}

func TestSRI(t *testing.T) {
	t.Parallel()
	sri, hexSum := integrity("x")
	out := map[string]string{}
	addSRI(out, sri+" sha1-qUqP5cyxm6YcTAhz05Hph5gvu9M= sha256-notbase64! md5-AAAA")
	want := map[string]string{"sha512": hexSum, "sha1": "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("addSRI (-want +got):\n%s", diff)
	}
}

// TestGenerateInvalidConfig: Generate checks its configuration first.
func TestGenerateInvalidConfig(t *testing.T) {
	t.Parallel()
	for _, c := range []sbomspec.Config{{}, {Target: ".", MaxArchiveBytes: -1}, {Target: ".", MaxArchiveEntries: -1}} {
		if _, err := Generate(context.Background(), c); !errors.Is(err, sbomspec.ErrConfig) {
			t.Errorf("Generate(%+v) = %v, want sbomspec.ErrConfig", c, err)
		}
	}
}

// TestProgressPhases: a real scan of a Go module and an npm package,
// with a module cache holding one module's licence, reports each phase in
// order, the licence lookups and outputs counted, and Done once, last.
func TestProgressPhases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tree, cache := filepath.Join(dir, "tree"), filepath.Join(dir, "cache")
	writeFiles(t, tree, map[string]string{
		"go.mod":       "module example.com/app\n\ngo 1.22\n\nrequire github.com/google/uuid v1.6.0\n",
		"package.json": `{"name": "web", "version": "1.0.0"}` + "\n",
	})
	writeFiles(t, cache, fixtureModCache())
	var (
		mu     sync.Mutex
		events []sbomspec.Progress
	)
	made, res, err := makeSBOMs(context.Background(), sbomspec.Request{
		Config: sbomspec.Config{Target: tree, GoModCache: cache, Progress: func(p sbomspec.Progress) {
			mu.Lock()
			events = append(events, p)
			mu.Unlock()
		}},
		Outputs: []sbomspec.Output{{Format: sbomspec.DefaultFormat, Path: "a.json"}, {Format: sbomspec.Format{Name: sbomspec.FormatSPDXJSON, Version: "2.3"}, Path: "b.json"}},
	})
	must(t, err)
	mu.Lock()
	defer mu.Unlock()
	var phases []sbomspec.Phase
	for i, e := range events {
		if len(phases) == 0 || phases[len(phases)-1] != e.Phase {
			phases = append(phases, e.Phase)
		}
		if e.Done != (i == len(events)-1) {
			t.Errorf("event %d of %d has Done = %v", i, len(events), e.Done)
		}
		if i > 0 && (e.Elapsed < events[i-1].Elapsed || e.Files < events[i-1].Files) {
			t.Errorf("event %d goes backwards: %+v after %+v", i, e, events[i-1])
		}
		if e.Step > e.Steps {
			t.Errorf("event %d: step %d of %d", i, e.Step, e.Steps)
		}
	}
	want := []sbomspec.Phase{sbomspec.PhaseIndexing, sbomspec.PhaseCataloguing, sbomspec.PhaseLicences, sbomspec.PhaseEncoding}
	if !slices.Equal(phases, want) {
		t.Fatalf("phases = %v, want %v", phases, want)
	}
	last := events[len(events)-1]
	if last.Step != 2 || last.Steps != 2 || last.Packages != int64(made.Packages) || made.Packages != res.Packages() {
		t.Errorf("last event = %+v, made %d packages, the scan %d; want 2 of 2 outputs and the scan's packages", last, made.Packages, res.Packages())
	}
	if got := goLicences(t, res, "github.com/google/uuid"); !slices.Equal(got, []string{"BSD-3-Clause"}) {
		t.Errorf("uuid licences = %v, want BSD-3-Clause from the cache", got)
	}
}

// TestPackageCount: the package cataloguing stage's count is read from
// its text, and a stage with no text yet (the first moment of the task)
// counts nothing rather than failing.
func TestPackageCount(t *testing.T) {
	for stage, want := range map[string]int64{"": 0, " ": 0, "7 packages": 7, "1,234 packages": 1234, "odd": 0} {
		s := &scanState{packages: progress.NewAtomicStage(stage)}
		if got := s.packageCount(); got != want {
			t.Errorf("packageCount with stage %q = %d, want %d", stage, got, want)
		}
	}
}
