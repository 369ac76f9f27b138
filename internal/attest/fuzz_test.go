package attest_test

// Fuzz targets for every decoder of untrusted attestation input. Run one
// with, for example:
//
//	go test -run='^$' -fuzz='^FuzzParseEnvelope$' -fuzztime=30s ./internal/attest/
//
// Crashers go to testdata/fuzz/<Target>/ and stay there as regressions.

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/consign-dev/consign/internal/attest"
)

// seeds are valid inputs of every kind attest reads, and a few near misses.
func seeds(f *testing.F) (envelopes, statements, files [][]byte) {
	f.Helper()
	for _, alg := range []string{"ecdsa", "ed25519"} {
		s := newSigner(f, alg)
		st := statement(f, attest.PredicateSLSAProvenance, "app", "lib")
		env := signed(f, st, s)
		l := line(f, env)
		payload, err := st.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		envelopes = append(envelopes, l)
		statements = append(statements, payload)
		files = append(files,
			l,
			append(append(append(l, '\n'), l...), '\n'),
			[]byte(`{"base64Signature":"`+base64.StdEncoding.EncodeToString(l)+`","cert":""}`),
			[]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"h"}},"dsseEnvelope":`+string(l)+`}`),
			[]byte(`{"mediaType":"application/vnd.dev.sigstore.bundle+json;version=0.1","messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"`+base64.StdEncoding.EncodeToString(make([]byte, 32))+`"},"signature":"`+base64.StdEncoding.EncodeToString(env.Signatures[0].Sig)+`"}}`),
			[]byte(base64.StdEncoding.EncodeToString(env.Signatures[0].Sig)),
		)
	}
	envelopes = append(envelopes,
		rawEnvelope(attest.PayloadType, "e30", `{"sig":"!!!notb64"}`, `{"keyid":"k","sig":"QQ"}`),
		rawEnvelope("application/vnd.in-toto.provenance+json", "", `{"keyid":"","sig":"_-8"}`),
		[]byte(`{"payloadType":"t","payload":"e30=","payload":"e30=","signatures":[{"sig":"QQ=="}]}`),
		[]byte(`{"payloadType":"t","PayloadType":"u","payload":"e30=","signatures":[{"sig":"QQ=="}]}`),
		[]byte(`{"signatures":[null]}`),
		[]byte(`{"signatures":[{"sig":null,"publicKey":null}]}`),
	)
	statements = append(statements,
		[]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":"x"}`),
		[]byte(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"\ud83d\ude00","digest":{"sha512":"`+string(bytes.Repeat([]byte("ab"), 64))+`"}}],"predicateType":"p","predicate":{"a":[1,2.5e3,-0,null,true]}}`),
		[]byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"a","sha256":"b"}}]}`),
		[]byte(`AAAA`),
	)
	files = append(files,
		[]byte(`{"signed":{"_type":"link","name":"b","materials":{"a":{"sha256":"`+string(bytes.Repeat([]byte("0"), 64))+`"}}},"signatures":[{"keyid":"k","sig":"00ff"}]}`),
		[]byte(`{"signed":"str","signatures":[]}`),
		[]byte(`{"signed":{"_type":5},"signatures":[{}]}`),
		[]byte("\n\n{\"payloadType\":\n{}\n"),
	)
	return envelopes, statements, files
}

func FuzzParseEnvelope(f *testing.F) {
	envelopes, _, _ := seeds(f)
	for _, s := range envelopes {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		env, malformed, err := attest.ParseEnvelope(b)
		if err != nil {
			if env != nil {
				t.Fatalf("ParseEnvelope returned %+v along with error %v", env, err)
			}
			if !errors.Is(err, attest.ErrInvalid) && len(b) <= 64<<20 {
				t.Fatalf("ParseEnvelope error %v does not wrap %v", err, attest.ErrInvalid)
			}
			return
		}
		if len(env.Signatures) == 0 || malformed < 0 {
			t.Fatalf("ParseEnvelope = %d signatures, %d malformed, nil error", len(env.Signatures), malformed)
		}
		for _, s := range env.Signatures {
			if len(s.Sig) == 0 {
				t.Fatalf("ParseEnvelope kept an empty signature")
			}
		}
		// Round trip: what consign writes, it reads back as the same envelope,
		// with nothing dropped.
		out, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("json.Marshal(parsed envelope) = %v", err)
		}
		if err := attest.CheckJSON(out); err != nil {
			t.Fatalf("consign wrote JSON its own check refuses: %v\n%s", err, out)
		}
		back, m2, err := attest.ParseEnvelope(out)
		if err != nil || m2 != 0 {
			t.Fatalf("ParseEnvelope(json.Marshal(env)) = %d malformed, %v\ninput:  %q\noutput: %s", m2, err, b, out)
		}
		if diff := cmp.Diff(env, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("round trip changed the envelope (-first +second):\n%s", diff)
		}
		again, err := json.Marshal(back)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("marshalling is not stable:\n%s\n%s", out, again)
		}
	})
}

