package sign

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"sync"
)

// Signer signs messages with one private key.
type Signer struct {
	key crypto.Signer
	id  string
}

// NewSigner wraps key, which must pass [CheckPublicKey].
func NewSigner(key crypto.Signer) (*Signer, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: no key", ErrInvalidKey)
	}
	if err := CheckPublicKey(key.Public()); err != nil {
		return nil, err
	}
	id, err := KeyID(key.Public())
	if err != nil {
		return nil, err
	}
	return &Signer{key: key, id: id}, nil
}

// KeyID is the id of the signer's public key.
func (s *Signer) KeyID() string { return s.id }

// Public is the signer's public key.
func (s *Signer) Public() crypto.PublicKey { return s.key.Public() }

// PrivateKey returns the wrapped key, for callers that must hand it to
// another library (in-toto-golang's legacy link signing).
func (s *Signer) PrivateKey() crypto.Signer { return s.key }

// Sign signs msg (see the package doc for what each algorithm signs).
func (s *Signer) Sign(msg []byte) ([]byte, error) {
	switch k := s.key.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(k, msg), nil
	case *ecdsa.PrivateKey:
		h, _ := ecdsaHash(k.Curve)
		d := sum(h, msg)
		return ecdsa.SignASN1(rand.Reader, k, d)
	case *rsa.PrivateKey:
		d := sha256.Sum256(msg)
		return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	default:
		// A crypto.Signer of another kind (a KMS or token, later): let it choose.
		d := sha256.Sum256(msg)
		return s.key.Sign(rand.Reader, d[:], crypto.SHA256)
	}
}

// SignPrefixed signs prefix followed by msg, as [Signer.Sign] signs their
// concatenation, without copying them into one buffer where the algorithm
// signs a digest (ECDSA, RSA): a DSSE payload of hundreds of megabytes is
// then hashed where it lies. Pure Ed25519 signs the message itself, so for
// it the two are joined.
func (s *Signer) SignPrefixed(prefix, msg []byte) ([]byte, error) {
	switch k := s.key.(type) {
	case *ecdsa.PrivateKey:
		h, _ := ecdsaHash(k.Curve)
		return ecdsa.SignASN1(rand.Reader, k, sum(h, prefix, msg))
	case *rsa.PrivateKey:
		return rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, sum(sha256.New, prefix, msg))
	case ed25519.PrivateKey:
		return s.Sign(append(append(make([]byte, 0, len(prefix)+len(msg)), prefix...), msg...))
	default:
		return s.key.Sign(rand.Reader, sum(sha256.New, prefix, msg), crypto.SHA256)
	}
}

// Verifier verifies signatures made by one public key. It is immutable and
// safe for concurrent use (security case 16 in docs/security.md).
type Verifier struct {
	pub crypto.PublicKey
	id  string
	ed  *edKey // set by Precomputed
}

// NewVerifier wraps pub, which must pass [CheckPublicKey].
func NewVerifier(pub crypto.PublicKey) (*Verifier, error) {
	if err := CheckPublicKey(pub); err != nil {
		return nil, err
	}
	id, err := KeyID(pub)
	if err != nil {
		return nil, err
	}
	return &Verifier{pub: pub, id: id}, nil
}

// Precomputed returns a verifier of the same key that checks pure Ed25519
// signatures from 96 KiB of multiples of the key made once, in about 0.35x
// the CPU of a check by [ed25519.Verify] (for a server that checks many
// signatures by few keys); it accepts exactly the signatures v accepts. For
// other keys, or in FIPS 140-3 mode, it returns v.
func (v *Verifier) Precomputed() *Verifier {
	k, ok := v.pub.(ed25519.PublicKey)
	if !ok || v.ed != nil {
		return v
	}
	e := newEdKey(k)
	if e == nil {
		return v
	}
	return &Verifier{pub: v.pub, id: v.id, ed: e}
}

// KeyID is the id of the verifier's public key.
func (v *Verifier) KeyID() string { return v.id }

// Public is the verifier's public key.
func (v *Verifier) Public() crypto.PublicKey { return v.pub }

// Verify checks that sig is a signature over msg by the verifier's key. It
// returns nil or an error wrapping [ErrBadSignature]; it never panics on any
// sig, whatever its length or content.
func (v *Verifier) Verify(msg, sig []byte) error {
	return v.VerifyMessage(NewMessage(msg), sig)
}

