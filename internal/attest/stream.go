package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"io"
	"strconv"
	"strings"

	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
)

// EnvelopeLine is a DSSE envelope read by an [EnvelopeSink] as its line
// streamed: the line itself was never held whole, only the envelope's
// decoded payload (with room in front of it for PAE's head) and the
// bytes around the payload's string.
type EnvelopeLine struct {
	Envelope *Envelope
	// Malformed counts the signatures dropped as malformed, as
	// [ParseEnvelope] counts them.
	Malformed int
	// Digest is the SHA-256 of the line (white space around it dropped).
	Digest [sha256.Size]byte
	// Size is the line's length in bytes.
	Size int

	pae     []byte // PAE(type, payload), Envelope.Payload its tail
	rawType string // the payloadType's string as the line has it (escapes kept)
	suffix  []byte // the line after the payload's string
	url     bool   // the payload is in the URL-safe alphabet
	padded  bool   // the payload's encoding is padded
}

// item is the line as [ReadDocuments] reads it.
func (l *EnvelopeLine) item(source string) Item {
	return Item{Source: source, Format: FormatDSSE, Envelope: l.Envelope, Malformed: l.Malformed}
}

// AppendLine appends the line's exact bytes to dst: the payload is encoded
// again as it was (its encoding was canonical, so only one string
// decodes to it in that encoding).
func (l *EnvelopeLine) AppendLine(dst []byte) []byte {
	dst = append(dst, `{"payloadType":"`...)
	dst = append(dst, l.rawType...)
	dst = append(dst, `","payload":"`...)
	dst = l.encoding().AppendEncode(dst, l.Envelope.Payload)
	dst = append(dst, '"')
	return append(dst, l.suffix...)
}

// WriteTo writes the line's exact bytes to w, as [EnvelopeLine.AppendLine]
// makes them, encoding the payload a piece at a time.
func (l *EnvelopeLine) WriteTo(w io.Writer) (int64, error) {
	const piece = 48 << 10 // a multiple of 3: no padding but at the end
	buf := make([]byte, 0, base64.StdEncoding.EncodedLen(piece)+len(l.suffix)+len(l.rawType)+64)
	buf = append(append(append(buf, envelopeHead...), l.rawType...), payloadKey...)
	var n int64
	enc := l.encoding()
	p := l.Envelope.Payload
	for {
		k := min(len(p), piece)
		buf = enc.AppendEncode(buf, p[:k])
		if p = p[k:]; len(p) == 0 {
			break
		}
		m, err := w.Write(buf)
		if n += int64(m); err != nil {
			return n, err
		}
		buf = buf[:0]
	}
	buf = append(append(buf, '"'), l.suffix...)
	m, err := w.Write(buf)
	return n + int64(m), err
}

func (l *EnvelopeLine) encoding() *base64.Encoding {
	switch {
	case l.url && l.padded:
		return base64.URLEncoding
	case l.url:
		return base64.RawURLEncoding
	case l.padded:
		return base64.StdEncoding
	}
	return base64.RawStdEncoding
}

// envelopeHead and payloadKey are how a DSSE envelope line starts, as
// consign, in-toto-golang and cosign write it, up to the payload's string.
const (
	envelopeHead = `{"payloadType":"`
	payloadKey   = `","payload":"`
)

