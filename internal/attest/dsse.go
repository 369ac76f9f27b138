package attest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/strictjson"
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
	return e.AppendJSON(make([]byte, 0, e.JSONSize())), nil
}

// PAE is DSSE's pre-authentication encoding of payloadType and payload:
// "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes
// as ASCII decimal. Signatures are made over PAE, never over the payload.
func PAE(payloadType string, payload []byte) []byte {
	return AppendPAE(make([]byte, 0, len(payloadType)+len(payload)+32), payloadType, payload)
}

// AppendPAE appends [PAE](payloadType, payload) to dst and returns the
// extended slice, so that a caller can reuse one buffer.
func AppendPAE(dst []byte, payloadType string, payload []byte) []byte {
	return append(appendPAEHead(dst, payloadType, len(payload)), payload...)
}

// PAESum is the SHA-256 digest of [PAE](payloadType, payload), hashed
// without joining them: a payload of hundreds of megabytes is not copied.
func PAESum(payloadType string, payload []byte) [sha256.Size]byte {
	h := sha256.New()
	h.Write(appendPAEHead(nil, payloadType, len(payload)))
	h.Write(payload)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// PAEMessage is [PAE](payloadType, payload) as a message to check
// signatures over, without copying payload: its hash is computed over the
// PAE head and then the payload where it lies (only a pure Ed25519 check
// joins them). The signature is checked over exactly the bytes of payload
// that are then parsed.
func PAEMessage(payloadType string, payload []byte) *sign.Message {
	return sign.NewPrefixedMessage(appendPAEHead(nil, payloadType, len(payload)), payload)
}

// appendPAEHead appends what PAE puts before a payload of n bytes.
func appendPAEHead(dst []byte, payloadType string, n int) []byte {
	dst = append(dst, "DSSEv1 "...)
	dst = strconv.AppendInt(dst, int64(len(payloadType)), 10)
	dst = append(dst, ' ')
	dst = append(dst, payloadType...)
	dst = append(dst, ' ')
	dst = strconv.AppendInt(dst, int64(n), 10)
	return append(dst, ' ')
}

// ParseEnvelope reads one DSSE envelope strictly: [CheckJSON] first, exact
// field names, payloadType and payload required, payload and signatures in
// canonical base64. Signatures that are not canonical base64 are not an error
// here: they are dropped and counted in the result's Malformed field, so that
// one garbage signature can neither make nor break a verdict (security case 56 in docs/security.md).
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
	m, err := fields(b, "envelope", "payloadType", "payload", "signatures")
	if err != nil {
		return nil, 0, err
	}
	pt, ok, err := fieldString(m, "payloadType", "envelope")
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return nil, 0, fmt.Errorf("%w: envelope has no payloadType", ErrMalformed)
	}
	payload, err := base64Field(m, "payload", "envelope")
	if err != nil {
		return nil, 0, err
	}
	env := &Envelope{PayloadType: pt, Payload: payload}
	var raws []json.RawMessage
	if rs, ok := m.Get("signatures"); ok {
		if raws, err = array(rs); err != nil {
			return nil, 0, fmt.Errorf("%w: signatures is not an array", ErrMalformed)
		}
	}
	if len(raws) > limits.Signatures {
		return nil, 0, fmt.Errorf("%w: %d signatures (at most %d)", ErrMalformed, len(raws), limits.Signatures)
	}
	malformed := 0
	for _, raw := range raws {
		var buf [2]strictjson.Field
		sm, ok := strictjson.SplitFields(raw, sigKeys, buf[:0])
		if ok {
			ok = strictjson.CheckKnown(sm, "signature", sigKeys) == nil
		} else {
			sm, err = fields(raw, "signature", sigKeys...)
			ok = err == nil
		}
		if !ok {
			malformed++
			continue
		}
		kid, _, err1 := fieldString(sm, "keyid", "signature")
		s64, ok, err2 := fieldString(sm, "sig", "signature")
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

// sigKeys are the fields of a DSSE signature.
var sigKeys = []string{"keyid", "sig"}

// base64Field decodes the string fs[key] as [decodeBase64] does, without
// copying the string first when it holds no escape. A missing field is an
// error.
func base64Field(fs strictjson.Fields, key, what string) ([]byte, error) {
	raw, ok := fs.Get(key)
	if !ok {
		return nil, fmt.Errorf("%w: %s has no %s", ErrMalformed, what, key)
	}
	var b []byte
	var err error
	if inner, plain, isString := strictjson.Literal(raw); isString && plain {
		b, err = decodeBase64Bytes(inner)
	} else {
		var s string
		if s, _, err = stringValue(raw, true, key, what); err != nil {
			return nil, err
		}
		b, err = decodeBase64(s)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrMalformed, key, err)
	}
	return b, nil
}

