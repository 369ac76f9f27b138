package attest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/jsonl"
)

func TestCheckJSONKeys(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"plain", `{"a":1,"b":{"a":2},"c":[{"a":3},{"a":4}]}`, true},
		{"same key in sibling objects", `[{"k":1},{"k":2}]`, true},
		{"colon inside a value", `{"a":"x:y","b":":"}`, true},
		{"escaped quote in a key", `{"a\"b":1,"a\"c":2}`, true},
		{"duplicate", `{"a":1,"a":2}`, false},
		{"duplicate through an escape", `{"sha256":"A","sha\u0032\u0035\u0036":"B"}`, false},
		{"duplicate deep", `{"x":[{"y":{"d":1,"d":1}}]}`, false},
		{"case fold", `{"subject":[],"Subject":[]}`, false},
		{"long s folds to s", `{"sig":"a","ſig":"b"}`, false},
		{"kelvin folds to k", `{"keyid":"a","\u212aeyid":"b"}`, false},
		{"many keys then a duplicate", `{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":0,"k11":1,"k12":2,"k13":3,"k14":4,"k15":5,"k16":6,"k17":7,"K3":3}`, false},
		{"many distinct keys", `{"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":0,"k11":1,"k12":2,"k13":3,"k14":4,"k15":5,"k16":6,"k17":7,"k18":3}`, true},
		{"syntax error", `{"a":1,}`, false},
		{"two values", `{} {}`, false},
		{"white space around", " \n{\"a\" : 1}\t", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := attest.CheckJSON([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("CheckJSON(%s) = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && !errors.Is(err, attest.ErrMalformed) {
				t.Errorf("CheckJSON(%s) = %v, want ErrMalformed", tt.in, err)
			}
		})
	}
}

func TestCheckJSONDepth(t *testing.T) {
	// 200 levels (the limit) pass; 201 do not.
	for depth, ok := range map[int]bool{200: true, 201: false} {
		doc := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		if err := attest.CheckJSON([]byte(doc)); (err == nil) != ok {
			t.Errorf("CheckJSON(depth %d) = %v, want ok=%v", depth, err, ok)
		}
		doc = strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
		if err := attest.CheckJSON([]byte(doc)); (err == nil) != ok {
			t.Errorf("CheckJSON(object depth %d) = %v, want ok=%v", depth, err, ok)
		}
	}
}

func BenchmarkCheckJSON(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"_type":"https://in-toto.io/Statement/v1","subject":[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			sb.WriteString(",")
		}
		sb.WriteString(`{"name":"dist/file-` + strings.Repeat("x", i%7) + `","digest":{"sha256":"` + strings.Repeat("ab", 32) + `"}}`)
	}
	sb.WriteString(`],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"a":{"b":[1,2,3]}}}`)
	doc := []byte(sb.String())
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if err := attest.CheckJSON(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONValidFloor(b *testing.B) {
	doc := []byte(`{"a":[` + strings.Repeat(`{"name":"dist/file","digest":{"sha256":"`+strings.Repeat("ab", 32)+`"}},`, 999) + `{}]}`)
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if !json.Valid(doc) {
			b.Fatal("invalid")
		}
	}
}

// TestReadDocumentsUnsafe: a legacy link read with ReadDocumentsUnsafe is
// the link ReadDocuments reads, and its artifacts' names are substrings of
// the document's own bytes, not of a copy.
func TestReadDocumentsUnsafe(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "verify", "testdata", "in-toto-golang", "package.d3ffd108.link"))
	if err != nil {
		t.Fatal(err)
	}
	docs, err := jsonl.Documents(context.Background(), bytes.NewReader(data), "package.link", jsonl.Limits{})
	if err != nil || len(docs) != 1 {
		t.Fatalf("jsonl.Documents = %d documents, %v", len(docs), err)
	}
	want, werr := attest.ReadDocuments(docs, "package.link")
	got, gerr := attest.ReadDocumentsUnsafe(docs, "package.link")
	if werr != nil || gerr != nil || len(got) != 1 || len(want) != 1 || got[0].Link == nil {
		t.Fatalf("ReadDocumentsUnsafe = %v, %v; ReadDocuments = %v, %v", got, gerr, want, werr)
	}
	g, w := got[0].Link, want[0].Link
	if g.Name != w.Name || fmt.Sprint(g.Command) != fmt.Sprint(w.Command) || g.Products.Len() != 1 || g.Products.Name(0) != w.Products.Name(0) || g.Products.Set(0).String() != w.Products.Set(0).String() || g.Materials.Name(0) != w.Materials.Name(0) {
		t.Errorf("ReadDocumentsUnsafe read %+v, ReadDocuments %+v", g, w)
	}
	doc := docs[0].Data
	start, end := uintptr(unsafe.Pointer(unsafe.SliceData(doc))), uintptr(unsafe.Pointer(unsafe.SliceData(doc)))+uintptr(len(doc))
	within := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return p >= start && p < end
	}
	if name := g.Products.Name(0); !within(name) {
		t.Errorf("ReadDocumentsUnsafe: product name %q is a copy, not part of the document", name)
	}
	if name := w.Products.Name(0); within(name) {
		t.Errorf("ReadDocuments: product name %q is part of the document, not a copy", name)
	}
}
