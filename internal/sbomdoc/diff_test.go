package sbomdoc

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiff(t *testing.T) {
	t.Parallel()
	oldDoc := &Document{Components: []Component{
		{Name: "lodash", Version: "4.17.20", PURL: "pkg:npm/lodash@4.17.20", Licenses: []string{"MIT"}},
		{Name: "lodash", Version: "3.10.1", PURL: "pkg:npm/lodash@3.10.1", Licenses: []string{"MIT"}},
		{Name: "left-pad", Version: "1.3.0", PURL: "pkg:npm/left-pad@1.3.0", Licenses: []string{"WTFPL"}},
		{Name: "requests", Version: "2.31.0", Licenses: []string{"Apache 2.0"}},                  // no purl: matched by name
		{Name: "libc6", Version: "2.36", PURL: "pkg:deb/debian/libc6@2.36?arch=amd64"},           // qualifiers ignored
		{Name: "zlib", Version: "1.3", PURL: "pkg:generic/zlib@1.3", Licenses: []string{"Zlib"}}, // licence changes
		{Group: "org.apache", Name: "commons-io", Version: "2.15", PURL: "pkg:maven/org.apache/commons-io@2.15"},
	}}
	newDoc := &Document{Components: []Component{
		{Name: "lodash", Version: "4.17.21", PURL: "pkg:npm/lodash@4.17.21", Licenses: []string{"MIT"}},
		{Name: "requests", Version: "2.32.0", PURL: "pkg:pypi/requests@2.32.0", Licenses: []string{"LicenseRef-Apache-2.0"}},
		{Name: "libc6", Version: "2.36", PURL: "pkg:deb/debian/libc6@2.36?arch=arm64"},
		{Name: "zlib", Version: "1.3", PURL: "pkg:generic/zlib@1.3", Licenses: []string{"MIT"}},
		{Name: "axios", Version: "1.6.0", PURL: "pkg:npm/axios@1.6.0", Licenses: []string{"MIT"}},
		{Group: "org.apache", Name: "commons-io", Version: "2.16", PURL: "pkg:maven/org.apache/commons-io@2.16"},
	}}
	got := Diff(oldDoc, newDoc)
	want := &Changes{
		Added: []Component{newDoc.Components[4]},
		Removed: []Component{
			oldDoc.Components[2],
			oldDoc.Components[1], // lodash 3 left when 4.17.20 paired with 4.17.21
		},
		Changed: []Change{
			{Name: "lodash", PURL: "pkg:npm/lodash@4.17.21", OldVersion: "4.17.20", NewVersion: "4.17.21", OldLicenses: []string{"MIT"}, NewLicenses: []string{"MIT"}},
			{Name: "org.apache/commons-io", PURL: "pkg:maven/org.apache/commons-io@2.16", OldVersion: "2.15", NewVersion: "2.16"},
			{Name: "requests", PURL: "pkg:pypi/requests@2.32.0", OldVersion: "2.31.0", NewVersion: "2.32.0", OldLicenses: []string{"Apache 2.0"}, NewLicenses: []string{"LicenseRef-Apache-2.0"}},
			{Name: "zlib", PURL: "pkg:generic/zlib@1.3", OldVersion: "1.3", NewVersion: "1.3", OldLicenses: []string{"Zlib"}, NewLicenses: []string{"MIT"}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	if got.Changed[0].LicensesChanged() || !got.Changed[0].VersionChanged() {
		t.Errorf("lodash change = %+v: want a version change only", got.Changed[0])
	}
	if got.Changed[2].LicensesChanged() {
		t.Error("Apache 2.0 and LicenseRef-Apache-2.0 count as a licence change")
	}
	if !got.Changed[3].LicensesChanged() || got.Changed[3].VersionChanged() {
		t.Errorf("zlib change = %+v: want a licence change only", got.Changed[3])
	}
	if same := Diff(newDoc, newDoc); !same.Empty() {
		t.Errorf("Diff(x, x) = %+v, want nothing", same)
	}
}

// TestDiffAcrossFormats compares the hand-made SBOMs, which list the same
// components in every format: no differences.
func TestDiffAcrossFormats(t *testing.T) {
	t.Parallel()
	base, err := Decode(readDoc(t, "cyclonedx-1.6.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range handMade {
		other, err := Decode(readDoc(t, tt.file))
		if err != nil {
			t.Fatal(err)
		}
		if ch := Diff(base, other); !ch.Empty() {
			t.Errorf("Diff(cyclonedx-1.6.json, %s) = %+v, want no changes", tt.file, ch)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	t.Parallel()
	ordered := []string{"", "0.9", "1.0", "1.0.0", "1.0.1", "1.2", "1.10", "2.0-rc1", "4.17.9", "4.17.10", "4.17.21"}
	for i := range ordered {
		for j := range ordered {
			got := compareVersions(ordered[i], ordered[j])
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got != want {
				t.Errorf("compareVersions(%q, %q) = %d, want %d", ordered[i], ordered[j], got, want)
			}
		}
	}
}

// TestLicenceKeys: what different formats write for the same licences
// compares equal, and what differs does not.
func TestLicenceKeys(t *testing.T) {
	t.Parallel()
	hex := "ae29545608f708a0f778e8e5f9a5792641c974a7ec96a94f191026e93ef1a54f"
	tests := []struct {
		a, b []string
		same bool
	}{
		{[]string{"MIT", "sha256:" + hex}, []string{"MIT AND LicenseRef-" + hex}, true},
		{[]string{"Apache-2.0", "MIT"}, []string{"(Apache-2.0 AND MIT)"}, true},
		{[]string{"Expat (MIT/X11)"}, []string{"LicenseRef-Expat--MIT-X11-"}, true},
		{[]string{"GPLv2+"}, []string{"LicenseRef-GPLv2-"}, true},
		{[]string{"Apache License, Version 2.0"}, []string{"LicenseRef-Apache-License--Version-2.0"}, true},
		{[]string{"mit or apache-2.0"}, []string{"MIT OR Apache-2.0"}, true},
		{[]string{"(MIT AND BSD-3-Clause) OR Apache-2.0"}, []string{"((MIT AND BSD-3-Clause) OR Apache-2.0)"}, true},
		{[]string{"MIT OR Apache-2.0"}, []string{"MIT", "Apache-2.0"}, false}, // a choice is not both
		{[]string{"MIT AND (BSD-3-Clause OR Apache-2.0)"}, []string{"MIT", "BSD-3-Clause OR Apache-2.0"}, true},
		{[]string{"GPL-2.0-only WITH Classpath-exception-2.0"}, []string{"GPL-2.0-only"}, false},
		{[]string{"sha256:" + hex}, []string{"LicenseRef-" + hex[:63] + "0"}, false},
		{[]string{"GPL-2.0+"}, []string{"GPL-2.0-"}, false},
	}
	for _, tt := range tests {
		if got := sameLicences(tt.a, tt.b); got != tt.same {
			t.Errorf("sameLicences(%q, %q) = %v, want %v (keys %q, %q)", tt.a, tt.b, got, tt.same, licenceKeys(tt.a), licenceKeys(tt.b))
		}
	}
}

// TestDiffOperatingSystem: an operating system is compared when both SBOMs
// list one, and left out when one format cannot say it.
func TestDiffOperatingSystem(t *testing.T) {
	t.Parallel()
	lib := Component{Name: "zlib", Version: "1.3", PURL: "pkg:deb/debian/zlib@1.3"}
	deb12 := Component{Type: TypeOperatingSystem, Name: "debian", Version: "12"}
	deb13 := Component{Type: TypeOperatingSystem, Name: "debian", Version: "13"}
	withOS := &Document{Components: []Component{lib, deb12}}
	withoutOS := &Document{Components: []Component{lib}}
	if c := Diff(withOS, withoutOS); !c.Empty() {
		t.Errorf("Diff(with an OS, without) = %+v, want no change", c)
	}
	if c := Diff(withOS, &Document{Components: []Component{lib, deb13}}); len(c.Changed) != 1 || c.Changed[0].NewVersion != "13" {
		t.Errorf("Diff(debian 12, debian 13) = %+v, want the OS changed", c)
	}
}
