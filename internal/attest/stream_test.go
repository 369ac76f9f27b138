package attest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/jsonl"
)

// sinkRead feeds line to an EnvelopeSink in chunks of the sizes given (the
// last repeated), as jsonl gives a long line, and returns what it made of
// it. ok is false when the sink did not take the line. The sink is told
// the line has at most bound bytes (a line past it: a file that grew).
func sinkRead(line []byte, chunks []int, bound int) (v jsonl.Streamed, back []byte, ok bool) {
	s := &attest.EnvelopeSink{}
	head := line[:min(len(line), 64<<10)]
	if !s.Take(head, bound) {
		return nil, nil, false
	}
	for i, rest := 0, line; len(rest) > 0; i++ {
		n := len(rest)
		if len(chunks) > 0 {
			n = max(1, chunks[min(i, len(chunks)-1)])
		}
		n = min(n, len(rest))
		if i == 0 {
			n = max(n, len(head)) // the first write is the head Take saw
		}
		s.Write(rest[:n])
		rest = rest[n:]
	}
	v, back = s.End()
	return v, back, true
}

// checkSink holds the sink to ParseEnvelope on one line: a line it reads
// is one ParseEnvelope accepts, with the same envelope, digest and bytes;
// a line it gives back is given back exactly, to be read as before.
func checkSink(t *testing.T, line []byte, chunks []int, bound int) (streamed bool) {
	t.Helper()
	v, back, ok := sinkRead(line, chunks, bound)
	if !ok {
		return false
	}
	trimmed := bytes.TrimSpace(line)
	env, malformed, err := attest.ParseEnvelope(trimmed)
	if v == nil {
		if !bytes.Equal(back, line) {
			t.Fatalf("sink gave back\n%q\nfor the line\n%q", back, line)
		}
		return false
	}
	el, isLine := v.(*attest.EnvelopeLine)
	if back != nil || !isLine {
		t.Fatalf("End() = %T, %q; want an *EnvelopeLine alone", v, back)
	}
	if err != nil {
		t.Fatalf("the sink read a line ParseEnvelope refuses (%v):\n%q", err, line)
	}
	if diff := cmp.Diff(env, el.Envelope, cmpopts.EquateEmpty()); diff != "" || malformed != el.Malformed {
		t.Fatalf("sink's envelope differs from ParseEnvelope's (malformed %d, %d) (-parse +sink):\n%s", malformed, el.Malformed, diff)
	}
	if got := el.AppendLine(nil); !bytes.Equal(got, trimmed) {
		t.Fatalf("AppendLine =\n%q\nwant\n%q", got, trimmed)
	}
	var w bytes.Buffer
	if n, err := el.WriteTo(&w); err != nil || n != int64(len(trimmed)) || !bytes.Equal(w.Bytes(), trimmed) {
		t.Fatalf("WriteTo = %d, %v:\n%q\nwant\n%q", n, err, w.Bytes(), trimmed)
	}
	if el.Digest != sha256.Sum256(trimmed) || el.Size != len(trimmed) {
		t.Fatalf("Digest, Size = %x, %d; want the line's %x, %d", el.Digest, el.Size, sha256.Sum256(trimmed), len(trimmed))
	}
	pae := attest.LinePAE(el)
	if want := attest.PAE(env.PayloadType, env.Payload); !bytes.Equal(pae, want) {
		t.Fatalf("the line's PAE =\n%q\nwant\n%q", pae, want)
	}
	if p := el.Envelope.Payload; len(p) > 0 && &pae[len(pae)-len(p)] != &p[0] {
		t.Fatalf("the payload is not PAE's tail: PAE is a copy")
	}
	return true
}

