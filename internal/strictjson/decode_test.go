package strictjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

// FuzzSplitObject checks splitObject and Unquote against encoding/json on
// every input Check accepts: the same members with the same value
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
		if Check(b) != nil {
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
			gs, ok := Unquote(v)
			switch {
			case ok && werr != nil:
				t.Fatalf("Unquote(%q) accepts what encoding/json does not", v)
			case ok && gs != ws:
				t.Fatalf("Unquote(%q) = %q; encoding/json %q", v, gs, ws)
			case !ok && werr == nil && v[0] == '"':
				t.Fatalf("Unquote(%q) refuses a string encoding/json reads", v)
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

// TestNewTextUnsafe: a Text made without a copy reads the same strings as
// one made with a copy, and they are substrings of the document itself;
// an empty document is read too.
func TestNewTextUnsafe(t *testing.T) {
	doc := []byte(`{"name":"d00/s00/f000001.bin","esc":"a\u0041","digest":{"sha256":"ab"}}`)
	safe, shared := NewText(doc), NewTextUnsafe(doc)
	fs, ok := SplitFields(doc, nil, nil)
	if !ok {
		t.Fatal("SplitFields refused the document")
	}
	for _, f := range fs {
		if f.Key == "digest" {
			continue
		}
		a, okA := safe.Unquote(f.Value)
		b, okB := shared.Unquote(f.Value)
		if a != b || okA != okB {
			t.Errorf("%s: NewTextUnsafe read %q, %v; NewText %q, %v", f.Key, b, okB, a, okA)
		}
		if f.Key == "name" && unsafe.StringData(b) != &doc[9] {
			t.Errorf("name %q is not read in place from the document", b)
		}
	}
	if e := NewTextUnsafe(nil); len(e.Bytes()) != 0 {
		t.Errorf("NewTextUnsafe(nil).Bytes() = %q", e.Bytes())
	}
}

// TestAppendArray: AppendArray gives Array's elements after those already
// in dst, the same for an empty array and for one splitArray leaves to
// encoding/json, and Array's error; a pooled buffer comes back empty.
func TestAppendArray(t *testing.T) {
	for _, doc := range []string{`[]`, ` [ 1 , "a" , {"b":[2]} ] `, `[1,2,3]`, `[1,]`, `{}`, `"x"`} {
		want, wantErr := Array([]byte(doc), "list")
		for _, prefix := range [][]json.RawMessage{nil, {json.RawMessage(`0`)}} {
			dst := append([]json.RawMessage(nil), prefix...)
			got, err := AppendArray(dst, []byte(doc), "list")
			if fmt.Sprint(err) != fmt.Sprint(wantErr) {
				t.Errorf("AppendArray(%v, %s) error = %v, want %v", prefix, doc, err, wantErr)
				continue
			}
			if err != nil {
				continue
			}
			if got == nil {
				t.Errorf("AppendArray(%v, %s) = nil, want a slice", prefix, doc)
			}
			if w := append(append([]json.RawMessage{}, prefix...), want...); fmt.Sprintf("%s", got) != fmt.Sprintf("%s", w) {
				t.Errorf("AppendArray(%v, %s) = %s, want %s", prefix, doc, got, w)
			}
		}
	}
	p := GetElements()
	*p = append(*p, json.RawMessage(`1`), json.RawMessage(`2`))
	PutElements(p)
	if len(*p) != 0 || len((*p)[:cap(*p)]) > 0 && (*p)[:cap(*p)][0] != nil {
		t.Errorf("PutElements left %s", (*p)[:cap(*p)])
	}
}