// Message is a message that many signatures are checked over. It hashes the
// message at most once per algorithm, so that checking k keys against n
// signatures costs k*n signature checks, not k*n hashes of a large payload.
// It is safe for concurrent use.
type Message struct {
	prefix, msg []byte
	mu          sync.Mutex
	sums        map[crypto.Hash][]byte
	joined      []byte // prefix+msg, made only for a pure Ed25519 check
}

// NewMessage wraps msg, which must not change afterwards.
func NewMessage(msg []byte) *Message { return &Message{msg: msg} }

// NewPrefixedMessage is the message prefix+msg without joining them: ECDSA
// and RSA hash the two where they lie, so a large msg (a DSSE payload after
// its short PAE head) is not copied; only a pure Ed25519 check, which needs
// the message itself, joins them, once. Neither may change afterwards.
func NewPrefixedMessage(prefix, msg []byte) *Message {
	return &Message{prefix: prefix, msg: msg}
}

// whole is the message as one slice.
func (m *Message) whole() []byte {
	if len(m.prefix) == 0 {
		return m.msg
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.joined == nil {
		m.joined = append(append(make([]byte, 0, len(m.prefix)+len(m.msg)), m.prefix...), m.msg...)
	}
	return m.joined
}

func (m *Message) sum(h crypto.Hash) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d, ok := m.sums[h]; ok {
		return d
	}
	x := h.New()
	x.Write(m.prefix)
	x.Write(m.msg)
	d := x.Sum(nil)
	if m.sums == nil {
		m.sums = map[crypto.Hash][]byte{}
	}
	m.sums[h] = d
	return d
}

// VerifyMessage is [Verifier.Verify] over a [Message].
func (v *Verifier) VerifyMessage(m *Message, sig []byte) error {
	if len(sig) == 0 {
		return fmt.Errorf("%w: empty signature", ErrBadSignature)
	}
	ok := false
	switch k := v.pub.(type) {
	case ed25519.PublicKey:
		ok = len(sig) == ed25519.SignatureSize && (v.verifyPure(k, m, sig) ||
			ed25519.VerifyWithOptions(k, m.sum(crypto.SHA512), sig, &ed25519.Options{Hash: crypto.SHA512}) == nil)
	case *ecdsa.PublicKey:
		_, h := ecdsaHash(k.Curve)
		ok = ecdsa.VerifyASN1(k, m.sum(h), sig)
	case *rsa.PublicKey:
		d := m.sum(crypto.SHA256)
		ok = rsa.VerifyPKCS1v15(k, crypto.SHA256, d, sig) == nil ||
			rsa.VerifyPSS(k, crypto.SHA256, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}

// verifyPure is ed25519.Verify of m's message, from v's table if it has one.
func (v *Verifier) verifyPure(k ed25519.PublicKey, m *Message, sig []byte) bool {
	if v.ed != nil {
		return v.ed.verify(m.prefix, m.msg, sig)
	}
	return ed25519.Verify(k, m.whole(), sig)
}

// VerifyDigest checks a signature made over a precomputed digest of a
// message (cosign's and Sigstore's signatures over a blob): h is the hash
// that made digest. ECDSA and RSA verify over it directly; Ed25519 can only
// have signed a digest as Ed25519ph, which needs SHA-512.
func (v *Verifier) VerifyDigest(h crypto.Hash, digest, sig []byte) error {
	if !h.Available() || len(digest) != h.Size() || len(sig) == 0 {
		return fmt.Errorf("%w: wrong digest or signature size", ErrBadSignature)
	}
	ok := false
	switch k := v.pub.(type) {
	case ed25519.PublicKey:
		ok = h == crypto.SHA512 && len(sig) == ed25519.SignatureSize &&
			ed25519.VerifyWithOptions(k, digest, sig, &ed25519.Options{Hash: crypto.SHA512}) == nil
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(k, digest, sig)
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(k, h, digest, sig) == nil ||
			rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}) == nil
	}
	if !ok {
		return ErrBadSignature
	}
	return nil
}

// ecdsaHash is the hash sigstore pairs with each curve.
func ecdsaHash(c elliptic.Curve) (func() hash.Hash, crypto.Hash) {
	switch c {
	case elliptic.P384():
		return sha512.New384, crypto.SHA384
	case elliptic.P521():
		return sha512.New, crypto.SHA512
	default:
		return sha256.New, crypto.SHA256
	}
}

// sum is the digest of the concatenation of msgs.
func sum(h func() hash.Hash, msgs ...[]byte) []byte {
	x := h()
	for _, m := range msgs {
		x.Write(m)
	}
	return x.Sum(nil)
}
