package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/limits"
)

// readEnvelopes reads a publish body as a stream: JSON Lines of envelopes,
// one envelope per line, or one envelope (pretty-printed over several lines
// or not). Nothing is held but the envelopes themselves: blank lines cost
// no memory, a line over MaxEnvelope and a request of more than MaxBatch
// envelopes fail as soon as they are seen, and a body over MaxBody fails
// when its MaxBody+1st byte arrives, or at once when its Content-Length
// says so.
//
// Every byte read counts against Limits.MaxInFlight, and against the
// token's Limits.TokenInFlight in tl, until the caller calls release (also
// after an error); a body that would pass the server's budget fails with
// [api.ErrOverloaded], one that would pass its token's with errTokenBusy
// (or [api.ErrTooLarge] when it is over the token's budget by itself).
// The body is read under a moving deadline ([pacedBody]).
func (s *Server) readEnvelopes(w http.ResponseWriter, r *http.Request, tokenID string, tl *tokenLoad, held *int64) ([]envelopeLine, error) {
	l := s.cfg.Limits
	if r.ContentLength > l.MaxBody {
		return nil, fmt.Errorf("%w: the body is %d bytes (at most %d)", api.ErrTooLarge, r.ContentLength, l.MaxBody)
	}
	if r.ContentLength > l.TokenInFlight {
		return nil, fmt.Errorf("%w: the body is %d bytes, over the %d a token may have in flight", api.ErrTooLarge, r.ContentLength, l.TokenInFlight)
	}
	// r.Body itself stays as it is: the HTTP server looks at its type
	// to drain or close what the handler leaves unread.
	body := http.MaxBytesReader(w, s.pace(w, r.Body), l.MaxBody)
	br := &budgetReader{r: body, s: s, tokenID: tokenID, tl: tl, held: held}
	lr := newLineReader(br, l.MaxEnvelope)
	defer lr.free()
	lr.size = func(seen int) (int, error) { return br.lineBound(r.ContentLength, seen, l.MaxEnvelope) }
	lr.room = func(buf []byte, n int) ([]byte, error) {
		return br.room(buf, n, lr.br.Buffered(), r.ContentLength, l.MaxEnvelope+2, true)
	}
	first, err := lr.next()
	if err == io.EOF {
		return nil, fmt.Errorf("%w: the body holds no envelope", api.ErrBadRequest)
	}
	if err != nil {
		return nil, s.bodyError(err, 1)
	}
	// One line: one envelope either way, for the strict parse to check;
	// no validity pass of its own.
	if err := lr.skipSpace(); err == io.EOF {
		return []envelopeLine{first}, nil
	} else if err != nil {
		return nil, s.bodyError(err, 2)
	}
	if first.streamed == nil && !json.Valid(first.data) {
		// Not a JSON value on its own line: the whole body is one
		// envelope over several lines, or malformed. (A streamed line
		// is an envelope, valid JSON by itself.)
		return s.oneEnvelope(lr, br, r.ContentLength, first.data)
	}
	second, err := lr.next()
	if err != nil {
		return nil, s.bodyError(err, 2)
	}
	lines := []envelopeLine{first}
	for line := second; ; {
		if len(lines) == l.MaxBatch {
			return nil, fmt.Errorf("%w: more than %d envelopes in one request", api.ErrTooLarge, l.MaxBatch)
		}
		lines = append(lines, line)
		line, err = lr.next()
		if err == io.EOF {
			return lines, nil
		}
		if err != nil {
			return nil, s.bodyError(err, len(lines)+1)
		}
	}
}

