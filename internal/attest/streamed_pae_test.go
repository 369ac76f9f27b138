package attest_test

import (
	"errors"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
)

// The signature is checked over PAE's head and the payload where it lies,
// not over a joined copy: flipping any one byte of the payload, or of the
// payload type the head is made from, must still fail, for every key kind
// (ECDSA hashes the two parts; pure Ed25519 joins them).
func TestVerifyEnvelopeStreamedPAEFlippedByte(t *testing.T) {
	for _, alg := range []string{"ecdsa", "ed25519"} {
		t.Run(alg, func(t *testing.T) {
			s := newSigner(t, alg)
			kr := keyring(t, s)
			env := signed(t, statement(t, attest.PredicateSLSAProvenance, "app v1", "lib v1"), s)
			if _, err := attest.VerifyEnvelope(env, kr, attest.VerifyOptions{}); err != nil {
				t.Fatalf("VerifyEnvelope(unchanged) = %v, want nil", err)
			}
			for i := range env.Payload {
				bad := *env
				bad.Payload = append([]byte(nil), env.Payload...)
				bad.Payload[i] ^= 0x01
				if _, err := attest.VerifyEnvelope(&bad, kr, attest.VerifyOptions{}); err == nil {
					t.Fatalf("payload byte %d flipped: VerifyEnvelope = nil, want an error", i)
				}
			}
			// One byte longer or shorter: the length in PAE's head is signed too.
			for _, p := range [][]byte{env.Payload[:len(env.Payload)-1], append(append([]byte(nil), env.Payload...), ' ')} {
				bad := *env
				bad.Payload = p
				if _, err := attest.VerifyEnvelope(&bad, kr, attest.VerifyOptions{}); !errors.Is(err, attest.ErrSignature) {
					t.Errorf("payload of %d bytes (signed %d): VerifyEnvelope = %v, want ErrSignature", len(p), len(env.Payload), err)
				}
			}
			bad := *env
			bad.PayloadType = "application/vnd.in-toto.x+json"
			if _, err := attest.VerifyEnvelope(&bad, kr, attest.VerifyOptions{}); !errors.Is(err, attest.ErrSignature) {
				t.Errorf("another payloadType: VerifyEnvelope = %v, want ErrSignature", err)
			}
		})
	}
}

// The zero-copy subject count before the signature check must not let a
// signed statement with a duplicate key through: the strict parse after it
// still refuses one.
func TestVerifyEnvelopeDuplicateKeysAfterPrecheck(t *testing.T) {
	s := newSigner(t, "ecdsa")
	kr := keyring(t, s)
	d := sha256Set([]byte("app"))["sha256"]
	for name, payload := range map[string]string{
		"subject twice":    `{"_type":"https://in-toto.io/Statement/v1","predicateType":"p","subject":[{"name":"a","digest":{"sha256":"` + d + `"}}],"subject":[]}`,
		"digest key twice": `{"_type":"https://in-toto.io/Statement/v1","predicateType":"p","subject":[{"name":"a","digest":{"sha256":"` + d + `","sha256":"` + d + `"}}]}`,
		"name twice":       `{"_type":"https://in-toto.io/Statement/v1","predicateType":"p","subject":[{"name":"a","name":"b","digest":{"sha256":"` + d + `"}}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			env := signedPayload(t, attest.PayloadType, []byte(payload), s)
			if _, err := attest.VerifyEnvelope(env, kr, attest.VerifyOptions{}); !errors.Is(err, attest.ErrMalformed) {
				t.Errorf("VerifyEnvelope = %v, want ErrMalformed", err)
			}
		})
	}
}
