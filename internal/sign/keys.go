package sign

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"

	"filippo.io/edwards25519"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// PEM block types.
const (
	PEMSigstoreEncrypted = "ENCRYPTED SIGSTORE PRIVATE KEY"
	PEMCosignEncrypted   = "ENCRYPTED COSIGN PRIVATE KEY"
	PEMPrivate           = "PRIVATE KEY"
	PEMECPrivate         = "EC PRIVATE KEY"
	PEMRSAPrivate        = "RSA PRIVATE KEY"
	PEMPublic            = "PUBLIC KEY"
	PEMCertificate       = "CERTIFICATE"
)

// Algorithm names accepted by [Generate].
const (
	ECDSAP256 = "ecdsa-p256"
	Ed25519   = "ed25519"
)

// PassFunc returns the password for an encrypted private key. confirm asks
// for it twice where a person types it (when a new key is written).
type PassFunc func(confirm bool) ([]byte, error)

// Generate makes a new private key: [ECDSAP256] (the default when alg is
// empty) or [Ed25519].
func Generate(alg string) (crypto.Signer, error) {
	switch alg {
	case "", ECDSAP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case Ed25519:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	default:
		return nil, fmt.Errorf("%w: key algorithm %q (use %s or %s)", ErrUnsupportedKey, alg, ECDSAP256, Ed25519)
	}
}

// MarshalPrivateKey returns priv in cosign's encrypted PEM format, sealed with password.
func MarshalPrivateKey(priv crypto.Signer, password []byte) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	sealed, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, fmt.Errorf("encrypting private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PEMSigstoreEncrypted, Bytes: sealed}), nil
}

// MarshalPrivateKeyUnencryptedUnsafe returns priv as plain PKCS #8 PEM. Anyone
// who can read the result can sign as its owner.
func MarshalPrivateKeyUnencryptedUnsafe(priv crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encoding private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PEMPrivate, Bytes: der}), nil
}

// MarshalPublicKey returns pub as PKIX PEM ("PUBLIC KEY").
func MarshalPublicKey(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encoding public key: %w", err)
	}
	return encodePEM(PEMPublic, der), nil
}

// encodePEM is pem.EncodeToMemory for a block without headers, in one
// allocation: the same bytes (lines of 64 base64 characters).
func encodePEM(typ string, der []byte) []byte {
	const line = 64
	n := base64.StdEncoding.EncodedLen(len(der))
	out := make([]byte, 0, len("-----BEGIN -----\n-----END -----\n")+2*len(typ)+n+(n+line-1)/line)
	out = append(out, "-----BEGIN "...)
	out = append(out, typ...)
	out = append(out, "-----\n"...)
	var tmp [1024]byte
	b64 := base64.StdEncoding.AppendEncode(tmp[:0], der)
	for len(b64) > 0 {
		k := min(line, len(b64))
		out = append(out, b64[:k]...)
		out = append(out, '\n')
		b64 = b64[k:]
	}
	out = append(out, "-----END "...)
	out = append(out, typ...)
	return append(out, "-----\n"...)
}

// p256SPKIPrefix is the DER SubjectPublicKeyInfo of an ECDSA P-256 key up to
// its uncompressed point (id-ecPublicKey, prime256v1, a 66-byte BIT STRING).
var p256SPKIPrefix = []byte{
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
}

// ParseVerifier reads a public key as [ParsePublicKey] does and returns its
// [Verifier] and the key as [MarshalPublicKey] writes it. It encodes the key
// once for both (the key id is the SHA-256 of that encoding) and, for a
// P-256 key already in that encoding (the usual case), not at all. Its
// errors are ParsePublicKey's.
func ParseVerifier(data []byte) (*Verifier, []byte, error) {
	pub, block, err := parsePublicKey(data)
	if err != nil {
		return nil, nil, err
	}
	der := block.Bytes
	if k, ok := pub.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P256() || block.Type != PEMPublic ||
		len(der) != len(p256SPKIPrefix)+64 || !bytes.HasPrefix(der, p256SPKIPrefix) {
		// x509 parsed these very bytes, and a P-256 point has one
		// uncompressed encoding, so only other keys need encoding again.
		if der, err = x509.MarshalPKIXPublicKey(pub); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
		}
	}
	sum := sha256.Sum256(der)
	return &Verifier{pub: pub, id: hex.EncodeToString(sum[:])}, encodePEM(PEMPublic, der), nil
}

