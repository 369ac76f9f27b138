package jsonl_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/limits"
)

// lenSink takes long lines that start with "{s", and reads them as their
// length; it gives back those that end in "!".
type lenSink struct {
	line   []byte
	bounds []int
}

type lenLine struct{ b []byte }

func (l lenLine) AppendLine(dst []byte) []byte { return append(dst, l.b...) }

func (s *lenSink) Take(head []byte, bound int) bool {
	s.line, s.bounds = s.line[:0], append(s.bounds, bound)
	return bytes.HasPrefix(head, []byte("{s"))
}

func (s *lenSink) Write(p []byte) { s.line = append(s.line, p...) }

func (s *lenSink) End() (jsonl.Streamed, []byte) {
	if bytes.HasSuffix(bytes.TrimSpace(s.line), []byte("!")) {
		return nil, bytes.Clone(s.line)
	}
	return lenLine{bytes.Clone(bytes.TrimSpace(s.line))}, nil
}

func TestSink(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	file := "{s" + long + "}  \r\n\n  {s" + long + "!\n{t" + long + "}\n{}\n   {s" + long + "}"
	s := &lenSink{}
	got, err := jsonl.StreamDocuments(context.Background(), strings.NewReader(file), "f", jsonl.Limits{}, s)
	if err != nil {
		t.Fatal(err)
	}
	want, err := jsonl.Documents(context.Background(), strings.NewReader(file), "f", jsonl.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("StreamDocuments = %d lines, Documents %d", len(got), len(want))
	}
	streamed := []bool{true, false, false, false, true}
	for i := range got {
		if got[i].N != want[i].N || !bytes.Equal(got[i].Bytes(), want[i].Data) || (got[i].Streamed != nil) != streamed[i] {
			t.Errorf("line %d: N %d, streamed %v, %d bytes; want N %d, streamed %v, %q...", i, got[i].N, got[i].Streamed != nil, len(got[i].Bytes()), want[i].N, streamed[i], want[i].Data[:4])
		}
		if streamed[i] && got[i].Data != nil {
			t.Errorf("line %d: Data is set for a streamed line", i)
		}
	}
	// Unknown size: the bound is the line limit, less the white space.
	if e := limits.Envelope; !slices.Equal(s.bounds, []int{e, e - 2, e, e - 3}) {
		t.Errorf("bounds %v, want %d less the white space before each line", s.bounds, e)
	}
	// A streamed line is bounded as any: the same error, and the reader
	// stops there.
	_, err = jsonl.StreamDocuments(context.Background(), strings.NewReader("{}\n{s"+long+"}\n"), "f", jsonl.Limits{Line: 90 << 10}, &lenSink{})
	if !errors.Is(err, jsonl.ErrLineTooLong) || !strings.Contains(err.Error(), "f:2: a line of more than 92160 bytes") {
		t.Errorf("a long streamed line: %v, want ErrLineTooLong at f:2", err)
	}
	_, err = jsonl.StreamDocuments(context.Background(), strings.NewReader("{}\n{s"+long+"}\n{}\n"), "f", jsonl.Limits{Lines: 2}, &lenSink{})
	if !errors.Is(err, jsonl.ErrTooManyLines) {
		t.Errorf("three lines, two allowed: %v, want ErrTooManyLines", err)
	}
}