// EnvelopeSink reads DSSE envelope lines as they stream (a [jsonl.Sink]):
// it takes a line that starts as consign writes an envelope
// ({"payloadType":"...","payload":", the type printable ASCII, its '&',
// '<' and '>' escaped as encoding/json writes them or not, and no other
// escape), base64-decodes the payload's string
// in chunks as it comes into one buffer, and then reads the line with the
// payload's string left empty by [ParseEnvelope]'s rules. What it reads
// it gives as an [*EnvelopeLine]; a line it cannot read so (the payload
// is not canonical base64 of one alphabet, the rest of the line is not an
// envelope, or anything [ParseEnvelope] would refuse) it gives back, its
// exact bytes rebuilt, to be read as any line is: so it accepts exactly the
// lines ParseEnvelope accepts, with the same envelope, and every other
// line gets ParseEnvelope's own error (FuzzEnvelopeSink holds it to that).
// The payload's string holds only base64 letters, so it cannot change
// what the strict reader finds in the rest of the line.
//
// Bound, when positive, is the most bytes a line can have (a pack's file
// size), below what the reader knows.
type EnvelopeSink struct {
	Bound int

	state   int
	pt      []byte // the payloadType's string
	buf     []byte // room for PAE's head, then the payload decoded so far
	room    int    // len of the room in buf
	pend    [4]byte
	npend   int
	pads    int // "=" after the payload's letters
	n       int // letters and "=" of the payload's string
	std     bool
	url     bool
	suffix  []byte
	raw     []byte // the line, once it is given back
	h       hashWriter
	bound   int
	payload int // bytes of the payload decoded
}

// The states of an EnvelopeSink.
const (
	sinkHead    = iota // head not yet seen past the payload key
	sinkPayload        // in the payload's string
	sinkPad            // in the payload's "=" padding
	sinkSuffix         // after the payload's string
	sinkRaw            // giving the line back
)

var _ jsonl.Sink = (*EnvelopeSink)(nil)

// b64 classes of bytes in a payload's string.
const (
	b64Other   = iota
	b64Letter  // in both alphabets
	b64Std     // "+" or "/"
	b64URL     // "-" or "_"
	b64Pad     // "="
	b64Quote   // the string's end
	b64Classes // count
)

var b64Class = func() (t [256]byte) {
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = b64Letter
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = b64Letter
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = b64Letter
	}
	t['+'], t['/'] = b64Std, b64Std
	t['-'], t['_'] = b64URL, b64URL
	t['='], t['"'] = b64Pad, b64Quote
	return t
}()

// b64Bits marks the letters of a payload for [EnvelopeSink.letters]'s
// scan, which runs over every byte of every payload: bitLetter for a
// letter of either alphabet, with bitStd or bitURL added for a letter of
// one only. The scan ANDs eight bytes' marks to find a run's end and ORs
// them to learn the alphabets, where a class per byte cost a compare and
// a store each.
var b64Bits = func() (t [256]byte) {
	for c, class := range b64Class {
		switch class {
		case b64Letter:
			t[c] = bitLetter
		case b64Std:
			t[c] = bitLetter | bitStd
		case b64URL:
			t[c] = bitLetter | bitURL
		}
	}
	return t
}()

const (
	bitLetter = 1 << iota
	bitStd
	bitURL
)

// Take takes a line that starts {"payloadType":"<type>","payload":" with a
// type of printable ASCII, all within head, whose only escapes are the
// ones encoding/json (and so consign) writes for '&', '<' and '>'.
func (s *EnvelopeSink) Take(head []byte, bound int) bool {
	rest, ok := bytes.CutPrefix(head, []byte(envelopeHead))
	if !ok {
		return false
	}
	end := bytes.IndexByte(rest, '"')
	if end < 0 || !bytes.HasPrefix(rest[end:], []byte(payloadKey)) || !plainType(rest[:end]) {
		return false
	}
	if s.Bound > 0 {
		bound = min(bound, s.Bound)
	}
	*s = EnvelopeSink{Bound: s.Bound, bound: bound, pt: append(s.pt[:0], rest[:end]...)}
	// PAE's head: "DSSEv1 " LEN(type) SP type SP LEN(body) SP, the body's
	// length having at most as many digits as the bound.
	s.room = len("DSSEv1  ") + len(strconv.Itoa(len(s.pt))) + len(s.pt) + 2 + len(strconv.Itoa(max(bound, 1)))
	s.h.reset()
	return true
}

