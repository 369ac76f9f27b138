package attest_test

// Tests named after the security cases of docs/security.md. Each case's negative
// inputs must fail closed: an error wrapping the package's sentinel, no
// result, and never a pass.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/secure-systems-lab/go-securesystemslib/cjson"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/testutil/race"
)

// mustFail checks that a verification did not pass and failed with want.
func mustFail(t *testing.T, what string, v *attest.Verified, err, want error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s passed (signers %v), want an error wrapping %v", what, signerIDs(v), want)
		return
	}
	if v != nil {
		t.Errorf("%s returned a result %+v along with error %v", what, v, err)
	}
	if !errors.Is(err, want) {
		t.Errorf("%s error = %v, want one wrapping %v", what, err, want)
	}
}

// payloadWith is a valid statement JSON whose single subject has the given name.
func payloadWith(name string, content []byte, predicateType string) []byte {
	b, err := json.Marshal(map[string]any{
		"_type":         attest.StatementV1,
		"subject":       []any{map[string]any{"name": name, "digest": sha256Set(content)}},
		"predicateType": predicateType,
		"predicate":     map[string]any{"k": "v"},
	})
	if err != nil {
		panic(err)
	}
	return b
}

// ---- DSSE ----

func TestSecurityCase53_PAEVector(t *testing.T) {
	// The example of the DSSE protocol (secure-systems-lab/dsse, protocol.md).
	got := attest.PAE("http://example.com/HelloWorld", []byte("hello world"))
	want := []byte("DSSEv1 29 http://example.com/HelloWorld 11 hello world")
	if !bytes.Equal(got, want) {
		t.Fatalf("PAE(spec example) = %q, want %q", got, want)
	}

	s := newSigner(t, "ecdsa")
	kr := keyring(t, s)
	payload := payloadWith("café-app", []byte("app"), attest.PredicateSLSAProvenance) // non-ASCII: runes != bytes
	b64 := base64.StdEncoding.EncodeToString(payload)
	runePAE := func(pt string, p []byte) []byte {
		return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", utf8.RuneCountInString(pt), pt, utf8.RuneCount(p), p)
	}
	tests := []struct {
		name string
		msg  []byte // what the "signer" signed instead of PAE(type, payload)
	}{
		{"type followed by payload, no PAE", append([]byte(attest.PayloadType), payload...)},
		{"payload alone", payload},
		{"base64 payload string", []byte(b64)},
		{"PAE over the base64 payload", attest.PAE(attest.PayloadType, []byte(b64))},
		{"PAE with lengths in runes", runePAE(attest.PayloadType, payload)},
		{"PAE without the DSSEv1 prefix", bytes.TrimPrefix(attest.PAE(attest.PayloadType, payload), []byte("DSSEv1 "))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sig, err := s.Sign(tt.msg)
			if err != nil {
				t.Fatal(err)
			}
			env := &attest.Envelope{PayloadType: attest.PayloadType, Payload: payload, Signatures: []attest.Signature{{KeyID: s.KeyID(), Sig: sig}}}
			v, err := attest.VerifyEnvelope(env, kr, attest.VerifyOptions{})
			mustFail(t, "VerifyEnvelope(signature over "+tt.name+")", v, err, attest.ErrSignature)
		})
	}

	// The payloadType of the rune-counting case: é is two bytes, so the
	// right PAE says 23 and a rune-counting one 22; only the first verifies.
	const pt = "application/vnd.é+json"
	if got := string(attest.PAE(pt, []byte("{}"))); got != "DSSEv1 23 application/vnd.é+json 2 {}" {
		t.Errorf("PAE(%q) = %q, want lengths in bytes", pt, got)
	}
	good, err := s.Sign(attest.PAE(pt, payload))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := s.Sign(runePAE(pt, payload))
	if err != nil {
		t.Fatal(err)
	}
	if got := kr.SignedBy(attest.PAE(pt, payload), [][]byte{bad}); len(got) != 0 {
		t.Errorf("a signature over a rune-counting PAE of %q verified", pt)
	}
	if got := kr.SignedBy(attest.PAE(pt, payload), [][]byte{good}); len(got) != 1 {
		t.Errorf("a signature over the byte-counting PAE of %q did not verify", pt)
	}
	// And an envelope of that type is refused whatever its signature.
	v, err := attest.VerifyEnvelope(&attest.Envelope{PayloadType: pt, Payload: payload, Signatures: []attest.Signature{{Sig: good}}}, kr, attest.VerifyOptions{})
	mustFail(t, "VerifyEnvelope(payloadType "+pt+")", v, err, attest.ErrPayloadType)
}

func TestSecurityCase54_PayloadTypeConfusion(t *testing.T) {
	s := newSigner(t, "ecdsa")
	kr := keyring(t, s)
	stmt := payloadWith("app", []byte("app"), attest.PredicateSLSAProvenance)
	env := signedPayload(t, attest.PayloadType, stmt, s)

	t.Run("relabelled payloadType fails the signature", func(t *testing.T) {
		for _, pt := range []string{"application/vnd.cyclonedx+json", "application/vnd.in-toto.provenance+json", "application/vnd.in-toto+jsoN"} {
			relabelled := &attest.Envelope{PayloadType: pt, Payload: env.Payload, Signatures: env.Signatures}
			if got := kr.SignedBy(attest.PAE(pt, env.Payload), [][]byte{env.Signatures[0].Sig}); len(got) != 0 {
				t.Errorf("the signature made for %q verifies for %q", attest.PayloadType, pt)
			}
			v, err := attest.VerifyEnvelope(relabelled, kr, attest.VerifyOptions{})
			want := attest.ErrSignature
			if attest.CheckPayloadType(pt) != nil {
				want = attest.ErrPayloadType
			}
			mustFail(t, "VerifyEnvelope(relabelled "+pt+")", v, err, want)
		}
	})

	t.Run("text/plain is refused before the payload is read", func(t *testing.T) {
		tests := []struct {
			name    string
			payload []byte
			kr      *attest.Keyring
		}{
			{"statement payload, trusted signer", stmt, kr},
			{"unparseable payload, trusted signer", []byte("{not json"), kr},
			{"statement payload, untrusted signer", stmt, keyring(t, newSigner(t, "ed25519"))},
		}
		for _, tt := range tests {
			env := signedPayload(t, "text/plain", tt.payload, s)
			v, err := attest.VerifyEnvelope(env, tt.kr, attest.VerifyOptions{})
			// ErrPayloadType, not ErrMalformed nor ErrSignature: nothing ran before it.
			mustFail(t, "VerifyEnvelope(text/plain, "+tt.name+")", v, err, attest.ErrPayloadType)
			if errors.Is(err, attest.ErrMalformed) || errors.Is(err, attest.ErrSignature) {
				t.Errorf("VerifyEnvelope(text/plain, %s) = %v: the payload type check must come first", tt.name, err)
			}
		}
	})

	t.Run("the predicateType decides, with a warning", func(t *testing.T) {
		cdx := payloadWith("app", []byte("app"), attest.PredicateCycloneDX)
		env := signedPayload(t, "application/vnd.in-toto.provenance+json", cdx, s)
		v, err := attest.VerifyEnvelope(env, kr, attest.VerifyOptions{})
		if err != nil {
			t.Fatalf("VerifyEnvelope(provenance+json carrying CycloneDX) = %v, want a pass", err)
		}
		if got := v.Statement.PredicateType; got != attest.PredicateCycloneDX {
			t.Errorf("verified predicate type = %q, want %q", got, attest.PredicateCycloneDX)
		}
		if len(v.Warnings) != 1 || !strings.Contains(v.Warnings[0], `"provenance"`) || !strings.Contains(v.Warnings[0], attest.PredicateCycloneDX) {
			t.Errorf("warnings = %q, want one naming the payloadType's %q and the predicate type", v.Warnings, "provenance")
		}
		v, err = attest.VerifyEnvelope(env, kr, attest.VerifyOptions{PredicateTypes: []string{attest.PredicateSLSAProvenance}})
		mustFail(t, "VerifyEnvelope(CycloneDX labelled provenance, SLSA asked)", v, err, attest.ErrWrongType)
		if _, err := attest.VerifyEnvelope(env, kr, attest.VerifyOptions{PredicateTypes: []string{attest.PredicateCycloneDX}}); err != nil {
			t.Errorf("VerifyEnvelope(CycloneDX asked) = %v, want a pass", err)
		}
	})
}

