package tlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// algCosignatureV1 is the signed-note algorithm byte of C2SP tlog-cosignature/v1.
const algCosignatureV1 = 0x04

// Witness verifies C2SP tlog-cosignature/v1 cosignatures on checkpoints: a
// witness's Ed25519 signature over "cosignature/v1\ntime <T>\n" followed by
// the checkpoint body, where T is the time it cosigned (seconds since the
// Unix epoch), carried in the signature as 8 big-endian bytes before the
// 64-byte signature. It implements note.Verifier.
type Witness struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

// ParseWitness reads a witness's verifier key,
// "<name>+<hex key hash>+<base64(0x04 || Ed25519 key)>", in its one
// canonical text (lowercase hex, canonical base64, no line breaks inside); a
// trailing newline is allowed.
func ParseWitness(vkey string) (*Witness, error) {
	vkey = strings.TrimSuffix(vkey, "\n")
	name, rest, _ := strings.Cut(vkey, "+")
	h16, k64, _ := strings.Cut(rest, "+")
	h, err1 := strconv.ParseUint(h16, 16, 32)
	key, err2 := base64.StdEncoding.Strict().DecodeString(k64)
	if !ValidOrigin(name) || len(h16) != 8 || err1 != nil || err2 != nil || len(key) != 1+ed25519.PublicKeySize || key[0] != algCosignatureV1 {
		return nil, fmt.Errorf("%w: witness key is not name+hash+base64(0x04 || Ed25519 key)", ErrMalformed)
	}
	w := &Witness{name: name, pub: ed25519.PublicKey(key[1:])}
	if w.hash = cosignatureKeyHash(name, w.pub); w.hash != uint32(h) {
		return nil, fmt.Errorf("%w: witness key hash does not match its key", ErrMalformed)
	}
	// Go's base64 skips line breaks and ParseUint takes either case: one
	// key has one text.
	if vkey != w.verifierKey() {
		return nil, fmt.Errorf("%w: witness key is not in its canonical text", ErrMalformed)
	}
	return w, nil
}

func cosignatureKeyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', algCosignatureV1})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

func cosignedMessage(t uint64, body []byte) []byte {
	return append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), body...)
}

// Name is the witness's name.
func (w *Witness) Name() string { return w.name }

// KeyHash is the witness key's hash.
func (w *Witness) KeyHash() uint32 { return w.hash }

// Verify checks one cosignature (timestamp and signature) over the note text msg.
func (w *Witness) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	return ed25519.Verify(w.pub, cosignedMessage(t, msg), sig[8:])
}

// Cosigner makes tlog-cosignature/v1 cosignatures: what a witness does
// after checking a checkpoint is consistent with the last one it saw.
type Cosigner struct {
	Witness
	priv ed25519.PrivateKey
	now  func() time.Time
}

// NewCosigner is the cosigner named name with key priv; now gives the cosignature time.
func NewCosigner(name string, priv ed25519.PrivateKey, now func() time.Time) (*Cosigner, error) {
	if !ValidOrigin(name) || len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: witness name or key", ErrMalformed)
	}
	pub := priv.Public().(ed25519.PublicKey)
	return &Cosigner{Witness: Witness{name: name, hash: cosignatureKeyHash(name, pub), pub: pub}, priv: priv, now: now}, nil
}

// VerifierKey is the witness's verifier key, for [ParseWitness].
func (c *Cosigner) VerifierKey() string { return c.verifierKey() }

func (w *Witness) verifierKey() string {
	return fmt.Sprintf("%s+%08x+%s", w.name, w.hash, base64.StdEncoding.EncodeToString(append([]byte{algCosignatureV1}, w.pub...)))
}

// Sign makes a cosignature over the note text msg.
func (c *Cosigner) Sign(msg []byte) ([]byte, error) {
	t := uint64(c.now().Unix())
	out := binary.BigEndian.AppendUint64(nil, t)
	return append(out, ed25519.Sign(c.priv, cosignedMessage(t, msg))...), nil
}

// Cosign adds the witness's cosignature to the signed checkpoint signed,
// after checking the log's signature on it with log.
func (c *Cosigner) Cosign(signed []byte, log *Verifier) ([]byte, error) {
	if _, err := OpenCheckpoint(signed, log, CheckpointOptions{}); err != nil {
		return nil, err
	}
	n, err := note.Open(signed, verifiers{log: log})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	out, err := note.Sign(n, c)
	if err != nil {
		return nil, fmt.Errorf("%w: cosigning: %v", ErrMalformed, err)
	}
	return out, nil
}
