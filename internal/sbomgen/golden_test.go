package sbomgen

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
	"github.com/consign-dev/consign/internal/testutil/golden"
)

// goldenFormats are the formats and versions compared with golden files.
var goldenFormats = []string{
	"cyclonedx-json", "cyclonedx-json@1.6", "cyclonedx-json@1.5", "cyclonedx-json@1.4", "cyclonedx-json@1.3", "cyclonedx-json@1.2",
	"cyclonedx-xml", "cyclonedx-xml@1.6",
	"spdx-json", "spdx-json@2.2", "spdx-json@3.0.1", "spdx-tagvalue",
	"syft-json",
}

// TestGolden scans the fixture twice with SOURCE_DATE_EPOCH semantics and
// checks that every format comes out byte for byte the same both times
// (syft alone puts a random serial number and the current time in every
// SBOM), equal to its golden file, valid against the official JSON Schema,
// and readable again with every component in the dependency graph.
//
// Run 'go test ./internal/sbomgen -run TestGolden -update' to rewrite the
// golden files after a deliberate change.
func TestGolden(t *testing.T) {
	dir := t.TempDir()
	writeFixture(t, filepath.Join(dir, "fixture"))
	writeFiles(t, filepath.Join(dir, "modcache"), fixtureModCache())
	t.Chdir(dir) // the target is named as a user names it: a relative path
	epoch := time.Unix(1700000000, 0).UTC()
	cfg := sbomspec.Config{Target: "fixture", Epoch: &epoch, ToolVersion: "test", GoModCache: "modcache"}
	first, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Generate = %v", err)
	}
	second, err := Generate(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Generate (again) = %v", err)
	}
	for _, name := range goldenFormats {
		t.Run(name, func(t *testing.T) {
			f, err := sbomspec.ParseFormat(name)
			if err != nil {
				t.Fatal(err)
			}
			a, err := first.Encode(f)
			if err != nil {
				t.Fatalf("Encode(%s) = %v", f, err)
			}
			b, err := second.Encode(f)
			if err != nil {
				t.Fatalf("Encode(%s) = %v", f, err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("two scans of the same tree gave different %s bytes", f)
			}
			golden.Check(t, "sbom", a)
			if strings.Contains(string(a), dir) {
				t.Errorf("%s output holds the scan's absolute path %q", f, dir)
			}
			if f.Name == sbomspec.FormatSyftJSON {
				return
			}
			if v, err := sbomdoc.Validate(a); err != nil {
				t.Errorf("Validate(%s output) = %v", f, err)
			} else if err := v.Err(); err != nil {
				t.Errorf("%s output breaks its format's rules: %v", f, v.Violations)
			}
			doc, err := sbomdoc.Decode(a)
			if err != nil {
				t.Fatalf("sbomdoc.Decode(Encode(%s)) = %v", f, err)
			}
			if doc.Format != f.Name || doc.SpecVersion != f.Version {
				t.Errorf("sbomdoc.Decode(Encode(%s)) is %s@%s", f, doc.Format, doc.SpecVersion)
			}
			if got, want := doc.Timestamp, epoch; !got.Equal(want) {
				t.Errorf("timestamp = %v, want SOURCE_DATE_EPOCH %v", got, want)
			}
			rep := sbomdoc.Check(doc)
			if p, _ := rep.Percent(sbomdoc.ElemDependencies); p != 100 {
				t.Errorf("dependencies coverage = %v%%, want 100%% (missing %q)", p, rep.Coverage[4].Missing)
			}
			if doc.Files != 0 {
				t.Errorf("%d file entries, want none without IncludeFiles", doc.Files)
			}
		})
	}
}

// TestNotReproducibleWithoutEpoch checks the other mode: without an epoch,
// the timestamp comes from Now and each encoding gets a fresh serial
// number, as CycloneDX asks of SBOMs that are not meant to be reproduced.
func TestNotReproducibleWithoutEpoch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"var/lib/dpkg/status": fixtureFiles()["var/lib/dpkg/status"]})
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	res, err := Generate(context.Background(), sbomspec.Config{Target: dir, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	a, err := res.Encode(sbomspec.DefaultFormat)
	if err != nil {
		t.Fatal(err)
	}
	b, err := res.Encode(sbomspec.DefaultFormat)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("two encodings without an epoch have the same serial number")
	}
	doc, err := sbomdoc.Decode(a)
	if err != nil {
		t.Fatal(err)
	}
	if !doc.Timestamp.Equal(now) {
		t.Errorf("timestamp = %v, want Now() = %v", doc.Timestamp, now)
	}
}
