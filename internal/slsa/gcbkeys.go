package slsa

import (
	"crypto/ecdsa"
	"crypto/x509"
	"embed"
	"encoding/pem"
	"fmt"
	"path"
	"strings"
	"sync"
)

// gcbKeyFiles are Google Cloud Build's public keys for provenance, as
// slsa-verifier ships them (verifiers/internal/gcb/keys/materials,
// Apache-2.0): the regional keys (REGION.key, key builtByGCB of key ring
// attestor in project verified-builder, one per region) and the global key
// of SLSA v0.1 provenance (provenanceSigner). 'gcloud kms keys versions
// get-public-key 1 --location REGION --keyring attestor --key builtByGCB
// --project verified-builder' prints each.
//
//go:embed gcbkeys/*.key
var gcbKeyFiles embed.FS

// gcbKeys are the keys by region (and the global PAE key by its file
// name), read on first use, not at start-up; a key that does not parse is
// a build defect.
var gcbKeys = sync.OnceValue(loadGCBKeys)

func loadGCBKeys() map[string]*ecdsa.PublicKey {
	entries, err := gcbKeyFiles.ReadDir("gcbkeys")
	if err != nil {
		panic(err)
	}
	keys := make(map[string]*ecdsa.PublicKey, len(entries))
	for _, e := range entries {
		b, err := gcbKeyFiles.ReadFile(path.Join("gcbkeys", e.Name()))
		if err != nil {
			panic(err)
		}
		block, _ := pem.Decode(b)
		if block == nil {
			panic(fmt.Sprintf("gcbkeys/%s: no PEM block", e.Name()))
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			panic(fmt.Sprintf("gcbkeys/%s: %v", e.Name(), err))
		}
		ec, ok := k.(*ecdsa.PublicKey)
		if !ok {
			panic(fmt.Sprintf("gcbkeys/%s: not an ECDSA key", e.Name()))
		}
		keys[strings.TrimSuffix(e.Name(), ".key")] = ec
	}
	return keys
}
