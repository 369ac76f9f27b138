package jsonl

import (
	"encoding/json"
	"testing"
)

// FuzzCloses holds closes to the rule Documents relies on: a line closes
// reports for is either valid JSON or the start of no valid document, so
// that skipping json.Valid for it never changes how a file is read.
func FuzzCloses(f *testing.F) {
	for _, s := range []struct{ line, rest string }{
		{`{}`, ``}, {`{"a":1}`, `{"b":2}`}, {`{"a":"}"}`, ``}, {`{"a":"\"}"}`, `}`},
		{`{]`, `}`}, {`{"a":[}`, `]}`}, {`{"a" 1}`, ``}, {`{"a":{}`, `}`}, {`{} {}`, ``},
		{`{"a":"\\"}`, ``}, {`{"a":1}}`, ``}, {`{"`, `"}`},
	} {
		f.Add([]byte(s.line), []byte(s.rest))
	}
	f.Fuzz(func(t *testing.T, line, rest []byte) {
		if !closes(line) || json.Valid(line) {
			return
		}
		doc := append(append(append([]byte(nil), line...), '\n'), rest...)
		if json.Valid(doc) {
			t.Fatalf("closes(%q) but %q is one valid document", line, doc)
		}
	})
}

func TestClosesValidLines(t *testing.T) {
	for _, s := range []string{`{}`, `{"a":[1,{"b":"}]"}]}`, `{"a":"\\"}`, `{"a":"\""}`} {
		if !closes([]byte(s)) {
			t.Errorf("closes(%q) = false", s)
		}
	}
	for _, s := range []string{`{`, `[]`, `{} `, `{}{}`, `{"a":"}`} {
		if closes([]byte(s)) {
			t.Errorf("closes(%q) = true", s)
		}
	}
}
