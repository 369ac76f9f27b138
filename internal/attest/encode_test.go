package attest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
)

// TestAppendJSON holds the hand-written encoders to encoding/json's bytes
// for the same values: names with every kind of escape, sets of several
// digests, predicates that are not compact.
func TestAppendJSON(t *testing.T) {
	names := []string{"", "dist/app", `a"b\c`, "<script>&amp;", "tab\there\nnl\r\b\f\x01\x1f", "é ü 日本", "\u2028\u2029", "bad\xffutf8", "\x7f"}
	d := sha256Set([]byte("x"))
	multi := digest.Set{"sha512": string(bytes.Repeat([]byte("a"), 128)), "sha256": d["sha256"], "gitCommit": string(bytes.Repeat([]byte("b"), 40))}
	var subs []attest.Subject
	for _, n := range names {
		subs = append(subs, attest.Subject{Name: n, Digest: d}, attest.Subject{Name: n, Digest: multi})
	}
	for _, pred := range []json.RawMessage{nil, json.RawMessage(`{"a":1}`), json.RawMessage(" {\n \"a\" : [1, 2],\t\"h\":\"<&>\" }\n")} {
		st := &attest.Statement{Type: attest.StatementV1, Subject: subs, PredicateType: "https://example.com/<p>", Predicate: pred}
		want, err := json.Marshal(st)
		if err != nil {
			t.Fatal(err)
		}
		got, err := st.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("Statement.Marshal() =\n%s\nwant (encoding/json)\n%s", got, want)
		}
	}
	for _, n := range names {
		type plain struct { // the envelope's old encoding
			KeyID string `json:"keyid"`
			Sig   []byte `json:"sig"`
		}
		env := &attest.Envelope{PayloadType: "application/vnd.in-toto+json" + n, Payload: []byte(n + "payload"), Signatures: []attest.Signature{{KeyID: n, Sig: []byte("sig")}, {Sig: []byte{0xff, 0}}}}
		want, err := json.Marshal(struct {
			PayloadType string  `json:"payloadType"`
			Payload     []byte  `json:"payload"`
			Signatures  []plain `json:"signatures"`
		}{env.PayloadType, env.Payload, []plain{{n, []byte("sig")}, {"", []byte{0xff, 0}}}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("json.Marshal(envelope %q) =\n%s\nwant\n%s", n, got, want)
		}
		if direct := env.AppendJSON(nil); !bytes.Equal(direct, want) {
			t.Errorf("AppendJSON(envelope %q) =\n%s\nwant\n%s", n, direct, want)
		}
		if len(want) > env.JSONSize() {
			t.Errorf("JSONSize() = %d, below the %d bytes written", env.JSONSize(), len(want))
		}
	}
}

