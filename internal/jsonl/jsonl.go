package jsonl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/strictjson"
)

var (
	// ErrLineTooLong is returned for a line (or a document spread over
	// several lines) longer than [Limits.Line].
	ErrLineTooLong = fmt.Errorf("%w: line too long", limits.ErrTooLarge)
	// ErrTooManyLines is returned for a file of more than [Limits.Lines]
	// lines, blank ones included.
	ErrTooManyLines = fmt.Errorf("%w: too many lines", limits.ErrTooLarge)
)

// Limits bound what reading one file may cost. A zero field takes its
// default.
type Limits struct {
	// Line bounds one line, or one document spread over several lines
	// (default [limits.Envelope]).
	Line int
	// Lines bounds the lines of one file, blank ones included (default
	// [limits.Envelopes]).
	Lines int
}

func (l Limits) withDefaults() Limits {
	if l.Line <= 0 {
		l.Line = limits.Envelope
	}
	if l.Lines <= 0 {
		l.Lines = limits.Envelopes
	}
	return l
}

// Line is one non-blank line of a file.
type Line struct {
	// N is the line's number, from 1.
	N int
	// Data is the line without its end and surrounding white space; it is
	// never empty, and belongs to the caller.
	Data []byte
	// Streamed is what a [Sink] made of the line as it streamed, when it
	// took the line: Data is then nil, and the line's bytes are never held
	// whole by the reader.
	Streamed Streamed
	// checked is Data as [strictjson.Valid] accepted it, set by
	// [Documents] alone; see [Line.Strict].
	checked []byte
}

// Bytes returns the line's bytes: Data, or the line a [Sink] read
// rebuilt by its [Streamed.AppendLine].
func (l Line) Bytes() []byte {
	if l.Streamed != nil {
		return l.Streamed.AppendLine(nil)
	}
	return l.Data
}

// Sink reads a long line as it streams, in place of the reader holding the
// line whole: a DSSE envelope line of hundreds of megabytes is decoded as
// it is read (attest.EnvelopeSink).
//
// A reader with a Sink offers it every line longer than its buffer (64
// KiB) with the line's first bytes, leading white space dropped: head, and
// bound, the most bytes the line can have (what is left of a regular file,
// or [Limits.Line]+1). If Take returns true, Write is given the line's
// bytes in order from head's first, the newline left off (white space
// before it included), and then End once the line has ended. End returns
// either what the sink made of the line, or, when it did not read it as it
// reads lines, the line's exact bytes as given to it, which the reader
// then treats as it treats any line. The line is counted and bounded by
// [Limits] as every line is; after a read error or a limit, the sink is
// not told, and the next line starts with Take.
type Sink interface {
	Take(head []byte, bound int) bool
	Write(p []byte)
	End() (Streamed, []byte)
}

// Streamed is a line a [Sink] read as it streamed.
type Streamed interface {
	// AppendLine appends the exact bytes of the line, white space around
	// it dropped, to dst and returns the extended slice.
	AppendLine(dst []byte) []byte
}

// Strict reports whether [Documents] read l as a document of several
// lines that [strictjson.Valid] accepted (the reader's one pass of the
// JSON grammar over it), so that a strict reader need not check it again.
// Nothing else can mark a Line so: a Line made elsewhere is never Strict,
// nor is one whose Data was replaced since (Data must still be the very
// bytes checked). Writing into Data's bytes is the caller's to avoid.
func (l Line) Strict() bool {
	return len(l.checked) > 0 && len(l.Data) == len(l.checked) && &l.Data[0] == &l.checked[0]
}

// Reader reads the lines of one file.
type Reader struct {
	br   *bufio.Reader
	name string
	lim  Limits
	n    int    // lines read, blank ones included
	long []byte // a line longer than the buffer, as it is read
	err  error
	sink Sink
	// left is how many bytes of a regular file are left to read (-1 when
	// r is no such file): it bounds a long line, whose buffer grows in a
	// few large steps, the last straight to that bound ([longCap]).
	left int64
}

// longMin is the first buffer of a long line from a file of known size.
const longMin = 1 << 20

