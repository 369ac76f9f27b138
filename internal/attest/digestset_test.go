package attest

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

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
