package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sign"
)

// signedLine is an envelope line, Ed25519-signed, whose payload pads a
// statement's JSON to some n bytes.
func signedLine(t *testing.T, n int) (payload []byte, env *attest.Envelope, line []byte) {
	t.Helper()
	priv, err := sign.Generate(sign.Ed25519)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	payload = []byte(`{"_type":"https://in-toto.io/Statement/v1","pad":"` + strings.Repeat("y", n) + `"}`)
	if env, err = attest.SignPayload(attest.PayloadType, payload, s); err != nil {
		t.Fatal(err)
	}
	line, err = json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return payload, env, line
}

// The line reader streams a long envelope line, so that it never holds
// the line, only its decoded payload, and gives every other line as it
// is: what it returns is, byte for byte and as ParseEnvelope reads it,
// the body's line.
func TestLineReaderStreams(t *testing.T) {
	payload, env, long := signedLine(t, 300<<10)
	whole := []byte(`{"signatures":[],` + string(long[1:])) // the same members, another order
	short := []byte(`{"payloadType":"a","payload":"","signatures":[]}`)
	lines := [][]byte{long, short, whole, long}
	body := "\n \t" + string(bytes.Join(lines, []byte(" \r\n\n"))) + "\r\n"
	for _, known := range []bool{false, true} {
		lr := newLineReader(strings.NewReader(body), 1<<20)
		if known {
			// An upper bound is enough.
			lr.size = func(seen int) (int, error) { return min(seen+len(body), 1<<20), nil }
		}
		for i, want := range lines {
			got, err := lr.next()
			if err != nil {
				t.Fatalf("line %d: %v", i, err)
			}
			if streamed := got.streamed != nil; streamed != (i == 0 || i == 3) {
				t.Errorf("line %d: streamed %v", i, streamed)
			}
			if !bytes.Equal(got.bytes(), want) {
				t.Errorf("line %d: %.80q..., want %.80q...", i, got.bytes(), want)
			}
			if got.streamed != nil {
				if got.data != nil {
					t.Errorf("line %d: streamed and held", i)
				}
				if !bytes.Equal(got.streamed.Envelope.Payload, payload) || got.streamed.Envelope.PayloadType != env.PayloadType || len(got.streamed.Envelope.Signatures) != 1 {
					t.Errorf("line %d: the streamed envelope is not the one written", i)
				}
			}
		}
		if _, err := lr.next(); err != io.EOF {
			t.Errorf("after the last line: %v, want io.EOF", err)
		}
		lr.free()
	}
	// A streamed line over the cap is refused as any line is.
	lr := newLineReader(bytes.NewReader(long), len(long)-1)
	if _, err := lr.next(); err != errLongLine {
		t.Errorf("a streamed line over the cap: %v, want errLongLine", err)
	}
}

// bodyRead is what [readBody] read of a publish body.
type bodyRead struct {
	lines []envelopeLine
	held  int64  // bytes charged
	alloc uint64 // bytes allocated while reading
	srv   *Server
	tl    *tokenLoad
}

// readBody reads body, which says it is declared bytes long (its
// Content-Length; negative if unknown), as a publish to a server with lim.
func readBody(t *testing.T, lim Limits, body []byte, declared int64) bodyRead {
	t.Helper()
	rd := bodyRead{srv: &Server{cfg: Config{Limits: lim}}, tl: &tokenLoad{}}
	rd.srv.cfg.Limits.setDefaults()
	r := httptest.NewRequest(http.MethodPost, "/api/v1/attestations", bytes.NewReader(body))
	r.ContentLength = declared
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	lines, err := rd.srv.readEnvelopes(httptest.NewRecorder(), r, "t", rd.tl, &rd.held)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	rd.lines, rd.alloc = lines, after.TotalAlloc-before.TotalAlloc
	return rd
}

