package slsa

import (
	"crypto/sha512"
	"path/filepath"
	"testing"
)

// FuzzNpmAttestations feeds hostile attestation documents (null elements,
// wrong types, bundles cut short, any mutation of a real one) to
// VerifyNpmPackage with the real trusted root and registry keys: each is
// an error, never a panic, or else verifies the very provenance the real
// document holds (a change of white space or order in the outer document
// changes no signature).
func FuzzNpmAttestations(f *testing.F) {
	root := readFixture(f, publicGoodRoot)
	keys := readFixture(f, npmKeysFixture)
	const artifact = "supreme-googles-cli-v02-tag.tgz"
	good := readFixture(f, filepath.Join(npmFixtureDir, artifact+".json"))
	sum := sha512.Sum512(readFixture(f, filepath.Join(npmFixtureDir, artifact)))
	cfg := NpmConfig{Attestations: good, TrustedRoot: root, NpmKeys: keys,
		TarballSHA512: sum[:], SourceURI: goggles, BuilderID: ptr(npmRunner), PackageName: ptr("@trishankatdatadog/supreme-goggles")}
	want, err := VerifyNpmPackage(cfg)
	if err != nil {
		f.Fatalf("the real attestations: %v", err)
	}
	for _, s := range []string{
		`{"attestations":[null,null]}`,
		`{"attestations":[{"predicateType":"https://slsa.dev/provenance/v0.2","bundle":null},{"predicateType":"https://github.com/npm/attestation/tree/main/specs/publish/v0.1","bundle":null}]}`,
		`{"attestations":[{"predicateType":"https://slsa.dev/provenance/v0.2","bundle":{"dsseEnvelope":{"payload":"e30="}}},{"predicateType":"https://github.com/npm/attestation/tree/main/specs/publish/v0.1","bundle":{"verificationMaterial":null}}]}`,
		`{"attestations":[{"predicateType":"https://slsa.dev/provenance/v0.2","bundle":"str"},{"predicateType":"https://github.com/npm/attestation/tree/main/specs/publish/v0.1","bundle":5}]}`,
		`{"attestations":{}}`, `null`, `[]`,
	} {
		f.Add([]byte(s))
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Fuzz(func(t *testing.T, doc []byte) {
		c := cfg
		c.Attestations = doc
		res, err := VerifyNpmPackage(c)
		if err == nil && (string(res.Provenance) != string(want.Provenance) || res.BuilderID != want.BuilderID || res.SourceSHA != want.SourceSHA) {
			t.Fatalf("VerifyNpmPackage(%q) passed with %+v", doc, res)
		}
	})
}
