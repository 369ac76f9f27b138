package tlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// Signer signs a log's checkpoints with its Ed25519 key; the key's name in
// the signed note is the log's origin.
type Signer struct {
	origin string
	priv   ed25519.PrivateKey
	note   note.Signer
	vkey   string
}

// NewSigner is the checkpoint signer of the log origin with key priv.
// origin must be a valid note key name: non-empty UTF-8 with no spaces and no '+'.
func NewSigner(origin string, priv ed25519.PrivateKey) (*Signer, error) {
	if !ValidOrigin(origin) {
		return nil, fmt.Errorf("%w: origin %q must be non-empty, with no spaces and no '+'", ErrMalformed, truncate(origin))
	}
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: not an Ed25519 private key", ErrMalformed)
	}
	vkey, err := note.NewEd25519VerifierKey(origin, priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return &Signer{origin: origin, priv: priv, vkey: vkey, note: noteSigner{v, priv}}, nil
}

type noteSigner struct {
	note.Verifier
	priv ed25519.PrivateKey
}

func (s noteSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }

// Origin is the log's origin line.
func (s *Signer) Origin() string { return s.origin }

// VerifierKey is the log's public key as a C2SP signed-note verifier key,
// "<origin>+<hex key hash>+<base64(0x01 || public key)>", the form
// [ParseVerifier] reads and users pin.
func (s *Signer) VerifierKey() string { return s.vkey }

// PublicKeyPEM is the log's public key as PKIX PEM, the form policies name keys in.
func (s *Signer) PublicKeyPEM() []byte {
	return []byte(NewKeyVerifier(s.priv.Public().(ed25519.PublicKey)).String())
}

// Verifier is the signer's own verifier, pinned to its origin.
func (s *Signer) Verifier() *Verifier {
	v, _ := ParseVerifier(s.vkey) // a key this package just made always parses
	return v
}

// Sign signs the checkpoint c, which must be of the signer's origin.
func (s *Signer) Sign(c Checkpoint) ([]byte, error) {
	if c.Origin != s.origin {
		return nil, fmt.Errorf("%w: checkpoint of %q signed by the key of %q", ErrOrigin, c.Origin, s.origin)
	}
	return note.Sign(&note.Note{Text: string(c.Marshal())}, s.note)
}

// Verifier checks checkpoints with a log's public key. A verifier read
// from a signed-note verifier key is pinned to the origin the key names; one
// made from a bare Ed25519 key (a PEM public key, as policies name keys)
// accepts whatever origin the log's signature names, as long as the
// signature line's name is the checkpoint's own origin.
type Verifier struct {
	origin string // "" when not pinned
	text   string // the key as given: a verifier key line, or PEM
	pub    ed25519.PublicKey
}

// ParseVerifier reads a log's public key: either one C2SP signed-note
// verifier key line, "<origin>+<hex key hash>+<base64(0x01 || Ed25519
// key)>" (pinning the origin), or a PEM "PUBLIC KEY" holding an Ed25519
// key (consign serve writes both: log.vkey and log.pub). A trailing newline
// is allowed. It returns an error wrapping [ErrMalformed] for anything else.
func ParseVerifier(text string) (*Verifier, error) {
	if strings.HasPrefix(strings.TrimSpace(text), "-----BEGIN") {
		return parsePEMVerifier(text)
	}
	vkey := strings.TrimSuffix(text, "\n")
	if len(vkey) > 1024 || strings.ContainsAny(vkey, " \t\r\n") {
		return nil, fmt.Errorf("%w: a log key is one line name+hash+key, or a PEM public key", ErrMalformed)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("%w: log key: %v", ErrMalformed, err)
	}
	// note accepts non-canonical base64; the pinned text must be the one encoding.
	_, rest, _ := strings.Cut(vkey, "+")
	_, k64, _ := strings.Cut(rest, "+")
	key, err := base64.StdEncoding.Strict().DecodeString(k64)
	if err != nil || len(key) != 1+ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: log key: key is not canonical base64 of an Ed25519 key", ErrMalformed)
	}
	// note takes the key hash in either case: one key has one text.
	if canonical, err := note.NewEd25519VerifierKey(v.Name(), key[1:]); err != nil || canonical != vkey {
		return nil, fmt.Errorf("%w: log key is not in its canonical text (lowercase hex key hash)", ErrMalformed)
	}
	return &Verifier{origin: v.Name(), text: vkey, pub: ed25519.PublicKey(key[1:])}, nil
}