// oneEnvelope reads the rest of a body, of declared bytes (negative if
// unknown), whose first line, first, is not a JSON value by itself: its
// lines, trimmed and joined by '\n', are one document of at most
// MaxEnvelope bytes. It is one envelope if it is valid JSON as a whole;
// otherwise its lines are envelopes, for the strict parse of each to
// reject.
//
// The lines are read as bytes straight into the document, never streamed
// (a streamed line would be rebuilt for it, beside its payload), and the
// lines returned are pieces of it. The document's buffer is charged
// before it is made ([budgetReader.room]), so that what this path
// allocates is about what the body is charged: a long envelope line after
// a first line that is not JSON allocated 2.8 times the bytes charged,
// 4.3 times in a body of unknown length.
func (s *Server) oneEnvelope(lr *lineReader, br *budgetReader, declared int64, first []byte) ([]envelopeLine, error) {
	l := s.cfg.Limits
	tooLarge := func() error {
		return fmt.Errorf("%w: an envelope of more than %d bytes", api.ErrTooLarge, l.MaxEnvelope)
	}
	most := l.MaxEnvelope + 2 // 2: a line ending of "\r\n", trimmed
	doc := first
	// spans are the lines' places in doc, while they are few enough to
	// be envelopes of one request.
	spans := [][2]int{{0, len(first)}}
	n := 1 // lines
	for end := false; !end; {
		err := lr.skipSpace()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, s.bodyError(err, n+1)
		}
		n++
		if doc, err = br.room(doc, 1, lr.br.Buffered(), declared, most, false); err != nil {
			return nil, s.bodyError(err, n)
		}
		doc = append(doc, '\n')
		start := len(doc)
		for {
			chunk, rerr := lr.br.ReadSlice('\n')
			if len(doc)+len(chunk) > most {
				return nil, tooLarge()
			}
			if rerr != nil && rerr != bufio.ErrBufferFull && rerr != io.EOF {
				return nil, s.bodyError(rerr, n)
			}
			if doc, err = br.room(doc, len(chunk), lr.br.Buffered(), declared, most, false); err != nil {
				return nil, s.bodyError(err, n)
			}
			doc = append(doc, chunk...)
			if rerr != bufio.ErrBufferFull {
				end = rerr == io.EOF
				break
			}
		}
		// skipSpace left a byte that is not space: the line is not blank.
		if doc = bytes.TrimRight(doc, space); len(doc) > l.MaxEnvelope {
			return nil, tooLarge()
		}
		if spans != nil {
			spans = append(spans, [2]int{start, len(doc)})
		}
		if len(spans) > l.MaxBatch {
			spans = nil
		}
	}
	if json.Valid(doc) {
		return []envelopeLine{{data: doc}}, nil
	}
	if spans == nil {
		return nil, fmt.Errorf("%w: more than %d envelopes in one request", api.ErrTooLarge, l.MaxBatch)
	}
	lines := make([]envelopeLine, len(spans))
	for i, sp := range spans {
		lines[i] = envelopeLine{data: doc[sp[0]:sp[1]:sp[1]]}
	}
	return lines, nil
}

// bodyError names the error of reading envelope n of a body.
func (s *Server) bodyError(err error, n int) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.Is(err, api.ErrTimeout):
		return err
	case errors.Is(err, errInFlight):
		return &retryError{api.ErrOverloaded, time.Second}
	case errors.Is(err, errTokenBusy), errors.Is(err, api.ErrTooLarge):
		return err
	case errors.As(err, &mbe):
		return fmt.Errorf("%w: the body is over %d bytes", api.ErrTooLarge, s.cfg.Limits.MaxBody)
	case errors.Is(err, errLongLine):
		return fmt.Errorf("%w: envelope %d is over %d bytes", api.ErrTooLarge, n, s.cfg.Limits.MaxEnvelope)
	}
	return fmt.Errorf("%w: reading the body: %v", api.ErrBadRequest, err)
}

var errLongLine = errors.New("line too long")

// errInFlight is a budgetReader's error when the server holds too many bytes.
var errInFlight = errors.New("too many bytes in flight")

// budgetReader counts the bytes read from r against the server's
// in-flight budget and its token's, adding them to *held for
// [Server.release]; bytes charged ahead of their reading ([lineBound])
// are not charged again when they come.
type budgetReader struct {
	r       io.Reader
	s       *Server
	tokenID string
	tl      *tokenLoad
	held    *int64
	read    int64 // bytes read from r
	ahead   int64 // bytes charged before they were read
}

func (b *budgetReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if n > 0 {
		b.read += int64(n)
		paid := min(int64(n), b.ahead)
		b.ahead -= paid
		if err := b.charge(int64(n) - paid); err != nil {
			return 0, err
		}
	}
	return n, err
}

