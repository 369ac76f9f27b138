package jsonl_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/limits"
)

func TestReadAll(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	tests := []struct {
		name    string
		in      string
		lim     jsonl.Limits
		want    []jsonl.Line
		wantErr error
		wantMsg string
	}{
		{name: "empty", in: ""},
		{name: "blank", in: "\n \n\t\r\n"},
		{name: "lines", in: "{\"a\":1}\n\n  {\"b\":2}  \r\n{}", want: []jsonl.Line{{N: 1, Data: []byte(`{"a":1}`)}, {N: 3, Data: []byte(`{"b":2}`)}, {N: 4, Data: []byte(`{}`)}}},
		{name: "long line", in: "\n" + long + "\n", want: []jsonl.Line{{N: 2, Data: []byte(long)}}},
		{name: "long blank line", in: strings.Repeat(" ", 200<<10) + "\n{}\n", want: []jsonl.Line{{N: 2, Data: []byte("{}")}}},
		{name: "long line after spaces", in: strings.Repeat(" ", 70<<10) + long + "\n", want: []jsonl.Line{{N: 1, Data: []byte(long)}}},
		{name: "at the line limit", in: "abcd\n", lim: jsonl.Limits{Line: 4}, want: []jsonl.Line{{N: 1, Data: []byte("abcd")}}},
		{name: "over the line limit", in: "ab\nabcde\n", lim: jsonl.Limits{Line: 4}, wantErr: jsonl.ErrLineTooLong, wantMsg: "f:2: a line of more than 4 bytes"},
		{name: "over the limit in a long line", in: "\n" + long, lim: jsonl.Limits{Line: 80 << 10}, wantErr: jsonl.ErrLineTooLong, wantMsg: "f:2:"},
		{name: "blank long line over the limit", in: strings.Repeat(" ", 200<<10), lim: jsonl.Limits{Line: 80 << 10}, wantErr: jsonl.ErrLineTooLong},
		{name: "at the count limit", in: "{}\n\n{}\n", lim: jsonl.Limits{Lines: 3}, want: []jsonl.Line{{N: 1, Data: []byte("{}")}, {N: 3, Data: []byte("{}")}}},
		{name: "blank lines count", in: "{}\n\n\n{}\n", lim: jsonl.Limits{Lines: 3}, wantErr: jsonl.ErrTooManyLines, wantMsg: "f:4: more than 3 lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonl.ReadAll(context.Background(), strings.NewReader(tt.in), "f", tt.lim)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadAll() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, limits.ErrTooLarge) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("ReadAll() error = %q, want it to wrap limits.ErrTooLarge and say %q", err, tt.wantMsg)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got, lineData); diff != "" {
				t.Errorf("ReadAll() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDocuments(t *testing.T) {
	pretty := "{\n  \"payloadType\": \"x\",\n\n  \"signatures\": []\n}\n"
	tests := []struct {
		name    string
		in      string
		lim     jsonl.Limits
		want    []jsonl.Line
		strict  bool // the one document read is Strict
		wantErr error
	}{
		{name: "empty", in: "\n\n"},
		{name: "one line", in: `{"a":1}`, want: []jsonl.Line{{N: 1, Data: []byte(`{"a":1}`)}}},
		{name: "pretty", in: "\n" + pretty, want: []jsonl.Line{{N: 2, Data: []byte(strings.TrimSpace(pretty))}}, strict: true},
		{name: "lines", in: "{}\n[1]\n", want: []jsonl.Line{{N: 1, Data: []byte("{}")}, {N: 2, Data: []byte("[1]")}}},
		// Valid JSON the strict reader refuses (a key twice) is still one
		// document, left for it to refuse by name.
		{name: "pretty, a key twice", in: "{\n\"a\": 1,\n\"a\": 2\n}\n", want: []jsonl.Line{{N: 1, Data: []byte("{\n\"a\": 1,\n\"a\": 2\n}")}}},
		{name: "broken first line", in: "{\"a\n{}\n\n{}\n", want: []jsonl.Line{{N: 1, Data: []byte(`{"a`)}, {N: 2, Data: []byte("{}")}, {N: 4, Data: []byte("{}")}}},
		{name: "base64", in: "\nAAAA\nBBBB\n", want: []jsonl.Line{{N: 2, Data: []byte("AAAA\nBBBB")}}},
		{name: "pretty over the limit", in: pretty, lim: jsonl.Limits{Line: 25}, want: []jsonl.Line{{N: 1, Data: []byte("{")}, {N: 2, Data: []byte(`"payloadType": "x",`)}, {N: 4, Data: []byte(`"signatures": []`)}, {N: 5, Data: []byte("}")}}},
		{name: "base64 over the limit", in: "AAAA\nBBBB\n", lim: jsonl.Limits{Line: 6}, wantErr: jsonl.ErrLineTooLong},
		{name: "newlines in a document", in: "{" + strings.Repeat("\n", 1000) + "}", lim: jsonl.Limits{Lines: 100}, wantErr: jsonl.ErrTooManyLines},
		{name: "newlines after a broken line", in: "{\n{}" + strings.Repeat("\n", 1000), lim: jsonl.Limits{Lines: 100}, wantErr: jsonl.ErrTooManyLines},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonl.Documents(context.Background(), strings.NewReader(tt.in), "f", tt.lim)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Documents() error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, lineData); diff != "" {
				t.Errorf("Documents() (-want +got):\n%s", diff)
			}
			for i, l := range got {
				if want := tt.strict && i == 0; l.Strict() != want {
					t.Errorf("Documents()[%d].Strict() = %v, want %v", i, l.Strict(), want)
				}
			}
		})
	}
}

