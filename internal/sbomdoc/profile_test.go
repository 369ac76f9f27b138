package sbomdoc

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// edit changes a decoded JSON document in place.
type edit func(t *testing.T, doc map[string]any)

// at walks path ("components/1/supplier") to the parent of its last key.
func at(t *testing.T, doc any, path string) (parent any, key string) {
	t.Helper()
	keys := strings.Split(path, "/")
	for _, k := range keys[:len(keys)-1] {
		switch v := doc.(type) {
		case map[string]any:
			doc = v[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i >= len(v) {
				t.Fatalf("no %s in the document", path)
			}
			doc = v[i]
		}
		if doc == nil {
			t.Fatalf("no %s in the document", path)
		}
	}
	return doc, keys[len(keys)-1]
}

// del deletes the key at path.
func del(path string) edit {
	return func(t *testing.T, doc map[string]any) {
		parent, key := at(t, doc, path)
		m, ok := parent.(map[string]any)
		if _, has := m[key]; !ok || !has {
			t.Fatalf("no %s to delete", path)
		}
		delete(m, key)
	}
}

// set sets path to the JSON value v.
func set(path, v string) edit {
	return func(t *testing.T, doc map[string]any) {
		parent, key := at(t, doc, path)
		var val any
		if err := json.Unmarshal([]byte(v), &val); err != nil {
			t.Fatal(err)
		}
		switch p := parent.(type) {
		case map[string]any:
			p[key] = val
		case []any:
			i, _ := strconv.Atoi(key)
			p[i] = val
		}
	}
}

// dropProperty removes component b's property name.
func dropProperty(name string) edit {
	return func(t *testing.T, doc map[string]any) {
		parent, _ := at(t, doc, "components/1/properties")
		props := parent.(map[string]any)["properties"].([]any)
		var kept []any
		for _, p := range props {
			if p.(map[string]any)["name"] != name {
				kept = append(kept, p)
			}
		}
		if len(kept) == len(props) {
			t.Fatalf("b has no property %s", name)
		}
		parent.(map[string]any)["properties"] = kept
	}
}

// TestProfilesOneElementMissing starts from a hand-made CycloneDX 1.6
// document that meets every profile, and takes away one element at a
// time: each profile reports that element missing, with the component
// that misses it, and every other element present.
func TestProfilesOneElementMissing(t *testing.T) {
	t.Parallel()
	base, err := os.ReadFile(filepath.Join(testdata, "profiles", "complete.cdx.json"))
	if err != nil {
		t.Fatal(err)
	}
	const b = "components/1/"
	noDeps := set("dependencies", `[{"ref": "app", "dependsOn": ["a"]}, {"ref": "a"}]`)
	noAuthors := func(t *testing.T, doc map[string]any) { del("metadata/authors")(t, doc); del("metadata/tools")(t, doc) }
	tests := []struct {
		profile, element string
		edit             edit
	}{
		{ProfileNTIA, "supplier", del(b + "supplier")},
		{ProfileNTIA, "name", set(b+"name", `""`)},
		{ProfileNTIA, "version", del(b + "version")},
		{ProfileNTIA, "identifiers", del(b + "purl")},
		{ProfileNTIA, "dependencies", noDeps},
		{ProfileNTIA, "author", noAuthors},
		{ProfileNTIA, "timestamp", del("metadata/timestamp")},
		{ProfileCISA, "sbom-author", del("metadata/authors")},
		{ProfileCISA, "software-producer", del(b + "supplier")},
		{ProfileCISA, "component-name", set(b+"name", `""`)},
		{ProfileCISA, "component-version", del(b + "version")},
		{ProfileCISA, "software-identifiers", del(b + "purl")},
		{ProfileCISA, "component-hash", del(b + "hashes")},
		{ProfileCISA, "license", del(b + "licenses")},
		{ProfileCISA, "dependency-relationship", noDeps},
		{ProfileCISA, "tool-name", del("metadata/tools")},
		{ProfileCISA, "timestamp", del("metadata/timestamp")},
		{ProfileCISA, "generation-context", del("metadata/lifecycles")},
		{ProfileBSI, "format", set("specVersion", `"1.5"`)},
		{ProfileBSI, "sbom-creator", del("metadata/authors/0/email")},
		{ProfileBSI, "timestamp", del("metadata/timestamp")},
		{ProfileBSI, "component-creator", del(b + "supplier/url")},
		{ProfileBSI, "component-name", set(b+"name", `""`)},
		{ProfileBSI, "component-version", del(b + "version")},
		{ProfileBSI, "filename", dropProperty("bsi:component:filename")},
		{ProfileBSI, "dependencies", noDeps},
		{ProfileBSI, "distribution-licences", set(b+"licenses", `[{"license": {"id": "MIT", "acknowledgement": "concluded"}}]`)},
		{ProfileBSI, "concluded-licences", set(b+"licenses", `[{"license": {"id": "MIT", "acknowledgement": "declared"}}]`)},
		{ProfileBSI, "hash-sha512", set(b+"hashes", `[{"alg": "SHA-256", "content": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}]`)},
		{ProfileBSI, "executable-property", dropProperty("bsi:component:executable")},
		{ProfileBSI, "archive-property", set(b+"properties/2", `{"name": "bsi:component:archive", "value": "maybe"}`)},
		{ProfileBSI, "structured-property", dropProperty("bsi:component:structured")},
		{ProfileBSI, "uris", del(b + "externalReferences")},
		{ProfileFSCT, "sbom-author", noAuthors},
		{ProfileFSCT, "timestamp", del("metadata/timestamp")},
		{ProfileFSCT, "primary-component", del("metadata/component")},
		{ProfileFSCT, "component-name", set(b+"name", `""`)},
		{ProfileFSCT, "version", del(b + "version")},
		{ProfileFSCT, "supplier-name", del(b + "supplier")},
		{ProfileFSCT, "unique-identifier", del(b + "purl")},
		{ProfileFSCT, "cryptographic-hash", del(b + "hashes")},
		{ProfileFSCT, "relationships", noDeps},
		{ProfileFSCT, "license", del(b + "licenses")},
		{ProfileFSCT, "copyright-notice", del(b + "copyright")},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.profile+"/"+tt.element] = true
		t.Run(tt.profile+"/"+tt.element, func(t *testing.T) {
			t.Parallel()
			var m map[string]any
			if err := json.Unmarshal(base, &m); err != nil {
				t.Fatal(err)
			}
			tt.edit(t, m)
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			doc, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode = %v", err)
			}
			r, err := CheckProfile(doc, tt.profile)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range r.Elements {
				if e.Element != tt.element {
					if e.Status != StatusPresent {
						t.Errorf("%s is %s (missing %v), want present", e.Element, e.Status, e.Missing)
					}
					continue
				}
				if e.Status != StatusMissing {
					t.Errorf("%s is %s, want missing", e.Element, e.Status)
				}
				if e.Total > 0 && (len(e.Missing) != 1 || !strings.HasPrefix(e.Missing[0], "b")) {
					t.Errorf("%s missing in %v, want b alone", e.Element, e.Missing)
				}
			}
			var pe *ProfileError
			if err := r.Err(); !errors.As(err, &pe) || !errors.Is(err, ErrProfile) || len(pe.Missing) != 1 || pe.Missing[0] != tt.element {
				t.Errorf("Err() = %v, want %s missing", err, tt.element)
			}
		})
	}
	// Every element of every profile is taken away once, and the complete
	// document meets every profile.
	doc, err := Decode(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range ProfileNames() {
		p, _ := LookupProfile(name)
		for _, e := range p.Elements {
			if !covered[name+"/"+e.Name] {
				t.Errorf("no test takes %s away from a %s document", e.Name, name)
			}
		}
		r, err := CheckProfile(doc, name)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Err(); err != nil {
			t.Errorf("the complete document: %v", err)
		}
	}
}

