package attest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzSplitObject checks splitObject and rawString against encoding/json on
// every input CheckJSON accepts: the same members with the same value
// bytes, the same strings. When they report false, object and stringField
// fall back to encoding/json, so only an answer that differs is a bug.
func FuzzSplitObject(f *testing.F) {
	for _, s := range []string{
		`{}`, ` { "a" : 1 , "b":[1,{"c":"}"}],"d":"x\"y\\z","e":null,"f":true,"g":-1.5e3} `,
		`{"payloadType":"application/vnd.in-toto+json","payload":"eyJ9","signatures":[{"keyid":"","sig":"AAAA"}]}`, `[]`, ` [ 1 , "a]" , [2,[3]] , {"b":[]} ] `,
		`{"\u00e9":"caf\u00e9","k":"\ud83d\ude00","x":{"y":[[],{}]}}`, `[1]`, `"s"`, `{"a":"\n"}`, `{"a":1}{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if CheckJSON(b) != nil {
			return
		}
		if a, ok := splitArray(b); ok {
			var wantA []json.RawMessage
			if err := json.Unmarshal(b, &wantA); err != nil || len(a) != len(wantA) {
				t.Fatalf("splitArray(%q) = %d elements, encoding/json %d (%v)", b, len(a), len(wantA), err)
			}
			for i := range a {
				if !bytes.Equal(a[i], wantA[i]) {
					t.Fatalf("splitArray(%q)[%d] = %q, encoding/json %q", b, i, a[i], wantA[i])
				}
			}
		}
		var want map[string]json.RawMessage
		wantErr := json.Unmarshal(b, &want)
		got, ok := splitObject(b)
		if !ok {
			return
		}
		if wantErr != nil || want == nil {
			t.Fatalf("splitObject(%q) = %v, but encoding/json refuses it: %v", b, got, wantErr)
		}
		if len(got) != len(want) {
			t.Fatalf("splitObject(%q) has %d members, encoding/json %d", b, len(got), len(want))
		}
		for k, v := range want {
			if !bytes.Equal(got[k], v) {
				t.Fatalf("splitObject(%q)[%q] = %q, encoding/json %q", b, k, got[k], v)
			}
			var ws string
			werr := json.Unmarshal(v, &ws)
			gs, ok := rawString(v)
			switch {
			case ok && werr != nil:
				t.Fatalf("rawString(%q) accepts what encoding/json does not", v)
			case ok && gs != ws:
				t.Fatalf("rawString(%q) = %q; encoding/json %q", v, gs, ws)
			case !ok && werr == nil && v[0] == '"':
				t.Fatalf("rawString(%q) refuses a string encoding/json reads", v)
			}
		}
	})
}

// FuzzDecodeBase64 holds decodeBase64 and decodeBase64Bytes to the rule they
// replaced: no white space; the URL-safe alphabet if "-" or "_" occurs;
// unpadded if the length is no multiple of 4; strict (canonical) decoding.
func FuzzDecodeBase64(f *testing.F) {
	for _, s := range []string{"", "QQ==", "QQ", "QR==", "_-8", "_-8=", "e30=", "e30", "a b=", "QQ==\n", "////", "____", "-/==", "A", "AA=", "AAA="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, wantErr := func() ([]byte, error) {
			if strings.ContainsAny(s, "\r\n \t") {
				return nil, errBase64Space
			}
			enc := base64.StdEncoding
			if strings.ContainsAny(s, "-_") {
				enc = base64.URLEncoding
			}
			if len(s)%4 != 0 {
				enc = enc.WithPadding(base64.NoPadding)
			}
			b, err := enc.Strict().DecodeString(s)
			if err != nil {
				return nil, errBase64
			}
			return b, nil
		}()
		for name, decode := range map[string]func(string) ([]byte, error){
			"decodeBase64":      decodeBase64,
			"decodeBase64Bytes": func(s string) ([]byte, error) { return decodeBase64Bytes([]byte(s)) },
		} {
			got, err := decode(s)
			if err != wantErr || !bytes.Equal(got, want) {
				t.Fatalf("%s(%q) = %x, %v; want %x, %v", name, s, got, err, want, wantErr)
			}
		}
	})
}

// FuzzTextString: a Text reads the strings of its document as String does,
// and they do not change when the document does.
func FuzzTextString(f *testing.F) {
	for _, s := range []string{`"x"`, `""`, `"\u0041\n"`, `"é"`, `5`, `null`, `"a\"b"`, `"\ud800"`, "\"\xff\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		doc := []byte(`{"k":` + s + `}`)
		raw := doc[5 : len(doc)-1]
		text := NewText(doc)
		for _, r := range [][]byte{raw, []byte(s)} { // within the document and outside it
			got, gerr := text.String(r, "k")
			want, werr := String(r, "k")
			if got != want || (gerr == nil) != (werr == nil) {
				t.Fatalf("Text.String(%q) = %q, %v; String %q, %v", r, got, gerr, want, werr)
			}
		}
		got, _ := text.String(raw, "k")
		keep := strings.Clone(got)
		for i := range doc {
			doc[i] = 'z'
		}
		if got != keep {
			t.Fatalf("a string read from a Text changed with its document: %q, was %q", got, keep)
		}
	})
}
