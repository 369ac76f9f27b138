package sbomgen

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// TestDiffEveryFormatPair: one scan written in every format consign writes
// and reads (syft JSON too), then read back and diffed pair by pair, shows
// no change. The
// fixture holds what the formats say differently: a Go module whose
// licence text is on no list (CycloneDX "sha256:HEX", SPDX
// "LicenseRef-HEX"), Python packages with licence names that are no SPDX
// id ("Expat (MIT/X11)", "GPLv2+"), a package under two licences (two
// CycloneDX entries, one SPDX AND expression), and a Debian system (an
// operating-system component in CycloneDX, none in SPDX 2).
func TestDiffEveryFormatPair(t *testing.T) {
	dir := t.TempDir()
	files := fixtureFiles()
	files["usr/lib/python3/dist-packages/dbus_python-1.3.2.dist-info/METADATA"] = "Metadata-Version: 2.1\nName: dbus-python\nVersion: 1.3.2\nLicense: Expat (MIT/X11)\n"
	files["usr/lib/python3/dist-packages/dbus_python-1.3.2.dist-info/RECORD"] = "dbus/__init__.py,,\n"
	files["usr/lib/python3/dist-packages/pycups-2.0.1.dist-info/METADATA"] = "Metadata-Version: 2.1\nName: pycups\nVersion: 2.0.1\nLicense: GPLv2+\n"
	files["usr/lib/python3/dist-packages/pycups-2.0.1.dist-info/RECORD"] = "cups.py,,\n"
	writeFiles(t, filepath.Join(dir, "fixture"), files)
	writeFiles(t, filepath.Join(dir, "modcache"), map[string]string{
		"github.com/google/uuid@v1.6.0/LICENSE":   bsd3Text,
		"golang.org/x/text@v0.14.0/LICENSE":       bsd3Text,
		"golang.org/x/text@v0.14.0/PATENTS":       "Additional IP Rights Grant (Patents)\n\nThis is a made-up patent grant that no licence list knows.\n",
		"golang.org/x/text@v0.14.0/LICENSE.other": "Some other terms, on no list either.\n",
	})
	t.Chdir(dir)
	epoch := time.Unix(1700000000, 0).UTC()
	res, err := Generate(context.Background(), sbomspec.Config{Target: "fixture", Epoch: &epoch, ToolVersion: "test", GoModCache: "modcache"})
	if err != nil {
		t.Fatalf("Generate = %v", err)
	}
	formats := []string{"cyclonedx-json", "cyclonedx-json@1.4", "cyclonedx-xml", "spdx-json", "spdx-json@2.2", "spdx-tagvalue", "spdx-json@3.0.1", "syft-json"}
	docs := map[string]*sbomdoc.Document{}
	for _, f := range formats {
		docs[f] = encodeDecode(t, res, f)
	}
	// The fixture holds what it is meant to: else the test proves nothing.
	var cdxLicences, spdxLicences []string
	for _, c := range docs["cyclonedx-json"].Components {
		cdxLicences = append(cdxLicences, c.Licenses...)
	}
	for _, c := range docs["spdx-json"].Components {
		spdxLicences = append(spdxLicences, c.Licenses...)
	}
	for _, want := range []string{"sha256:", "Expat (MIT/X11)", "GPLv2+"} {
		if !strings.Contains(strings.Join(cdxLicences, "|"), want) {
			t.Errorf("the CycloneDX SBOM has no licence %q: %q", want, cdxLicences)
		}
	}
	// syft JSON is read as the others are: the same components, and the
	// licences syft found.
	if got, want := len(docs["syft-json"].Components), len(docs["cyclonedx-json"].Components); got != want || got < len(fixtureDirPackages) {
		t.Errorf("syft JSON holds %d components, CycloneDX %d", got, want)
	}
	var syftLicences []string
	for _, c := range docs["syft-json"].Components {
		syftLicences = append(syftLicences, c.Licenses...)
	}
	if !strings.Contains(strings.Join(syftLicences, "|"), "GPLv2+") {
		t.Errorf("the syft JSON SBOM has no licence %q: %q", "GPLv2+", syftLicences)
	}
	if !strings.Contains(strings.Join(spdxLicences, "|"), "LicenseRef-") {
		t.Errorf("the SPDX SBOM has no LicenseRef-: %q", spdxLicences)
	}
	diffEveryPair(t, formats, docs)
}

// TestDiffEveryFormatPairEmptyScan: a scan that finds no package is, in
// every format, a document about the directory with no component (SPDX
// writes the directory as a package the document describes; it is the
// subject, as CycloneDX's metadata.component is, not an added component).
func TestDiffEveryFormatPairEmptyScan(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, filepath.Join(dir, "src"), map[string]string{"notes.txt": "no package here\n"})
	t.Chdir(dir)
	epoch := time.Unix(1700000000, 0).UTC()
	res, err := Generate(context.Background(), sbomspec.Config{Target: "src", Epoch: &epoch, ToolVersion: "test"})
	if err != nil {
		t.Fatalf("Generate = %v", err)
	}
	formats := []string{"cyclonedx-json", "cyclonedx-xml", "spdx-json", "spdx-json@2.2", "spdx-tagvalue", "spdx-json@3.0.1", "syft-json"}
	docs := map[string]*sbomdoc.Document{}
	for _, f := range formats {
		docs[f] = encodeDecode(t, res, f)
		if n := len(docs[f].Components); n != 0 {
			t.Errorf("%s: %d components of an empty scan, want none: %+v", f, n, docs[f].Components)
		}
	}
	diffEveryPair(t, formats, docs)
}

// diffEveryPair diffs each pair of docs both ways and wants no change.
func diffEveryPair(t *testing.T, formats []string, docs map[string]*sbomdoc.Document) {
	t.Helper()
	for i, a := range formats {
		for _, b := range formats[i+1:] {
			if c := sbomdoc.Diff(docs[a], docs[b]); !c.Empty() {
				t.Errorf("Diff(%s, %s) = %+v, want no change", a, b, c)
			}
			if c := sbomdoc.Diff(docs[b], docs[a]); !c.Empty() {
				t.Errorf("Diff(%s, %s) = %+v, want no change", b, a, c)
			}
		}
	}
}