// LoadVerifier reads a log's public key in either form [ParseVerifier]
// takes and pins it to one origin: a verifier key line names its own, and
// origin, when not "", must be the same ([ErrOrigin] otherwise); a PEM key
// names none, so origin pins it, and without one it is an error wrapping
// [ErrNoOrigin]. Every verifier it returns is pinned.
func LoadVerifier(text, origin string) (*Verifier, error) {
	v, err := ParseVerifier(text)
	if err != nil {
		return nil, err
	}
	switch {
	case v.origin != "" && origin != "" && origin != v.origin:
		return nil, fmt.Errorf("%w: the log key is for %q, not %q", ErrOrigin, v.origin, truncate(origin))
	case v.origin != "":
		return v, nil
	case origin == "":
		return nil, ErrNoOrigin
	case !ValidOrigin(origin):
		return nil, fmt.Errorf("%w: origin %q must be non-empty, with no spaces and no '+'", ErrMalformed, truncate(origin))
	}
	v.origin = origin
	return v, nil
}

func parsePEMVerifier(text string) (*Verifier, error) {
	block, rest := pem.Decode([]byte(text))
	if block == nil || block.Type != "PUBLIC KEY" || len(strings.TrimSpace(string(rest))) != 0 {
		return nil, fmt.Errorf("%w: log key: not one PEM PUBLIC KEY block", ErrMalformed)
	}
	key, ok := bytes.CutPrefix(block.Bytes, ed25519SPKIPrefix)
	if !ok || len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%w: log key: not Ed25519: a log key is an Ed25519 public key", ErrMalformed)
	}
	return NewKeyVerifier(ed25519.PublicKey(key)), nil
}

// ed25519SPKIPrefix is the DER of an Ed25519 SubjectPublicKeyInfo (RFC 8410)
// up to the 32 key bytes; DER has one encoding, so the prefix is exact.
var ed25519SPKIPrefix = []byte{0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00}

// NewKeyVerifier is the verifier of a log whose Ed25519 public key is pub,
// with no pinned origin.
func NewKeyVerifier(pub ed25519.PublicKey) *Verifier {
	der := append(append([]byte(nil), ed25519SPKIPrefix...), pub...)
	text := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	return &Verifier{text: text, pub: append(ed25519.PublicKey(nil), pub...)}
}

// Origin is the origin the key is pinned to, or "" when it is not.
func (v *Verifier) Origin() string { return v.origin }

// String is the key as given: the verifier key line, or the PEM.
func (v *Verifier) String() string { return v.text }

// PublicKey is the log's Ed25519 public key.
func (v *Verifier) PublicKey() ed25519.PublicKey { return v.pub }

// noteVerifier is the note verifier of the log's key under the name origin.
func (v *Verifier) noteVerifier(origin string) (note.Verifier, error) {
	vkey, err := note.NewEd25519VerifierKey(origin, v.pub)
	if err != nil {
		return nil, err
	}
	return note.NewVerifier(vkey)
}

// verifiers finds the log's key under any name (unless pinned) and the witnesses.
type verifiers struct {
	log       *Verifier
	witnesses []*Witness
}

func (vs verifiers) Verifier(name string, hash uint32) (note.Verifier, error) {
	for _, w := range vs.witnesses {
		if w.Name() == name && w.KeyHash() == hash {
			return w, nil
		}
	}
	if vs.log.origin == "" || vs.log.origin == name {
		if nv, err := vs.log.noteVerifier(name); err == nil && nv.KeyHash() == hash {
			return nv, nil
		}
	}
	return nil, &note.UnknownVerifierError{Name: name, KeyHash: hash}
}

// ValidOrigin reports whether s can be a log origin (and so a note key name).
func ValidOrigin(s string) bool {
	return s != "" && len(s) <= 256 && utf8.ValidString(s) && !strings.Contains(s, "+") &&
		strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) < 0
}