func TestSecurityCase55_KeyIDIsOnlyAHint(t *testing.T) {
	trusted, attacker, second := newSigner(t, "ecdsa"), newSigner(t, "ecdsa"), newSigner(t, "ed25519")
	p1 := payloadWith("app", []byte("v1"), attest.PredicateSLSAProvenance)
	p2 := payloadWith("app", []byte("v2"), attest.PredicateSLSAProvenance)
	sigBy := func(s *sign.Signer, payload []byte) []byte {
		sig, err := s.Sign(attest.PAE(attest.PayloadType, payload))
		if err != nil {
			t.Fatal(err)
		}
		return sig
	}
	tests := []struct {
		name        string
		payload     []byte
		sigs        []attest.Signature
		kr          *attest.Keyring
		threshold   int
		wantErr     error
		wantSigners []string
	}{
		{
			name: "attacker key claiming the trusted key id", payload: p1,
			sigs: []attest.Signature{{KeyID: trusted.KeyID(), Sig: sigBy(attacker, p1)}},
			kr:   keyring(t, trusted), wantErr: attest.ErrSignature,
		},
		{
			name: "trusted key with an empty key id", payload: p1,
			sigs: []attest.Signature{{KeyID: "", Sig: sigBy(trusted, p1)}},
			kr:   keyring(t, trusted), wantSigners: []string{trusted.KeyID()},
		},
		{
			name: "trusted key under another key's id", payload: p1,
			sigs: []attest.Signature{{KeyID: second.KeyID(), Sig: sigBy(trusted, p1)}},
			kr:   keyring(t, trusted, second), wantSigners: []string{trusted.KeyID()},
		},
		{
			name: "two trusted keys sharing one key id", payload: p1,
			sigs:      []attest.Signature{{KeyID: "shared", Sig: sigBy(trusted, p1)}, {KeyID: "shared", Sig: sigBy(second, p1)}},
			kr:        keyring(t, trusted, second),
			threshold: 2, wantSigners: []string{trusted.KeyID(), second.KeyID()},
		},
		{
			name: "payload P2 with a signature over P1", payload: p2,
			sigs: []attest.Signature{{KeyID: trusted.KeyID(), Sig: sigBy(trusted, p1)}},
			kr:   keyring(t, trusted), wantErr: attest.ErrSignature,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &attest.Envelope{PayloadType: attest.PayloadType, Payload: tt.payload, Signatures: tt.sigs}
			v, err := attest.VerifyEnvelope(env, tt.kr, attest.VerifyOptions{Threshold: tt.threshold})
			if tt.wantErr != nil {
				mustFail(t, "VerifyEnvelope", v, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("VerifyEnvelope = %v, want a pass", err)
			}
			if diff := cmp.Diff(tt.wantSigners, signerIDs(v)); diff != "" {
				t.Errorf("signers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecurityCase56_MalformedSignatures(t *testing.T) {
	a, b := newSigner(t, "ecdsa"), newSigner(t, "ed25519")
	kr := keyring(t, a, b)
	env := signed(t, statement(t, attest.PredicateSLSAProvenance, "app"), a)
	p64 := base64.StdEncoding.EncodeToString(env.Payload)
	validA := sigJSON(a.KeyID(), env.Signatures[0].Sig)
	validAURL := fmt.Sprintf(`{"keyid":"","sig":%q}`, base64.RawURLEncoding.EncodeToString(env.Signatures[0].Sig))
	garbage := sigJSON(b.KeyID(), bytes.Repeat([]byte{0x30}, 64)) // well-formed base64, not a signature
	tests := []struct {
		name          string
		sigs          []string
		threshold     int
		wantErr       error
		wantMalformed int
	}{
		{"undecodable first, valid A, threshold 1", []string{`{"sig":"!!!notb64"}`, validA}, 1, nil, 1},
		{"valid A, undecodable last, threshold 1", []string{validA, `{"sig":"!!!notb64"}`}, 1, nil, 1},
		{"valid A and garbage, threshold 2", []string{validA, garbage}, 2, attest.ErrSignature, 0},
		{"valid A and an undecodable one, threshold 2", []string{validA, `{"sig":"!!!notb64"}`}, 2, attest.ErrSignature, 1},
		{"valid A twice, threshold 2", []string{validA, validA}, 2, attest.ErrSignature, 0},
		{"valid A and its URL-safe re-encoding, threshold 2", []string{validA, validAURL}, 2, attest.ErrSignature, 0},
		{"only garbage, threshold 1", []string{garbage, garbage}, 1, attest.ErrSignature, 0},
		{"null, number, empty sig, then valid A", []string{`null`, `{"sig":7}`, `{"sig":""}`, validA}, 1, nil, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := rawEnvelope(attest.PayloadType, p64, tt.sigs...)
			parsed, malformed, err := attest.ParseEnvelope(raw)
			if err != nil {
				t.Fatalf("ParseEnvelope = %v, want the well-formed signatures kept", err)
			}
			if malformed != tt.wantMalformed {
				t.Errorf("ParseEnvelope malformed = %d, want %d", malformed, tt.wantMalformed)
			}
			v, err := attest.VerifyEnvelope(parsed, kr, attest.VerifyOptions{Threshold: tt.threshold})
			if tt.wantErr != nil {
				mustFail(t, "VerifyEnvelope", v, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("VerifyEnvelope = %v, want a pass", err)
			}
			if diff := cmp.Diff([]string{a.KeyID()}, signerIDs(v)); diff != "" {
				t.Errorf("signers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecurityCase57_Base64Malleability(t *testing.T) {
	s := newSigner(t, "ecdsa")
	kr := keyring(t, s)
	// A payload whose standard encoding has '+' or '/' and padding, so the
	// URL-safe and unpadded forms really differ from it.
	var payload []byte
	for i := 0; ; i++ {
		payload = payloadWith(fmt.Sprintf("app-%d~~~???>>>", i), []byte("app"), attest.PredicateSLSAProvenance)
		std := base64.StdEncoding.EncodeToString(payload)
		if strings.ContainsAny(std, "+/") && strings.HasSuffix(std, "=") {
			break
		}
	}
	env := signedPayload(t, attest.PayloadType, payload, s)
	sig := env.Signatures[0].Sig
	encodings := map[string]*base64.Encoding{
		"standard":          base64.StdEncoding,
		"URL-safe":          base64.URLEncoding,
		"standard unpadded": base64.RawStdEncoding,
		"URL-safe unpadded": base64.RawURLEncoding,
	}
	for name, enc := range encodings {
		t.Run(name, func(t *testing.T) {
			raw := rawEnvelope(attest.PayloadType, enc.EncodeToString(payload), fmt.Sprintf(`{"keyid":"","sig":%q}`, enc.EncodeToString(sig)))
			parsed, _, err := attest.ParseEnvelope(raw)
			if err != nil {
				t.Fatalf("ParseEnvelope(%s) = %v", name, err)
			}
			if !bytes.Equal(parsed.Payload, payload) || !bytes.Equal(parsed.Signatures[0].Sig, sig) {
				t.Errorf("ParseEnvelope(%s) decoded other bytes than the standard encoding", name)
			}
			v, err := attest.VerifyEnvelope(parsed, kr, attest.VerifyOptions{})
			if err != nil {
				t.Fatalf("VerifyEnvelope(%s) = %v", name, err)
			}
			if diff := cmp.Diff([]string{s.KeyID()}, signerIDs(v)); diff != "" {
				t.Errorf("signers (-want +got):\n%s", diff)
			}
			// The identity of what was verified is the decoded bytes: every
			// encoding gives one and the same canonical line.
			if got, want := string(line(t, parsed)), string(line(t, env)); got != want {
				t.Errorf("re-encoded %s envelope = %s, want %s", name, got, want)
			}
		})
	}

	std := base64.StdEncoding.EncodeToString(payload)
	nonCanonical := []struct {
		name, payload64 string
	}{
		{"non-zero trailing bits QR==", "QR=="},
		{"non-zero trailing bits QUJ=", "QUJ="},
		{"newline inside", std[:8] + "\n" + std[8:]},
		{"CRLF inside", std[:8] + "\r\n" + std[8:]},
		{"space inside", std[:8] + " " + std[8:]},
		{"tab at the end", std + "\t"},
		{"both alphabets", strings.Replace(strings.Replace(std, "+", "-", 1), "/", "/", 1) + "+"},
		{"padding in the middle", "QQ==QQ=="},
		{"too much padding", "QQ==="},
		{"one character", "Q"},
	}
	if got, _, err := attest.ParseEnvelope(rawEnvelope(attest.PayloadType, "QQ==", `{"sig":"QQ=="}`)); err != nil || string(got.Payload) != "A" {
		t.Fatalf("ParseEnvelope(QQ==) = %v, %v; want payload \"A\"", got, err)
	}
	for _, tt := range nonCanonical {
		t.Run(tt.name, func(t *testing.T) {
			raw := rawEnvelope(attest.PayloadType, tt.payload64, `{"sig":"QQ=="}`)
			env, _, err := attest.ParseEnvelope(raw)
			if !errors.Is(err, attest.ErrMalformed) || env != nil {
				t.Errorf("ParseEnvelope(payload %q) = %v, %v; want nil and an error wrapping %v", tt.payload64, env, err, attest.ErrMalformed)
			}
			// As a signature, the same string is dropped as malformed.
			raw = rawEnvelope(attest.PayloadType, "QQ==", fmt.Sprintf(`{"sig":%q}`, tt.payload64))
			if _, malformed, err := attest.ParseEnvelope(raw); !errors.Is(err, attest.ErrNoSignature) || malformed != 1 {
				t.Errorf("ParseEnvelope(sig %q) = %d malformed, %v; want 1 and %v", tt.payload64, malformed, err, attest.ErrNoSignature)
			}
		})
	}
}

// ---- JSON ----

func TestSecurityCase58_DuplicateKeys(t *testing.T) {
	good, evil := sha256Set([]byte("good"))["sha256"], sha256Set([]byte("evil"))["sha256"]
	tests := []struct {
		name, json string
	}{
		{"subject twice", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + good + `"}}],"subject":[{"digest":{"sha256":"` + evil + `"}}],"predicateType":"p"}`},
		{"sha256 twice in a digest", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + good + `","sha256":"` + evil + `"}}],"predicateType":"p"}`},
		{"predicateType twice", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + good + `"}}],"predicateType":"p","predicateType":"q"}`},
		{"subject twice, once escaped", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + good + `"}}],"subj\u0065ct":[{"digest":{"sha256":"` + evil + `"}}],"predicateType":"p"}`},
		{"name twice in a subject", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","name":"b","digest":{"sha256":"` + good + `"}}],"predicateType":"p"}`},
		{"a key twice deep in the predicate", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"` + good + `"}}],"predicateType":"p","predicate":{"a":{"b":[{"c":1,"c":2}]}}}`},
	}
	s := newSigner(t, "ecdsa")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := attest.ParseStatement([]byte(tt.json))
			if !errors.Is(err, attest.ErrMalformed) || st != nil {
				t.Errorf("ParseStatement = %v, %v; want nil and an error wrapping %v", st, err, attest.ErrMalformed)
			}
			// Signed by a trusted key, it still never verifies.
			v, err := attest.VerifyEnvelope(signedPayload(t, attest.PayloadType, []byte(tt.json), s), keyring(t, s), attest.VerifyOptions{Subject: sha256Set([]byte("good"))})
			mustFail(t, "VerifyEnvelope", v, err, attest.ErrMalformed)
			v, err = attest.VerifyEnvelope(signedPayload(t, attest.PayloadType, []byte(tt.json), s), keyring(t, s), attest.VerifyOptions{Subject: sha256Set([]byte("evil"))})
			mustFail(t, "VerifyEnvelope", v, err, attest.ErrMalformed)
		})
	}
	// At the envelope level too.
	raw := `{"payloadType":"application/vnd.in-toto+json","payload":"e30=","payload":"e30=","signatures":[{"sig":"QQ=="}]}`
	if env, _, err := attest.ParseEnvelope([]byte(raw)); !errors.Is(err, attest.ErrMalformed) || env != nil {
		t.Errorf("ParseEnvelope(payload twice) = %v, %v; want nil and %v", env, err, attest.ErrMalformed)
	}
}

func TestSecurityCase59_FieldNameCase(t *testing.T) {
	d := sha256Set([]byte("app"))["sha256"]
	subj := `[{"digest":{"sha256":"` + d + `"}}]`
	tests := []struct {
		name, json string
	}{
		{"PredicateType beside predicateType", `{"_type":"https://in-toto.io/Statement/v1","subject":` + subj + `,"predicateType":"https://slsa.dev/provenance/v1","PredicateType":"https://evil/x"}`},
		{"SUBJECT instead of subject", `{"_type":"https://in-toto.io/Statement/v1","SUBJECT":` + subj + `,"predicateType":"p"}`},
		{"SUBJECT beside subject", `{"_type":"https://in-toto.io/Statement/v1","subject":` + subj + `,"SUBJECT":` + subj + `,"predicateType":"p"}`},
		{"predicatetype alone", `{"_type":"https://in-toto.io/Statement/v1","subject":` + subj + `,"predicatetype":"p"}`},
		{"_TYPE", `{"_TYPE":"https://in-toto.io/Statement/v1","subject":` + subj + `,"predicateType":"p"}`},
		{"Digest in a subject", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"Digest":{"sha256":"` + d + `"}}],"predicateType":"p"}`},
		{"Name in a subject", `{"_type":"https://in-toto.io/Statement/v1","subject":[{"Name":"x","digest":{"sha256":"` + d + `"}}],"predicateType":"p"}`},
		{"long s folding to subject", `{"_type":"https://in-toto.io/Statement/v1","\u017fubject":` + subj + `,"predicateType":"p"}`},
	}
	s := newSigner(t, "ecdsa")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := attest.ParseStatement([]byte(tt.json))
			if !errors.Is(err, attest.ErrMalformed) || st != nil {
				t.Errorf("ParseStatement = %v, %v; want nil and an error wrapping %v", st, err, attest.ErrMalformed)
			}
			v, err := attest.VerifyEnvelope(signedPayload(t, attest.PayloadType, []byte(tt.json), s), keyring(t, s), attest.VerifyOptions{})
			mustFail(t, "VerifyEnvelope", v, err, attest.ErrMalformed)
		})
	}
	for _, raw := range []string{
		`{"PayloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"sig":"QQ=="}]}`,
		`{"payloadType":"application/vnd.in-toto+json","Payload":"e30=","signatures":[{"sig":"QQ=="}]}`,
		`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","Signatures":[{"sig":"QQ=="}]}`,
	} {
		if env, _, err := attest.ParseEnvelope([]byte(raw)); !errors.Is(err, attest.ErrMalformed) || env != nil {
			t.Errorf("ParseEnvelope(%s) = %v, %v; want nil and %v", raw, env, err, attest.ErrMalformed)
		}
	}
	// A signature whose field is "SIG" is dropped, never read as "sig".
	raw := `{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"SIG":"QQ=="}]}`
	if _, malformed, err := attest.ParseEnvelope([]byte(raw)); !errors.Is(err, attest.ErrNoSignature) || malformed != 1 {
		t.Errorf("ParseEnvelope(SIG) = %d malformed, %v; want 1 and %v", malformed, err, attest.ErrNoSignature)
	}

	// The same holds for in-toto v0.9 links: a signature is read from "sig"
	// only. (A valid signature under a wrong-case name must not count.)
	signedPart := []byte(`{"_type":"link","name":"build","command":[],"materials":{},"products":{"app":{"sha256":"` + sha256Set([]byte("app"))["sha256"] + `"}},"byproducts":{},"environment":{}}`)
	canon, err := cjson.EncodeCanonical(json.RawMessage(signedPart))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := s.Sign(canon)
	if err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"sig", "Sig", "SIG", "\u017fig"} {
		link := `{"signed":` + string(signedPart) + `,"signatures":[{"keyid":"k","` + field + `":"` + hex.EncodeToString(sig) + `"}]}`
		items, err := attest.Read([]byte(link), "build.link")
		if err != nil || len(items) != 1 {
			t.Fatalf("Read(link) = %v, %v", items, err)
		}
		v, err := attest.VerifyItem(&items[0], keyring(t, s), attest.VerifyOptions{})
		if field == "sig" {
			if err != nil {
				t.Errorf("VerifyItem(link signed under %q) = %v, want a pass", field, err)
			}
			continue
		}
		if err == nil || v != nil {
			t.Errorf("VerifyItem(link whose signature field is %q) passed: the field name matched case-insensitively", field)
		}
	}
}

func TestSecurityCase60_InvalidUnicode(t *testing.T) {
	d := sha256Set([]byte("app"))["sha256"]
	withName := func(name string) string {
		return `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"` + name + `","digest":{"sha256":"` + d + `"}}],"predicateType":"p"}`
	}
	tests := []struct {
		name, json string
		ok         bool
	}{
		{"invalid UTF-8 byte", withName("app\xff"), false},
		{"overlong UTF-8", withName("\xc0\xaf"), false},
		{"UTF-8-encoded surrogate", withName("\xed\xa0\x80"), false},
		{"lone high surrogate", withName(`app\ud800`), false},
		{"lone low surrogate", withName(`\udc00app`), false},
		{"high surrogate then a letter", withName(`\ud800\u0041`), false},
		{"high surrogate at the end of a string", withName(`a\uD83D`), false},
		{"two high surrogates", withName(`\ud83d\ud83d\ude00`), false},
		{"surrogate pair", withName(`\ud83d\ude00`), true},
		{"escaped backslash before ud800", withName(`\\ud800`), true},
		{"plain non-ASCII", withName("café"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := attest.ParseStatement([]byte(tt.json))
			if tt.ok {
				if err != nil {
					t.Fatalf("ParseStatement = %v, want a statement", err)
				}
				if strings.ContainsRune(st.Subject[0].Name, utf8.RuneError) {
					t.Errorf("name %q holds U+FFFD", st.Subject[0].Name)
				}
				return
			}
			if !errors.Is(err, attest.ErrMalformed) || st != nil {
				t.Errorf("ParseStatement = %v, %v; want nil and an error wrapping %v (never U+FFFD)", st, err, attest.ErrMalformed)
			}
			if err := attest.CheckJSON([]byte(tt.json)); !errors.Is(err, attest.ErrMalformed) {
				t.Errorf("CheckJSON = %v, want %v", err, attest.ErrMalformed)
			}
		})
	}
}

func TestSecurityCase61_DeepAndLarge(t *testing.T) {
	const deep = 100_000
	tests := []struct {
		name string
		in   []byte
	}{
		{"100k arrays", []byte(strings.Repeat("[", deep) + strings.Repeat("]", deep))},
		{"100k unclosed arrays", []byte(strings.Repeat("[", deep))},
		{"100k objects", []byte(strings.Repeat(`{"a":`, deep) + "1" + strings.Repeat("}", deep))},
		{"100k arrays in a predicate", []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"p","predicate":{"x":` + strings.Repeat("[", deep) + strings.Repeat("]", deep) + `}}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			errCheck := attest.CheckJSON(tt.in)
			st, errStmt := attest.ParseStatement(tt.in)
			env, _, errEnv := attest.ParseEnvelope(tt.in)
			elapsed := time.Since(start)
			for what, err := range map[string]error{"CheckJSON": errCheck, "ParseStatement": errStmt, "ParseEnvelope": errEnv} {
				if !errors.Is(err, attest.ErrMalformed) {
					t.Errorf("%s = %v, want an error wrapping %v", what, err, attest.ErrMalformed)
				}
			}
			if st != nil || env != nil {
				t.Errorf("a value came back with the error")
			}
			if elapsed > time.Second {
				t.Errorf("rejecting 100k-deep nesting took %v, want well under a second", elapsed)
			}
		})
	}

	// The depth limit is exact.
	atLimit := strings.Repeat("[", limits.JSONDepth) + strings.Repeat("]", limits.JSONDepth)
	if err := attest.CheckJSON([]byte(atLimit)); err != nil {
		t.Errorf("CheckJSON(depth %d) = %v, want nil", limits.JSONDepth, err)
	}
	over := "[" + atLimit + "]"
	if err := attest.CheckJSON([]byte(over)); !errors.Is(err, attest.ErrMalformed) {
		t.Errorf("CheckJSON(depth %d) = %v, want %v", limits.JSONDepth+1, err, attest.ErrMalformed)
	}

	// An envelope over the size limit is refused from its length alone.
	big := make([]byte, limits.Envelope+1)
	start := time.Now()
	env, _, err := attest.ParseEnvelope(big)
	if !errors.Is(err, limits.ErrTooLarge) || env != nil {
		t.Errorf("ParseEnvelope(%d bytes) = %v, %v; want nil and %v", len(big), env, err, limits.ErrTooLarge)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("refusing an over-size envelope took %v", d)
	}
	if _, err := attest.SignPayload(attest.PayloadType, big, newSigner(t, "ed25519")); !errors.Is(err, limits.ErrTooLarge) {
		t.Errorf("SignPayload(%d bytes) = %v, want %v", len(big), err, limits.ErrTooLarge)
	}
}

// ---- crypto ----

// ecdsaSig is an ASN.1 ECDSA signature.
type ecdsaSig struct{ R, S *big.Int }

func TestSecurityCase63_SignatureMalleability(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	kr := keyring(t, s)
	env := signed(t, statement(t, attest.PredicateSLSAProvenance, "app"), s)
	var sig ecdsaSig
	if rest, err := asn1.Unmarshal(env.Signatures[0].Sig, &sig); err != nil || len(rest) != 0 {
		t.Fatalf("the signature is not DER: %v", err)
	}
	n := elliptic.P256().Params().N
	twin, err := asn1.Marshal(ecdsaSig{sig.R, new(big.Int).Sub(n, sig.S)})
	if err != nil {
		t.Fatal(err)
	}
	twinEnv := &attest.Envelope{PayloadType: env.PayloadType, Payload: env.Payload, Signatures: []attest.Signature{{KeyID: s.KeyID(), Sig: twin}}}

	// Go's crypto/ecdsa accepts both S and N-S (it does not enforce low S),
	// and so does consign. What consign must keep is a consistent verdict:
	// the twin verifies to the same signer set and the same statement, and
	// identity (dedup, thresholds) never depends on signature bytes.
	v1, err1 := attest.VerifyEnvelope(env, kr, attest.VerifyOptions{})
	v2, err2 := attest.VerifyEnvelope(twinEnv, kr, attest.VerifyOptions{})
	if err1 != nil || err2 != nil {
		t.Fatalf("VerifyEnvelope(original) = %v, VerifyEnvelope(high/low-S twin) = %v; want both to pass, as Go's ecdsa accepts both", err1, err2)
	}
	if diff := cmp.Diff(signerIDs(v1), signerIDs(v2)); diff != "" {
		t.Errorf("the S twins verify to different signer sets (-original +twin):\n%s", diff)
	}
	if diff := cmp.Diff(v1.Statement, v2.Statement); diff != "" {
		t.Errorf("the S twins verify to different statements:\n%s", diff)
	}
	// Both twins on one envelope are one key: they never make a threshold of 2.
	both := &attest.Envelope{PayloadType: env.PayloadType, Payload: env.Payload, Signatures: append(append([]attest.Signature(nil), env.Signatures...), twinEnv.Signatures...)}
	v, err := attest.VerifyEnvelope(both, kr, attest.VerifyOptions{Threshold: 2})
	mustFail(t, "VerifyEnvelope(S and N-S twins, threshold 2)", v, err, attest.ErrSignature)

	// Non-DER encodings of the same (r, s) are refused.
	der := env.Signatures[0].Sig
	tests := []struct {
		name string
		sig  []byte
	}{
		{"r with a redundant leading 0x00", derWithPaddedR(sig.R, sig.S)},
		{"BER long-form length", append([]byte{0x30, 0x81, der[1]}, der[2:]...)},
		{"trailing byte", append(append([]byte(nil), der...), 0)},
		{"raw r||s (P1363)", append(sig.R.FillBytes(make([]byte, 32)), sig.S.FillBytes(make([]byte, 32))...)},
		{"s = 0", mustMarshal(t, ecdsaSig{sig.R, big.NewInt(0)})},
		{"s = N + s", mustMarshal(t, ecdsaSig{sig.R, new(big.Int).Add(n, sig.S)})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &attest.Envelope{PayloadType: env.PayloadType, Payload: env.Payload, Signatures: []attest.Signature{{Sig: tt.sig}}}
			v, err := attest.VerifyEnvelope(e, kr, attest.VerifyOptions{})
			mustFail(t, "VerifyEnvelope("+tt.name+")", v, err, attest.ErrSignature)
		})
	}

	// Ed25519: S + L is the same signature to a lax verifier; RFC 8032 (and
	// Go) require S < L.
	ed := newSigner(t, "ed25519")
	edEnv := signed(t, statement(t, attest.PredicateSLSAProvenance, "app"), ed)
	edSig := edEnv.Signatures[0].Sig
	malleated := append(append([]byte(nil), edSig[:32]...), addL(edSig[32:])...)
	e := &attest.Envelope{PayloadType: edEnv.PayloadType, Payload: edEnv.Payload, Signatures: []attest.Signature{{Sig: malleated}}}
	v, err = attest.VerifyEnvelope(e, keyring(t, ed), attest.VerifyOptions{})
	mustFail(t, "VerifyEnvelope(Ed25519 with S+L)", v, err, attest.ErrSignature)
	if _, err := attest.VerifyEnvelope(edEnv, keyring(t, ed), attest.VerifyOptions{}); err != nil {
		t.Errorf("VerifyEnvelope(Ed25519 original) = %v, want a pass", err)
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// derWithPaddedR encodes (r, s) with one 0x00 byte more in front of r than DER allows.
func derWithPaddedR(r, s *big.Int) []byte {
	integer := func(x *big.Int, pad bool) []byte {
		b := x.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		if pad {
			b = append([]byte{0}, b...)
		}
		return append([]byte{0x02, byte(len(b))}, b...)
	}
	body := append(integer(r, true), integer(s, false)...)
	return append([]byte{0x30, byte(len(body))}, body...)
}

// addL returns the 32-byte little-endian scalar sLE + L, where L is the
// order of the Ed25519 base point.
func addL(sLE []byte) []byte {
	l, _ := new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)
	be := make([]byte, 32)
	for i := range 32 {
		be[i] = sLE[31-i]
	}
	sum := new(big.Int).Add(new(big.Int).SetBytes(be), l).FillBytes(make([]byte, 32))
	out := make([]byte, 32)
	for i := range 32 {
		out[i] = sum[31-i]
	}
	return out
}

// ---- digests and subjects ----

func TestSecurityCase29_EmptyDigests(t *testing.T) {
	tests := []struct {
		name, digest string
	}{
		{"empty digest set", `{}`},
		{"empty sha256", `{"sha256":""}`},
		{"null digest", `null`},
		{"sha256 of the wrong length", `{"sha256":"abcd"}`},
		{"uppercase sha256", `{"sha256":"` + strings.ToUpper(sha256Set([]byte("x"))["sha256"]) + `"}`},
		{"empty algorithm name", `{"":"abcd"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar","digest":` + tt.digest + `}],"predicateType":"p"}`
			st, err := attest.ParseStatement([]byte(in))
			if !errors.Is(err, attest.ErrInvalid) || st != nil {
				t.Errorf("ParseStatement(digest %s) = %v, %v; want nil and an error wrapping %v", tt.digest, st, err, attest.ErrInvalid)
			}
		})
	}
	// No subject either (the statement must name something)...
	in := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"app.tar"}],"predicateType":"p"}`
	if _, err := attest.ParseStatement([]byte(in)); !errors.Is(err, attest.ErrInvalid) {
		t.Errorf("ParseStatement(subject without digest) = %v, want %v", err, attest.ErrInvalid)
	}
	// ...and NewStatement refuses to make one.
	for _, d := range []digest.Set{nil, {}, {"sha256": ""}} {
		if _, err := attest.NewStatement("p", []attest.Subject{{Name: "a", Digest: d}}, nil); !errors.Is(err, attest.ErrInvalid) {
			t.Errorf("NewStatement(digest %v) = %v, want %v", d, err, attest.ErrInvalid)
		}
	}
	if _, err := attest.NewStatement("p", nil, nil); !errors.Is(err, attest.ErrNoSubject) {
		t.Errorf("NewStatement(no subjects) = %v, want %v", err, attest.ErrNoSubject)
	}
}

func TestSecurityCase31_EndlessSubjects(t *testing.T) {
	d := sha256Set([]byte("app"))["sha256"]
	var b strings.Builder
	b.WriteString(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"p","subject":[`)
	for i := range limits.Subjects + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		// Small but valid subjects (any algorithm name is allowed), so that
		// the count is what is refused, not the size.
		fmt.Fprintf(&b, `{"digest":{"x":"%x"}}`, i)
	}
	b.WriteString(`]}`)
	many := []byte(b.String())

	var digests strings.Builder
	digests.WriteString(`{"sha256":"` + d + `"`)
	for i := range 1000 {
		fmt.Fprintf(&digests, `,"alg%d":"%s"`, i, d)
	}
	digests.WriteString("}")
	wide := []byte(`{"_type":"https://in-toto.io/Statement/v1","predicateType":"p","subject":[{"name":"a","digest":` + digests.String() + `}]}`)

	// A guard against pathological (say quadratic) work, not a benchmark:
	// the measured times are logged. The race detector slows this code ~6x.
	budget := 10 * time.Second // for some 25 MB of subjects
	if race.Enabled() {
		budget *= 10
	}
	trusted, stranger := newSigner(t, "ed25519"), newSigner(t, "ed25519")
	kr := keyring(t, trusted)
	tests := []struct {
		name    string
		payload []byte
	}{
		{"1,000,001 subjects", many},
		{"a subject with 1,001 digests", wide},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Statement checks involve no cryptography at all.
			start := time.Now()
			st, err := attest.ParseStatement(tt.payload)
			elapsed := time.Since(start)
			t.Logf("ParseStatement(%d bytes) refused it in %v", len(tt.payload), elapsed)
			if elapsed > budget {
				t.Errorf("ParseStatement took %v, want under %v", elapsed, budget)
			}
			if !errors.Is(err, attest.ErrInvalid) || st != nil {
				t.Errorf("ParseStatement = %v, %v; want nil and an error wrapping %v", st, err, attest.ErrInvalid)
			}

			// Validly signed by a trusted key, it fails all the same.
			start = time.Now()
			v, err := attest.VerifyEnvelope(signedPayload(t, attest.PayloadType, tt.payload, trusted), kr, attest.VerifyOptions{Subject: sha256Set([]byte("app"))})
			t.Logf("VerifyEnvelope(signed by a trusted key) refused it in %v", time.Since(start))
			mustFail(t, "VerifyEnvelope(trusted signer)", v, err, attest.ErrInvalid)

			// The count is refused before any signature check
			// (limits.Subjects: "a statement with more is refused before
			// any signature check"): signed by a key nobody trusts,
			// the answer is still "too many", not "bad signature".
			v, err = attest.VerifyEnvelope(signedPayload(t, attest.PayloadType, tt.payload, stranger), kr, attest.VerifyOptions{})
			if v != nil || !errors.Is(err, attest.ErrInvalid) {
				t.Errorf("VerifyEnvelope(untrusted signer) = %v, %v; want the statement refused (%v) before the signatures are checked", v, err, attest.ErrInvalid)
			}
		})
	}
}