// charge counts n more bytes held against the budgets.
func (b *budgetReader) charge(n int64) error {
	if n <= 0 {
		return nil
	}
	*b.held += n
	l := b.s.cfg.Limits
	tokenHeld := b.tl.bytes.Add(n)
	overall := b.s.inFlight.Add(n)
	switch {
	case *b.held > l.TokenInFlight:
		return fmt.Errorf("%w: the body is over the %d bytes a token may have in flight", api.ErrTooLarge, l.TokenInFlight)
	case tokenHeld > l.TokenInFlight:
		return tokenBusy(fmt.Sprintf("token %s holds %d bytes of publish bodies in flight, over its limit of %d", b.tokenID, tokenHeld, l.TokenInFlight))
	case overall > l.MaxInFlight:
		return errInFlight
	}
	return nil
}

// lineBound is the most bytes a long line can have, at most most, whose
// first seen bytes were read (those the line reader holds included), in a
// body of declared bytes (its Content-Length; negative if unknown): the
// line's [attest.EnvelopeSink] sizes its payload's buffer from it at once.
// So the rest of the line, up to that bound, is charged now rather than
// as it comes: a body that declares hundreds of megabytes and sends a few
// cannot make the server allocate the rest on what it did not pay for
// (nor can the declared length lie: the HTTP server ends the body there).
// A body of unknown length bounds a line by what came of it: the sink's
// buffer then grows with the line, by doubling.
func (b *budgetReader) lineBound(declared int64, seen, most int) (int, error) {
	if declared < 0 {
		return min(seen, most), nil
	}
	bound := min(int64(most), int64(seen)+max(declared-b.read, 0))
	return int(bound), b.chargeAhead(bound - int64(seen))
}

// chargeAhead charges the budgets for the next n bytes before they are
// read, as far as they are not charged already.
func (b *budgetReader) chargeAhead(n int64) error {
	if more := n - b.ahead; more > 0 {
		b.ahead += more
		return b.charge(more)
	}
	return nil
}

// room makes room in buf for n more bytes, the last read, buffered more
// read after them: a larger buffer, at most most bytes, is charged before
// it is made, as far as the bytes read do not pay for it. In a body of
// unknown length it doubles. In one of declared bytes it holds all the
// body can still bring (as [budgetReader.lineBound] sizes a long line):
// at once for a document that is the rest of the body; for a line, which
// may be one of many, in steps of eight times (the first twice the bytes
// read), the last straight to that once it is within four times the step,
// as an [attest.EnvelopeSink] grows a payload's.
func (b *budgetReader) room(buf []byte, n, buffered int, declared int64, most int, line bool) ([]byte, error) {
	need := len(buf) + n
	if need <= cap(buf) {
		return buf, nil
	}
	size := max(2*cap(buf), 4<<10)
	if declared >= 0 {
		rest := need + buffered + int(min(max(declared-b.read, 0), int64(most)))
		size = rest
		if line {
			if size = 8 * cap(buf); size == 0 {
				size = 2 * need
			}
			if 4*size >= rest {
				size = rest
			}
		}
		size = min(size, rest)
	}
	size = max(min(size, most), need)
	if err := b.chargeAhead(int64(size - need - buffered)); err != nil {
		return nil, err
	}
	return append(make([]byte, 0, size), buf...), nil
}

// release returns held bytes to the in-flight budgets, the server's and
// the token's, and ends the token's publish in flight.
func (s *Server) release(tokenID string, tl *tokenLoad, held int64) {
	s.inFlight.Add(-held)
	s.tokenLoads.release(tokenID, tl, held)
}

// envelopeLine is one line of a publish body: its bytes, or, for a long
// line that starts as an envelope line does, the envelope an
// [attest.EnvelopeSink] read from it as it streamed, its payload decoded
// into one buffer and the line itself never held.
type envelopeLine struct {
	data     []byte
	streamed *attest.EnvelopeLine
}

// bytes is the line's bytes, rebuilt if the sink read it.
func (l envelopeLine) bytes() []byte {
	if l.streamed != nil {
		return l.streamed.AppendLine(nil)
	}
	return l.data
}

