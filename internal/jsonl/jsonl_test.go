package jsonl_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

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
		{name: "lines", in: "{\"a\":1}\n\n  {\"b\":2}  \r\n{}", want: []jsonl.Line{{1, []byte(`{"a":1}`)}, {3, []byte(`{"b":2}`)}, {4, []byte(`{}`)}}},
		{name: "long line", in: "\n" + long + "\n", want: []jsonl.Line{{2, []byte(long)}}},
		{name: "long blank line", in: strings.Repeat(" ", 200<<10) + "\n{}\n", want: []jsonl.Line{{2, []byte("{}")}}},
		{name: "long line after spaces", in: strings.Repeat(" ", 70<<10) + long + "\n", want: []jsonl.Line{{1, []byte(long)}}},
		{name: "at the line limit", in: "abcd\n", lim: jsonl.Limits{Line: 4}, want: []jsonl.Line{{1, []byte("abcd")}}},
		{name: "over the line limit", in: "ab\nabcde\n", lim: jsonl.Limits{Line: 4}, wantErr: jsonl.ErrLineTooLong, wantMsg: "f:2: a line of more than 4 bytes"},
		{name: "over the limit in a long line", in: "\n" + long, lim: jsonl.Limits{Line: 80 << 10}, wantErr: jsonl.ErrLineTooLong, wantMsg: "f:2:"},
		{name: "blank long line over the limit", in: strings.Repeat(" ", 200<<10), lim: jsonl.Limits{Line: 80 << 10}, wantErr: jsonl.ErrLineTooLong},
		{name: "at the count limit", in: "{}\n\n{}\n", lim: jsonl.Limits{Lines: 3}, want: []jsonl.Line{{1, []byte("{}")}, {3, []byte("{}")}}},
		{name: "blank lines count", in: "{}\n\n\n{}\n", lim: jsonl.Limits{Lines: 3}, wantErr: jsonl.ErrTooManyLines, wantMsg: "f:4: more than 3 lines"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonl.ReadAll(strings.NewReader(tt.in), "f", tt.lim)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ReadAll() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if !errors.Is(err, limits.ErrTooLarge) || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Errorf("ReadAll() error = %q, want it to wrap limits.ErrTooLarge and say %q", err, tt.wantMsg)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
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
		wantErr error
	}{
		{name: "empty", in: "\n\n"},
		{name: "one line", in: `{"a":1}`, want: []jsonl.Line{{1, []byte(`{"a":1}`)}}},
		{name: "pretty", in: "\n" + pretty, want: []jsonl.Line{{2, []byte(strings.TrimSpace(pretty))}}},
		{name: "lines", in: "{}\n[1]\n", want: []jsonl.Line{{1, []byte("{}")}, {2, []byte("[1]")}}},
		{name: "broken first line", in: "{\"a\n{}\n\n{}\n", want: []jsonl.Line{{1, []byte(`{"a`)}, {2, []byte("{}")}, {4, []byte("{}")}}},
		{name: "base64", in: "\nAAAA\nBBBB\n", want: []jsonl.Line{{2, []byte("AAAA\nBBBB")}}},
		{name: "pretty over the limit", in: pretty, lim: jsonl.Limits{Line: 25}, want: []jsonl.Line{{1, []byte("{")}, {2, []byte(`"payloadType": "x",`)}, {4, []byte(`"signatures": []`)}, {5, []byte("}")}}},
		{name: "base64 over the limit", in: "AAAA\nBBBB\n", lim: jsonl.Limits{Line: 6}, wantErr: jsonl.ErrLineTooLong},
		{name: "newlines in a document", in: "{" + strings.Repeat("\n", 1000) + "}", lim: jsonl.Limits{Lines: 100}, wantErr: jsonl.ErrTooManyLines},
		{name: "newlines after a broken line", in: "{\n{}" + strings.Repeat("\n", 1000), lim: jsonl.Limits{Lines: 100}, wantErr: jsonl.ErrTooManyLines},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := jsonl.Documents(strings.NewReader(tt.in), "f", tt.lim)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Documents() error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Documents() (-want +got):\n%s", diff)
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
		_, err := jsonl.ReadAll(io.LimitReader(newlines{}, 1<<20), "f", jsonl.Limits{Lines: 2 << 20})
		if err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 10 {
		t.Errorf("reading 1 MiB of newlines made %v allocations, want a handful", allocs)
	}
	for _, read := range []func(io.Reader, string, jsonl.Limits) ([]jsonl.Line, error){jsonl.ReadAll, jsonl.Documents} {
		if _, err := read(newlines{}, "f", jsonl.Limits{}); !errors.Is(err, jsonl.ErrTooManyLines) {
			t.Errorf("endless newlines: error = %v, want ErrTooManyLines", err)
		}
		if _, err := read(io.MultiReader(strings.NewReader("{"), newlines{}), "f", jsonl.Limits{}); !errors.Is(err, jsonl.ErrTooManyLines) {
			t.Errorf("an open brace then endless newlines: error = %v, want ErrTooManyLines", err)
		}
	}
}

func TestNextAfterError(t *testing.T) {
	rd := jsonl.NewReader(io.MultiReader(strings.NewReader("{}\n"), iotestErr{}), "f", jsonl.Limits{})
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
