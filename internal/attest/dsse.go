package attest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/consign-dev/consign/internal/limits"
)

// PayloadType is the DSSE payloadType of an in-toto Statement.
const PayloadType = "application/vnd.in-toto+json"

// Envelope is a DSSE envelope
// (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md).
// Payload holds the decoded bytes; JSON marshalling base64-encodes it.
type Envelope struct {
	PayloadType string      `json:"payloadType"`
	Payload     []byte      `json:"payload"`
	Signatures  []Signature `json:"signatures"`
}

// Signature is one DSSE signature. KeyID is an unauthenticated hint.
type Signature struct {
	KeyID string `json:"keyid"`
	Sig   []byte `json:"sig"`
}

// MarshalJSON writes the envelope with standard base64, keyid always present.
func (e *Envelope) MarshalJSON() ([]byte, error) {
	type sig struct {
		KeyID string `json:"keyid"`
		Sig   string `json:"sig"`
	}
	out := struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []sig  `json:"signatures"`
	}{e.PayloadType, base64.StdEncoding.EncodeToString(e.Payload), make([]sig, 0, len(e.Signatures))}
	for _, s := range e.Signatures {
		out.Signatures = append(out.Signatures, sig{s.KeyID, base64.StdEncoding.EncodeToString(s.Sig)})
	}
	return json.Marshal(out)
}

// PAE is DSSE's pre-authentication encoding of payloadType and payload:
// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes
// as ASCII decimal. Signatures are made over PAE, never over the payload.
func PAE(payloadType string, payload []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(payloadType) + len(payload) + 32)
	b.WriteString("DSSEv1 ")
	b.WriteString(strconv.Itoa(len(payloadType)))
	b.WriteByte(' ')
	b.WriteString(payloadType)
	b.WriteByte(' ')
	b.WriteString(strconv.Itoa(len(payload)))
	b.WriteByte(' ')
	b.Write(payload)
	return b.Bytes()
}

// ParseEnvelope reads one DSSE envelope strictly: [CheckJSON] first, exact
// field names, payloadType and payload required, payload and signatures in
// canonical base64. Signatures that are not canonical base64 are not an error
// here: they are dropped and counted in the result's Malformed field, so that
// one garbage signature can neither make nor break a verdict (SECURITY-CASES 56).
// It returns an error wrapping [ErrMalformed] or [ErrPayloadType].
func ParseEnvelope(b []byte) (*Envelope, int, error) {
	if len(b) > limits.Envelope {
		return nil, 0, fmt.Errorf("%w: envelope of %d bytes", limits.ErrTooLarge, len(b))
	}
	if err := CheckJSON(b); err != nil {
		return nil, 0, err
	}
	return parseEnvelopeChecked(b)
}

// parseEnvelopeChecked is ParseEnvelope for bytes that CheckJSON already
// accepted (as a whole document or as part of one).
func parseEnvelopeChecked(b []byte) (*Envelope, int, error) {
	if len(b) > limits.Envelope {
		return nil, 0, fmt.Errorf("%w: envelope of %d bytes", limits.ErrTooLarge, len(b))
	}
	m, err := object(b, "envelope", "payloadType", "payload", "signatures")
	if err != nil {
		return nil, 0, err
	}
	pt, ok, err := stringField(m, "payloadType", "envelope")
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, fmt.Errorf("%w: envelope has no payloadType", ErrMalformed)
	}
	p64, ok, err := stringField(m, "payload", "envelope")
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, fmt.Errorf("%w: envelope has no payload", ErrMalformed)
	}
	payload, err := decodeBase64(p64)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	env := &Envelope{PayloadType: pt, Payload: payload}
	var raws []json.RawMessage
	if rs, ok := m["signatures"]; ok {
		if raws, err = array(rs); err != nil {
			return nil, 0, fmt.Errorf("%w: signatures is not an array", ErrMalformed)
		}
	}
	if len(raws) > limits.Signatures {
		return nil, 0, fmt.Errorf("%w: %d signatures (at most %d)", ErrMalformed, len(raws), limits.Signatures)
	}
	malformed := 0
	for _, raw := range raws {
		sm, err := object(raw, "signature", "keyid", "sig")
		if err != nil {
			malformed++
			continue
		}
		kid, _, err1 := stringField(sm, "keyid", "signature")
		s64, ok, err2 := stringField(sm, "sig", "signature")
		if err1 != nil || err2 != nil || !ok {
			malformed++
			continue
		}
		sig, err := decodeBase64(s64)
		if err != nil || len(sig) == 0 {
			malformed++
			continue
		}
		env.Signatures = append(env.Signatures, Signature{KeyID: kid, Sig: sig})
	}
	if len(env.Signatures) == 0 {
		if malformed > 0 {
			return nil, malformed, fmt.Errorf("%w: none of its %d signatures is well-formed", ErrNoSignature, malformed)
		}
		return nil, 0, ErrNoSignature
	}
	return env, malformed, nil
}

// decodeBase64 accepts what DSSE allows (standard or URL-safe alphabet,
// padded or not) but only in its canonical form: no line breaks, no
// non-zero trailing bits (SECURITY-CASES 57). Identity is always taken from
// the decoded bytes, never from the encoding.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n \t") {
		return nil, fmt.Errorf("base64 contains white space")
	}
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	b, err := enc.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("invalid base64")
	}
	return b, nil
}

// CheckPayloadType accepts in-toto's payload types only: the generic one and
// "application/vnd.in-toto.<name>+json" (in-toto attestation spec v1, envelope.md).
// It runs before the payload is parsed (SECURITY-CASES 54).
func CheckPayloadType(pt string) error {
	if pt == PayloadType {
		return nil
	}
	if name, ok := strings.CutPrefix(pt, "application/vnd.in-toto."); ok {
		if name, ok = strings.CutSuffix(name, "+json"); ok && name != "" && !strings.ContainsAny(name, "/+ ") {
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrPayloadType, pt)
}
