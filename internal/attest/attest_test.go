package attest_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
)

// ---- helpers shared by the tests of this package ----

// newSigner makes a throw-away key: "ecdsa" (P-256) or "ed25519".
func newSigner(t testing.TB, alg string) *sign.Signer {
	t.Helper()
	var s *sign.Signer
	var err error
	switch alg {
	case "ecdsa":
		k, gerr := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if gerr != nil {
			t.Fatal(gerr)
		}
		s, err = sign.NewSigner(k)
	case "ed25519":
		_, k, gerr := ed25519.GenerateKey(rand.Reader)
		if gerr != nil {
			t.Fatal(gerr)
		}
		s, err = sign.NewSigner(k)
	default:
		t.Fatalf("newSigner: unknown algorithm %q", alg)
	}
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

// keyring trusts the public keys of signers.
func keyring(t testing.TB, signers ...*sign.Signer) *attest.Keyring {
	t.Helper()
	var pubs []crypto.PublicKey
	for _, s := range signers {
		pubs = append(pubs, s.Public())
	}
	kr, err := attest.NewKeyring(pubs...)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return kr
}

// sha256Set is the digest set of b.
func sha256Set(b []byte) digest.Set {
	sum := sha256.Sum256(b)
	return digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}
}

// statement is a valid v1 statement about the named artifacts' contents.
func statement(t testing.TB, predicateType string, artifacts ...string) *attest.Statement {
	t.Helper()
	var subs []attest.Subject
	for i, a := range artifacts {
		subs = append(subs, attest.Subject{Name: fmt.Sprintf("artifact-%d", i), Digest: sha256Set([]byte(a))})
	}
	st, err := attest.NewStatement(predicateType, subs, json.RawMessage(`{"k":"v"}`))
	if err != nil {
		t.Fatalf("NewStatement: %v", err)
	}
	return st
}

// signed signs st with every signer.
func signed(t testing.TB, st *attest.Statement, signers ...*sign.Signer) *attest.Envelope {
	t.Helper()
	var ss []attest.Signer
	for _, s := range signers {
		ss = append(ss, s)
	}
	env, err := attest.SignStatement(st, ss...)
	if err != nil {
		t.Fatalf("SignStatement: %v", err)
	}
	return env
}

// signedPayload signs payload as it is, under payloadType.
func signedPayload(t testing.TB, payloadType string, payload []byte, signers ...*sign.Signer) *attest.Envelope {
	t.Helper()
	var ss []attest.Signer
	for _, s := range signers {
		ss = append(ss, s)
	}
	env, err := attest.SignPayload(payloadType, payload, ss...)
	if err != nil {
		t.Fatalf("SignPayload: %v", err)
	}
	return env
}

// line is env as one JSON Lines record, without the newline.
func line(t testing.TB, env *attest.Envelope) []byte {
	t.Helper()
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatalf("json.Marshal(envelope): %v", err)
	}
	return b
}