// longCap is the capacity a long line's buffer of capacity c grows to
// when it must hold need bytes, and the line can be at most bound bytes:
// eight times c (at least longMin), or bound itself once that is within
// four times the step. The buffer so holds at most 32 times the line read
// into it (or longMin), never the rest of a large file for a line of a
// megabyte; and a line that fills most of a large file is copied at most
// from a buffer of less than a quarter of it, so that reading it holds
// less than 1.25 times the line (append's growth held some 2.25 times).
func longCap(c, need, bound int) int {
	next := max(8*c, longMin)
	if 4*next >= bound {
		next = bound
	}
	return max(next, need)
}

// remaining is the number of bytes r has left when it is a regular file
// (its size past the current offset), else -1.
func remaining(r io.Reader) int64 {
	if lr, ok := r.(*io.LimitedReader); ok {
		// A file read up to a limit (verify reads links so).
		if n := remaining(lr.R); n >= 0 {
			return max(min(n, lr.N), 0)
		}
		return -1
	}
	f, ok := r.(interface {
		Stat() (fs.FileInfo, error)
		Seek(int64, int) (int64, error)
	})
	if !ok {
		return -1
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return -1
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil || off > fi.Size() {
		return -1
	}
	return fi.Size() - off
}

// NewReader reads lines from r until ctx ends; name is used in errors
// only.
func NewReader(ctx context.Context, r io.Reader, name string, lim Limits) *Reader {
	left := remaining(r)
	return &Reader{br: bufio.NewReaderSize(newCancelReader(ctx, r, left), 64<<10), name: name, lim: lim.withDefaults(), left: left}
}

// CancelReader is r read as a [Reader] reads it: in chunks, failing with
// the context's cause before a chunk once ctx has ended, a read that
// waits for data (a named pipe whose writer sends nothing) cut short too.
// It is for long reads of other formats than JSON Lines (a pack's tar
// stream) that must stop at a Ctrl-C.
func CancelReader(ctx context.Context, r io.Reader) io.Reader {
	return newCancelReader(ctx, r, remaining(r))
}

// newCancelReader is [CancelReader] of r, which has left bytes left
// ([remaining]).
func newCancelReader(ctx context.Context, r io.Reader, left int64) cancelReader {
	cr := cancelReader{ctx: ctx, r: r}
	if d, ok := r.(deadliner); ok && left < 0 && ctx.Done() != nil {
		cr.d = d // a pipe, not a regular file, whose reads may wait
	}
	return cr
}

// chunk bounds one read from the underlying reader, so that the context
// is looked at between chunks of a large read too (a document of hundreds
// of megabytes is read into one buffer).
const chunk = 1 << 20

// cancelReader reads from r in chunks, and fails with the context's cause
// before a chunk once ctx has ended. A read that waits for data (a named
// pipe whose writer sends nothing) is cut short too when r takes read
// deadlines, as an [*os.File] of a pipe does.
type cancelReader struct {
	ctx context.Context
	r   io.Reader
	d   deadliner // r, when its reads can wait and be cut short
}

type deadliner interface{ SetReadDeadline(time.Time) error }

func (c cancelReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, context.Cause(c.ctx)
	}
	if len(p) > chunk {
		p = p[:chunk]
	}
	if c.d != nil {
		stop := context.AfterFunc(c.ctx, func() { c.d.SetReadDeadline(time.Unix(1, 0)) })
		n, err := c.r.Read(p)
		if !stop() && err != nil {
			// The deadline cut the read short: the context's cause is
			// the reason, not the deadline.
			return n, context.Cause(c.ctx)
		}
		return n, err
	}
	return c.r.Read(p)
}

// Stream makes r offer its long lines to s (see [Sink]).
func (r *Reader) Stream(s Sink) { r.sink = s }

// Next returns the next non-blank line, or io.EOF after the last. Blank
// lines are counted against [Limits.Lines] and skipped without allocating.
// Once the Reader's context has ended, Next fails with its cause (wrapped)
// within a chunk of reading. After an error, Next returns the same error
// again.
func (r *Reader) Next() (Line, error) {
	for r.err == nil {
		line, v, err := r.readLine()
		if err != nil {
			r.err = err
			break
		}
		if v != nil {
			return Line{N: r.n, Streamed: v}, nil
		}
		if line != nil {
			return Line{N: r.n, Data: line}, nil
		}
	}
	return Line{}, r.err
}

