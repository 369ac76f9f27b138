package slsa

import (
	"crypto/sha512"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
)

// TestNpmMixAndMatch builds attestation documents from the bundles of two
// packages, each bundle validly signed: a package's provenance never
// passes with another package's publish attestation (or the reverse), and
// a bundle filed under the other kind's predicate type verifies as neither.
func TestNpmMixAndMatch(t *testing.T) {
	root := readFixture(t, publicGoodRoot)
	keys := readFixture(t, npmKeysFixture)
	bundles := func(artifact string) (prov, pub json.RawMessage, provType, pubType string) {
		var d struct {
			Attestations []npmAttestation `json:"attestations"`
		}
		if err := json.Unmarshal(readFixture(t, filepath.Join(npmFixtureDir, artifact+".json")), &d); err != nil {
			t.Fatal(err)
		}
		for _, a := range d.Attestations {
			if a.PredicateType == NpmPublishPredicate+"v0.1" {
				pub, pubType = a.Bundle, a.PredicateType
			} else {
				prov, provType = a.Bundle, a.PredicateType
			}
		}
		return prov, pub, provType, pubType
	}
	const a, b = "supreme-googles-cli-v02-tag.tgz", "gundam-visor-cli-v1-tag.tgz"
	provA, pubA, provTypeA, pubType := bundles(a)
	provB, pubB, _, _ := bundles(b)
	doc := func(entries ...any) []byte {
		var as []npmAttestation
		for i := 0; i < len(entries); i += 2 {
			as = append(as, npmAttestation{PredicateType: entries[i].(string), Bundle: entries[i+1].(json.RawMessage)})
		}
		out, err := json.Marshal(map[string]any{"attestations": as})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	sumA := sha512.Sum512(readFixture(t, filepath.Join(npmFixtureDir, a)))
	sumB := sha512.Sum512(readFixture(t, filepath.Join(npmFixtureDir, b)))
	tests := []struct {
		name   string
		doc    []byte
		sum    [64]byte
		source string
		want   error
	}{
		{"both of package A", doc(provTypeA, provA, pubType, pubA), sumA, goggles, nil},
		{"A's provenance, B's publish attestation, A's tarball", doc(provTypeA, provA, pubType, pubB), sumA, goggles, ErrMismatchHash},
		{"A's provenance, B's publish attestation, B's tarball", doc(provTypeA, provA, pubType, pubB), sumB, goggles, ErrMismatchHash},
		{"B's provenance, A's publish attestation, A's tarball", doc(provTypeA, provB, pubType, pubA), sumA, visor, ErrMismatchHash},
		{"the bundles under each other's types", doc(provTypeA, pubA, pubType, provA), sumA, goggles, ErrInvalidSignature},
		{"the provenance twice", doc(provTypeA, provA, provTypeA, provA, pubType, pubA), sumA, goggles, ErrNpmAttestations},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyNpmPackage(NpmConfig{Attestations: tc.doc, TrustedRoot: root, NpmKeys: keys,
				TarballSHA512: tc.sum[:], SourceURI: tc.source, BuilderID: ptr(npmRunner)})
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("VerifyNpmPackage() = %v, want %v", err, tc.want)
			}
		})
	}
}
