package interop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	mrand "math/rand/v2"
	"testing"

	ssldsse "github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/secure-systems-lab/go-securesystemslib/signerverifier"
	"github.com/sigstore/sigstore/pkg/signature"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/sign"
)

// TestPAESpecVector is the example in the DSSE specification
// (github.com/secure-systems-lab/dsse, protocol.md, "PAE" section).
func TestPAESpecVector(t *testing.T) {
	t.Parallel()
	got := attest.PAE("http://example.com/HelloWorld", []byte("hello world"))
	if want := "DSSEv1 29 http://example.com/HelloWorld 11 hello world"; string(got) != want {
		t.Errorf("PAE(%q, %q) = %q, want %q", "http://example.com/HelloWorld", "hello world", got, want)
	}
}

// TestPAEMatchesSecureSystemsLib: consign's PAE and go-securesystemslib's
// give the same bytes for edge cases and for random payload types and
// payloads (arbitrary bytes, spaces, digits, multi-byte UTF-8, empty).
func TestPAEMatchesSecureSystemsLib(t *testing.T) {
	t.Parallel()
	type input struct {
		typ     string
		payload []byte
	}
	inputs := []input{
		{"", nil},
		{"", []byte{}},
		{attest.PayloadType, []byte(`{"_type":"https://in-toto.io/Statement/v1"}`)},
		{"a b", []byte("1 2 3")},
		{"héllo/wörld", []byte("ünïcode \x00 \xff bytes")},
		{"10", []byte("10 ")},
	}
	rng := mrand.New(mrand.NewPCG(20260101, 6))
	alphabet := []byte("ab 0123456789/+.;=é\x00\xff")
	for range 2000 {
		typ := make([]byte, rng.IntN(40))
		for i := range typ {
			typ[i] = alphabet[rng.IntN(len(alphabet))]
		}
		payload := make([]byte, rng.IntN(3000))
		for i := range payload {
			payload[i] = byte(rng.IntN(256))
		}
		inputs = append(inputs, input{string(typ), payload})
	}
	for _, in := range inputs {
		got, want := attest.PAE(in.typ, in.payload), ssldsse.PAE(in.typ, in.payload)
		if !bytes.Equal(got, want) {
			t.Fatalf("PAE(%q, %d bytes) = %q, go-securesystemslib gives %q", in.typ, len(in.payload), got, want)
		}
	}
}

// ecdsaAdapter is a go-securesystemslib dsse.SignerVerifier over a bare
// ECDSA P-256 key: SHA-256, ASN.1 DER signatures (as DSSE's ECDSA examples).
type ecdsaAdapter struct {
	priv  *ecdsa.PrivateKey
	pub   *ecdsa.PublicKey
	keyID string
}

func (a ecdsaAdapter) Sign(_ context.Context, data []byte) ([]byte, error) {
	d := sha256.Sum256(data)
	return ecdsa.SignASN1(rand.Reader, a.priv, d[:])
}

func (a ecdsaAdapter) Verify(_ context.Context, data, sig []byte) error {
	d := sha256.Sum256(data)
	if !ecdsa.VerifyASN1(a.pub, d[:], sig) {
		return errors.New("ecdsa: invalid signature")
	}
	return nil
}

func (a ecdsaAdapter) KeyID() (string, error)   { return a.keyID, nil }
func (a ecdsaAdapter) Public() crypto.PublicKey { return a.pub }

func testStatement(t *testing.T) *attest.Statement {
	t.Helper()
	sum := sha256.Sum256([]byte("artifact"))
	st, err := attest.NewStatement(attest.PredicateSLSAProvenance,
		[]attest.Subject{{Name: "artifact", Digest: digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}}},
		json.RawMessage(slsaPredicate))
	if err != nil {
		t.Fatalf("attest.NewStatement() = %v", err)
	}
	return st
}