// rawEnvelope writes an envelope by hand: payload and sigs are put in the
// JSON exactly as given (already encoded, or deliberately broken).
func rawEnvelope(payloadType, payload64 string, sigs ...string) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"payloadType":%q,"payload":%q,"signatures":[`, payloadType, payload64)
	for i, s := range sigs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s)
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// sigJSON is one signature object with sig base64-encoded canonically.
func sigJSON(keyid string, sig []byte) string {
	return fmt.Sprintf(`{"keyid":%q,"sig":%q}`, keyid, base64.StdEncoding.EncodeToString(sig))
}

// signerIDs lists the key ids of v's signers.
func signerIDs(v *attest.Verified) []string {
	if v == nil {
		return nil
	}
	var ids []string
	for _, s := range v.Signers {
		ids = append(ids, s.KeyID())
	}
	return ids
}

// ---- PAE and envelopes ----

func TestPAE(t *testing.T) {
	tests := []struct {
		name, payloadType, payload, want string
	}{
		{"empty", "", "", "DSSEv1 0  0 "},
		{"in-toto", attest.PayloadType, "{}", "DSSEv1 28 application/vnd.in-toto+json 2 {}"},
		{"lengths in bytes", "ü", "é€", "DSSEv1 2 ü 5 é€"},
		{"payload with spaces and newlines", "t", "a b\nc", "DSSEv1 1 t 5 a b\nc"},
		// The DSSE protocol's own example.
		{"the DSSE specification's vector", "http://example.com/HelloWorld", "hello world", "DSSEv1 29 http://example.com/HelloWorld 11 hello world"},
		{"a payload type with spaces", "a b ", "", "DSSEv1 4 a b  0 "},
		{"a payload with a NUL byte and invalid UTF-8", "t", "\x00\xff", "DSSEv1 1 t 2 \x00\xff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(attest.PAE(tt.payloadType, []byte(tt.payload))); got != tt.want {
				t.Errorf("PAE(%q, %q) = %q, want %q", tt.payloadType, tt.payload, got, tt.want)
			}
			if got, want := attest.PAESum(tt.payloadType, []byte(tt.payload)), sha256.Sum256([]byte(tt.want)); got != want {
				t.Errorf("PAESum(%q, %q) = %x, want the SHA-256 of the PAE, %x", tt.payloadType, tt.payload, got, want)
			}
		})
	}
}

func TestEnvelopeMarshalJSON(t *testing.T) {
	env := &attest.Envelope{
		PayloadType: attest.PayloadType,
		Payload:     []byte{0xfb, 0xff, 0x01}, // "+/8B" in the standard alphabet
		Signatures:  []attest.Signature{{KeyID: "", Sig: []byte{0xff, 0xfe}}, {KeyID: "abc", Sig: []byte{1, 2, 3}}},
	}
	got := string(line(t, env))
	want := `{"payloadType":"application/vnd.in-toto+json","payload":"+/8B","signatures":[{"keyid":"","sig":"//4="},{"keyid":"abc","sig":"AQID"}]}`
	if got != want {
		t.Errorf("json.Marshal(envelope) = %s, want %s", got, want)
	}
	back, malformed, err := attest.ParseEnvelope([]byte(got))
	if err != nil || malformed != 0 {
		t.Fatalf("ParseEnvelope(%s) = _, %d, %v; want no error", got, malformed, err)
	}
	if diff := cmp.Diff(env, back); diff != "" {
		t.Errorf("ParseEnvelope(json.Marshal(env)) differs (-want +got):\n%s", diff)
	}
}

func TestParseEnvelope(t *testing.T) {
	good := sigJSON("k", []byte("a signature"))
	tests := []struct {
		name          string
		in            string
		wantErr       error
		wantSigs      int
		wantMalformed int
	}{
		{"valid", string(rawEnvelope(attest.PayloadType, "e30=", good)), nil, 1, 0},
		{"unknown fields are ignored", `{"payloadType":"t","payload":"e30=","signatures":[` + good + `],"extra":1}`, nil, 1, 0},
		{"keyid may be absent", `{"payloadType":"t","payload":"e30=","signatures":[{"sig":"AQID"}]}`, nil, 1, 0},
		{"empty payload", string(rawEnvelope("t", "", good)), nil, 1, 0},
		{"one malformed among good ones", string(rawEnvelope("t", "e30=", `{"sig":"!!"}`, good, `{"sig":5}`, `"x"`, `{"keyid":"k"}`)), nil, 1, 4},
		{"not an object", `[1,2]`, attest.ErrMalformed, 0, 0},
		{"not JSON", `payload`, attest.ErrMalformed, 0, 0},
		{"two values", string(rawEnvelope("t", "e30=", good)) + ` {}`, attest.ErrMalformed, 0, 0},
		{"no payloadType", `{"payload":"e30=","signatures":[` + good + `]}`, attest.ErrMalformed, 0, 0},
		{"payloadType not a string", `{"payloadType":1,"payload":"e30=","signatures":[` + good + `]}`, attest.ErrMalformed, 0, 0},
		{"no payload", `{"payloadType":"t","signatures":[` + good + `]}`, attest.ErrMalformed, 0, 0},
		{"payload not a string", `{"payloadType":"t","payload":{},"signatures":[` + good + `]}`, attest.ErrMalformed, 0, 0},
		{"payload not base64", string(rawEnvelope("t", "e30!", good)), attest.ErrMalformed, 0, 0},
		{"signatures not an array", `{"payloadType":"t","payload":"e30=","signatures":{}}`, attest.ErrMalformed, 0, 0},
		{"no signatures field", `{"payloadType":"t","payload":"e30="}`, attest.ErrNoSignature, 0, 0},
		{"empty signatures", string(rawEnvelope("t", "e30=")), attest.ErrNoSignature, 0, 0},
		{"null signatures", `{"payloadType":"t","payload":"e30=","signatures":null}`, attest.ErrNoSignature, 0, 0},
		{"only malformed signatures", string(rawEnvelope("t", "e30=", `{"sig":""}`, `{"sig":"@@@@"}`, `null`)), attest.ErrNoSignature, 0, 3},
		{"too many signatures", string(rawEnvelope("t", "e30=", strings.Repeat(good+",", limits.Signatures)+good)), attest.ErrMalformed, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, malformed, err := attest.ParseEnvelope([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("ParseEnvelope(%.80s) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if malformed != tt.wantMalformed {
				t.Errorf("ParseEnvelope(%.80s) malformed = %d, want %d", tt.in, malformed, tt.wantMalformed)
			}
			if err != nil {
				if env != nil {
					t.Errorf("ParseEnvelope(%.80s) = %+v with error %v, want nil", tt.in, env, err)
				}
				return
			}
			if got := len(env.Signatures); got != tt.wantSigs {
				t.Errorf("ParseEnvelope(%.80s) has %d signatures, want %d", tt.in, got, tt.wantSigs)
			}
		})
	}
}

func TestCheckPayloadType(t *testing.T) {
	tests := []struct {
		pt string
		ok bool
	}{
		{"application/vnd.in-toto+json", true},
		{"application/vnd.in-toto.provenance+json", true},
		{"application/vnd.in-toto.slsa-provenance-v1+json", true},
		{"", false},
		{"text/plain", false},
		{"application/json", false},
		{"application/vnd.cyclonedx+json", false},
		{"application/vnd.in-toto+JSON", false},
		{"Application/vnd.in-toto+json", false},
		{"application/vnd.in-toto.+json", false},
		{"application/vnd.in-toto.a/b+json", false},
		{"application/vnd.in-toto.a+b+json", false},
		{"application/vnd.in-toto.a b+json", false},
		{"application/vnd.in-toto+json; charset=utf-8", false},
		{"application/vnd.in-toto.x+json ", false},
		{"application/vnd.in-toto.a_b.c-d!#$&^+json", true},
		{"application/vnd.in-toto.a\x00b+json", false},
		{"application/vnd.in-toto.a\nb+json", false},
		{"application/vnd.in-toto.a\rb+json", false},
		{"application/vnd.in-toto.a\tb+json", false},
		{"application/vnd.in-toto.a\x1bb+json", false},
		{"application/vnd.in-toto.a\x7fb+json", false},
		{"application/vnd.in-toto.\u00e9+json", false},
		{"application/vnd.in-toto.a;b+json", false},
		{"application/vnd.in-toto.a\"b+json", false},
		{"application/vnd.in-toto.-a+json", false},
		{"application/vnd.in-toto." + strings.Repeat("a", 110) + "+json", true},  // a subtype of 127
		{"application/vnd.in-toto." + strings.Repeat("a", 111) + "+json", false}, // of 128
	}
	for _, tt := range tests {
		err := attest.CheckPayloadType(tt.pt)
		if tt.ok && err != nil {
			t.Errorf("CheckPayloadType(%q) = %v, want nil", tt.pt, err)
		}
		if !tt.ok && !errors.Is(err, attest.ErrPayloadType) {
			t.Errorf("CheckPayloadType(%q) = %v, want %v", tt.pt, err, attest.ErrPayloadType)
		}
	}
}

// ---- signing and verifying ----

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, alg := range []string{"ecdsa", "ed25519"} {
		t.Run(alg, func(t *testing.T) {
			s := newSigner(t, alg)
			st := statement(t, attest.PredicateSLSAProvenance, "app v1", "lib v1")
			env := signed(t, st, s)
			// The hint is left empty (see SignPayload): verifiers that narrow
			// keys by hint use their own id schemes.
			if got := env.Signatures[0].KeyID; got != "" {
				t.Errorf("signature keyid = %q, want an empty hint", got)
			}
			parsed, malformed, err := attest.ParseEnvelope(line(t, env))
			if err != nil || malformed != 0 {
				t.Fatalf("ParseEnvelope = _, %d, %v", malformed, err)
			}
			v, err := attest.VerifyEnvelope(parsed, keyring(t, s), attest.VerifyOptions{
				PredicateTypes: []string{attest.PredicateSLSAProvenance},
				Subject:        sha256Set([]byte("lib v1")),
			})
			if err != nil {
				t.Fatalf("VerifyEnvelope = %v, want nil", err)
			}
			if diff := cmp.Diff(st, v.Statement); diff != "" {
				t.Errorf("verified statement differs from the signed one (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{s.KeyID()}, signerIDs(v)); diff != "" {
				t.Errorf("signers (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]attest.Subject{st.Subject[1]}, v.Matched); diff != "" {
				t.Errorf("matched subjects (-want +got):\n%s", diff)
			}
			if len(v.Warnings) != 0 {
				t.Errorf("warnings = %q, want none", v.Warnings)
			}
		})
	}
}

func TestVerifyEnvelopeOptions(t *testing.T) {
	a, b := newSigner(t, "ecdsa"), newSigner(t, "ed25519")
	st := statement(t, attest.PredicateTestResult, "app v1")
	env := signed(t, st, a)
	both := signed(t, st, a, b)
	empty, err := attest.NewKeyring()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     *attest.Envelope
		kr      *attest.Keyring
		opts    attest.VerifyOptions
		wantErr error
	}{
		{"zero options", env, keyring(t, a), attest.VerifyOptions{}, nil},
		{"type asked for", env, keyring(t, a), attest.VerifyOptions{PredicateTypes: []string{attest.PredicateSLSAProvenance, attest.PredicateTestResult}}, nil},
		{"other type", env, keyring(t, a), attest.VerifyOptions{PredicateTypes: []string{attest.PredicateSLSAProvenance}}, attest.ErrWrongType},
		{"subject", env, keyring(t, a), attest.VerifyOptions{Subject: sha256Set([]byte("app v1"))}, nil},
		{"other subject", env, keyring(t, a), attest.VerifyOptions{Subject: sha256Set([]byte("app v2"))}, attest.ErrSubjectMismatch},
		{"threshold 0 means 1", env, keyring(t, a), attest.VerifyOptions{Threshold: 0}, nil},
		{"threshold 2, one signer", env, keyring(t, a, b), attest.VerifyOptions{Threshold: 2}, attest.ErrSignature},
		{"threshold 2, two signers", both, keyring(t, a, b), attest.VerifyOptions{Threshold: 2}, nil},
		{"threshold 3, two signers", both, keyring(t, a, b), attest.VerifyOptions{Threshold: 3}, attest.ErrSignature},
		{"untrusted signer", env, keyring(t, b), attest.VerifyOptions{}, attest.ErrSignature},
		{"empty keyring", env, empty, attest.VerifyOptions{}, attest.ErrSignature},
		{"nil keyring", env, nil, attest.VerifyOptions{}, attest.ErrSignature},
		{"nil envelope", nil, keyring(t, a), attest.VerifyOptions{}, attest.ErrSignature},
		{"no signatures", &attest.Envelope{PayloadType: attest.PayloadType, Payload: env.Payload}, keyring(t, a), attest.VerifyOptions{}, attest.ErrNoSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := attest.VerifyEnvelope(tt.env, tt.kr, tt.opts)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("VerifyEnvelope() error = %v, want %v", err, tt.wantErr)
			}
			if (err == nil) != (v != nil) {
				t.Errorf("VerifyEnvelope() = %v, %v: want a result exactly when there is no error", v, err)
			}
		})
	}
}

func TestVerifyEnvelopeWarnsAboutStatementV01(t *testing.T) {
	s := newSigner(t, "ecdsa")
	payload := []byte(`{"_type":"https://in-toto.io/Statement/v0.1","subject":[{"name":"a","digest":{"sha256":"` + sha256Set([]byte("a"))["sha256"] + `"}}],"predicateType":"https://example.com/p","predicate":{}}`)
	v, err := attest.VerifyEnvelope(signedPayload(t, attest.PayloadType, payload, s), keyring(t, s), attest.VerifyOptions{})
	if err != nil {
		t.Fatalf("VerifyEnvelope(v0.1 statement) = %v, want nil", err)
	}
	if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], "v0.1") {
		t.Errorf("warnings = %q, want one about in-toto v0.1", v.Warnings)
	}
}

// ---- statements ----

func TestNewStatementSortsSubjects(t *testing.T) {
	d1, d2 := sha256Set([]byte("1")), sha256Set([]byte("2"))
	in := []attest.Subject{{Name: "b", Digest: d1}, {Name: "a", Digest: d2}, {Name: "a", Digest: d1}}
	st, err := attest.NewStatement("https://example.com/p", in, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []attest.Subject{{Name: "a", Digest: d1}, {Name: "a", Digest: d2}, {Name: "b", Digest: d1}}
	if d1.String() > d2.String() {
		want[0], want[1] = want[1], want[0]
	}
	if diff := cmp.Diff(want, st.Subject); diff != "" {
		t.Errorf("NewStatement subjects (-want +got):\n%s", diff)
	}
	if in[0].Name != "b" {
		t.Errorf("NewStatement reordered its caller's slice: %v", in)
	}
	if st.Type != attest.StatementV1 {
		t.Errorf("Type = %q, want %q", st.Type, attest.StatementV1)
	}
}

func TestStatementValidate(t *testing.T) {
	good := attest.Subject{Name: "a", Digest: sha256Set([]byte("a"))}
	many := make([]attest.Subject, limits.Subjects+1)
	for i := range many {
		many[i] = good
	}
	tests := []struct {
		name    string
		st      attest.Statement
		wantErr error
	}{
		{"valid", attest.Statement{Type: attest.StatementV1, Subject: []attest.Subject{good}, PredicateType: "p"}, nil},
		{"v0.1", attest.Statement{Type: attest.StatementV01, Subject: []attest.Subject{good}, PredicateType: "p"}, nil},
		{"object predicate", attest.Statement{Type: attest.StatementV1, Subject: []attest.Subject{good}, PredicateType: "p", Predicate: json.RawMessage(` {"a":1}`)}, nil},
		{"unknown _type", attest.Statement{Type: "https://in-toto.io/Statement/v2", Subject: []attest.Subject{good}, PredicateType: "p"}, attest.ErrInvalid},
		{"no _type", attest.Statement{Subject: []attest.Subject{good}, PredicateType: "p"}, attest.ErrInvalid},
		{"no subjects", attest.Statement{Type: attest.StatementV1, PredicateType: "p"}, attest.ErrNoSubject},
		{"too many subjects", attest.Statement{Type: attest.StatementV1, Subject: many, PredicateType: "p"}, attest.ErrInvalid},
		{"invalid digest", attest.Statement{Type: attest.StatementV1, Subject: []attest.Subject{{Name: "a", Digest: digest.Set{"sha256": "ABC"}}}, PredicateType: "p"}, attest.ErrInvalid},
		{"no predicateType", attest.Statement{Type: attest.StatementV1, Subject: []attest.Subject{good}}, attest.ErrInvalid},
		{"array predicate", attest.Statement{Type: attest.StatementV1, Subject: []attest.Subject{good}, PredicateType: "p", Predicate: json.RawMessage(`[]`)}, attest.ErrInvalid},
		{"string predicate", attest.Statement{Type: attest.StatementV1, Subject: []attest.Subject{good}, PredicateType: "p", Predicate: json.RawMessage(`"x"`)}, attest.ErrInvalid},
		{"blank predicate", attest.Statement{Type: attest.StatementV1, Subject: []attest.Subject{good}, PredicateType: "p", Predicate: json.RawMessage(`  `)}, attest.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.st.Validate()
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Validate() = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestParseStatement(t *testing.T) {
	d := sha256Set([]byte("a"))["sha256"]
	subj := `[{"name":"a","digest":{"sha256":"` + d + `"}}]`
	tests := []struct {
		name    string
		in      string
		want    *attest.Statement
		wantErr error
	}{
		{
			name: "valid",
			in:   `{"_type":"https://in-toto.io/Statement/v1","subject":` + subj + `,"predicateType":"https://example.com/p","predicate":{"x": 1}}`,
			want: &attest.Statement{Type: attest.StatementV1, Subject: []attest.Subject{{Name: "a", Digest: digest.Set{"sha256": d}}}, PredicateType: "https://example.com/p", Predicate: json.RawMessage(`{"x": 1}`)},
		},
		{
			name: "unknown fields ignored, null predicate dropped, uri kept out",
			in:   `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","uri":"https://x","digest":{"sha256":"` + d + `"},"annotations":{}}],"predicateType":"p","predicate":null,"extra":[]}`,
			want: &attest.Statement{Type: attest.StatementV1, Subject: []attest.Subject{{Name: "a", Digest: digest.Set{"sha256": d}}}, PredicateType: "p"},
		},
		{name: "subject not an array", in: `{"_type":"https://in-toto.io/Statement/v1","subject":{},"predicateType":"p"}`, wantErr: attest.ErrMalformed},
		{name: "subject item not an object", in: `{"_type":"https://in-toto.io/Statement/v1","subject":["a"],"predicateType":"p"}`, wantErr: attest.ErrMalformed},
		{name: "digest not an object", in: `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":"sha256:` + d + `"}],"predicateType":"p"}`, wantErr: attest.ErrMalformed},
		{name: "digest value not a string", in: `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":1}}],"predicateType":"p"}`, wantErr: attest.ErrMalformed},
		{name: "name not a string", in: `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":1,"digest":{"sha256":"` + d + `"}}],"predicateType":"p"}`, wantErr: attest.ErrMalformed},
		{name: "_type not a string", in: `{"_type":1,"subject":` + subj + `,"predicateType":"p"}`, wantErr: attest.ErrMalformed},
		{name: "predicateType not a string", in: `{"_type":"https://in-toto.io/Statement/v1","subject":` + subj + `,"predicateType":["p"]}`, wantErr: attest.ErrMalformed},
		{name: "no subject", in: `{"_type":"https://in-toto.io/Statement/v1","predicateType":"p"}`, wantErr: attest.ErrNoSubject},
		{name: "predicate an array", in: `{"_type":"https://in-toto.io/Statement/v1","subject":` + subj + `,"predicateType":"p","predicate":[]}`, wantErr: attest.ErrInvalid},
		{name: "not an object", in: `[]`, wantErr: attest.ErrMalformed},
		{name: "empty input", in: ``, wantErr: attest.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := attest.ParseStatement([]byte(tt.in))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("ParseStatement(%s) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseStatement(%s) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestStatementMatches(t *testing.T) {
	a, b := sha256Set([]byte("a")), sha256Set([]byte("b"))
	st := &attest.Statement{Type: attest.StatementV1, PredicateType: "p", Subject: []attest.Subject{
		{Name: "a", Digest: a},
		{Name: "b", Digest: digest.Set{"sha256": b["sha256"], "sha1": strings.Repeat("1", 40)}},
		{Name: "a-again", Digest: a},
	}}
	tests := []struct {
		name string
		d    digest.Set
		want []string
	}{
		{"two subjects with one digest", a, []string{"a", "a-again"}},
		{"strong digest agrees, weak one absent", b, []string{"b"}},
		{"strong digest agrees, weak one disagrees", digest.Set{"sha256": b["sha256"], "sha1": strings.Repeat("2", 40)}, nil},
		{"weak digest alone", digest.Set{"sha1": strings.Repeat("1", 40)}, nil},
		{"unknown content", sha256Set([]byte("c")), nil},
		{"invalid set", digest.Set{"sha256": strings.ToUpper(a["sha256"])}, nil},
		{"empty set", digest.Set{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range st.Matches(tt.d) {
				got = append(got, s.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Matches(%v) (-want +got):\n%s", tt.d, diff)
			}
		})
	}
}

func TestResolveType(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  error
	}{
		{"slsa", attest.PredicateSLSAProvenance, nil},
		{"SLSA", attest.PredicateSLSAProvenance, nil},
		{"cyclonedx", attest.PredicateCycloneDX, nil},
		{"link", attest.PredicateLink, nil},
		{"https://example.com/p/v1", "https://example.com/p/v1", nil},
		{"urn:example:p", "urn:example:p", nil},
		{"", "", attest.ErrInvalid},
		{"not-a-type", "", attest.ErrInvalid},
		{"/relative/path", "", attest.ErrInvalid},
		{"https://", "", attest.ErrInvalid},
	}
	for _, tt := range tests {
		got, err := attest.ResolveType(tt.in)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("ResolveType(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	for short, uri := range attest.ShortNames {
		if got := attest.ShortName(uri); got != short {
			t.Errorf("ShortName(%q) = %q, want %q", uri, got, short)
		}
	}
	if got := attest.ShortName("https://example.com/p"); got != "https://example.com/p" {
		t.Errorf("ShortName(unknown) = %q, want the URI itself", got)
	}
}

// ---- reading files ----

// TestReadDocumentsTrustsOnlyCheckedBytes: ReadDocuments skips the strict
// check only for the bytes jsonl.Documents checked. A document read so
// whose Data a caller replaced by bytes the strict reader refuses is one
// document with an error, not read as valid.
func TestReadDocumentsTrustsOnlyCheckedBytes(t *testing.T) {
	s := newSigner(t, "ecdsa")
	l := line(t, signed(t, statement(t, attest.PredicateTestResult, "app"), s))
	pretty, err := json.MarshalIndent(json.RawMessage(l), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"invalid UTF-8":    strings.Replace(string(pretty), "{", "{\n  \"x\": \"\xff\",", 1),
		"a lone surrogate": strings.Replace(string(pretty), "{", "{\n  \"x\": \"\\ud800\",", 1),
	} {
		docs, err := jsonl.Documents(context.Background(), bytes.NewReader(pretty), "f", jsonl.Limits{})
		if err != nil || len(docs) != 1 || !docs[0].Strict() {
			t.Fatalf("Documents(pretty envelope) = %d documents, %v; want one, Strict", len(docs), err)
		}
		docs[0].Data = []byte(bad)
		items, err := attest.ReadDocuments(docs, "f")
		if err != nil {
			t.Fatalf("%s: ReadDocuments() error = %v", name, err)
		}
		if len(items) != 1 || items[0].Err == nil {
			t.Errorf("%s: ReadDocuments(replaced Data) = %+v, want one item with an error", name, items)
		}
	}
}

func TestRead(t *testing.T) {
	s := newSigner(t, "ecdsa")
	env := signed(t, statement(t, attest.PredicateTestResult, "app"), s)
	l := line(t, env)
	pretty, err := json.MarshalIndent(json.RawMessage(l), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	blobSig := bytes.Repeat([]byte{7}, 70)
	bundle := func(mediaType, body string) string {
		return `{"mediaType":"` + mediaType + `","verificationMaterial":{"publicKey":{"hint":"h"}},` + body + `}`
	}
	tests := []struct {
		name        string
		data        string
		wantErr     error
		wantSources []string
		wantFormats []string
		wantErrs    []bool
		wantVersion string
	}{
		{name: "one line", data: string(l) + "\n", wantSources: []string{"f"}, wantFormats: []string{attest.FormatDSSE}, wantErrs: []bool{false}},
		{name: "pretty-printed envelope", data: string(pretty), wantSources: []string{"f"}, wantFormats: []string{attest.FormatDSSE}, wantErrs: []bool{false}},
		// A pretty-printed document the strict reader refuses is one
		// document with an error, never read as valid: jsonl.Documents
		// marks a document checked only when the strict reader accepts it.
		{name: "pretty-printed envelope, a key twice", data: strings.Replace(string(pretty), "{", "{\n  \"payloadType\": \"x\",", 1), wantSources: []string{"f:1"}, wantFormats: []string{""}, wantErrs: []bool{true}},
		{name: "pretty-printed envelope, invalid UTF-8", data: strings.Replace(string(pretty), "{", "{\n  \"x\": \"\xff\",", 1), wantSources: []string{"f:1"}, wantFormats: []string{""}, wantErrs: []bool{true}},
		{name: "pretty-printed envelope, a lone surrogate", data: strings.Replace(string(pretty), "{", "{\n  \"x\": \"\\ud800\",", 1), wantSources: []string{"f:1"}, wantFormats: []string{""}, wantErrs: []bool{true}},
		{name: "JSON Lines with blank lines and a bad line", data: string(l) + "\n\n" + `{"payloadType":` + "\n" + string(l) + "\r\n", wantSources: []string{"f:1", "f:3", "f:4"}, wantFormats: []string{attest.FormatDSSE, "", attest.FormatDSSE}, wantErrs: []bool{false, true, false}},
		{name: "a line that is no known format", data: string(l) + "\n{\"hello\":1}\n", wantSources: []string{"f:1", "f:2"}, wantFormats: []string{attest.FormatDSSE, ""}, wantErrs: []bool{false, true}},
		{name: "cosign bundle of an envelope", data: `{"base64Signature":"` + base64.StdEncoding.EncodeToString(l) + `","cert":""}`, wantSources: []string{"f"}, wantFormats: []string{attest.FormatCosignBundle}, wantErrs: []bool{false}},
		{name: "cosign bundle of a blob signature", data: `{"base64Signature":"` + base64.StdEncoding.EncodeToString(blobSig) + `"}`, wantSources: []string{"f"}, wantFormats: []string{attest.FormatCosignBundle}, wantErrs: []bool{false}},
		{name: "cosign bundle, bad base64", data: `{"base64Signature":"%%%"}`, wantSources: []string{"f"}, wantFormats: []string{attest.FormatCosignBundle}, wantErrs: []bool{true}},
		{name: "Sigstore bundle v0.1", data: bundle("application/vnd.dev.sigstore.bundle+json;version=0.1", `"dsseEnvelope":`+string(l)), wantSources: []string{"f"}, wantFormats: []string{attest.FormatSigstoreBundle}, wantErrs: []bool{false}, wantVersion: "0.1"},
		{name: "Sigstore bundle v0.2", data: bundle("application/vnd.dev.sigstore.bundle+json;version=0.2", `"dsseEnvelope":`+string(l)), wantSources: []string{"f"}, wantFormats: []string{attest.FormatSigstoreBundle}, wantErrs: []bool{false}, wantVersion: "0.2"},
		{name: "Sigstore bundle v0.3", data: bundle("application/vnd.dev.sigstore.bundle.v0.3+json", `"dsseEnvelope":`+string(l)), wantSources: []string{"f"}, wantFormats: []string{attest.FormatSigstoreBundle}, wantErrs: []bool{false}, wantVersion: "0.3"},
		{name: "Sigstore bundle v0.3, old media type spelling", data: bundle("application/vnd.dev.sigstore.bundle+json;version=0.3", `"dsseEnvelope":`+string(l)), wantSources: []string{"f"}, wantFormats: []string{attest.FormatSigstoreBundle}, wantErrs: []bool{false}, wantVersion: "0.3"},
		{name: "Sigstore bundle, message signature", data: bundle("application/vnd.dev.sigstore.bundle.v0.3+json", `"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"`+base64.StdEncoding.EncodeToString(make([]byte, 32))+`"},"signature":"`+base64.StdEncoding.EncodeToString(blobSig)+`"}`), wantSources: []string{"f"}, wantFormats: []string{attest.FormatSigstoreBundle}, wantErrs: []bool{false}, wantVersion: "0.3"},
		{name: "Sigstore bundle, unknown version", data: bundle("application/vnd.dev.sigstore.bundle.v0.9+json", `"dsseEnvelope":`+string(l)), wantSources: []string{"f"}, wantFormats: []string{attest.FormatSigstoreBundle}, wantErrs: []bool{true}},
		{name: "Sigstore bundle with both contents", data: bundle("application/vnd.dev.sigstore.bundle.v0.3+json", `"dsseEnvelope":`+string(l)+`,"messageSignature":{"signature":"AQID"}`), wantSources: []string{"f"}, wantFormats: []string{attest.FormatSigstoreBundle}, wantErrs: []bool{true}},
		{name: "Sigstore bundle with neither", data: bundle("application/vnd.dev.sigstore.bundle.v0.3+json", `"x":1`), wantSources: []string{"f"}, wantFormats: []string{attest.FormatSigstoreBundle}, wantErrs: []bool{true}},
		{name: "Sigstore bundle, unknown digest algorithm", data: bundle("application/vnd.dev.sigstore.bundle.v0.3+json", `"messageSignature":{"messageDigest":{"algorithm":"MD5","digest":"AAAA"},"signature":"AQID"}`), wantSources: []string{"f"}, wantFormats: []string{attest.FormatSigstoreBundle}, wantErrs: []bool{true}},
		{name: "in-toto v0.9 link without a valid signature", data: `{"signed":{"_type":"link","name":"build"},"signatures":[{"keyid":"k","sig":"zz"}]}`, wantSources: []string{"f"}, wantFormats: []string{attest.FormatLegacyLink}, wantErrs: []bool{true}},
		{name: "in-toto v0.9 layout", data: `{"signed":{"_type":"layout"},"signatures":[{"keyid":"k","sig":"00ff"}]}`, wantSources: []string{"f"}, wantFormats: []string{attest.FormatLegacyLink}, wantErrs: []bool{false}},
		{name: "blob signature file", data: base64.StdEncoding.EncodeToString(blobSig) + "\n", wantSources: []string{"f"}, wantFormats: []string{attest.FormatBlobSignature}, wantErrs: []bool{false}},
		{name: "empty", data: "", wantErr: attest.ErrEmpty},
		{name: "white space", data: " \n\t\n", wantErr: attest.ErrEmpty},
		{name: "binary", data: "\x00\xff\xfe garbage", wantErr: attest.ErrMalformed},
		{name: "short base64 is no signature", data: "QUFBQQ==", wantErr: attest.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := attest.Read([]byte(tt.data), "f")
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Read() error = %v, want %v", err, tt.wantErr)
			}
			var sources, formats []string
			var errs []bool
			for _, it := range items {
				sources = append(sources, it.Source)
				formats = append(formats, it.Format)
				errs = append(errs, it.Err != nil)
				if it.Err == nil && it.Envelope == nil && it.Blob == nil && it.Link == nil {
					t.Errorf("item %s has neither an error nor content", it.Source)
				}
				if tt.wantVersion != "" && it.Version != tt.wantVersion {
					t.Errorf("item %s Version = %q, want %q", it.Source, it.Version, tt.wantVersion)
				}
			}
			if diff := cmp.Diff(tt.wantSources, sources); diff != "" {
				t.Errorf("sources (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantFormats, formats); diff != "" {
				t.Errorf("formats (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErrs, errs); diff != "" {
				t.Errorf("items with an error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestReadVerifiesEveryFormatAlike(t *testing.T) {
	s := newSigner(t, "ecdsa")
	env := signed(t, statement(t, attest.PredicateTestResult, "app"), s)
	l := string(line(t, env))
	files := map[string]string{
		"dsse":     l,
		"jsonl":    l + "\n" + l + "\n",
		"cosign":   `{"base64Signature":"` + base64.StdEncoding.EncodeToString([]byte(l)) + `"}`,
		"sigstore": `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":` + l + `}`,
	}
	for name, data := range files {
		items, err := attest.Read([]byte(data), name)
		if err != nil {
			t.Fatalf("Read(%s) = %v", name, err)
		}
		for _, it := range items {
			v, err := attest.VerifyItem(&it, keyring(t, s), attest.VerifyOptions{Subject: sha256Set([]byte("app"))})
			if err != nil {
				t.Errorf("VerifyItem(%s %s) = %v, want nil", name, it.Source, err)
				continue
			}
			if diff := cmp.Diff([]string{s.KeyID()}, signerIDs(v)); diff != "" {
				t.Errorf("VerifyItem(%s %s) signers (-want +got):\n%s", name, it.Source, diff)
			}
		}
	}
}

func TestVerifyItemBlobSignature(t *testing.T) {
	s := newSigner(t, "ecdsa")
	blob := []byte("the artifact's bytes")
	sig, err := s.Sign(blob) // ECDSA P-256 signs SHA-256(blob), as cosign sign-blob does
	if err != nil {
		t.Fatal(err)
	}
	d := sha256Set(blob)
	other := sha256Set([]byte("another artifact"))
	tests := []struct {
		name    string
		blob    *attest.BlobSignature
		opts    attest.VerifyOptions
		wantErr error
	}{
		{"artifact given", &attest.BlobSignature{Sig: sig}, attest.VerifyOptions{Subject: d}, nil},
		{"bundle digest agrees", &attest.BlobSignature{Sig: sig, Digest: d}, attest.VerifyOptions{Subject: d}, nil},
		{"no artifact", &attest.BlobSignature{Sig: sig}, attest.VerifyOptions{}, attest.ErrSubjectMismatch},
		{"a predicate type asked for", &attest.BlobSignature{Sig: sig}, attest.VerifyOptions{Subject: d, PredicateTypes: []string{attest.PredicateSLSAProvenance}}, attest.ErrWrongType},
		{"another artifact", &attest.BlobSignature{Sig: sig}, attest.VerifyOptions{Subject: other}, attest.ErrSignature},
		{"bundle digest of another artifact", &attest.BlobSignature{Sig: sig, Digest: other}, attest.VerifyOptions{Subject: d}, attest.ErrSubjectMismatch},
		{"threshold 2", &attest.BlobSignature{Sig: sig}, attest.VerifyOptions{Subject: d, Threshold: 2}, attest.ErrSignature},
		{"garbage signature", &attest.BlobSignature{Sig: bytes.Repeat([]byte{1}, 64)}, attest.VerifyOptions{Subject: d}, attest.ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := attest.VerifyItem(&attest.Item{Format: attest.FormatBlobSignature, Blob: tt.blob}, keyring(t, s), tt.opts)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("VerifyItem(blob) error = %v, want %v", err, tt.wantErr)
			}
			if err == nil && (v.Blob != tt.blob || len(v.Signers) != 1) {
				t.Errorf("VerifyItem(blob) = %+v, want the blob and one signer", v)
			}
		})
	}
	if _, err := attest.VerifyItem(&attest.Item{}, keyring(t, s), attest.VerifyOptions{}); !errors.Is(err, attest.ErrMalformed) {
		t.Errorf("VerifyItem(empty item) = %v, want %v", err, attest.ErrMalformed)
	}
	itemErr := fmt.Errorf("%w: test", attest.ErrMalformed)
	if _, err := attest.VerifyItem(&attest.Item{Err: itemErr, Blob: &attest.BlobSignature{Sig: sig}}, keyring(t, s), attest.VerifyOptions{Subject: d}); err != itemErr {
		t.Errorf("VerifyItem(item with Err) = %v, want its error %v", err, itemErr)
	}
}

func TestPredicateTypeOf(t *testing.T) {
	tests := []struct {
		payload string
		want    string
		ok      bool
	}{
		{`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"x"}}],"predicateType":"https://cyclonedx.org/bom","predicate":{}}`, "https://cyclonedx.org/bom", true},
		{` {"predicateType" : "p\u0041"} `, "pA", true},
		{`{"_type":"link","name":"x"}`, "", false},
		{`{"predicateType":3}`, "", false},
		{`{"PredicateType":"p"}`, "", false},
		{`[1]`, "", false},
		{`not json`, "", false},
	}
	for _, tt := range tests {
		got, ok := attest.PredicateTypeOf([]byte(tt.payload))
		if got != tt.want || ok != tt.ok {
			t.Errorf("PredicateTypeOf(%s) = %q, %v, want %q, %v", tt.payload, got, ok, tt.want, tt.ok)
		}
	}
}