// readLine reads one line: nil for a blank one, its trimmed bytes (of
// its own, never the buffer's) otherwise, or what the sink made of it.
func (r *Reader) readLine() ([]byte, Streamed, error) {
	r.long = r.long[:0]
	size := 0 // bytes of the line, its end included
	streaming := false
	for {
		chunk, err := r.br.ReadSlice('\n')
		switch {
		case err == io.EOF && len(chunk) == 0 && size == 0:
			return nil, nil, io.EOF
		case err != nil && err != io.EOF && err != bufio.ErrBufferFull:
			return nil, nil, fmt.Errorf("reading %s: %w", r.name, err)
		}
		if size == 0 {
			if r.n++; r.n > r.lim.Lines {
				return nil, nil, fmt.Errorf("%w: %s:%d: more than %d lines", ErrTooManyLines, r.name, r.n, r.lim.Lines)
			}
		}
		if size += len(chunk); size > r.lim.Line+1 {
			return nil, nil, fmt.Errorf("%w: %s:%d: a line of more than %d bytes", ErrLineTooLong, r.name, r.n, r.lim.Line)
		}
		left := r.left
		if left >= 0 && int64(len(chunk)) > left {
			// The file grew since its size was taken (or its size says
			// nothing, as procfs's 0): it no longer bounds the line, which
			// grows as append grows it, never one read at a time.
			left, r.left = -1, -1
		} else if left >= 0 {
			r.left = left - int64(len(chunk))
		}
		if !streaming && err == bufio.ErrBufferFull && len(r.long) == 0 && r.sink != nil {
			// A long line: the sink may read it as it comes.
			if head := bytes.TrimLeft(chunk, " \t\r\n\v\f"); len(head) > 0 && r.sink.Take(head, r.bound(left, len(chunk)-len(head))) {
				streaming, chunk = true, head
			}
		}
		if streaming {
			if err != bufio.ErrBufferFull {
				chunk = bytes.TrimSuffix(chunk, []byte{'\n'})
			}
			r.sink.Write(chunk)
			if err == bufio.ErrBufferFull {
				continue
			}
			v, line := r.sink.End()
			if v != nil {
				return nil, v, nil
			}
			if line = bytes.TrimSpace(line); len(line) == 0 {
				return nil, nil, nil
			}
			return line, nil, nil
		}
		if err == bufio.ErrBufferFull || len(r.long) > 0 {
			// A line longer than the buffer. Leading white space is dropped
			// as it comes, so a long blank line costs nothing either.
			if len(r.long) == 0 {
				chunk = bytes.TrimLeft(chunk, " \t\r\n\v\f")
			}
			if need := len(r.long) + len(chunk); left >= 0 && need > cap(r.long) {
				bound := int(min(int64(len(r.long))+left, int64(r.lim.Line)+1))
				long := make([]byte, len(r.long), longCap(cap(r.long), need, bound))
				copy(long, r.long)
				r.long = long
			}
			r.long = append(r.long, chunk...)
			if err == bufio.ErrBufferFull {
				continue
			}
			line := bytes.TrimSpace(r.long)
			switch {
			case len(line) == 0:
				return nil, nil, nil
			case cap(r.long)-len(line) <= len(line)/8:
				// The buffer becomes the line: a line of hundreds of
				// megabytes (a million-subject statement) is not copied
				// again. The next long line starts a buffer of its own.
				r.long = nil
				return line, nil, nil
			}
			return bytes.Clone(line), nil, nil
		}
		if line := bytes.TrimSpace(chunk); len(line) > 0 {
			return bytes.Clone(line), nil, nil
		}
		return nil, nil, nil
	}
}

// bound is the most bytes a line can have that starts after the first
// skipped bytes of a chunk, left bytes of the file being left from the
// chunk's start on (-1: unknown).
func (r *Reader) bound(left int64, skipped int) int {
	b := int64(r.lim.Line)
	if left >= 0 {
		b = min(b, left)
	}
	return int(max(b-int64(skipped), 0))
}

// ReadAll reads every non-blank line of r, until ctx ends.
func ReadAll(ctx context.Context, r io.Reader, name string, lim Limits) ([]Line, error) {
	return NewReader(ctx, r, name, lim).appendAll(nil)
}