// The four encodings DSSE allows, strict: canonical only.
var (
	stdStrict      = base64.StdEncoding.Strict()
	rawStdStrict   = base64.RawStdEncoding.Strict()
	urlStrict      = base64.URLEncoding.Strict()
	rawURLStrict   = base64.RawURLEncoding.Strict()
	errBase64Space = errors.New("base64 contains white space")
	errBase64      = errors.New("invalid base64")
)

// The classes of bytes base64Encoding tells apart.
const (
	base64Space = 1 << iota // white space, which encoding/base64 would skip
	base64URL               // "-" or "_", of the URL-safe alphabet
)

var base64Class = func() (t [256]byte) {
	for _, c := range "\r\n \t" {
		t[c] = base64Space
	}
	t['-'], t['_'] = base64URL, base64URL
	return t
}()

// base64Encoding picks the encoding of b: the URL-safe alphabet if it
// holds "-" or "_", unpadded if its length is no multiple of 4. White
// space is refused.
func base64Encoding[T string | []byte](b T) (*base64.Encoding, error) {
	// One table lookup per byte, without a branch: payloads are large.
	var class byte
	for i := 0; i < len(b); i++ {
		class |= base64Class[b[i]]
	}
	if class&base64Space != 0 {
		return nil, errBase64Space
	}
	url := class&base64URL != 0
	switch {
	case url && len(b)%4 != 0:
		return rawURLStrict, nil
	case url:
		return urlStrict, nil
	case len(b)%4 != 0:
		return rawStdStrict, nil
	}
	return stdStrict, nil
}

// decodeBase64 accepts what DSSE allows (standard or URL-safe alphabet,
// padded or not) but only in its canonical form: no line breaks, no
// non-zero trailing bits (security case 57 in docs/security.md). Identity is always taken from
// the decoded bytes, never from the encoding.
func decodeBase64(s string) ([]byte, error) {
	enc, err := base64Encoding(s)
	if err != nil {
		return nil, err
	}
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, errBase64
	}
	return b, nil
}

// decodeBase64Bytes is [decodeBase64] for bytes.
func decodeBase64Bytes(src []byte) ([]byte, error) {
	enc, err := base64Encoding(src)
	if err != nil {
		return nil, err
	}
	b := make([]byte, enc.DecodedLen(len(src)))
	n, err := enc.Decode(b, src)
	if err != nil {
		return nil, errBase64
	}
	return b[:n], nil
}

// CheckPayloadType accepts in-toto's payload types only: the generic one and
// "application/vnd.in-toto.<name>+json" (in-toto attestation spec v1,
// envelope.md), where the whole subtype is an RFC 6838 restricted name: at
// most 127 characters, and <name> starts with a letter or digit and holds
// only letters, digits and "!#$&-^_." ("+" would be a second suffix; no
// control character, space, quote or non-ASCII letter). It runs before the
// payload is parsed.
func CheckPayloadType(pt string) error {
	if pt == PayloadType {
		return nil
	}
	if name, ok := strings.CutPrefix(pt, "application/vnd.in-toto."); ok {
		if name, ok = strings.CutSuffix(name, "+json"); ok && restrictedName(name) &&
			len("vnd.in-toto.")+len(name)+len("+json") <= 127 {
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrPayloadType, pt)
}

// restrictedName reports whether s is non-empty, starts with an ASCII
// letter or digit and holds only RFC 6838 restricted-name characters
// other than "+".
func restrictedName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || !strings.ContainsRune("!#$&-^_.", rune(c))) {
			return false
		}
	}
	return s != ""
}