// plainType reports whether pt, a payloadType's string as a line has it,
// is printable ASCII whose only escapes are \u0026, \u003c and \u003e,
// as encoding/json writes '&', '<' and '>': [unescapeType] decodes it.
func plainType(pt []byte) bool {
	for i := 0; i < len(pt); i++ {
		c := pt[i]
		if c == '\\' {
			if e := pt[i:min(i+6, len(pt))]; string(e) != `\u0026` && string(e) != `\u003c` && string(e) != `\u003e` {
				return false
			}
			i += 5
			continue
		}
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

// typeEscapes undoes the escapes [plainType] allows.
var typeEscapes = strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">")

// unescapeType is the payloadType pt, which [plainType] accepted, says.
func unescapeType(pt []byte) string {
	if bytes.IndexByte(pt, '\\') < 0 {
		return string(pt)
	}
	return typeEscapes.Replace(string(pt))
}

// Write reads the line's next bytes.
func (s *EnvelopeSink) Write(p []byte) {
	if s.state == sinkHead {
		// The first write holds the head Take saw.
		n := len(envelopeHead) + len(s.pt) + len(payloadKey)
		s.h.Write(p[:n])
		p = p[n:]
		s.state = sinkPayload
	}
	for len(p) > 0 {
		switch s.state {
		case sinkPayload:
			p = s.letters(p)
		case sinkPad:
			i := 0
			for i < len(p) && p[i] == '=' {
				i++
			}
			s.pads += i
			s.n += i
			s.h.Write(p[:i])
			p = p[i:]
			if len(p) > 0 {
				if p[0] != '"' {
					s.giveBack(p)
					return
				}
				if !s.finishPayload() {
					s.giveBack(p)
					return
				}
				s.h.Write(p[:1])
				p = p[1:]
				s.state = sinkSuffix
			}
		case sinkSuffix:
			s.suffix = append(s.suffix, p...)
			return
		case sinkRaw:
			s.raw = append(s.raw, p...)
			return
		}
	}
}

// letters decodes the payload's letters at the start of p and returns
// the rest of p.
func (s *EnvelopeSink) letters(p []byte) []byte {
	i := 0
	var seen byte
	for ; i+8 <= len(p); i += 8 {
		b0, b1, b2, b3 := b64Bits[p[i]], b64Bits[p[i+1]], b64Bits[p[i+2]], b64Bits[p[i+3]]
		b4, b5, b6, b7 := b64Bits[p[i+4]], b64Bits[p[i+5]], b64Bits[p[i+6]], b64Bits[p[i+7]]
		if b0&b1&b2&b3&b4&b5&b6&b7&bitLetter == 0 {
			break // a byte that is no letter is among these eight
		}
		seen |= b0 | b1 | b2 | b3 | b4 | b5 | b6 | b7
	}
	for ; i < len(p); i++ {
		b := b64Bits[p[i]]
		if b == 0 {
			break
		}
		seen |= b
	}
	run := p[:i]
	sawStd, sawURL := seen&bitStd != 0, seen&bitURL != 0
	if (s.std || sawStd) && (s.url || sawURL) {
		s.giveBack(p) // two alphabets: never canonical
		return nil
	}
	s.std = s.std || sawStd
	s.url = s.url || sawURL
	s.h.Write(run)
	s.n += len(run)
	// Whole groups of four letters decode alone, the same in either
	// alphabet where they hold no letter of one only.
	if s.npend > 0 {
		k := copy(s.pend[s.npend:], run)
		s.npend += k
		run = run[k:]
		if s.npend == 4 {
			if !s.decode(s.pend[:]) {
				s.giveBackLetters(run, p[i:])
				return nil
			}
			s.npend = 0
		}
	}
	whole := len(run) &^ 3
	if whole > 0 && !s.decode(run[:whole]) {
		s.giveBackLetters(run, p[i:])
		return nil
	}
	s.npend += copy(s.pend[s.npend:], run[whole:])
	p = p[i:]
	if len(p) == 0 {
		return nil
	}
	switch b64Class[p[0]] {
	case b64Pad:
		s.state = sinkPad
		return p
	case b64Quote:
		if !s.finishPayload() {
			s.giveBack(p)
			return nil
		}
		s.h.Write(p[:1])
		s.state = sinkSuffix
		return p[1:]
	}
	s.giveBack(p)
	return nil
}

// decode decodes whole groups of letters onto the payload.
func (s *EnvelopeSink) decode(src []byte) bool {
	enc := stdStrict
	if s.url {
		enc = urlStrict
	}
	s.grow(len(src) / 4 * 3)
	n, err := enc.Decode(s.buf[len(s.buf):cap(s.buf)], src)
	if err != nil || n != len(src)/4*3 {
		return false
	}
	s.buf = s.buf[:len(s.buf)+n]
	return true
}

// grow makes room for n more bytes of payload: the buffer grows in a few
// large steps (as jsonl grows a long line's), the first twice what the
// line's first write needs, the last to the most a payload of the line's
// bound can be. Past that bound (a file that grew as it was read) it
// doubles, so that a write is not a copy of all the payload decoded
// before it. The bound is often the rest of a body or file of many lines,
// not this line's length: a first step of a fixed mebibyte cost each line
// of 64 to 100 KiB 14 times its bytes in allocation, and reading it 20
// times the time of a line just under 64 KiB, which is not streamed.
func (s *EnvelopeSink) grow(n int) {
	need := max(len(s.buf), s.room) + n
	if s.buf != nil && need <= cap(s.buf) {
		return
	}
	most := s.room + s.bound/4*3 + 3
	next := 8 * cap(s.buf)
	if next == 0 {
		next = 2 * need
	}
	switch {
	case need > most:
		next = max(2*cap(s.buf), need)
	case 4*next >= most:
		next = most
	}
	buf := make([]byte, max(len(s.buf), s.room), max(next, need))
	copy(buf, s.buf)
	s.buf = buf
}

// finishPayload decodes the payload's last letters and padding, by the
// encoding [decodeBase64] picks for the whole string.
func (s *EnvelopeSink) finishPayload() bool {
	s.grow(0)
	if s.pads > 2 {
		return false
	}
	var enc *base64.Encoding
	switch {
	case s.url && s.n%4 != 0:
		enc = rawURLStrict
	case s.url:
		enc = urlStrict
	case s.n%4 != 0:
		enc = rawStdStrict
	default:
		enc = stdStrict
	}
	last := append(s.pend[:s.npend:s.npend], "===="[:s.pads]...)
	if len(last) > 0 {
		var out [3]byte
		n, err := enc.Decode(out[:], last)
		if err != nil {
			return false
		}
		s.grow(n)
		s.buf = append(s.buf, out[:n]...)
	}
	s.payload = len(s.buf) - s.room
	return true
}

// giveBackLetters gives the line back when a run of letters did not
// decode: run is what was left of it, not yet on the payload or pending.
func (s *EnvelopeSink) giveBackLetters(run, rest []byte) {
	s.raw = s.rebuild()
	s.raw = append(s.raw, run...)
	s.raw = append(s.raw, rest...)
	s.state = sinkRaw
	s.buf = nil
}

// giveBack rebuilds the line read so far, then p, to give the line back.
func (s *EnvelopeSink) giveBack(p []byte) {
	s.raw = append(s.rebuild(), p...)
	s.state = sinkRaw
	s.buf, s.suffix = nil, nil
}

// rebuild is the line read so far, p not included.
func (s *EnvelopeSink) rebuild() []byte {
	out := make([]byte, 0, len(envelopeHead)+len(s.pt)+len(payloadKey)+s.n+8+len(s.suffix))
	out = append(out, envelopeHead...)
	out = append(out, s.pt...)
	out = append(out, payloadKey...)
	if s.state == sinkSuffix {
		l := EnvelopeLine{Envelope: &Envelope{Payload: s.buf[s.room:]}, rawType: string(s.pt), url: s.url, padded: s.n%4 == 0, suffix: s.suffix}
		return l.AppendLine(out[:0])
	}
	if len(s.buf) > s.room && s.state != sinkRaw {
		enc := base64.RawStdEncoding
		if s.url {
			enc = base64.RawURLEncoding
		}
		out = enc.AppendEncode(out, s.buf[s.room:])
	}
	out = append(out, s.pend[:s.npend]...)
	return append(out, strings.Repeat("=", s.pads)...)
}

// End reads the envelope around the payload, or gives the line back.
func (s *EnvelopeSink) End() (jsonl.Streamed, []byte) {
	defer func() { *s = EnvelopeSink{Bound: s.Bound, pt: s.pt[:0]} }()
	switch s.state {
	case sinkRaw:
		return nil, s.raw
	case sinkSuffix:
	default:
		return nil, s.rebuild()
	}
	suffix := bytes.TrimRight(s.suffix, " \t\r\n\v\f")
	size := len(envelopeHead) + len(s.pt) + len(payloadKey) + s.n + 1 + len(suffix)
	if size > limits.Envelope {
		return nil, s.rebuild()
	}
	skel := make([]byte, 0, len(envelopeHead)+len(s.pt)+len(payloadKey)+1+len(suffix))
	skel = append(append(append(append(skel, envelopeHead...), s.pt...), payloadKey...), '"')
	skel = append(skel, suffix...)
	env, malformed, err := ParseEnvelope(skel)
	// The type the strict reader decoded is the one the sink read, the
	// escapes it allows undone: no other reading of the line's bytes.
	if err != nil || env.PayloadType != unescapeType(s.pt) {
		return nil, s.rebuild()
	}
	s.h.Write(suffix)
	l := &EnvelopeLine{Malformed: malformed, Size: size, suffix: bytes.Clone(suffix), url: s.url, padded: s.n%4 == 0, Envelope: env, rawType: env.PayloadType}
	if len(s.pt) != len(env.PayloadType) {
		l.rawType = string(s.pt) // escaped
	}
	l.Digest = s.h.sum()
	// The payload, PAE's head right before it: a pure Ed25519 check reads
	// PAE where it lies.
	buf, room := s.buf, s.room
	head := appendPAEHead(nil, env.PayloadType, s.payload)
	if len(head) > room {
		// A line past the bound (its file grew as it was read): the
		// head's room was too small.
		buf, room = append(make([]byte, len(head), len(head)+s.payload), buf[room:]...), len(head)
	} else if slack := cap(buf) - len(buf); slack > s.payload/8 && slack > 1<<16 {
		buf = append(make([]byte, 0, len(buf)), buf...)
	}
	start := room - len(head)
	copy(buf[start:], head)
	env.Payload = buf[room:len(buf):len(buf)]
	l.pae = buf[start:len(buf):len(buf)]
	return l, nil
}

// hashWriter is SHA-256 of the line as it streams.
type hashWriter struct{ h hash.Hash }

func (w *hashWriter) reset()         { w.h = sha256.New() }
func (w *hashWriter) Write(p []byte) { w.h.Write(p) }
func (w *hashWriter) sum() (d [sha256.Size]byte) {
	w.h.Sum(d[:0])
	return d
}

// PAEMessage is [PAEMessage](e.PayloadType, e.Payload) of the line's
// envelope e, read where it lies: the sink decoded the payload after room
// for PAE's head, so that even a pure Ed25519 check, which needs the
// message whole, makes no copy. If e's type or payload were replaced since,
// it is PAEMessage's message.
func (l *EnvelopeLine) PAEMessage() *sign.Message {
	e := l.Envelope
	if pae := l.pae; len(pae) >= len(e.Payload) && len(e.Payload) > 0 &&
		&pae[len(pae)-len(e.Payload)] == &e.Payload[0] {
		head := pae[:len(pae)-len(e.Payload)]
		if bytes.Equal(head, appendPAEHead(nil, e.PayloadType, len(e.Payload))) {
			return sign.NewMessage(pae)
		}
	}
	return PAEMessage(e.PayloadType, e.Payload)
}
