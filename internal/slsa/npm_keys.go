package slsa

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/consign-dev/consign/internal/sign"
)

// NpmKeysTarget is the name of the npm registry's keys in the Sigstore
// public-good TUF repository, where slsa-verifier fetches them from.
const NpmKeysTarget = "registry.npmjs.org/keys.json"

// npmAttestationUsage is the key usage of the npm registry's keys that
// sign publish attestations (the others sign package signatures).
const npmAttestationUsage = "npm:attestations"

// npmKeys is the registry.npmjs.org/keys.json target of the Sigstore TUF
// repository: the npm registry's public keys, each with its id (the
// bundle's key hint), its usage and the time it is valid for.
type npmKeys struct {
	Keys []npmKeyEntry `json:"keys"`
}

// npmKey is one registry key that signs publish attestations.
type npmKey struct {
	id         string
	key        crypto.PublicKey
	start, end *time.Time
}

// validAt reports whether the key was valid at t: slsa-verifier does not
// check validFor yet (its own TODO), consign does, against the time the
// log saw the signature, so that a retired key signs nothing new.
func (k npmKey) validAt(t time.Time) bool {
	return (k.start == nil || !t.Before(*k.start)) && (k.end == nil || t.Before(*k.end))
}

// npmKeyEntry is one key of keys.json.
type npmKeyEntry struct {
	KeyID     string `json:"keyId"`
	KeyUsage  string `json:"keyUsage"`
	PublicKey struct {
		RawBytes   string `json:"rawBytes"` // base64 DER SubjectPublicKeyInfo
		KeyDetails string `json:"keyDetails"`
		ValidFor   struct {
			Start *time.Time `json:"start"`
			End   *time.Time `json:"end"`
		} `json:"validFor"`
	} `json:"publicKey"`
}

func parseNpmKey(k npmKeyEntry) (npmKey, error) {
	der, err := base64.StdEncoding.DecodeString(k.PublicKey.RawBytes)
	if err != nil {
		return npmKey{}, fmt.Errorf("%w: key %q: %v", ErrNpmKeys, k.KeyID, err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return npmKey{}, fmt.Errorf("%w: key %q: %v", ErrNpmKeys, k.KeyID, err)
	}
	if err := sign.CheckPublicKey(pub); err != nil {
		return npmKey{}, fmt.Errorf("%w: key %q: %v", ErrNpmKeys, k.KeyID, err)
	}
	return npmKey{id: k.KeyID, key: pub, start: k.PublicKey.ValidFor.Start, end: k.PublicKey.ValidFor.End}, nil
}

// CheckNpmKeys reports an [ErrNpmKeys] unless keysJSON is the npm
// registry's keys.json with at least one key for npm:attestations, every
// such key usable.
func CheckNpmKeys(keysJSON []byte) error {
	var ks npmKeys
	if err := json.Unmarshal(keysJSON, &ks); err != nil {
		return fmt.Errorf("%w: %v", ErrNpmKeys, err)
	}
	n := 0
	for _, k := range ks.Keys {
		if k.KeyUsage != npmAttestationUsage {
			continue
		}
		if _, err := parseNpmKey(k); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return fmt.Errorf("%w: no key for %s", ErrNpmKeys, npmAttestationUsage)
	}
	return nil
}

// npmAttestationKey finds the key with id keyID and usage npm:attestations
// in keys.json. Only such a key is trusted: the bundle's hint names it, it
// is not taken from the bundle.
func npmAttestationKey(keysJSON []byte, keyID string) (npmKey, error) {
	var ks npmKeys
	if err := json.Unmarshal(keysJSON, &ks); err != nil {
		return npmKey{}, fmt.Errorf("%w: %v", ErrNpmKeys, err)
	}
	for _, k := range ks.Keys {
		if k.KeyID == keyID && k.KeyUsage == npmAttestationUsage && keyID != "" {
			return parseNpmKey(k)
		}
	}
	return npmKey{}, fmt.Errorf("%w: no npm registry key with id %q and usage %s", ErrInvalidSignature, keyID, npmAttestationUsage)
}