// KeyID returns the lowercase hex SHA-256 of pub's DER SubjectPublicKeyInfo.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:]), nil
}

// ParsePrivateKey reads a private key from PEM. Encrypted keys (cosign's and
// sigstore's block types) are opened with the password from pass, which is
// called only for them. It returns [ErrNotPrivateKey] for a public key or
// certificate, [ErrWrongPassword] when the key does not open, and
// [ErrUnsupportedKey] for a key of a refused algorithm or size.
func ParsePrivateKey(data []byte, pass PassFunc) (crypto.Signer, error) {
	block, err := onePEM(data)
	if err != nil {
		return nil, err
	}
	var key any
	switch block.Type {
	case PEMSigstoreEncrypted, PEMCosignEncrypted:
		if pass == nil {
			return nil, ErrNoPassword
		}
		pw, err := pass(false)
		if err != nil {
			return nil, err
		}
		der, err := encrypted.Decrypt(block.Bytes, pw)
		if err != nil {
			// go-securesystemslib reports a wrong password and a corrupted
			// box alike ("decryption failed"); a malformed container is a
			// JSON or KDF error. Tell the two apart for the user.
			if bytes.Contains([]byte(err.Error()), []byte("decryption failed")) {
				return nil, ErrWrongPassword
			}
			return nil, fmt.Errorf("%w: encrypted key is malformed: %v", ErrInvalidKey, err)
		}
		key, err = x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return nil, fmt.Errorf("%w: decrypted key is not PKCS #8: %v", ErrInvalidKey, err)
		}
	case PEMPrivate:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case PEMECPrivate:
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case PEMRSAPrivate:
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case PEMPublic, PEMCertificate, "RSA PUBLIC KEY":
		return nil, ErrNotPrivateKey
	default:
		return nil, fmt.Errorf("%w: unknown PEM block type %q", ErrInvalidKey, block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnsupportedKey, key)
	}
	if err := CheckPublicKey(signer.Public()); err != nil {
		return nil, err
	}
	return signer, nil
}

// CheckEncryptedPrivateKey checks, without a password, that data is a
// well-formed encrypted private key in cosign's format (PEM type, scrypt
// KDF, NaCl secretbox cipher, salt, nonce and ciphertext present).
func CheckEncryptedPrivateKey(data []byte) error {
	block, err := onePEM(data)
	if err != nil {
		return err
	}
	if block.Type != PEMSigstoreEncrypted && block.Type != PEMCosignEncrypted {
		return fmt.Errorf("%w: PEM block type %q is not an encrypted private key", ErrInvalidKey, block.Type)
	}
	var box struct {
		KDF struct {
			Name   string          `json:"Name"`
			Params json.RawMessage `json:"Params"`
			Salt   []byte          `json:"Salt"`
		} `json:"kdf"`
		Cipher struct {
			Name  string `json:"Name"`
			Nonce []byte `json:"Nonce"`
		} `json:"cipher"`
		Ciphertext []byte `json:"ciphertext"`
	}
	if err := json.Unmarshal(block.Bytes, &box); err != nil {
		return fmt.Errorf("%w: encrypted key container: %v", ErrInvalidKey, err)
	}
	if box.KDF.Name != "scrypt" || box.Cipher.Name != "nacl/secretbox" || len(box.KDF.Salt) == 0 || len(box.Cipher.Nonce) != 24 || len(box.Ciphertext) == 0 {
		return fmt.Errorf("%w: encrypted key container is incomplete or of an unknown kind", ErrInvalidKey)
	}
	return nil
}

// ParsePublicKey reads a public key from PKIX PEM, or the key of a PEM
// certificate. It returns [ErrNotPublicKey] for a private key.
func ParsePublicKey(data []byte) (crypto.PublicKey, error) {
	pub, _, err := parsePublicKey(data)
	return pub, err
}