func TestProfileNotApplicableAndUnknown(t *testing.T) {
	t.Parallel()
	doc := &Document{Format: FormatSPDXJSON, SpecVersion: "2.3", Authors: []string{"Tool: t"}}
	r, err := CheckProfile(doc, ProfileNTIA)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"supplier": StatusNotApplicable, "dependencies": StatusNotApplicable, "author": StatusPresent, "timestamp": StatusMissing}
	for _, e := range r.Elements {
		if w, ok := want[e.Element]; ok && e.Status != w {
			t.Errorf("%s is %s, want %s", e.Element, e.Status, w)
		}
	}
	if _, err := CheckProfile(doc, "nist"); !errors.Is(err, ErrUnknownProfile) {
		t.Errorf("CheckProfile(nist) = %v, want ErrUnknownProfile", err)
	}
}

// TestProfilesDocumented holds docs/sbom.md to the profiles: each has its
// table there, with every element and what consign checks.
func TestProfilesDocumented(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join(testdata, "..", "..", "..", "docs", "sbom.md"))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, name := range ProfileNames() {
		p, _ := LookupProfile(name)
		_, table, ok := strings.Cut(md, "### `"+name+"`: "+p.Title+"\n")
		if !ok {
			t.Errorf("docs/sbom.md has no section for %s", name)
			continue
		}
		table, _, _ = strings.Cut(table, "\n\n\n")
		for _, e := range p.Elements {
			if !strings.Contains(table, "| `"+e.Name+"` | ") || !strings.Contains(table, e.What) {
				t.Errorf("docs/sbom.md: %s does not describe %s as %q", name, e.Name, e.What)
			}
		}
	}
}
