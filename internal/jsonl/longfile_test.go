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

	"github.com/consign-dev/consign/internal/jsonl"
)

// Lines longer than the read buffer, from a regular file and a limited
// reader of one (whose sizes size a long line's buffer at once) and from
// plain readers, read the same:
// each line's bytes exactly, trimmed, and none sharing memory with the next.
func TestLongLinesFromFile(t *testing.T) {
	long := func(c byte, n int) string { return `{"x":"` + strings.Repeat(string(c), n) + `"}` }
	for name, content := range map[string]string{
		"one long line":             long('a', 300_000),
		"one long line, ended":      "  " + long('a', 300_000) + " \n\n",
		"long, short, long":         long('a', 200_000) + "\n{}\n" + long('b', 100_000) + "\n",
		"short then long":           "{}\n\n" + long('c', 70_000),
		"long lines of one size":    long('d', 80_000) + "\n" + long('e', 80_000) + "\n" + long('f', 80_000),
		"long blank line then long": strings.Repeat(" ", 200_000) + "\n" + long('g', 90_000),
	} {
		t.Run(name, func(t *testing.T) {
			var want []string
			for l := range strings.SplitSeq(content, "\n") {
				if l = strings.TrimSpace(l); l != "" {
					want = append(want, l)
				}
			}
			path := filepath.Join(t.TempDir(), "a.jsonl")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fromFile, err := jsonl.ReadAll(context.Background(), f, "a.jsonl", jsonl.Limits{})
			if err != nil {
				t.Fatalf("ReadAll(file) = %v", err)
			}
			fromReader, err := jsonl.ReadAll(context.Background(), strings.NewReader(content), "a.jsonl", jsonl.Limits{})
			if err != nil {
				t.Fatalf("ReadAll(reader) = %v", err)
			}
			fromMemory, err := jsonl.ReadAll(context.Background(), bytes.NewReader([]byte(content)), "a.jsonl", jsonl.Limits{})
			if err != nil {
				t.Fatalf("ReadAll(bytes.Reader) = %v", err)
			}
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			fromLimited, err := jsonl.ReadAll(context.Background(), io.LimitReader(f, int64(len(content))+1), "a.jsonl", jsonl.Limits{})
			if err != nil {
				t.Fatalf("ReadAll(LimitReader(file)) = %v", err)
			}
			for _, got := range [][]jsonl.Line{fromFile, fromReader, fromMemory, fromLimited} {
				if len(got) != len(want) {
					t.Fatalf("%d lines, want %d", len(got), len(want))
				}
				for i := range got {
					if string(got[i].Data) != want[i] {
						t.Errorf("line %d: %d bytes differ from the %d written", i, len(got[i].Data), len(want[i]))
					}
				}
				// Each line is the caller's: changing one changes no other.
				for i := range got {
					got[i].Data[0] = '#'
				}
				for i := range got {
					if !bytes.Equal(got[i].Data[1:], []byte(want[i])[1:]) {
						t.Errorf("line %d changed when another line was written to", i)
					}
				}
			}
		})
	}
}

// writeTemp writes content to a file of its own and opens it.
func writeTemp(t testing.TB, content []byte) *os.File {
	t.Helper()
	path := filepath.Join(t.TempDir(), "a.jsonl")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestLongLineReservation: a line longer than the read buffer at the start
// of a large file gets a buffer bounded by what it holds, not by the rest
// of the file: reading 100 KiB then 24 MiB of shorter lines allocates
// little more than the lines themselves (each line is the caller's).
func TestLongLineReservation(t *testing.T) {
	var content []byte
	content = append(content, `{"x":"`+strings.Repeat("a", 100<<10)+`"}`+"\n"...)
	short := `{"y":"` + strings.Repeat("b", 60<<10) + `"}` + "\n"
	for len(content) < 24<<20 {
		content = append(content, short...)
	}
	f := writeTemp(t, content)
	res := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := f.Seek(0, io.SeekStart); err != nil {
				b.Fatal(err)
			}
			if _, err := jsonl.ReadAll(context.Background(), f, "a.jsonl", jsonl.Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	t.Logf("reading %d bytes allocated %d", len(content), res.AllocedBytesPerOp())
	if got, limit := res.AllocedBytesPerOp(), int64(len(content))*5/4+4<<20; got > limit {
		t.Errorf("reading a %d-byte file allocated %d bytes, want at most %d", len(content), got, limit)
	}
}

// BenchmarkDocumentsPretty reads one pretty-printed document of 8 MiB
// from a file: its buffer is sized from the file, one allocation.
func BenchmarkDocumentsPretty(b *testing.B) {
	doc := "{\n  \"a\": [" + strings.Repeat("\"xxxxxxxxxx\", ", 8<<20/14) + "1]\n}\n"
	f := writeTemp(b, []byte(doc))
	b.ReportAllocs()
	b.SetBytes(int64(len(doc)))
	for range b.N {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		docs, err := jsonl.Documents(context.Background(), f, "a.json", jsonl.Limits{})
		if err != nil || len(docs) != 1 {
			b.Fatalf("Documents() = %d documents, %v", len(docs), err)
		}
	}
}

// TestLongLineFileGrew: a file that grows after the reader took its size
// (a writer still appending, or a file whose stat says 0 bytes, as procfs
// does) holds more than the size said; a long line past that size is read
// whole, and its buffer still grows by multiples, not by one read buffer at
// a time, which copied the line once per 64 KiB read: quadratic, hours of
// CPU for a line near the 768 MiB limit.
func TestLongLineFileGrew(t *testing.T) {
	line := `{"x":"` + strings.Repeat("a", 16<<20) + `"}`
	path := filepath.Join(t.TempDir(), "a.jsonl")
	var got []jsonl.Line
	res := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if err := os.WriteFile(path, []byte("{}\n"), 0o600); err != nil {
				b.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			rd := jsonl.NewReader(context.Background(), f, "a.jsonl", jsonl.Limits{})
			w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				b.Fatal(err)
			}
			_, err = w.WriteString(line + "\n")
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				b.Fatal(err)
			}
			got = got[:0]
			for {
				l, err := rd.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				got = append(got, l)
			}
			f.Close()
		}
	})
	if len(got) != 2 || string(got[0].Data) != "{}" || string(got[1].Data) != line {
		t.Fatalf("read %d lines, want {} and the %d-byte line appended", len(got), len(line))
	}
	// As much as from a reader of no known size, which grows as append does.
	plain := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := jsonl.ReadAll(context.Background(), strings.NewReader("{}\n"+line+"\n"), "a.jsonl", jsonl.Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	t.Logf("reading a %d-byte line appended after the size was taken allocated %d bytes, from a plain reader %d", len(line), res.AllocedBytesPerOp(), plain.AllocedBytesPerOp())
	if got, limit := res.AllocedBytesPerOp(), 2*plain.AllocedBytesPerOp(); got > limit {
		t.Errorf("reading a %d-byte line allocated %d bytes, want at most %d", len(line), got, limit)
	}
}
