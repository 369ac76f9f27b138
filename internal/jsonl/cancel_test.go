package jsonl_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/jsonl"
)

// bigFile writes a real file of about 60 MB: JSON Lines of 1 KB, or (when
// pretty) one document over as many lines.
func bigFile(t *testing.T, pretty bool) (*os.File, int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "big.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	value := `"` + strings.Repeat("a", 1000) + `"`
	if pretty {
		w.WriteString("{\n")
	}
	for i := range 60_000 {
		switch {
		case !pretty:
			w.WriteString(`{"x":` + value + "}\n")
		case i > 0:
			w.WriteString(",\n")
		}
		if pretty {
			w.WriteString(`  "k` + strings.Repeat("0", 6) + `": ` + value)
		}
	}
	if pretty {
		w.WriteString("\n}\n")
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, size
}

// offset is how far f has been read.
func offset(t *testing.T, f *os.File) int64 {
	t.Helper()
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		t.Fatal(err)
	}
	return off
}

// TestCancel: reading a large real file stops within a chunk or two of
// the context's end, with an error that is the context's, whether the
// context ended before the read, or after a line, or in the middle of one
// document spread over many lines.
func TestCancel(t *testing.T) {
	const slack = 2<<20 + 64<<10 // two chunks and a buffer
	for _, pretty := range []bool{false, true} {
		name := map[bool]string{false: "lines", true: "one document"}[pretty]
		t.Run(name+", cancelled before", func(t *testing.T) {
			f, size := bigFile(t, pretty)
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			docs, err := jsonl.Documents(ctx, f, "big.jsonl", jsonl.Limits{})
			if !errors.Is(err, context.Canceled) || docs != nil {
				t.Fatalf("Documents(cancelled) = %d documents, %v; want context.Canceled", len(docs), err)
			}
			if off := offset(t, f); off > slack {
				t.Errorf("read %d of %d bytes after the context ended, want at most %d", off, size, slack)
			}
		})
		t.Run(name+", cancelled while reading", func(t *testing.T) {
			f, size := bigFile(t, pretty)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r := &cancelAfter{r: f, n: 8 << 20, cancel: cancel}
			docs, err := jsonl.Documents(ctx, r, "big.jsonl", jsonl.Limits{})
			if !errors.Is(err, context.Canceled) || docs != nil {
				t.Fatalf("Documents(cancelled after 8 MiB) = %d documents, %v; want context.Canceled", len(docs), err)
			}
			if off := offset(t, f); off > 8<<20+slack || off >= size {
				t.Errorf("read %d of %d bytes, the context ended after 8 MiB; want at most %d", off, size, 8<<20+slack)
			}
		})
	}
	t.Run("Next after a line", func(t *testing.T) {
		f, size := bigFile(t, false)
		ctx, cancel := context.WithCancel(context.Background())
		rd := jsonl.NewReader(ctx, f, "big.jsonl", jsonl.Limits{})
		if _, err := rd.Next(); err != nil {
			t.Fatal(err)
		}
		cancel()
		var err error
		for n := 0; err == nil; n++ {
			if _, err = rd.Next(); n > 100 { // a 64 KiB buffer holds some 64 lines
				t.Fatalf("Next read %d more lines after the context ended", n)
			}
		}
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "big.jsonl") {
			t.Errorf("Next() after cancel = %v, want context.Canceled naming the file", err)
		}
		if off := offset(t, f); off > slack {
			t.Errorf("read %d of %d bytes, want at most %d", off, size, slack)
		}
	})
}

// cancelAfter reads r and calls cancel once n bytes have come.
type cancelAfter struct {
	r      io.Reader
	n      int64
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= int64(n); c.n <= 0 {
		c.cancel()
	}
	return n, err
}

// TestCancelWaitingPipe: a read that waits on a pipe whose writer sends
// nothing more ends when the context does.
func TestCancelWaitingPipe(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	if _, err := io.WriteString(pw, "{}\n{"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := jsonl.Documents(ctx, pr, "pipe", jsonl.Limits{})
		done <- err
	}()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Documents(pipe) after cancel = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second): // a guard, far beyond any wait: it measures nothing
		t.Fatal("Documents kept waiting on the pipe after the context ended")
	}
}