// lineReader returns the non-blank lines of a stream, each trimmed of
// surrounding white space and at most max bytes. A line longer than its
// buffer is offered to an [attest.EnvelopeSink], which accepts exactly the
// lines [attest.ParseEnvelope] accepts and gives every other back byte for
// byte, so that a publish of one envelope of hundreds of megabytes holds
// its decoded payload once, not the line and the payload and copies made
// growing the line.
type lineReader struct {
	br   *bufio.Reader
	max  int
	sink *attest.EnvelopeSink
	// size, when set, is the most bytes a long line can have whose first
	// seen bytes were read (max, or less when the stream's length says
	// so), or an error for next to return: the sink sizes the line's
	// buffer from it. Unset, it is max.
	size func(seen int) (int, error)
	// room, when set, makes room in a long line's buffer for n more
	// bytes ([budgetReader.room]): a line the sink does not take grows
	// in steps charged before they are made, where append grew it by a
	// quarter at a time (a 16 MB line allocated 6 times its bytes).
	// Unset, the line grows as append grows it.
	room func(buf []byte, n int) ([]byte, error)
}

// readers holds the 64 KiB buffered readers of finished requests: a new one
// per request was most of the publish path's allocation.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

func newLineReader(r io.Reader, max int) *lineReader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return &lineReader{br: br, max: max}
}

// free gives the buffered reader back for another request; lr is not used
// afterwards (the lines it returned are copies).
func (lr *lineReader) free() {
	lr.br.Reset(nil)
	readers.Put(lr.br)
	lr.br = nil
}

// space is the white space trimmed from lines.
const space = " \t\r\n\f\v"

// next returns the next non-blank line (of its own), io.EOF after the
// last, or errLongLine for a line over max bytes (without its leading and
// trailing white space).
func (lr *lineReader) next() (envelopeLine, error) {
	var line []byte
	for {
		if len(line) == 0 {
			// Leading white space (and blank lines) is dropped as it
			// comes, a buffer at a time, and never grows the line.
			if err := lr.skipSpace(); err != nil {
				return envelopeLine{}, err
			}
		}
		chunk, err := lr.br.ReadSlice('\n')
		if len(line)+len(chunk) > lr.max+2 { // 2: a line ending of "\r\n"
			return envelopeLine{}, errLongLine
		}
		if err == bufio.ErrBufferFull && len(line) == 0 {
			if lr.sink == nil {
				lr.sink = &attest.EnvelopeSink{}
			}
			bound, err := lr.bound(len(chunk))
			if err != nil {
				return envelopeLine{}, err
			}
			if lr.sink.Take(chunk, bound) {
				return lr.stream(chunk)
			}
		}
		if long := err == bufio.ErrBufferFull || len(line) > 0; long && lr.room != nil {
			var rerr error
			if line, rerr = lr.room(line, len(chunk)); rerr != nil {
				return envelopeLine{}, rerr
			}
		}
		line = append(line, chunk...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && err != io.EOF {
			return envelopeLine{}, err
		}
		if line = bytes.TrimRight(line, space); len(line) > lr.max {
			return envelopeLine{}, errLongLine
		} else if len(line) > 0 {
			if slack := cap(line) - len(line); slack > len(line)/8 && slack > 64<<10 {
				// A long line's buffer is up to twice the line: the
				// line is held until the request ends, without it.
				line = bytes.Clone(line)
			}
			return envelopeLine{data: line}, nil
		}
		if err == io.EOF {
			return envelopeLine{}, io.EOF
		}
	}
}

// bound is the most bytes a line can have whose first n bytes were just
// read: max, or what lr.size says.
func (lr *lineReader) bound(n int) (int, error) {
	if lr.size == nil {
		return lr.max, nil
	}
	b, err := lr.size(n + lr.br.Buffered())
	return max(b, 0), err
}

// stream gives the sink, which took the line that starts with head, the
// rest of the line, and returns what it made of it: the envelope it read,
// or the line's bytes, given back, for the strict parse to judge. The
// line is bounded by max as every line is.
func (lr *lineReader) stream(head []byte) (envelopeLine, error) {
	lr.sink.Write(head)
	size := len(head)
	for {
		chunk, err := lr.br.ReadSlice('\n')
		if size += len(chunk); size > lr.max+2 {
			return envelopeLine{}, errLongLine
		}
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return envelopeLine{}, err
		}
		if err != bufio.ErrBufferFull {
			chunk = bytes.TrimSuffix(chunk, []byte{'\n'})
		}
		lr.sink.Write(chunk)
		if err == bufio.ErrBufferFull {
			continue
		}
		v, line := lr.sink.End()
		if v != nil {
			l := v.(*attest.EnvelopeLine)
			if l.Size > lr.max {
				return envelopeLine{}, errLongLine
			}
			return envelopeLine{streamed: l}, nil
		}
		// The sink gives back the line as it was written to it: a
		// line that starts as an envelope is never blank.
		if line = bytes.TrimRight(line, space); len(line) > lr.max {
			return envelopeLine{}, errLongLine
		}
		return envelopeLine{data: line}, nil
	}
}