// appendAll appends the lines left to out.
func (r *Reader) appendAll(out []Line) ([]Line, error) {
	for {
		l, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
}

// Documents reads the documents of r: one JSON document, which may be
// pretty-printed over several lines, or JSON Lines, one document a line.
// The file is one document when its first non-blank line is not a JSON
// value on its own and the whole file is (or the file does not start with
// '{': a base64 signature, or something the caller refuses by name); one
// document is bounded by [Limits.Line] as a whole. An empty or blank file
// has no documents. Once ctx has ended, Documents fails with its cause
// (wrapped) within a chunk of reading.
func Documents(ctx context.Context, r io.Reader, name string, lim Limits) ([]Line, error) {
	return StreamDocuments(ctx, r, name, lim, nil)
}

// StreamDocuments is [Documents] with the long lines of JSON Lines offered
// to s (see [Sink]); a nil s takes none. A line s reads is a document of
// its own, as a line that closes its object is.
func StreamDocuments(ctx context.Context, r io.Reader, name string, lim Limits, s Sink) ([]Line, error) {
	lim = lim.withDefaults()
	rd := NewReader(ctx, r, name, lim)
	rd.Stream(s)
	first, err := rd.Next()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := []Line{first}
	if first.Streamed == nil && !closes(first.Data) && !json.Valid(first.Data) {
		// Perhaps one document over several lines: read up to the limit.
		// It is read into one buffer after its first line, sized from
		// the file's length when that is known, rather than grown by
		// copies and copied once more to join the two.
		lc := &lineCounter{r: rd.br, rd: rd}
		size := int64(len(first.Data)) + 1
		if rd.left >= 0 {
			size += rd.left
		} else {
			size += int64(rd.br.Buffered())
		}
		// ReadFrom wants bytes.MinRead bytes free before every read, the
		// last (which finds the end) too: with them, one allocation.
		var b bytes.Buffer
		b.Grow(int(min(size, int64(lim.Line)+1)) + bytes.MinRead)
		b.Write(first.Data)
		b.WriteByte('\n')
		if _, err := b.ReadFrom(io.LimitReader(lc, int64(lim.Line-len(first.Data)))); err != nil {
			return nil, err
		}
		buf := b.Bytes()
		rest := buf[len(first.Data)+1:]
		_, err = rd.br.Peek(1)
		whole := err == io.EOF
		doc := bytes.TrimSpace(buf)
		if whole && doc[0] != '{' {
			return []Line{{N: first.N, Data: doc}}, nil
		}
		// What strictjson.Valid accepts, json.Valid does; it is asked
		// first as the strict reader asks it anyway.
		if whole && strictjson.Valid(doc) {
			return []Line{{N: first.N, Data: doc, checked: doc}}, nil
		}
		if whole && json.Valid(doc) {
			return []Line{{N: first.N, Data: doc}}, nil
		}
		if doc[0] != '{' {
			return nil, fmt.Errorf("%w: %s:%d: a document of more than %d bytes", ErrLineTooLong, name, first.N, lim.Line)
		}
		// JSON Lines after all: read the rest line by line.
		rd = NewReader(ctx, io.MultiReader(bytes.NewReader(rest), rd.br), name, lim)
		rd.n = first.N
		rd.Stream(s)
	}
	return rd.appendAll(out)
}

// lineCounter counts the lines passing through it against the reader's
// limit.
type lineCounter struct {
	r  io.Reader
	rd *Reader
	n  int
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF {
		return n, fmt.Errorf("reading %s: %w", c.rd.name, err)
	}
	if c.n += bytes.Count(p[:n], []byte{'\n'}); c.rd.n+c.n > c.rd.lim.Lines {
		return n, fmt.Errorf("%w: %s:%d: more than %d lines", ErrTooManyLines, c.rd.name, c.rd.lim.Lines+1, c.rd.lim.Lines)
	}
	return n, err
}

// closes reports whether b opens an object and its brackets close exactly
// at its last byte, strings skipped. Such a line, valid or not, is read as
// a line of JSON Lines: no text that begins with it is one valid document
// over several lines (in valid JSON the brackets first close where the
// value ends), so it spares a pass of json.Valid over a line that can be
// megabytes long (an in-toto link of thousands of artifacts); the strict
// reader checks the line later anyway. FuzzCloses holds it to the rule.
func closes(b []byte) bool {
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth--; depth == 0 {
				return i == len(b)-1
			}
		}
	}
	return false
}
