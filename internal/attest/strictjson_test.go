package attest_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
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
