package cli

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
)

// passFunc gets a key password from CONSIGN_PASSWORD, then COSIGN_PASSWORD,
// then a terminal prompt. A variable set to the empty string is an empty
// password, as in cosign.
func passFunc(deps *Deps) sign.PassFunc {
	return func(confirm bool) ([]byte, error) {
		for _, name := range []string{"CONSIGN_PASSWORD", "COSIGN_PASSWORD"} {
			if v, ok := deps.LookupEnv(name); ok {
				return []byte(v), nil
			}
		}
		if deps.StdinIsTerminal == nil || !deps.StdinIsTerminal() {
			return nil, sign.ErrNoPassword
		}
		fmt.Fprint(deps.Stderr, "Enter password for private key: ")
		pw, err := deps.ReadPassword()
		if err != nil {
			return nil, fmt.Errorf("reading password: %w", err)
		}
		if confirm {
			fmt.Fprint(deps.Stderr, "Enter password for private key again: ")
			again, err := deps.ReadPassword()
			if err != nil {
				return nil, fmt.Errorf("reading password: %w", err)
			}
			if !bytes.Equal(pw, again) {
				return nil, errors.New("the two passwords differ")
			}
		}
		return pw, nil
	}
}

func loadSigner(deps *Deps, path string) (*sign.Signer, error) {
	if path == "" {
		return nil, usagef("--key is required: the private key to sign with ('consign keygen' makes one)")
	}
	b, err := limits.ReadFile(path, limits.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("reading key: %w", err)
	}
	key, err := sign.ParsePrivateKey(b, passFunc(deps))
	if err != nil {
		return nil, fmt.Errorf("loading key %q: %w", path, err)
	}
	return sign.NewSigner(key)
}

func loadPublicKey(path string) (crypto.PublicKey, error) {
	b, err := limits.ReadFile(path, limits.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("reading key: %w", err)
	}
	pub, err := sign.ParsePublicKey(b)
	if err != nil {
		return nil, fmt.Errorf("loading public key %q: %w", path, err)
	}
	return pub, nil
}

func loadKeyring(paths []string) (*attest.Keyring, error) {
	if len(paths) == 0 {
		return nil, usagef("--key is required: the public key(s) to trust")
	}
	keys, err := loadPublicKeys(paths)
	if err != nil {
		return nil, err
	}
	return attest.NewKeyring(keys...)
}

// loadPublicKeys loads public key files, each checked to be one.
func loadPublicKeys(paths []string) ([]crypto.PublicKey, error) {
	var keys []crypto.PublicKey
	for _, p := range paths {
		k, err := loadPublicKey(p)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, nil
}

// readPublicKeyPEMs reads public key files as they are, each checked to be
// one.
func readPublicKeyPEMs(paths []string) ([][]byte, error) {
	var pems [][]byte
	for _, k := range paths {
		b, err := limits.ReadFile(k, limits.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("reading key: %w", err)
		}
		if _, err := sign.ParsePublicKey(b); err != nil {
			return nil, fmt.Errorf("loading public key %q: %w", k, err)
		}
		pems = append(pems, b)
	}
	return pems, nil
}