func TestEnvelopeSink(t *testing.T) {
	payload := bytes.Repeat([]byte("statement\xff\xfe\x00"), 1000)
	std := base64.StdEncoding.EncodeToString(payload[:2999])
	long := base64.StdEncoding.EncodeToString(bytes.Repeat(payload[:10000], 11)[:100001])
	url := base64.RawURLEncoding.EncodeToString(payload[:2998])
	sigs := `,"signatures":[{"keyid":"k","sig":"AAAA"}]}`
	tests := []struct {
		name   string
		line   string
		stream bool
	}{
		{"std padded", `{"payloadType":"application/vnd.in-toto+json","payload":"` + std + `"` + sigs, true},
		{"longer than a piece", `{"payloadType":"t","payload":"` + long + `"` + sigs, true},
		{"url raw", `{"payloadType":"t","payload":"` + url + `"` + sigs, true},
		{"empty payload", `{"payloadType":"t","payload":""` + sigs, true},
		{"trailing white space", `{"payloadType":"t","payload":"` + std + `"` + sigs + " \t\r", true},
		{"a bad signature dropped", `{"payloadType":"t","payload":"QQ=="` + `,"signatures":[{"sig":"!"},{"sig":"QQ"}]}`, true},
		{"two alphabets", `{"payloadType":"t","payload":"` + std[:40] + "-_" + std[42:] + `"` + sigs, false},
		{"white space in payload", `{"payloadType":"t","payload":"` + std[:40] + " " + std[41:] + `"` + sigs, false},
		{"escape in payload", `{"payloadType":"t","payload":"` + std[:40] + `\/` + std[42:] + `"` + sigs, false},
		{"non-zero trailing bits", `{"payloadType":"t","payload":"QR=="` + sigs, false},
		{"padding in the middle", `{"payloadType":"t","payload":"QQ==QQ=="` + sigs, false},
		{"padding too long", `{"payloadType":"t","payload":"QQ===="` + sigs, false},
		{"unpadded with padding", `{"payloadType":"t","payload":"QUE=="` + sigs, false},
		{"one letter over", `{"payloadType":"t","payload":"QUFBQ"` + sigs, false},
		{"duplicate payload", `{"payloadType":"t","payload":"QQ==","payload":"QQ=="` + sigs, false},
		{"a field ParseEnvelope ignores", `{"payloadType":"t","payload":"QQ==","extra":1` + sigs, true},
		{"duplicate signatures", `{"payloadType":"t","payload":"QQ==","signatures":[]` + sigs, false},
		{"no signatures", `{"payloadType":"t","payload":"QQ=="}`, false},
		{"not closed", `{"payloadType":"t","payload":"QQ==`, false},
		{"trailing data", `{"payloadType":"t","payload":"QQ=="` + sigs + `x`, false},
		{"type escaped as consign writes it", `{"payloadType":"application/vnd.in-toto.a\u0026b\u003cc\u003e+json","payload":"QQ=="` + sigs, true},
		{"type with & unescaped", `{"payloadType":"a&b<c>","payload":"QQ=="` + sigs, true},
		{"type escaped at its end", `{"payloadType":"\u003e","payload":"QQ=="` + sigs, true},
		{"invalid UTF-8 after", `{"payloadType":"t","payload":"QQ=="` + sigs[:len(sigs)-1] + `,"k":"\xff"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, chunks := range [][]int{nil, {1}, {7}, {3, 1, 4, 1, 5, 9, 2, 6}} {
				for _, bound := range []int{len(tt.line), 1} {
					if got := checkSink(t, []byte(tt.line), chunks, bound); got != tt.stream {
						t.Errorf("chunks %v, bound %d: streamed = %v, want %v", chunks, bound, got, tt.stream)
					}
				}
			}
		})
	}
	// Lines it does not take: not as consign writes an envelope's start.
	for _, line := range []string{
		`{"payload":"QQ==","payloadType":"t"` + sigs,
		`{"payloadType":"t\u0041","payload":"QQ=="` + sigs,
		`{"payloadType": "t","payload":"QQ=="` + sigs,
		`{"payloadType":"t\x7f","payload":"QQ=="` + sigs,
		`{"payloadType":"a\u003Cb","payload":"QQ=="` + sigs, // not as encoding/json writes it
		`{"payloadType":"a\u0027b","payload":"QQ=="` + sigs,
		`{"payloadType":"a\\u0026","payload":"QQ=="` + sigs,
		`{"payloadType":"a\u002","payload":"QQ=="` + sigs,
	} {
		if _, _, ok := sinkRead([]byte(line), nil, len(line)); ok {
			t.Errorf("Take(%q) = true, want false", line)
		}
	}
}

// A line past the bound the sink was told (a file that grew as it was
// read) is read all the same, its buffer grown in a few steps: it was
// grown to the exact size needed at every write past the bound, a copy of
// all the payload decoded so far per 64 KiB, quadratic in the line.
func TestEnvelopeSinkPastBound(t *testing.T) {
	payload := bytes.Repeat([]byte("statement\xff\xfe\x00"), 400<<10) // 4.8 MiB
	line := []byte(`{"payloadType":"t","payload":"` + base64.StdEncoding.EncodeToString(payload) +
		`","signatures":[{"keyid":"k","sig":"AAAA"}]}`)
	chunks := []int{64 << 10} // as jsonl gives a long line
	for _, bound := range []int{1, 1 << 20} {
		v, _, _ := sinkRead(line, chunks, bound)
		el, ok := v.(*attest.EnvelopeLine)
		if !ok || !bytes.Equal(el.Envelope.Payload, payload) || el.Digest != sha256.Sum256(line) {
			t.Fatalf("bound %d: the sink did not read the line as it is", bound)
		}
		allocs := testing.AllocsPerRun(1, func() { sinkRead(line, chunks, bound) })
		// About 100 writes: some 30 allocations in all (a few for the
		// buffer, the rest for reading what follows the payload), where
		// there were 200 (one a write).
		if allocs > 60 {
			t.Errorf("bound %d: %.0f allocations reading a line of %d bytes in %d-byte writes, want a few", bound, allocs, len(line), chunks[0])
		}
	}
}

// A file of many envelope lines a little longer than jsonl's buffer (a
// chain's links of a thousand files) is read in about its own bytes: the
// sink's bound is the rest of the file, not the line, and its buffer's
// first step was a fixed MiB a line, 11 times the file's 9.5 MB in all.
func TestStreamDocumentsShortLongLines(t *testing.T) {
	payload := bytes.Repeat([]byte("statement\xff\xfe\x00"), 6<<10) // 72 KiB
	line := `{"payloadType":"application/vnd.in-toto+json","payload":"` + base64.StdEncoding.EncodeToString(payload) +
		`","signatures":[{"keyid":"k","sig":"AAAA"}]}` + "\n"
	file := []byte(strings.Repeat(line, 100))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	docs, err := jsonl.StreamDocuments(context.Background(), bytes.NewReader(file), "f", jsonl.Limits{}, &attest.EnvelopeSink{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range docs {
		if el, ok := d.Streamed.(*attest.EnvelopeLine); !ok || !bytes.Equal(el.Envelope.Payload, payload) {
			t.Fatalf("line %d of %d was not streamed as it is", i+1, len(docs))
		}
	}
	if got, most := after.TotalAlloc-before.TotalAlloc, 2*uint64(len(file)); len(docs) != 100 || got > most {
		t.Errorf("reading %d lines, %d bytes, allocated %d bytes; want 100 lines and at most %d (twice the file)", len(docs), len(file), got, most)
	}
}

// A JSON Lines file of envelope lines longer than jsonl's buffer: the
// sink reads the canonical ones as they stream (their bytes never held
// whole), gives back the others, and ReadDocuments then finds exactly
// what it finds without the sink, errors included.
func TestStreamDocumentsEnvelopes(t *testing.T) {
	s := newSigner(t, "ed25519")
	env := signed(t, statement(t, attest.PredicateSLSAProvenance, manyArtifacts(3000)...), s)
	good, err := env.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	if len(good) < 128<<10 {
		t.Fatalf("envelope of %d bytes, want one longer than jsonl's buffer", len(good))
	}
	spaced := strings.Replace(string(good), `","payload":"`, `","payload":"AAAA `, 1)
	file := "\n  " + string(good) + "\n" + spaced + "\r\n\n" + string(good) + " "
	plain, err := jsonl.Documents(context.Background(), strings.NewReader(file), "f", jsonl.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := jsonl.StreamDocuments(context.Background(), strings.NewReader(file), "f", jsonl.Limits{}, &attest.EnvelopeSink{})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 3 || docs[0].Streamed == nil || docs[1].Streamed != nil || docs[2].Streamed == nil || docs[0].Data != nil {
		t.Fatalf("StreamDocuments = %d docs, streamed %v %v %v; want 3, the first and last streamed", len(docs), docs[0].Streamed != nil, docs[1].Streamed != nil, docs[2].Streamed != nil)
	}
	got := sameAsWithoutSink(t, plain, docs)
	if got[1].Err == nil || !errors.Is(got[1].Err, attest.ErrMalformed) {
		t.Errorf("the spaced payload: %v, want ErrMalformed", got[1].Err)
	}
	kr := keyring(t, s)
	if _, err := attest.VerifyEnvelope(got[0].Envelope, kr, attest.VerifyOptions{}); err != nil {
		t.Errorf("VerifyEnvelope(streamed) = %v", err)
	}
	// One document alone, as a file of one envelope.
	one, err := jsonl.StreamDocuments(context.Background(), bytes.NewReader(good), "one", jsonl.Limits{}, &attest.EnvelopeSink{})
	if err != nil || len(one) != 1 || one[0].Streamed == nil {
		t.Fatalf("StreamDocuments(one envelope) = %d docs, %v", len(one), err)
	}
	items, err := attest.ReadDocuments(one, "one")
	if err != nil || len(items) != 1 || items[0].Source != "one" || items[0].Envelope == nil {
		t.Fatalf("ReadDocuments(one streamed) = %+v, %v", items, err)
	}
}

// plainType reports whether pt is printable ASCII without quote or
// backslash: consign writes it as the sink takes it, '<', '>' and '&'
// escaped as encoding/json does (\u003c, \u003e, \u0026), the rest as
// itself.
func plainType(pt string) bool {
	for i := 0; i < len(pt); i++ {
		if c := pt[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

func manyArtifacts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Repeat("x", 20) + string(rune('a'+i%26)) + strings.Repeat("y", i%50)
	}
	return out
}

// FuzzEnvelopeSink is the sink against ParseEnvelope on every line: same
// accept and reject, the same envelope, and a refused line given back byte
// for byte (to get ParseEnvelope's own error), whatever the chunks.
func FuzzEnvelopeSink(f *testing.F) {
	envelopes, _, _ := seeds(f)
	for _, s := range envelopes {
		f.Add(s, []byte{3, 1, 4})
	}
	f.Add([]byte(`{"payloadType":"t","payload":"QUFB-_","signatures":[{"sig":"QQ"}]}`), []byte{1})
	f.Add([]byte(`{"payloadType":"t","payload":"QUFBQQ","signatures":[{"sig":"QQ"}]}`), []byte{5})
	f.Add([]byte(`{"payloadType":"t","payload":"QUFBQQ==","signatures":[{"sig":"QQ"}]}  `), []byte{2, 9})
	// A type consign writes escaped (\u0026), and the sink takes so.
	f.Add([]byte(`{"payloadType":"&","payload":"","signatures":[{"keyid":"","sig":"0A=="}]}`), []byte{1})
	f.Add([]byte(`{"payloadType":"a\u0026\u003c\u003e","payload":"QQ","signatures":[{"keyid":"","sig":"0A=="}]}`), []byte{2})
	f.Add([]byte(`{"payloadType":"\u0026\u0026","payload":"QQ","signatures":[{"keyid":"","sig":"0A=="}]}`), []byte{1})
	// Near misses of the escapes the sink takes: it must give each back or
	// read it exactly as ParseEnvelope does.
	for _, line := range attackLines() {
		f.Add([]byte(line), []byte{3})
	}
	f.Fuzz(func(t *testing.T, line, chunks []byte) {
		line = bytes.TrimLeft(line, " \t\r\n\v\f")
		if len(line) == 0 || bytes.IndexByte(line, '\n') >= 0 {
			return // jsonl gives a sink one non-blank line
		}
		sizes := make([]int, len(chunks))
		for i, c := range chunks {
			sizes[i] = int(c)
		}
		bound := len(line)
		if len(chunks) > 0 && chunks[0]%2 == 1 {
			bound = int(chunks[0]) // a line past its bound
		}
		checkSink(t, line, sizes, bound)
		// Consign's own form of any envelope ParseEnvelope reads is
		// always read as it streams.
		if env, _, err := attest.ParseEnvelope(line); err == nil {
			if out, err := env.MarshalJSON(); err == nil && plainType(env.PayloadType) {
				if !checkSink(t, out, sizes, bound) {
					t.Fatalf("the sink did not read consign's own envelope\n%s", out)
				}
			}
		}
	})
}

// attackLines are envelope lines that try to make the sink read a type,
// a payload or a line other than the one ParseEnvelope reads: escapes next
// to the ones the sink takes, keys spelt with escapes, a second type,
// white space where consign writes none.
func attackLines() []string {
	const sigs = `,"signatures":[{"keyid":"k","sig":"AAAA"}]}`
	return []string{
		`{"payloadType":"a\u0026\/b","payload":"QQ=="` + sigs,
		`{"payloadType":"a\/\u0026b","payload":"QQ=="` + sigs,
		`{"payloadType":"a\u0026\u0041","payload":"QQ=="` + sigs,
		`{"payloadType":"a\u003C","payload":"QQ=="` + sigs,
		`{"payloadType":"a\u003E\u0026","payload":"QQ=="` + sigs,
		`{"payloadType":"a\U003c","payload":"QQ=="` + sigs,
		`{"payloadType":"\ud83d\ude00\u0026","payload":"QQ=="` + sigs,
		`{"payloadType":"\u0026\ud83d","payload":"QQ=="` + sigs,
		`{"payloadType":"\u0026\\","payload":"QQ=="` + sigs,
		`{"payloadType":"\u0026\","payload":"QQ=="` + sigs,
		`{"payloadType":"\u002","payload":"QQ=="` + sigs,
		`{"payloadType":"\u0026\u0000","payload":"QQ=="` + sigs,
		`{"payloadType":"\u0026","payload":"QQ==","payloadType":"\u0026"` + sigs,
		`{"payloadType":"\u0026","payload":"QQ==","payloadType":"&"` + sigs,
		`{"payloadType":"&","payload":"QQ==","payload\u0054ype":"\u0026"` + sigs,
		`{"payloadType":"\u0026","payload":"QQ==","\u0070ayloadType":"x"` + sigs,
		`{"payloadType":"\u0026","payload":"QQ==","PayloadType":"&"` + sigs,
		`{"payloadType":"\u0026","payload":"QQ==","payload\u0054ype":"\u0026"` + sigs,
		`{"payloadType":"\u0026","payload":"QQ==","\u0070ayload":"QQ=="` + sigs,
		`{"payloadType":"\u0026","payload":"QQ==","pa\u0079load":""` + sigs,
		`{"payloadType":"\u0026","payload":"QQ==" ` + sigs + " \t",
		`{"payloadType":"\u0026","payload":"QQ==",` + "\n" + `"signatures":[{"keyid":"k","sig":"AAAA"}]}`,
		`{"payloadType":"\u0026","payload":"QQ=="` + sigs + "\u00a0",
		`{"payloadType":"\u0026","payload":"QQ=="` + sigs + "\v",
		`{"payloadType":"\u0026","payload":"QQ=="` + sigs + "\x85",
		`{"payloadType":"` + strings.Repeat(`\u0026`, 3000) + `","payload":"QQ=="` + sigs,
		`{"payloadType":"` + strings.Repeat(`a\u003c`, 2000) + `b","payload":"` + strings.Repeat("QUFB", 20000) + `"` + sigs,
	}
}

// TestEnvelopeSinkAttacks: every near miss of the escapes the sink reads,
// whatever the chunks (an escape split across writes too), is read by the
// sink exactly as ParseEnvelope reads it, or given back to be.
func TestEnvelopeSinkAttacks(t *testing.T) {
	for _, line := range attackLines() {
		for _, chunks := range [][]int{nil, {1}, {2}, {5}, {6}, {7}, {3, 1, 4, 1, 5, 9, 2, 6}} {
			for _, bound := range []int{len(line), 1} {
				checkSink(t, []byte(line), chunks, bound)
			}
		}
	}
}

// TestStreamDocumentsEscapedTypes: through jsonl, lines longer than its
// buffer whose types hold escapes (some split across the buffer's end) are
// found exactly as without the sink: the same items, line bytes and errors.
func TestStreamDocumentsEscapedTypes(t *testing.T) {
	payload := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("p\x00\xff"), 40000))
	sigs := `,"signatures":[{"keyid":"k","sig":"AAAA"}]}`
	var file strings.Builder
	for _, pt := range []string{
		`a\u0026b`, `a\u0026\/b`, `\u003C`, `\u0026\ud83d\ude00`, `x\u003e`,
		strings.Repeat("t", 64<<10-len(`{"payloadType":"`)-3) + `\u0026`, // the escape across the buffer's end
		strings.Repeat("t", 64<<10-len(`{"payloadType":"`)-6) + `\u0026`, // the quote at the buffer's end
		strings.Repeat("t", 64<<10-len(`{"payloadType":"`)-8) + `\u0026`,
	} {
		for _, suffix := range []string{sigs, `,"payload\u0054ype":"u"` + sigs, `,"\u0070ayload":"QQ=="` + sigs} {
			file.WriteString(`{"payloadType":"` + pt + `","payload":"` + payload + `"` + suffix + "\n")
		}
	}
	plain, err := jsonl.Documents(context.Background(), strings.NewReader(file.String()), "f", jsonl.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	docs, err := jsonl.StreamDocuments(context.Background(), strings.NewReader(file.String()), "f", jsonl.Limits{}, &attest.EnvelopeSink{})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != len(plain) {
		t.Fatalf("%d docs streamed, %d without", len(docs), len(plain))
	}
	sameAsWithoutSink(t, plain, docs)
}

// sameAsWithoutSink holds docs, a file read with the sink, to plain, the
// same read without: the same lines, bytes and items (errors included).
// It returns the items of docs.
func sameAsWithoutSink(t *testing.T, plain, docs []jsonl.Line) []attest.Item {
	t.Helper()
	for i := range docs {
		if docs[i].N != plain[i].N || !bytes.Equal(docs[i].Bytes(), plain[i].Data) {
			t.Errorf("doc %d: line %d, %d bytes; want line %d as read without the sink", i, docs[i].N, len(docs[i].Bytes()), plain[i].N)
		}
	}
	want, err := attest.ReadDocuments(plain, "f")
	if err != nil {
		t.Fatal(err)
	}
	got, err := attest.ReadDocuments(docs, "f")
	if err != nil {
		t.Fatal(err)
	}
	errText := cmp.Comparer(func(a, b error) bool { return (a == nil) == (b == nil) && (a == nil || a.Error() == b.Error()) })
	if diff := cmp.Diff(want, got, errText, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("ReadDocuments with the sink differs (-without +with):\n%s", diff)
	}
	return got
}