func TestSecurityCase65_ReplayForAnotherArtifact(t *testing.T) {
	s := newSigner(t, "ecdsa")
	v120 := []byte("app v1.2.0 contents")
	st := statement(t, attest.PredicateSLSAProvenance, string(v120))
	env := signed(t, st, s)
	digestOf := func(b []byte) digest.Set {
		d, _, err := digest.Reader(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name     string
		artifact []byte
		wantErr  error
	}{
		{"the attested artifact", v120, nil},
		{"another release", []byte("app v1.3.0 contents"), attest.ErrSubjectMismatch},
		{"one byte appended", append(append([]byte(nil), v120...), '\n'), attest.ErrSubjectMismatch},
		{"one byte removed", v120[:len(v120)-1], attest.ErrSubjectMismatch},
		{"empty file", []byte{}, attest.ErrSubjectMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := attest.VerifyEnvelope(env, keyring(t, s), attest.VerifyOptions{Subject: digestOf(tt.artifact)})
			if tt.wantErr != nil {
				mustFail(t, "VerifyEnvelope", v, err, tt.wantErr)
				return
			}
			if err != nil || len(v.Matched) != 1 {
				t.Errorf("VerifyEnvelope(attested artifact) = %v, %v; want one matched subject", v, err)
			}
		})
	}
}

