package attest

import (
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/strictjson"
)

// TestDigestSetTextShortcut holds the reading of {"sha256":"HEX"} without
// splitting it (lowerHexSHA256) to what encoding/json reads, on the sets
// it takes and on the near misses it must leave to the general reader,
// and keeps it from taking what is not JSON.
func TestDigestSetTextShortcut(t *testing.T) {
	hex := strings.Repeat("0123456789abcdef", 4)
	for _, raw := range []string{
		`{"sha256":"` + hex + `"}`,
		`{"sha256":""}`,
		`{"sha256":"ab"}`,
		`{"sha256":"` + strings.ToUpper(hex) + `"}`,
		`{"sha256":"\u0061` + hex[1:] + `"}`,
		`{"sha256":"` + hex + `","sha512":"` + hex + hex + `"}`,
		`{"sha512":"` + hex + hex + `","sha256":"` + hex + `"}`,
		`{ "sha256":"` + hex + `"}`,
		`{"SHA256":"` + hex + `"}`,
		`{"sha256":"` + hex + `" }`,
		`{"sha256":"a\"b"}`,
		"{\n  \"sha256\" : \"" + hex + "\"\r\n\t}",
		"{\n  \"sha256\": \"" + hex + "\",\n  \"sha512\": \"" + hex + hex + "\"\n}",
		`{"sha256":"` + hex + `"}}`,
		`{"sha256":"` + hex + `"`,
		`{"sha256":"` + hex,
		`{"sha256":"`,
		`{"sha256"`,
		`{`,
		``,
	} {
		var want map[string]string
		if json.Unmarshal([]byte(raw), &want) != nil {
			// Not JSON (never given to digestSetText): not the shortcut's.
			if hex, ok := lowerHexSHA256([]byte(raw)); ok {
				t.Errorf("lowerHexSHA256(%q) = %q, true; want false", raw, hex)
			}
			continue
		}
		doc := []byte(`{"x":` + raw + `}`)
		part := doc[5 : len(doc)-1]
		for _, text := range []*strictjson.Text{nil, strictjson.NewText(doc)} {
			got, err := digestSetText(text, part, "subject", 0)
			if err != nil {
				t.Fatalf("digestSetText(%s): %v", raw, err)
			}
			if !maps.Equal(got, want) {
				t.Errorf("digestSetText(%s) = %v, want %v", raw, got, want)
			}
		}
	}
}

// TestLegacyArtifacts: a link's materials are read into a table in the
// document's order, a lone sha256 held as a string whether its literal is
// escaped or not, other sets as they are, and the first invalid set of the
// document is the one refused.
func TestLegacyArtifacts(t *testing.T) {
	hex := strings.Repeat("0123456789abcdef", 4)
	read := func(raw string) (*digest.Table, error) {
		doc := []byte(`{"m":` + raw + `}`)
		return legacyArtifacts(strictjson.NewText(doc), doc[5:len(doc)-1], "materials")
	}
	tb, err := read(`{"z":{"sha256":"` + hex + `"},"a":{ "sha256" : "\u0030` + hex[1:] + `" },` +
		`"m":{"sha256":"` + hex + `","sha512":"` + hex + hex + `"},"u":{"myhash":"v\"1"}}`)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name    string
		set     digest.Set
		compact bool
	}{{"z", digest.Set{"sha256": hex}, true}, {"a", digest.Set{"sha256": hex}, true},
		{"m", digest.Set{"sha256": hex, "sha512": hex + hex}, false}, {"u", digest.Set{"myhash": `v"1`}, false}}
	if tb.Len() != len(want) {
		t.Fatalf("Len() = %d, want %d", tb.Len(), len(want))
	}
	for i, w := range want {
		_, compact := tb.SHA256(i)
		if tb.Name(i) != w.name || !maps.Equal(tb.Set(i), w.set) || compact != w.compact {
			t.Errorf("entry %d = %s %v (compact %v), want %s %v (compact %v)", i, tb.Name(i), tb.Set(i), compact, w.name, w.set, w.compact)
		}
	}
	for _, tc := range []struct{ raw, want string }{
		{`{"b":{"sha256":"` + strings.ToUpper(hex) + `"},"a":{"sha256":"` + hex[:63] + `"}}`, `link materials "b": invalid digest: sha256: value is not lowercase hex (byte 10)`},
		{`{"b":{"sha256":"` + hex + `"},"a":{"sha256":"` + hex[:63] + `"}}`, `link materials "a": invalid digest: sha256: 63 hex digits, want 64`},
		{`{"b":{"sha256":"` + hex[:62] + `\u0041\u0041"}}`, `link materials "b": invalid digest: sha256: value is not lowercase hex (byte 62)`},
		{`{"b":{}}`, `link materials "b": invalid digest: empty digest set`},
	} {
		if _, err := read(tc.raw); err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("read(%s) error = %v, want %q", tc.raw, err, tc.want)
		}
	}
	if tb, err := read(`null`); err != nil || tb.Len() != 0 {
		t.Errorf("read(null) = %v, %v; want an empty table", tb, err)
	}
}
