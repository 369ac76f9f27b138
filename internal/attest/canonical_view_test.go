package attest_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
)

// A link's signatures cover the canonical JSON of its signed part, which
// cjson encodes from the value encoding/json decodes; its name, command
// and artifacts are read from the bytes as given. Every reading must be
// the one that value holds, or two texts with one canonical form (one
// signature) could read differently. linkViews compares the two.
func linkViews(t testing.TB, signed []byte) {
	t.Helper()
	doc := append(append([]byte(`{"signatures":[{"keyid":"k","sig":"00"}],"signed":`), signed...), '}')
	items, err := attest.Read(doc, "given")
	if err != nil || len(items) != 1 || items[0].Link == nil {
		return // refused: nothing is read from it
	}
	l := items[0].Link
	if _, err := attest.Canonical(l.Signed); err != nil {
		return // refused when its signatures are checked
	}
	var v struct {
		Type      string                       `json:"_type"`
		Name      string                       `json:"name"`
		Command   []string                     `json:"command"`
		Materials map[string]map[string]string `json:"materials"`
		Products  map[string]map[string]string `json:"products"`
	}
	// Exact keys: what cjson's map holds (encoding/json alone would match
	// "NAME" to Name).
	var m map[string]json.RawMessage
	if err := json.Unmarshal(l.Signed, &m); err != nil {
		t.Fatalf("%q: %v", signed, err)
	}
	for k, dst := range map[string]any{"_type": &v.Type, "name": &v.Name, "command": &v.Command, "materials": &v.Materials, "products": &v.Products} {
		if raw, ok := m[k]; ok {
			if err := json.Unmarshal(raw, dst); err != nil && l.Type == "link" {
				t.Fatalf("%q: %s reads as a link's, not as JSON: %v", signed, k, err)
			}
		}
	}
	same := func(a map[string]digest.Set, b map[string]map[string]string) bool {
		if len(a) != len(b) {
			return false
		}
		for n, d := range a {
			if !reflect.DeepEqual(map[string]string(d), b[n]) {
				return false
			}
		}
		return true
	}
	if l.Type != v.Type || l.Type == "link" && (l.Name != v.Name || len(l.Command) != len(v.Command) ||
		len(l.Command) > 0 && !reflect.DeepEqual(l.Command, v.Command) || !same(l.Materials.Map(), v.Materials) || !same(l.Products.Map(), v.Products)) {
		t.Fatalf("%q reads differently from the value its signature covers:\n%+v\n%+v", signed, l, v)
	}
}

var linkViewCases = []string{
	`{"_type":"link","name":"build","command":["make"],"materials":{"a.c":{"sha256":"` + hex64 + `"}},"products":{"a":{"sha256":"` + hex64 + `"}},"byproducts":{},"environment":{}}`,
	// Escaped names and keys, unsorted, spaced.
	`{ "products" : { "\u0065vil.sh" : { "sha256" : "` + hex64 + `" }, "a\"b" : {"sha256":"` + hex64 + `"} }, "_type" : "link", "n\u0061me" : "b\\uild", "materials":{} }`,
	`{"_type":"link","name":"x","products":{"é":{"sha256":"` + hex64 + `"},"e\u0301":{"sha256":"` + hex64 + `"}}}`,
	`{"_type":"link","name":"x","products":{"a":{"sha256":"` + hex64 + `","sha512":"` + hex64 + hex64 + `"}}}`,
	`{"_type":"link","name":"x","products":{"\u2028":{"\u0073ha256":"` + hex64 + `"}},"command":["a\tb","\/"]}`,
	`{"_type":"link","name":"x","products":{"a":{"sha256":"` + hex64 + `"}},"materials":null,"command":null}`,
	`{"_type":"link","name":"x","products":{"a":{"sha256":"` + hex64 + `"}},"environment":{"n":-0,"f":1}}`,
	`{"_type":"layout","steps":[],"keys":{}}`,
	// Refused as given (a duplicate or case-folded key, a lone surrogate).
	`{"_type":"link","name":"a","name":"b","products":{}}`,
	`{"_type":"link","name":"a","NAME":"b","products":{}}`,
	`{"_type":"link","name":"a","products":{"x":{"sha256":"` + hex64 + `"},"\u0078":{"sha256":"` + hex64 + `"}}}`,
	`{"_type":"link","name":"\ud800","products":{}}`,
}

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestLinkCanonicalView(t *testing.T) {
	for _, c := range linkViewCases {
		linkViews(t, []byte(c))
	}
}

func FuzzLinkCanonicalView(f *testing.F) {
	for _, c := range linkViewCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, signed []byte) {
		if bytes.Count(signed, []byte("{")) > 200 {
			return
		}
		linkViews(t, signed)
	})
}
