package attest_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/secure-systems-lab/go-securesystemslib/cjson"

	"github.com/consign-dev/consign/internal/attest"
)

// canonicalCases are JSON values with every shape Canonical reads itself
// and every one it leaves to cjson.
var canonicalCases = []string{
	`{}`, `[]`, `""`, `0`, `-0`, `1`, `-12`, `true`, `false`, `null`,
	`{"a":1,"b":[1,2,{"c":"d"}],"e":null,"f":true}`,
	"{\n  \"b\": 1,\n  \"a\": {\n    \"z\": [],\n    \"y\": {}\n  }\n}\n",
	` { "b" : "x" , "a" : "y" , "c" : [ 1 , 2 ] } `,
	`{"b":1,"a":2,"b":3}`,      // duplicate key: cjson keeps the last
	`{"a":1,"a":2}`,            // adjacent duplicate
	`{"a\"b":1,"a":2,"a\\":3}`, // escaped keys, out of order
	`{"\u0061":1,"a":2}`,       // a \u escape naming a duplicate
	`"tab\there"`, `"nl\n"`, `"\/"`, `"\u00e9"`, `"\ud83d\ude00"`, `"\ud800"`,
	`"é ü 😀 \u2028"`, "\"\u2028\"", `"<&>"`,
	"\"\xff\"", "\"\xed\xa0\x80\"", // invalid UTF-8 and an encoded surrogate
	`1.5`, `1e3`, `1E3`, `-0.0`, `01`, `-`, `9223372036854775807`, `9223372036854775808`, `-9223372036854775808`, `-9223372036854775809`,
	`{"a":1.0}`, `[1,2,3.0]`,
	``, ` `, `{`, `}`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[1 2]`, `nul`, `truex`, `"abc`, `{"a":1}x`, `{"a":1}{}`,
	strings.Repeat("[", 100) + strings.Repeat("]", 100),
	strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70),
	`{"signed":{"_type":"link","name":"s","materials":{"b":{"sha256":"00"},"a":{"sha256":"11"}},"products":{},"byproducts":{},"command":[],"environment":{}},"signatures":[]}`,
}

// checkCanonical fails t unless attest.Canonical and cjson give the same
// bytes, or both an error, for raw.
func checkCanonical(t testing.TB, raw []byte) {
	t.Helper()
	want, werr := cjson.EncodeCanonical(json.RawMessage(raw))
	got, gerr := attest.Canonical(raw)
	switch {
	case (werr == nil) != (gerr == nil):
		t.Fatalf("Canonical(%q): error %v, cjson's %v", raw, gerr, werr)
	case werr == nil && !bytes.Equal(got, want):
		t.Fatalf("Canonical(%q) = %q, cjson gives %q", raw, got, want)
	}
	// Appended to a reused buffer: its bytes kept, its spare room (what a
	// document before left there) overwritten, on either path.
	dst := append(make([]byte, 0, 2*len(raw)+16), "head"...)
	dst = append(dst, bytes.Repeat([]byte{'#'}, cap(dst)-len(dst))...)[:4]
	got, gerr = attest.AppendCanonical(dst, raw)
	switch {
	case (werr == nil) != (gerr == nil):
		t.Fatalf("AppendCanonical(%q): error %v, cjson's %v", raw, gerr, werr)
	case werr == nil && string(got) != "head"+string(want):
		t.Fatalf("AppendCanonical(head, %q) = %q, want head and cjson's %q", raw, got, want)
	}
}

func TestCanonicalMatchesCJSON(t *testing.T) {
	for _, c := range canonicalCases {
		checkCanonical(t, []byte(c))
	}
}

// TestCanonicalFixtures compares the two on every JSON document of the
// repository's test data and examples (links, layouts, envelopes,
// statements, policies), whole and, for a Metablock, its signed part.
func TestCanonicalFixtures(t *testing.T) {
	n := 0
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		switch filepath.Ext(p) {
		case ".json", ".link", ".layout", ".jsonl":
		default:
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, doc := range bytes.Split(data, []byte("\n")) {
			if !json.Valid(doc) {
				doc = data // a pretty-printed document
			}
			checkCanonical(t, doc)
			n++
			var mb struct{ Signed json.RawMessage }
			if json.Unmarshal(doc, &mb) == nil && mb.Signed != nil {
				checkCanonical(t, mb.Signed)
			}
			if bytes.Equal(doc, data) {
				break
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("only %d documents compared", n)
	}
}

func FuzzCanonical(f *testing.F) {
	for _, c := range canonicalCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkCanonical(t, raw)
	})
}