// Reading a publish body of one long envelope line allocates its decoded
// payload about once, never the line: a line held whole costs more than
// the payload (4/3 of it) before the growing line's copies. Every byte of
// the body is still charged to the server's and the token's budgets.
func TestReadEnvelopesHoldsPayloadOnce(t *testing.T) {
	payload, _, line := signedLine(t, 12<<20)
	body := append(line, '\n')
	rd := readBody(t, Limits{Rate: -1}, body, int64(len(body)))
	lines, held, srv, tl := rd.lines, rd.held, rd.srv, rd.tl
	if len(lines) != 1 || lines[0].streamed == nil || !bytes.Equal(lines[0].streamed.Envelope.Payload, payload) {
		t.Fatalf("the body's envelope was not streamed")
	}
	if got, most := rd.alloc, uint64(len(payload))*5/4; got > most {
		t.Errorf("reading a %d-byte line allocated %d bytes, want at most %d (its %d-byte payload and a little)", len(line), got, most, len(payload))
	}
	if held != int64(len(body)) || tl.bytes.Load() != held || srv.inFlight.Load() != held {
		t.Errorf("charged %d bytes (token %d, server %d), want the body's %d", held, tl.bytes.Load(), srv.inFlight.Load(), len(body))
	}
}

// A long line's buffer is sized before its bytes come, so what it is
// sized from is charged first: a body that declares (Content-Length) far
// more than it sends, or one of unknown length, makes the server allocate
// no more than a few times the bytes it is charged for, however long the
// envelope cap (here 40 MiB). Sized from a declared length and never
// charged for it, 2 MiB sent of 30 MiB declared allocated 27 MB, 13
// times the 2 MiB charged, held until the body's deadline; sized from the
// envelope cap, 2 MiB of unknown length allocated 35 MB.
func TestReadEnvelopesChargesLongLineBuffer(t *testing.T) {
	body := append([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"`), bytes.Repeat([]byte("A"), 2<<20)...)
	for _, tt := range []struct {
		name     string
		declared int64
	}{
		{"declared 30 MiB, sent 2 MiB", 30 << 20},
		{"unknown length", -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rd := readBody(t, Limits{Rate: -1, MaxEnvelope: 40 << 20}, body, tt.declared)
			lines, held, srv, tl := rd.lines, rd.held, rd.srv, rd.tl
			if len(lines) != 1 || !bytes.Equal(lines[0].bytes(), body) {
				t.Fatalf("the body's unfinished line was not given back as it came")
			}
			got := rd.alloc
			if most := 3*uint64(held) + 1<<20; got > most {
				t.Errorf("reading %d bytes allocated %d, over 3 bytes per byte charged (%d) and a 1 MiB: at most %d", len(body), got, held, most)
			}
			if tl.bytes.Load() != held || srv.inFlight.Load() != held {
				t.Errorf("charged %d bytes, the token %d and the server %d", held, tl.bytes.Load(), srv.inFlight.Load())
			}
			t.Logf("read %d bytes, charged %d, allocated %d", len(body), held, got)
		})
	}
}

// A body of many envelope lines a little over the line reader's buffer
// (each streamed) allocates about its own bytes, of known length or not:
// each line's buffer, sized from the rest of the body, started at a fixed
// MiB, and 300 lines of 95 KB allocated 14 times the 29 MB charged.
func TestReadEnvelopesManyShortLongLines(t *testing.T) {
	_, _, line := signedLine(t, 70<<10)
	body := bytes.Repeat(append(line, '\n'), 300)
	for _, declared := range []int64{int64(len(body)), -1} {
		rd := readBody(t, Limits{Rate: -1, MaxBody: 64 << 20}, body, declared)
		if len(rd.lines) != 300 || rd.lines[0].streamed == nil {
			t.Fatalf("declared %d: %d lines read, the first streamed %v; want 300, streamed", declared, len(rd.lines), len(rd.lines) > 0 && rd.lines[0].streamed != nil)
		}
		if most := 2 * uint64(rd.held); rd.alloc > most {
			t.Errorf("declared %d: reading %d bytes allocated %d, want at most %d (twice the bytes charged)", declared, len(body), rd.alloc, most)
		}
	}
}

// A body whose first line is not JSON by itself is read as one document
// (an envelope over several lines) or as lines, for the strict parse: its
// later lines are read as bytes into that document, never streamed and
// rebuilt, and the document is sized from what is charged for it. A long
// envelope line after such a first line allocated 2.8 times the bytes
// charged (its payload streamed, the line rebuilt, the document grown by
// copies), 4.7 times in a body of unknown length.
func TestReadEnvelopesMultiLineCharged(t *testing.T) {
	_, _, line := signedLine(t, 12<<20)
	for _, shape := range []struct {
		name  string
		body  []byte
		lines [][]byte // what is read: one document, or its lines
	}{
		{"lines", []byte("not json\n" + string(line) + "\n"), [][]byte{[]byte("not json"), line}},
		{"one document", []byte("[\n " + string(line) + " \r\n\n]\n"), [][]byte{[]byte("[\n" + string(line) + "\n]")}},
	} {
		for _, declared := range []int64{int64(len(shape.body)), -1} {
			t.Run(fmt.Sprintf("%s, declared %d", shape.name, declared), func(t *testing.T) {
				rd := readBody(t, Limits{Rate: -1}, shape.body, declared)
				if len(rd.lines) != len(shape.lines) {
					t.Fatalf("read %d lines, want %d", len(rd.lines), len(shape.lines))
				}
				for i, want := range shape.lines {
					if got := rd.lines[i].bytes(); !bytes.Equal(got, want) {
						t.Errorf("line %d: %.60q, want %.60q", i, got, want)
					}
				}
				// Charged: the body, and room charged before it was allocated.
				if rd.held < int64(len(shape.body)) || rd.tl.bytes.Load() != rd.held || rd.srv.inFlight.Load() != rd.held {
					t.Errorf("charged %d bytes (token %d, server %d), want at least the body's %d", rd.held, rd.tl.bytes.Load(), rd.srv.inFlight.Load(), len(shape.body))
				}
				most := uint64(rd.held)*5/4 + 1<<20
				if declared < 0 {
					// Grown by doubling, each step charged first.
					most = 2*uint64(rd.held) + 1<<20
				}
				if rd.alloc > most {
					t.Errorf("reading %d bytes allocated %d, charged %d: want at most %d", len(shape.body), rd.alloc, rd.held, most)
				}
				t.Logf("read %d bytes, charged %d, allocated %d (%.2f per byte charged)", len(shape.body), rd.held, rd.alloc, float64(rd.alloc)/float64(rd.held))
			})
		}
	}
}

// A long line the sink does not take (an envelope with its members in
// another order) grows in steps charged before they are made: to the
// rest of a body of known length once that is near, doubling in one of
// unknown length. Grown by append, a quarter at a time, a 16 MB line
// allocated 5.95 bytes per byte charged, of known length or not.
func TestReadEnvelopesLongLineCharged(t *testing.T) {
	_, _, line := signedLine(t, 12<<20)
	line = append([]byte(`{"signatures":[],`), line[1:]...)
	body := append(line, '\n')
	for _, tt := range []struct {
		declared int64
		per      float64 // bytes allocated per byte charged, at most
	}{
		{int64(len(body)), 1.25},
		// Doubling: the buffers made, up to twice the line, and the
		// line itself, kept without the last one's slack.
		{-1, 3},
	} {
		rd := readBody(t, Limits{Rate: -1}, body, tt.declared)
		if len(rd.lines) != 1 || rd.lines[0].streamed != nil || !bytes.Equal(rd.lines[0].data, line) {
			t.Fatalf("declared %d: the line was not read as it is", tt.declared)
		}
		if c := cap(rd.lines[0].data); c-len(line) > len(line)/8 {
			t.Errorf("declared %d: the %d-byte line is held in %d bytes", tt.declared, len(line), c)
		}
		if rd.tl.bytes.Load() != rd.held || rd.srv.inFlight.Load() != rd.held || rd.held < int64(len(body)) {
			t.Errorf("declared %d: charged %d bytes (token %d, server %d), want at least the body's %d", tt.declared, rd.held, rd.tl.bytes.Load(), rd.srv.inFlight.Load(), len(body))
		}
		if most := uint64(tt.per*float64(rd.held)) + 1<<20; rd.alloc > most {
			t.Errorf("declared %d: reading %d bytes allocated %d, charged %d: want at most %d", tt.declared, len(body), rd.alloc, rd.held, most)
		}
		t.Logf("declared %d: read %d bytes, charged %d, allocated %d (%.2f per byte charged)", tt.declared, len(body), rd.held, rd.alloc, float64(rd.alloc)/float64(rd.held))
	}
}