// TestSecureSystemsLibEnvelopeVerifiesInConsign: an envelope that
// go-securesystemslib's EnvelopeSigner signs verifies in consign (whatever
// key id hint it carries: consign never consults hints), and fails with
// another key or a flipped payload byte.
func TestSecureSystemsLibEnvelopeVerifiesInConsign(t *testing.T) {
	t.Parallel()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := testStatement(t).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	es, err := ssldsse.NewEnvelopeSigner(ecdsaAdapter{priv: priv, pub: &priv.PublicKey, keyID: "an id in some other scheme"})
	if err != nil {
		t.Fatal(err)
	}
	sslEnv, err := es.SignPayload(context.Background(), attest.PayloadType, payload)
	if err != nil {
		t.Fatalf("EnvelopeSigner.SignPayload() = %v", err)
	}
	raw, err := json.Marshal(sslEnv)
	if err != nil {
		t.Fatal(err)
	}

	env, malformed, err := attest.ParseEnvelope(raw)
	if err != nil || malformed != 0 {
		t.Fatalf("attest.ParseEnvelope(go-securesystemslib envelope) = %v, %d malformed; want nil, 0", err, malformed)
	}
	kr, err := attest.NewKeyring(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := attest.VerifyEnvelope(env, kr, attest.VerifyOptions{PredicateTypes: []string{attest.PredicateSLSAProvenance}})
	if err != nil {
		t.Fatalf("attest.VerifyEnvelope(go-securesystemslib envelope) = %v, want nil", err)
	}
	var want bytes.Buffer
	if err := json.Compact(&want, []byte(slsaPredicate)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(v.Statement.Predicate, want.Bytes()) {
		t.Errorf("verified predicate %s, want %s", v.Statement.Predicate, want.Bytes())
	}

	// Negative controls: another key; the payload with one byte changed.
	other, err := sign.Generate(sign.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	okr, err := attest.NewKeyring(other.Public())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attest.VerifyEnvelope(env, okr, attest.VerifyOptions{}); !errors.Is(err, attest.ErrSignature) {
		t.Errorf("attest.VerifyEnvelope(other key) = %v, want %v", err, attest.ErrSignature)
	}
	flipped := *env
	flipped.Payload = bytes.Replace(env.Payload, []byte("artifact"), []byte("artifacT"), 1)
	if _, err := attest.VerifyEnvelope(&flipped, kr, attest.VerifyOptions{}); !errors.Is(err, attest.ErrSignature) {
		t.Errorf("attest.VerifyEnvelope(flipped payload byte) = %v, want %v", err, attest.ErrSignature)
	}
}

// TestConsignEnvelopeVerifiesInSecureSystemsLib: an envelope consign signs
// verifies with go-securesystemslib's EnvelopeVerifier when the verifier
// uses consign's key id scheme (the hex SHA-256 of the SPKI, agreed out of
// band as DSSE says key ids are), and fails with another key or a changed
// payload.
func TestConsignEnvelopeVerifiesInSecureSystemsLib(t *testing.T) {
	t.Parallel()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.SignStatement(testStatement(t), s)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	var sslEnv ssldsse.Envelope
	if err := json.Unmarshal(raw, &sslEnv); err != nil {
		t.Fatal(err)
	}
	ev, err := ssldsse.NewEnvelopeVerifier(ecdsaAdapter{pub: &priv.PublicKey, keyID: spkiID(t, &priv.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	accepted, err := ev.Verify(context.Background(), &sslEnv)
	if err != nil {
		t.Fatalf("EnvelopeVerifier.Verify(consign envelope) = %v, want nil", err)
	}
	if len(accepted) != 1 || !sign.Equal(accepted[0].Public, &priv.PublicKey) {
		t.Errorf("EnvelopeVerifier.Verify(consign envelope) accepted %v, want the signer's key", accepted)
	}

	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	oev, err := ssldsse.NewEnvelopeVerifier(ecdsaAdapter{pub: &other.PublicKey, keyID: spkiID(t, &priv.PublicKey)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oev.Verify(context.Background(), &sslEnv); err == nil {
		t.Errorf("EnvelopeVerifier.Verify(consign envelope) with another key = nil, want an error")
	}
	changed := sslEnv
	changed.Payload = base64.StdEncoding.EncodeToString(append(append([]byte(nil), env.Payload...), ' '))
	if _, err := ev.Verify(context.Background(), &changed); err == nil {
		t.Errorf("EnvelopeVerifier.Verify(consign envelope with a changed payload) = nil, want an error")
	}
}

// TestConsignEnvelopeKeyIDHintInterop: consign's envelopes must verify with
// the stock Go DSSE verifiers of the ecosystem, given nothing but the public
// key, as cosign's own envelopes (which carry an empty keyid) do.
//
// These verifiers narrow the keys they try by the signature's keyid when it
// is not empty (DSSE allows this: key ids are hints "agreed upon out-of-band"),
// each with its own key id scheme: sigstore's dsse.WrapVerifier and a
// go-securesystemslib verifier with no key id use the SSH SHA256 fingerprint,
// go-securesystemslib's signerverifier uses the securesystemslib key id.
// consign's SPKI key id matches none of them, so attest.SignPayload writes
// an empty keyid, as cosign and sigstore-go do; [TestDSSEKeyIDSchemesOfPeers]
// records which keyid each peer accepts.
func TestConsignEnvelopeKeyIDHintInterop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	kf := consignKey(t, dir, "ci", sign.ECDSAP256)
	env, err := attest.SignStatement(testStatement(t), kf.Signer)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	var sslEnv ssldsse.Envelope
	if err := json.Unmarshal(raw, &sslEnv); err != nil {
		t.Fatal(err)
	}
	ecPub := kf.Public.(*ecdsa.PublicKey)

	sslibKey, err := signerverifier.LoadKey(readFile(t, kf.Pub))
	if err != nil {
		t.Fatalf("signerverifier.LoadKey(consign .pub) = %v", err)
	}
	sslibVerifier, err := signerverifier.NewECDSASignerVerifierFromSSLibKey(sslibKey)
	if err != nil {
		t.Fatal(err)
	}
	sigstoreVerifier, err := signature.LoadVerifier(kf.Public, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		verify func(raw []byte, env *ssldsse.Envelope) error
	}{
		{"sigstore-dsse-WrapVerifier", func(raw []byte, _ *ssldsse.Envelope) error {
			return sigdsse.WrapVerifier(sigstoreVerifier).VerifySignature(bytes.NewReader(raw), nil)
		}},
		{"securesystemslib-signerverifier-ecdsa", func(_ []byte, env *ssldsse.Envelope) error {
			ev, err := ssldsse.NewEnvelopeVerifier(sslibVerifier)
			if err != nil {
				return err
			}
			_, err = ev.Verify(context.Background(), env)
			return err
		}},
		{"securesystemslib-verifier-without-keyid", func(_ []byte, env *ssldsse.Envelope) error {
			ev, err := ssldsse.NewEnvelopeVerifier(ecdsaAdapter{pub: ecPub})
			if err != nil {
				return err
			}
			_, err = ev.Verify(context.Background(), env)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Control: the same signature with an empty keyid verifies, so
			// the hint is the only thing in the way.
			blank := sslEnv
			blank.Signatures = []ssldsse.Signature{{KeyID: "", Sig: sslEnv.Signatures[0].Sig}}
			blankRaw, err := json.Marshal(blank)
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.verify(blankRaw, &blank); err != nil {
				t.Fatalf("%s rejects consign's signature even without a keyid: %v", tt.name, err)
			}
			if err := tt.verify(raw, &sslEnv); err != nil {
				t.Errorf("%s(consign envelope, keyid %q) = %v, want nil (consign writes a keyid hint no other verifier shares)",
					tt.name, sslEnv.Signatures[0].KeyID, err)
			}
		})
	}
}
