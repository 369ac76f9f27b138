package attest

import (
	"crypto"
	"fmt"

	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
)

// Signer is what [SignStatement] needs of a key.
type Signer interface {
	Sign(msg []byte) ([]byte, error)
	KeyID() string
}

// prefixSigner is a [Signer] that signs a prefix and a message as one
// message without their being joined ([sign.Signer.SignPrefixed]): the PAE
// of a large payload is then never copied.
type prefixSigner interface {
	SignPrefixed(prefix, msg []byte) ([]byte, error)
}

// SignStatement validates st and signs it into a DSSE envelope, one signature per signer.
func SignStatement(st *Statement, signers ...Signer) (*Envelope, error) {
	if err := st.Validate(); err != nil {
		return nil, err
	}
	payload, err := st.Marshal()
	if err != nil {
		return nil, err
	}
	return SignPayload(PayloadType, payload, signers...)
}

// SignPayload signs PAE(payloadType, payload) with every signer.
func SignPayload(payloadType string, payload []byte, signers ...Signer) (*Envelope, error) {
	if len(signers) == 0 {
		return nil, fmt.Errorf("signing: no key")
	}
	if len(payload) > limits.Envelope {
		return nil, fmt.Errorf("%w: payload of %d bytes", limits.ErrTooLarge, len(payload))
	}
	env := &Envelope{PayloadType: payloadType, Payload: payload}
	head := appendPAEHead(nil, payloadType, len(payload))
	var pae []byte // made only for a signer that needs it whole
	for _, s := range signers {
		var sig []byte
		var err error
		if ps, ok := s.(prefixSigner); ok {
			sig, err = ps.SignPrefixed(head, payload)
		} else {
			if pae == nil {
				pae = PAE(payloadType, payload)
			}
			sig, err = s.Sign(pae)
		}
		if err != nil {
			return nil, fmt.Errorf("signing with key %s: %w", s.KeyID(), err)
		}
		// The keyid hint is left empty, as cosign and sigstore-go do: DSSE
		// lets a verifier narrow its keys by the hint, and verifiers that do
		// (sigstore's dsse.WrapVerifier, go-securesystemslib's) each use their
		// own key id scheme, so a consign key id would make them skip the
		// signature. consign itself never reads hints.
		env.Signatures = append(env.Signatures, Signature{Sig: sig})
	}
	return env, nil
}

// Keyring is a set of trusted public keys, deduplicated by the key itself
// (its SPKI), never by a label (security case 13 in docs/security.md). It is immutable once built
// and safe for concurrent use.
type Keyring struct {
	verifiers []*sign.Verifier
}

// NewKeyring builds a keyring; a key given twice is kept once.
func NewKeyring(keys ...crypto.PublicKey) (*Keyring, error) {
	kr := &Keyring{}
	seen := map[string]bool{}
	for _, k := range keys {
		v, err := sign.NewVerifier(k)
		if err != nil {
			return nil, err
		}
		if seen[v.KeyID()] {
			continue
		}
		seen[v.KeyID()] = true
		kr.verifiers = append(kr.verifiers, v)
	}
	return kr, nil
}

// Len is the number of distinct keys.
func (kr *Keyring) Len() int { return len(kr.verifiers) }

// Verifiers returns the keyring's verifiers.
func (kr *Keyring) Verifiers() []*sign.Verifier {
	return append([]*sign.Verifier(nil), kr.verifiers...)
}

// SignedBy returns the distinct trusted keys that produced a valid signature
// over msg among sigs. Key id hints are not consulted at all: every
// trusted key is tried against every signature (security case 55 in docs/security.md), and a key
// counts once however many of its signatures there are (security case 15 in docs/security.md).
func (kr *Keyring) SignedBy(msg []byte, sigs [][]byte) []*sign.Verifier {
	return kr.SignedByMessage(sign.NewMessage(msg), sigs)
}

// SignedByMessage is [Keyring.SignedBy] over a [sign.Message], such as
// [PAEMessage]'s.
func (kr *Keyring) SignedByMessage(m *sign.Message, sigs [][]byte) []*sign.Verifier {
	var out []*sign.Verifier
	for _, v := range kr.verifiers {
		for _, sig := range sigs {
			if v.VerifyMessage(m, sig) == nil {
				out = append(out, v)
				break
			}
		}
	}
	return out
}
