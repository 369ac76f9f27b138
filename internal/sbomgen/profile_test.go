package sbomgen

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// TestMakeProfile scans the fixture tree, with a jar that is a component
// of its own, for each profile: every output is valid, says when in the
// software's life it was made, and with bsi-tr-03183-2 the jar carries
// its SHA-512 and file properties; what the report says is missing is
// what a check of the output finds missing, and nothing consign can fill
// is among it.
func TestMakeProfile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	files := fixtureFiles()
	jar := string(zipBytes(t, map[string]string{
		"META-INF/MANIFEST.MF": "Manifest-Version: 1.0\nImplementation-Title: greeter\nImplementation-Version: 1.2.3\nImplementation-Vendor: Acme\n",
		"acme/Greeter.class":   "\xca\xfe\xba\xbe",
	}))
	files["lib/greeter-1.2.3.jar"] = jar
	writeFiles(t, dir, files)
	sum := sha512.Sum512([]byte(jar))
	jarSHA512 := hex.EncodeToString(sum[:])
	epoch := time.Unix(1700000000, 0).UTC()

	for _, profile := range sbomdoc.ProfileNames() {
		t.Run(profile, func(t *testing.T) {
			t.Parallel()
			outs := []sbomspec.Output{
				{Format: sbomspec.Format{Name: sbomspec.FormatCycloneDXJSON, Version: "1.6"}, Path: "a.cdx.json"},
				{Format: sbomspec.Format{Name: sbomspec.FormatCycloneDXXML, Version: "1.7"}, Path: "a.cdx.xml"},
				{Format: sbomspec.Format{Name: sbomspec.FormatSPDXJSON, Version: "2.3"}, Path: "a.spdx.json"},
			}
			made, err := Make(context.Background(), sbomspec.Request{
				Config:  sbomspec.Config{Target: dir, Name: "fixture", Epoch: &epoch, NoGoModCache: true, Profile: profile},
				Outputs: outs,
			})
			if err != nil {
				t.Fatalf("Make = %v", err)
			}
			if len(made.Profiles) != len(outs) {
				t.Fatalf("Make made %d profile reports, want %d", len(made.Profiles), len(outs))
			}
			for i, rep := range made.Profiles {
				b := made.Files[i].Data
				v, err := sbomdoc.Validate(b)
				if err != nil || v.Err() != nil {
					t.Fatalf("%s: Validate = %v, %v", rep.Output.Format, err, v.Violations)
				}
				doc, err := sbomdoc.Decode(b)
				if err != nil {
					t.Fatal(err)
				}
				check, err := sbomdoc.CheckProfile(doc, profile)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := missing(rep.Result), missing(check); !slices.Equal(got, want) {
					t.Errorf("%s: reported missing %v, a check of the output finds %v", rep.Output.Format, got, want)
				}
				cdx := rep.Output.Format.Name != sbomspec.FormatSPDXJSON
				got := missing(rep.Result)
				// Always there: timestamp and tools; the generation context in CycloneDX.
				for _, e := range []string{"timestamp", "tool-name", "author"} {
					if slices.Contains(got, e) {
						t.Errorf("%s: %s missing", rep.Output.Format, e)
					}
				}
				if cdx && slices.Contains(got, "generation-context") {
					t.Errorf("%s: generation-context missing", rep.Output.Format)
				}
				if profile == sbomdoc.ProfileCISA && !cdx && !slices.Contains(got, "generation-context") {
					t.Errorf("%s: SPDX 2 cannot say the generation context, yet it is not reported missing", rep.Output.Format)
				}
				if profile != sbomdoc.ProfileBSI || !cdx {
					continue
				}
				var greeter *sbomdoc.Component
				for i := range doc.Components {
					if doc.Components[i].Name == "greeter" {
						greeter = &doc.Components[i]
					}
				}
				switch {
				case greeter == nil:
					t.Errorf("%s: no greeter component", rep.Output.Format)
				case greeter.Hashes["sha512"] != jarSHA512:
					t.Errorf("%s: greeter SHA-512 = %q, want the jar's %s", rep.Output.Format, greeter.Hashes["sha512"], jarSHA512)
				case greeter.FileName != "greeter-1.2.3.jar" || greeter.Properties["bsi:component:archive"] != "archive" || greeter.Properties["bsi:component:executable"] != "non-executable":
					t.Errorf("%s: greeter file %q, properties %v", rep.Output.Format, greeter.FileName, greeter.Properties)
				}
				for _, e := range rep.Result.Elements {
					if e.Element == "hash-sha512" && (e.Status != sbomdoc.StatusMissing || slices.Contains(e.Missing, greeter.Label()) || len(e.Missing) == 0) {
						t.Errorf("%s: hash-sha512 = %+v, want the jar covered and the packages read from manifests missing", rep.Output.Format, e)
					}
				}
			}
		})
	}
}

func missing(r *sbomdoc.ProfileResult) []string {
	var out []string
	for _, e := range r.Elements {
		if e.Status == sbomdoc.StatusMissing {
			out = append(out, e.Element)
		}
	}
	return out
}

func TestKindOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		head, name   string
		exe, archive bool
	}{
		{"\x7fELF\x02\x01", "app", true, false},
		{"MZ\x90\x00", "app.exe", true, false},
		{"\xcf\xfa\xed\xfe", "app", true, false},
		{"PK\x03\x04", "a.jar", false, true},
		{"\x1f\x8b\x08", "a.tgz", false, true},
		{"hello", "a.tar", false, true},
		{"hello", "README", false, false},
	}
	for _, tt := range tests {
		if exe, arc := kindOf([]byte(tt.head), tt.name); exe != tt.exe || arc != tt.archive {
			t.Errorf("kindOf(%q, %s) = %v, %v, want %v, %v", tt.head, tt.name, exe, arc, tt.exe, tt.archive)
		}
	}
	if _, ok := probeDeployable(filepath.Join(t.TempDir(), "absent")); ok {
		t.Error("probeDeployable(absent file) = ok")
	}
}
