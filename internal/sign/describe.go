package sign

import (
	"errors"
	"strings"
)

// KeyInfo is what a key file says about itself, before any password.
type KeyInfo struct {
	// Kind is "public key", "encrypted private key (cosign format)" or
	// "UNENCRYPTED private key".
	Kind      string `json:"kind"`
	Algorithm string `json:"algorithm,omitempty"`
	KeyID     string `json:"keyId,omitempty"`
}

// Describe tells what the PEM key file data holds without decrypting it:
// a public key with its algorithm and key id, an encrypted private key
// (whose algorithm and key id are known only once decrypted), or an
// unencrypted private key. It returns the errors of [ParsePublicKey] and
// [ParsePrivateKey] for anything else.
func Describe(data []byte) (*KeyInfo, error) {
	pub, err := ParsePublicKey(data)
	if err == nil {
		id, _ := KeyID(pub)
		return &KeyInfo{Kind: "public key", Algorithm: Algorithm(pub), KeyID: id}, nil
	}
	if strings.Contains(string(data), "-----BEGIN ENCRYPTED ") {
		if err := CheckEncryptedPrivateKey(data); err != nil {
			return nil, err
		}
		return &KeyInfo{Kind: "encrypted private key (cosign format)", Algorithm: "unknown until decrypted", KeyID: "that of its .pub file"}, nil
	}
	priv, perr := ParsePrivateKey(data, nil)
	if perr != nil {
		if errors.Is(err, ErrNotPublicKey) {
			return nil, perr
		}
		return nil, err
	}
	id, _ := KeyID(priv.Public())
	return &KeyInfo{Kind: "UNENCRYPTED private key", Algorithm: Algorithm(priv.Public()), KeyID: id}, nil
}