func FuzzParseStatement(f *testing.F) {
	_, statements, _ := seeds(f)
	for _, s := range statements {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := attest.ParseStatement(b)
		if err != nil {
			if st != nil {
				t.Fatalf("ParseStatement returned %+v along with error %v", st, err)
			}
			if !errors.Is(err, attest.ErrInvalid) {
				t.Fatalf("ParseStatement error %v does not wrap %v", err, attest.ErrInvalid)
			}
			return
		}
		if err := st.Validate(); err != nil {
			t.Fatalf("ParseStatement returned a statement that fails Validate: %v", err)
		}
		for _, s := range st.Subject {
			if !utf8.ValidString(s.Name) {
				t.Fatalf("subject name %q is not valid UTF-8", s.Name)
			}
		}
		out, err := st.Marshal()
		if err != nil {
			t.Fatalf("Marshal(parsed statement) = %v", err)
		}
		back, err := attest.ParseStatement(out)
		if err != nil {
			t.Fatalf("ParseStatement(Marshal(st)) = %v\ninput:  %q\noutput: %s", err, b, out)
		}
		// The predicate is kept as raw JSON: compare it as a value.
		if diff := cmp.Diff(st, back, cmpopts.IgnoreFields(attest.Statement{}, "Predicate")); diff != "" {
			t.Fatalf("round trip changed the statement (-first +second):\n%s", diff)
		}
		if diff := cmp.Diff(jsonValue(t, st.Predicate), jsonValue(t, back.Predicate)); diff != "" {
			t.Fatalf("round trip changed the predicate (-first +second):\n%s", diff)
		}
	})
}

// jsonValue decodes raw JSON, numbers kept as written; nil for none.
func jsonValue(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	if len(raw) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding predicate %s: %v", raw, err)
	}
	return v
}

func FuzzRead(f *testing.F) {
	_, _, files := seeds(f)
	for _, s := range files {
		f.Add(s)
	}
	// A key that signed none of the seeds: any item that verifies with it
	// would be a forgery.
	// An empty file (found by this fuzzer in CI once ErrEmpty was added).
	f.Add([]byte("\n"))
	never := newSigner(f, "ecdsa")
	kr := keyring(f, never)
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := attest.Read(data, "f")
		if err != nil {
			if items != nil {
				t.Fatalf("Read returned %d items along with error %v", len(items), err)
			}
			if !errors.Is(err, attest.ErrInvalid) && !errors.Is(err, attest.ErrUnverified) && !errors.Is(err, attest.ErrEmpty) {
				t.Fatalf("Read error %v wraps no attest sentinel", err)
			}
			return
		}
		if len(items) == 0 {
			t.Fatalf("Read = no items and no error")
		}
		for i := range items {
			it := &items[i]
			if it.Source == "" {
				t.Fatalf("item %d has no source", i)
			}
			if it.Err == nil {
				n := 0
				for _, set := range []bool{it.Envelope != nil, it.Blob != nil, it.Link != nil} {
					if set {
						n++
					}
				}
				if n != 1 {
					t.Fatalf("item %s (%s) holds %d kinds of content, want exactly 1", it.Source, it.Format, n)
				}
				if it.Describe() == "" {
					t.Fatalf("item %s has no description", it.Source)
				}
			}
			for _, opts := range []attest.VerifyOptions{{}, {PredicateTypes: []string{attest.PredicateSLSAProvenance}}, {Subject: sha256Set([]byte("app"))}} {
				v, err := attest.VerifyItem(it, kr, opts)
				if err == nil {
					t.Fatalf("VerifyItem(%s) passed with a key that signed nothing: %+v", it.Source, v)
				}
				if v != nil {
					t.Fatalf("VerifyItem(%s) returned a result along with error %v", it.Source, err)
				}
				if it.Err != nil && err != it.Err {
					t.Fatalf("VerifyItem(%s) = %v, want the item's own error %v", it.Source, err, it.Err)
				}
			}
		}
	})
}

func FuzzCheckJSON(f *testing.F) {
	envelopes, statements, files := seeds(f)
	for _, group := range [][][]byte{envelopes, statements, files} {
		for _, s := range group {
			f.Add(s)
		}
	}
	f.Add([]byte(`{"a":"\ud800"}`))
	f.Add([]byte(`{"a":1,"A":2}`))
	f.Add([]byte(`[[[[[[[[[[]]]]]]]]]]`))
	f.Add([]byte("\"\xff\""))
	f.Fuzz(func(t *testing.T, b []byte) {
		err := attest.CheckJSON(b)
		if err != nil {
			if !errors.Is(err, attest.ErrMalformed) {
				t.Fatalf("CheckJSON error %v does not wrap %v", err, attest.ErrMalformed)
			}
			return
		}
		// What CheckJSON accepts is one valid JSON value in valid UTF-8...
		if !json.Valid(b) || !utf8.Valid(b) {
			t.Fatalf("CheckJSON accepted %q, which is not valid JSON in UTF-8", b)
		}
		// ...that decodes, and re-encodes into JSON CheckJSON accepts again
		// (same keys, same depth, no replacement characters introduced).
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("CheckJSON accepted %q, which does not decode: %v", b, err)
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("re-encoding %q: %v", b, err)
		}
		if err := attest.CheckJSON(out); err != nil {
			t.Fatalf("CheckJSON accepted %q but refuses its re-encoding %s: %v", b, out, err)
		}
		if bytes.ContainsRune(out, utf8.RuneError) && !bytes.ContainsRune(b, utf8.RuneError) && !bytes.Contains(bytes.ToLower(b), []byte(`\ufffd`)) {
			t.Fatalf("decoding %q introduced U+FFFD: %s", b, out)
		}
	})
}