// TestAppendStringEveryByte: each byte, alone and at each place of a path,
// is written as encoding/json writes it.
func TestAppendStringEveryByte(t *testing.T) {
	for c := range 256 {
		cases := []string{string([]byte{byte(c)}), "dist/a" + string([]byte{byte(c)}) + "b.txt"}
		for at := range 17 { // at each place of the words AppendString reads at once, and after them
			b := []byte("dist/release-1.2/app.tar.gz")
			b[at] = byte(c)
			cases = append(cases, string(b))
		}
		for _, s := range cases {
			want, err := json.Marshal(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := attest.AppendString([]byte("x"), s); !bytes.Equal(got, append([]byte("x"), want...)) {
				t.Errorf("AppendString(%q) = %s, want x%s", s, got, want)
			}
		}
	}
}

// TestAppendArtifactEveryByte: a digest of each byte value is written in
// lowercase hex, as encoding/json writes the artifact's Subject.
func TestAppendArtifactEveryByte(t *testing.T) {
	for c := range 256 {
		a := digest.Artifact{Path: "dist/app"}
		for i := range a.SHA256 {
			a.SHA256[i] = byte(c + i)
		}
		want, err := json.Marshal(attest.Subject{Name: a.Path, Digest: a.Set()})
		if err != nil {
			t.Fatal(err)
		}
		if got := attest.AppendArtifact(nil, &a); !bytes.Equal(got, want) {
			t.Errorf("AppendArtifact(%x) = %s, want %s", a.SHA256, got, want)
		}
	}
}

// TestArtifactStatement: the statement of artifacts is NewStatement's bytes
// for the same subjects, and the statement rules hold.
func TestArtifactStatement(t *testing.T) {
	list, err := digest.ArtifactsOf(map[string]digest.Set{"dist/app": sha256Set([]byte("a")), "<b>&\"": sha256Set([]byte("b")), "bad\xff": sha256Set([]byte("c"))})
	if err != nil {
		t.Fatal(err)
	}
	pred := []byte(`{"name":"x"}`)
	var subs []attest.Subject
	for _, a := range list {
		subs = append(subs, attest.Subject{Name: a.Path, Digest: a.Set()})
	}
	st, err := attest.NewStatement(attest.PredicateLink, subs, pred)
	if err != nil {
		t.Fatal(err)
	}
	want, err := st.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := attest.ArtifactStatement(attest.PredicateLink, list, pred); err != nil || !bytes.Equal(got, want) {
		t.Errorf("ArtifactStatement() = %s, %v\nwant %s", got, err, want)
	}
	for name, tt := range map[string]struct {
		predType string
		list     []digest.Artifact
		pred     string
		want     error
	}{
		"no subject":    {attest.PredicateLink, nil, `{}`, attest.ErrNoSubject},
		"unsorted":      {attest.PredicateLink, []digest.Artifact{list[1], list[0]}, `{}`, attest.ErrInvalid},
		"twice":         {attest.PredicateLink, []digest.Artifact{list[0], list[0]}, `{}`, attest.ErrInvalid},
		"no type":       {"", list, `{}`, attest.ErrInvalid},
		"not an object": {attest.PredicateLink, list, `[]`, attest.ErrInvalid},
		"not compact":   {attest.PredicateLink, list, `{} `, attest.ErrInvalid},
	} {
		if _, err := attest.ArtifactStatement(tt.predType, tt.list, []byte(tt.pred)); !errors.Is(err, tt.want) {
			t.Errorf("ArtifactStatement(%s) = %v, want %v", name, err, tt.want)
		}
	}
}

// TestArtifactStatementWith: a predicate appended into the statement's
// buffer gives ArtifactStatement's bytes whatever size is said, nothing
// appended is no predicate, the appender's error is returned and what it
// appends is checked.
func TestArtifactStatementWith(t *testing.T) {
	list, err := digest.ArtifactsOf(map[string]digest.Set{"a": sha256Set([]byte("a")), "b": sha256Set([]byte("b"))})
	if err != nil {
		t.Fatal(err)
	}
	pred := []byte(`{"name":"x"}`)
	appendPred := func(p string) func([]byte) ([]byte, error) {
		return func(dst []byte) ([]byte, error) { return append(dst, p...), nil }
	}
	for _, p := range []string{string(pred), ""} {
		want, err := attest.ArtifactStatement(attest.PredicateLink, list, []byte(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{0, len(p), 1 << 20} {
			if got, err := attest.ArtifactStatementWith(attest.PredicateLink, list, size, appendPred(p)); err != nil || !bytes.Equal(got, want) {
				t.Errorf("ArtifactStatementWith(%q, size %d) = %s, %v\nwant %s", p, size, got, err, want)
			}
		}
	}
	if got, _ := attest.ArtifactStatementWith(attest.PredicateLink, list, 0, appendPred("")); bytes.Contains(got, []byte(`"predicate"`)) {
		t.Errorf("ArtifactStatementWith(no predicate) = %s, want no predicate field", got)
	}
	boom := errors.New("boom")
	if _, err := attest.ArtifactStatementWith(attest.PredicateLink, list, 0, func([]byte) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Errorf("ArtifactStatementWith(failing appender) = %v, want %v", err, boom)
	}
	for _, p := range []string{`[]`, `{} `, ` {}`} {
		if _, err := attest.ArtifactStatementWith(attest.PredicateLink, list, 0, appendPred(p)); !errors.Is(err, attest.ErrInvalid) {
			t.Errorf("ArtifactStatementWith(%q) = %v, want %v", p, err, attest.ErrInvalid)
		}
	}
}

// TestEnvelopeWriteJSON: the envelope written in pieces is the envelope
// appended whole, for payloads around the piece size.
func TestEnvelopeWriteJSON(t *testing.T) {
	for _, n := range []int{0, 1, 2, 3, 48<<10 - 1, 48 << 10, 48<<10 + 1, 3*48<<10 + 2} {
		env := &attest.Envelope{PayloadType: attest.PayloadType, Payload: bytes.Repeat([]byte{0xfb, 'x', 0}, n)[:n],
			Signatures: []attest.Signature{{KeyID: "k<1>", Sig: []byte("sig")}, {Sig: []byte{0xff}}}}
		var buf bytes.Buffer
		if err := env.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		if want := env.AppendJSON(nil); !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("WriteJSON(%d-byte payload) differs from AppendJSON", n)
		}
	}
}