func TestSecurityCase66_SubjectNamesAreNotPaths(t *testing.T) {
	s := newSigner(t, "ecdsa")
	linux, darwin := []byte("linux build"), []byte("darwin build")
	st, err := attest.NewStatement(attest.PredicateSLSAProvenance, []attest.Subject{
		{Name: "app-linux-amd64", Digest: sha256Set(linux)},
		{Name: "app-darwin", Digest: sha256Set(darwin)},
		{Name: "../../etc/passwd", Digest: sha256Set([]byte("not the password file"))},
		{Name: "/etc/passwd", Digest: sha256Set([]byte("not the password file either"))},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	env := signed(t, st, s)
	tests := []struct {
		name        string
		artifact    digest.Set
		wantMatched []string
	}{
		// An artifact called app-linux-amd64 with the darwin build's bytes
		// matches the darwin subject: only digests count.
		{"darwin bytes", sha256Set(darwin), []string{"app-darwin"}},
		{"linux bytes", sha256Set(linux), []string{"app-linux-amd64"}},
		{"bytes of the traversal subject", sha256Set([]byte("not the password file")), []string{"../../etc/passwd"}},
		{"an absolute-path name", sha256Set([]byte("not the password file either")), []string{"/etc/passwd"}},
		{"bytes of no subject", sha256Set([]byte("root:x:0:0:root:/root:/bin/sh\n")), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := attest.VerifyEnvelope(env, keyring(t, s), attest.VerifyOptions{Subject: tt.artifact})
			if tt.wantMatched == nil {
				mustFail(t, "VerifyEnvelope", v, err, attest.ErrSubjectMismatch)
				return
			}
			if err != nil {
				t.Fatalf("VerifyEnvelope = %v, want a pass", err)
			}
			var got []string
			for _, m := range v.Matched {
				got = append(got, m.Name)
			}
			if diff := cmp.Diff(tt.wantMatched, got); diff != "" {
				t.Errorf("matched (-want +got):\n%s", diff)
			}
		})
	}
}

// ---- the same failure in every input format ----

func TestSecurityCase8_ParseErrorIsNeverVerified(t *testing.T) {
	s := newSigner(t, "ecdsa")
	kr := keyring(t, s)
	good := line(t, signed(t, statement(t, attest.PredicateSLSAProvenance, "other"), s))
	cases := []struct {
		name    string
		payload []byte
		opts    attest.VerifyOptions
		wantErr error
	}{
		{"payload AAAA", []byte("AAAA"), attest.VerifyOptions{}, attest.ErrMalformed},
		{"subject is a string", []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":"x"}`), attest.VerifyOptions{}, attest.ErrMalformed},
		{"CycloneDX when SLSA is asked for", payloadWith("app", []byte("app"), attest.PredicateCycloneDX), attest.VerifyOptions{PredicateTypes: []string{attest.PredicateSLSAProvenance}}, attest.ErrWrongType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := line(t, signedPayload(t, attest.PayloadType, c.payload, s))
			formats := []struct {
				name string
				data []byte
				item int // which item of the file holds the envelope
			}{
				{"raw DSSE", l, 0},
				{"JSON Lines", bytes.Join([][]byte{good, l, good}, []byte("\n")), 1},
				{"cosign bundle", []byte(`{"base64Signature":"` + base64.StdEncoding.EncodeToString(l) + `","cert":"","rekorBundle":null}`), 0},
				{"Sigstore bundle v0.3", []byte(`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"k"}},"dsseEnvelope":` + string(l) + `}`), 0},
			}
			var first string
			for _, f := range formats {
				items, err := attest.Read(f.data, "f")
				if err != nil {
					t.Fatalf("Read(%s) = %v", f.name, err)
				}
				if f.item >= len(items) {
					t.Fatalf("Read(%s) found %d items", f.name, len(items))
				}
				it := items[f.item]
				v, err := attest.VerifyItem(&it, kr, c.opts)
				mustFail(t, "VerifyItem("+f.name+")", v, err, c.wantErr)
				if err == nil {
					continue
				}
				if first == "" {
					first = err.Error()
				} else if err.Error() != first {
					t.Errorf("VerifyItem(%s) = %q, want the same failure as raw DSSE: %q", f.name, err, first)
				}
			}
		})
	}
}

// ---- thresholds and keyrings ----

func TestSecurityCase13And15_OneKeyCountsOnce(t *testing.T) {
	a, b := newSigner(t, "ecdsa"), newSigner(t, "ed25519")
	// The same key three times: as given, and re-read from its PEM (a
	// distinct Go value for the same SPKI).
	pem, err := sign.MarshalPublicKey(a.Public())
	if err != nil {
		t.Fatal(err)
	}
	again, err := sign.ParsePublicKey(pem)
	if err != nil {
		t.Fatal(err)
	}
	kr, err := attest.NewKeyring(a.Public(), again, a.Public(), b.Public())
	if err != nil {
		t.Fatal(err)
	}
	if got := kr.Len(); got != 2 {
		t.Errorf("NewKeyring(A, A re-read, A, B).Len() = %d, want 2", got)
	}

	st := statement(t, attest.PredicateSLSAProvenance, "app")
	pae := func(env *attest.Envelope) []byte { return attest.PAE(env.PayloadType, env.Payload) }
	one := signed(t, st, a)
	// ECDSA signatures are randomised: a second signature by A has other bytes.
	sig2, err := a.Sign(pae(one))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(sig2, one.Signatures[0].Sig) {
		t.Fatal("two ECDSA signatures came out equal")
	}
	bad := bytes.Repeat([]byte{0x30}, 70)
	tests := []struct {
		name      string
		sigs      []attest.Signature
		threshold int
		wantErr   error
	}{
		{"two signatures by A under two key ids, threshold 2", []attest.Signature{{KeyID: "idA", Sig: one.Signatures[0].Sig}, {KeyID: "idB", Sig: sig2}}, 2, attest.ErrSignature},
		{"the same signature twice, threshold 2", []attest.Signature{one.Signatures[0], one.Signatures[0]}, 2, attest.ErrSignature},
		{"bad then good under one key id, threshold 1", []attest.Signature{{KeyID: "A", Sig: bad}, {KeyID: "A", Sig: sig2}}, 1, nil},
		{"good then bad under one key id, threshold 1", []attest.Signature{{KeyID: "A", Sig: sig2}, {KeyID: "A", Sig: bad}}, 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &attest.Envelope{PayloadType: one.PayloadType, Payload: one.Payload, Signatures: tt.sigs}
			v, err := attest.VerifyEnvelope(env, kr, attest.VerifyOptions{Threshold: tt.threshold})
			if tt.wantErr != nil {
				mustFail(t, "VerifyEnvelope", v, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("VerifyEnvelope = %v, want a pass", err)
			}
			if diff := cmp.Diff([]string{a.KeyID()}, signerIDs(v)); diff != "" {
				t.Errorf("signers (-want +got), A must count exactly once:\n%s", diff)
			}
		})
	}
	if got := kr.SignedBy(pae(one), [][]byte{one.Signatures[0].Sig, sig2, sig2}); len(got) != 1 {
		t.Errorf("SignedBy(three signatures by A) = %d keys, want 1", len(got))
	}
}

func TestSecurityCase16_KeyringIsSafeForConcurrentUse(t *testing.T) {
	a, b := newSigner(t, "ed25519"), newSigner(t, "ecdsa")
	kr := keyring(t, a, b)
	st := statement(t, attest.PredicateSLSAProvenance, "app")
	envs := []*attest.Envelope{signed(t, st, a), signed(t, st, b), signed(t, st, a), signed(t, statement(t, attest.PredicateSLSAProvenance, "other"), newSigner(t, "ed25519"))}
	want := [][]string{{a.KeyID()}, {b.KeyID()}, {a.KeyID()}, nil}
	check := func(i int) error {
		v, err := attest.VerifyEnvelope(envs[i], kr, attest.VerifyOptions{})
		if want[i] == nil {
			if !errors.Is(err, attest.ErrSignature) {
				return fmt.Errorf("envelope %d: err = %v, want %v", i, err, attest.ErrSignature)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("envelope %d: %v", i, err)
		}
		if diff := cmp.Diff(want[i], signerIDs(v)); diff != "" {
			return fmt.Errorf("envelope %d signers (-want +got):\n%s", i, diff)
		}
		return nil
	}
	for i := range envs { // sequentially first
		if err := check(i); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100*len(envs))
	for g := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range envs {
				if err := check((g + j) % len(envs)); err != nil {
					errs <- err
				}
			}
			if got := kr.Len(); got != 2 {
				errs <- fmt.Errorf("Len() = %d, want 2", got)
			}
			_ = append(kr.Verifiers(), nil) // a caller appending to its copy changes nothing
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := kr.Len(); got != 2 {
		t.Errorf("after concurrent use Len() = %d, want 2", got)
	}
	for i := range envs { // and a fresh look afterwards gives the same answers
		if err := check(i); err != nil {
			t.Error(err)
		}
	}
}

// ---- mangling (x/mod note_test style) ----

// TestMangledEnvelopeNeverVerifies changes every byte of the payloadType,
// payload and signature of a valid envelope line by +1, and cuts the line at
// every length: none of it may verify.
func TestMangledEnvelopeNeverVerifies(t *testing.T) {
	for _, alg := range []string{"ecdsa", "ed25519"} {
		t.Run(alg, func(t *testing.T) {
			s := newSigner(t, alg)
			kr := keyring(t, s)
			l := line(t, signed(t, statement(t, attest.PredicateSLSAProvenance, "app"), s))
			if _, err := verifyLine(l, kr); err != nil {
				t.Fatalf("the unmangled line does not verify: %v", err)
			}
			var env struct {
				PayloadType string `json:"payloadType"`
				Payload     string `json:"payload"`
				Signatures  []struct {
					Sig string `json:"sig"`
				} `json:"signatures"`
			}
			if err := json.Unmarshal(l, &env); err != nil {
				t.Fatal(err)
			}
			mutated := 0
			for _, field := range []string{env.PayloadType, env.Payload, env.Signatures[0].Sig} {
				start := bytes.Index(l, []byte(`"`+field+`"`)) + 1
				for i := start; i < start+len(field); i++ {
					m := append([]byte(nil), l...)
					m[i]++
					mutated++
					if v, err := verifyLine(m, kr); err == nil {
						t.Errorf("line with byte %d (%q) changed to %q verified: signers %v", i, l[i], m[i], signerIDs(v))
					}
				}
			}
			if mutated < len(env.Payload) {
				t.Fatalf("only %d bytes mutated", mutated)
			}
			for n := range len(l) {
				if v, err := verifyLine(l[:n], kr); err == nil {
					t.Errorf("the line cut to %d bytes verified: signers %v", n, signerIDs(v))
				}
			}
		})
	}
}

// verifyLine verifies one envelope line both ways consign reads one: as an
// envelope, and as a file.
func verifyLine(l []byte, kr *attest.Keyring) (*attest.Verified, error) {
	env, _, err := attest.ParseEnvelope(l)
	if err != nil {
		return verifyFile(l, kr)
	}
	v, err := attest.VerifyEnvelope(env, kr, attest.VerifyOptions{})
	if err != nil {
		return v, err
	}
	if fv, ferr := verifyFile(l, kr); ferr != nil {
		return nil, fmt.Errorf("ParseEnvelope+VerifyEnvelope pass but Read+VerifyItem fail: %w", ferr)
	} else if fv == nil {
		return nil, errors.New("no result")
	}
	return v, nil
}

func verifyFile(data []byte, kr *attest.Keyring) (*attest.Verified, error) {
	items, err := attest.Read(data, "f")
	if err != nil {
		return nil, err
	}
	var last *attest.Verified
	for i := range items {
		v, err := attest.VerifyItem(&items[i], kr, attest.VerifyOptions{})
		if err != nil {
			return nil, err
		}
		last = v
	}
	return last, nil
}