// newlines is an endless stream of newlines, never held in memory.
type newlines struct{}

func (newlines) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	return len(p), nil
}

// TestBlankLinesCostNothing: blank lines are counted without an allocation
// each, so an endless stream of them fails at the count limit for the
// cost of the buffer.
func TestBlankLinesCostNothing(t *testing.T) {
	allocs := testing.AllocsPerRun(5, func() {
		_, err := jsonl.ReadAll(context.Background(), io.LimitReader(newlines{}, 1<<20), "f", jsonl.Limits{Lines: 2 << 20})
		if err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 10 {
		t.Errorf("reading 1 MiB of newlines made %v allocations, want a handful", allocs)
	}
	for _, read := range []func(context.Context, io.Reader, string, jsonl.Limits) ([]jsonl.Line, error){jsonl.ReadAll, jsonl.Documents} {
		if _, err := read(context.Background(), newlines{}, "f", jsonl.Limits{}); !errors.Is(err, jsonl.ErrTooManyLines) {
			t.Errorf("endless newlines: error = %v, want ErrTooManyLines", err)
		}
		if _, err := read(context.Background(), io.MultiReader(strings.NewReader("{"), newlines{}), "f", jsonl.Limits{}); !errors.Is(err, jsonl.ErrTooManyLines) {
			t.Errorf("an open brace then endless newlines: error = %v, want ErrTooManyLines", err)
		}
	}
}

func TestNextAfterError(t *testing.T) {
	rd := jsonl.NewReader(context.Background(), io.MultiReader(strings.NewReader("{}\n"), iotestErr{}), "f", jsonl.Limits{})
	if l, err := rd.Next(); err != nil || !bytes.Equal(l.Data, []byte("{}")) {
		t.Fatalf("Next() = %q, %v", l.Data, err)
	}
	for range 2 {
		if _, err := rd.Next(); !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "reading f") {
			t.Errorf("Next() error = %v, want one naming f and wrapping the reader's", err)
		}
	}
}

var errBoom = errors.New("boom")

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errBoom }

// TestDocumentsFile: a pretty-printed document read from a file, whole or
// through a limit (its buffer sized from the file's length), is the
// document read from memory, and so are JSON Lines whose first line is
// not a value on its own.
func TestDocumentsFile(t *testing.T) {
	t.Parallel()
	big := "{\n  \"a\": [" + strings.Repeat("\"xxxxxxxxxx\", ", 20000) + "1]\n}\n"
	for _, in := range []string{big, "  \n" + big, "{\n{}\n{}\n"} {
		want, err := jsonl.Documents(context.Background(), strings.NewReader(in), "f", jsonl.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(t.TempDir(), "doc.json")
		if err := os.WriteFile(p, []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		for _, limit := range []bool{false, true} {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			var r io.Reader = f
			if limit {
				r = io.LimitReader(f, int64(len(in))+1)
			}
			got, err := jsonl.Documents(context.Background(), r, "f", jsonl.Limits{})
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, lineData); diff != "" {
				t.Errorf("Documents(file, limit %v) (-memory +file):\n%s", limit, diff)
			}
		}
	}
}

// lineData compares Lines by their number and bytes; whether one is
// Strict is asked of the method.
var lineData = cmpopts.IgnoreUnexported(jsonl.Line{})

// TestStrictOnlyFromDocuments: only the bytes Documents checked carry its
// mark. A Line made by a caller is never Strict, and one whose Data is
// replaced, however, stops being Strict.
func TestStrictOnlyFromDocuments(t *testing.T) {
	docs, err := jsonl.Documents(context.Background(), strings.NewReader("{\n  \"a\": 1\n}\n"), "f", jsonl.Limits{})
	if err != nil || len(docs) != 1 || !docs[0].Strict() {
		t.Fatalf("Documents(pretty document) = %v, %v; want one Strict line", docs, err)
	}
	unchecked := []byte("{\n  \"a\": 1,\n  \"a\": 2\n}")
	for name, l := range map[string]jsonl.Line{
		"made":                 {N: 1, Data: unchecked},
		"Data replaced":        {N: docs[0].N, Data: unchecked},
		"Data re-sliced":       {N: docs[0].N, Data: docs[0].Data[:len(docs[0].Data)-1]},
		"Data copied":          {N: docs[0].N, Data: bytes.Clone(docs[0].Data)},
		"Data replaced, empty": {N: docs[0].N, Data: nil},
	} {
		if l.Strict() {
			t.Errorf("%s: Strict() = true", name)
		}
	}
	replaced := docs[0]
	replaced.Data = unchecked
	if replaced.Strict() {
		t.Errorf("a Strict line with its Data replaced is Strict()")
	}
	if !docs[0].Strict() {
		t.Errorf("the line read is no longer Strict() after a copy of it changed")
	}
}