func parsePublicKey(data []byte) (crypto.PublicKey, *pem.Block, error) {
	block, err := onePEM(data)
	if err != nil {
		return nil, nil, err
	}
	var pub crypto.PublicKey
	switch block.Type {
	case PEMPublic:
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case PEMCertificate:
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(block.Bytes)
		if err == nil {
			pub = cert.PublicKey
		}
	case PEMSigstoreEncrypted, PEMCosignEncrypted, PEMPrivate, PEMECPrivate, PEMRSAPrivate:
		return nil, nil, ErrNotPublicKey
	default:
		return nil, nil, fmt.Errorf("%w: unknown PEM block type %q", ErrInvalidKey, block.Type)
	}
	if err != nil {
		if block.Type == PEMPublic && isWellFormedSPKI(block.Bytes) {
			// x509 parses only the algorithms Go supports; a well-formed key
			// of another algorithm (secp256k1, DSA, a wrong-size Ed25519) is
			// an unsupported key, not a corrupt file.
			return nil, nil, fmt.Errorf("%w: %v", ErrUnsupportedKey, err)
		}
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalidKey, err)
	}
	if err := CheckPublicKey(pub); err != nil {
		return nil, nil, err
	}
	return pub, block, nil
}

func isWellFormedSPKI(der []byte) bool {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	rest, err := asn1.Unmarshal(der, &spki)
	return err == nil && len(rest) == 0 && len(spki.Algorithm.Algorithm) > 0
}

func onePEM(data []byte) (*pem.Block, error) {
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%w: no PEM block found", ErrInvalidKey)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		if next, _ := pem.Decode(rest); next != nil {
			return nil, fmt.Errorf("%w: more than one PEM block", ErrInvalidKey)
		}
	}
	return block, nil
}

// CheckPublicKey enforces consign's algorithm policy on pub (see the package doc).
func CheckPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
		return fmt.Errorf("%w: ECDSA curve %s", ErrUnsupportedKey, curveName(k.Curve))
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: Ed25519 key of %d bytes", ErrUnsupportedKey, len(k))
		}
		if smallOrder(k) {
			return fmt.Errorf("%w: Ed25519 key %x is a point of small order, under which anyone can make signatures that verify", ErrUnsupportedKey, []byte(k))
		}
		return nil
	case *rsa.PublicKey:
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("%w: RSA key of %d bits (at least 2048)", ErrUnsupportedKey, k.N.BitLen())
		}
		if k.E != 65537 {
			return fmt.Errorf("%w: RSA public exponent %d (only 65537)", ErrUnsupportedKey, k.E)
		}
		return nil
	case nil:
		return fmt.Errorf("%w: no key", ErrInvalidKey)
	default:
		return fmt.Errorf("%w: %T", ErrUnsupportedKey, pub)
	}
}

// smallOrder reports whether the Ed25519 public key k is a point of small
// order (the identity among them): [8]A is the identity, so R = [S]B −
// [k]A holds for some R whatever the message, and one signature, R the
// identity and S zero, passes ed25519.Verify for every message. A key
// that is no point verifies nothing and is not one.
func smallOrder(k ed25519.PublicKey) bool {
	p, err := new(edwards25519.Point).SetBytes(k)
	if err != nil {
		return false
	}
	return new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1
}

func curveName(c elliptic.Curve) string {
	if c == nil || c.Params() == nil {
		return "unknown"
	}
	return c.Params().Name
}

// Algorithm describes pub for people: "ecdsa-p256", "ed25519", "rsa-3072".
func Algorithm(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return "ecdsa-p256"
		case elliptic.P384():
			return "ecdsa-p384"
		case elliptic.P521():
			return "ecdsa-p521"
		}
		return "ecdsa-" + curveName(k.Curve)
	case ed25519.PublicKey:
		return "ed25519"
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa-%d", k.N.BitLen())
	}
	return fmt.Sprintf("%T", pub)
}

// Equal reports whether a and b are the same public key.
func Equal(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	ea, ok := a.(equaler)
	return ok && b != nil && ea.Equal(b)
}