// skipSpace discards white space up to the next other byte, or returns the
// stream's error (io.EOF at its end).
func (lr *lineReader) skipSpace() error {
	for {
		if lr.br.Buffered() == 0 {
			if _, err := lr.br.Peek(1); err != nil {
				return err
			}
		}
		buf, _ := lr.br.Peek(lr.br.Buffered())
		rest := bytes.TrimLeft(buf, space)
		lr.br.Discard(len(buf) - len(rest))
		if len(rest) > 0 {
			return nil
		}
	}
}

// pacedBody is a publish body read under a deadline that moves on while
// the body arrives, in place of one deadline for the whole request: before
// each read the deadline is the earlier of Limits.BodyIdle from now and
// the time by which the bytes so far would have come at Limits.BodyRate,
// after a first BodyIdle of grace. That pace's credit is capped at
// BodyIdle: bytes sent ahead of it buy no more than BodyIdle, so a sender
// cannot send most of a body at once and then drip a byte within each idle
// time for as long as the rest would take at BodyRate (hours, holding its
// bytes against Limits.MaxInFlight). A sender that stalls, or drips bytes
// to hold the connection, is cut off; one that keeps sending may take as
// long as its body needs.
type pacedBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	idle  time.Duration
	rate  int64
	start time.Time
	n     int64
	// due is when the bytes so far would have come at rate, after the
	// first idle of grace, never later than idle after the last read.
	due time.Time
	// last is when the last byte came (start before the first).
	last time.Time
	// set is the read deadline last given to the connection (the HTTP
	// server leaves it alone until the body ends): it is not set again.
	set time.Time
	// ended is set once the body has returned an error or its end: from
	// then on the connection's deadline belongs to the HTTP server (which
	// clears it to watch for the client going away).
	ended bool
}

// pace reads body under a moving deadline (see [pacedBody]), or returns it
// as it is when the connection takes no deadlines (a handler called
// without a server, as in tests).
func (s *Server) pace(w http.ResponseWriter, body io.ReadCloser) io.ReadCloser {
	l := s.cfg.Limits
	rc := http.NewResponseController(w)
	now := time.Now()
	if rc.SetReadDeadline(now.Add(l.BodyIdle)) != nil {
		return body
	}
	return &pacedBody{ReadCloser: body, rc: rc, idle: l.BodyIdle, rate: l.BodyRate, start: now, due: now.Add(l.BodyIdle), last: now, set: now.Add(l.BodyIdle)}
}

func (b *pacedBody) Read(p []byte) (int, error) {
	if b.ended {
		return b.ReadCloser.Read(p)
	}
	// Before the first byte the deadline is still the one pace set.
	if d := earlier(b.due, time.Now().Add(b.idle)); !d.Equal(b.set) {
		b.rc.SetReadDeadline(d)
		b.set = d
	}
	n, err := b.ReadCloser.Read(p)
	now := time.Now()
	if n > 0 {
		b.n += int64(n)
		b.last = now
	}
	b.due = earlier(b.due.Add(limits.AtRate(int64(n), b.rate)), now.Add(b.idle))
	if err != nil {
		b.ended = true
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// Which bound cut it off: a byte now and then keeps to the
			// idle time, not to the rate.
			if now.Sub(b.last) < b.idle {
				err = fmt.Errorf("%w: the body came at less than %d bytes a second (%d bytes in %s)", api.ErrTimeout, b.rate, b.n, time.Since(b.start).Round(time.Millisecond))
			} else {
				err = fmt.Errorf("%w: no byte of the body came for %s (%d bytes came)", api.ErrTimeout, b.idle, b.n)
			}
		}
	}
	return n, err
}

// earlier returns the earlier of a and b.
func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
