// Package testkey gives tests real signing keys, generated once per name
// and algorithm for the whole test binary (ECDSA key generation is cheap,
// but not free under -race).
package testkey

import (
	"crypto"
	"strings"
	"sync"
	"testing"

	"github.com/consign-dev/consign/internal/sign"
)

// Key is a real key pair and its public key as PKIX PEM.
type Key struct {
	Signer *sign.Signer
	PEM    string
}

// Public is the public key.
func (k *Key) Public() crypto.PublicKey { return k.Signer.Public() }

// ID is consign's key id of the public key.
func (k *Key) ID() string { return k.Signer.KeyID() }

var cache sync.Map

// New returns the ECDSA P-256 key named name.
func New(t testing.TB, name string) *Key { return NewAlg(t, name, sign.ECDSAP256) }

// NewAlg returns the key named name of algorithm alg (sign.Generate's).
func NewAlg(t testing.TB, name, alg string) *Key {
	t.Helper()
	id := alg + "/" + name
	if k, ok := cache.Load(id); ok {
		return k.(*Key)
	}
	priv, err := sign.Generate(alg)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sign.NewSigner(priv)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := sign.MarshalPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	k, _ := cache.LoadOrStore(id, &Key{Signer: s, PEM: string(pub)})
	return k.(*Key)
}

// IndentPEM writes a PEM key as a YAML literal block at the given indent.
func IndentPEM(pem string, indent int) string {
	pad := strings.Repeat(" ", indent)
	var b strings.Builder
	b.WriteString("|\n")
	for _, l := range strings.Split(strings.TrimSpace(pem), "\n") {
		b.WriteString(pad + l + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
