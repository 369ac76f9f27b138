package slsa

import (
	"crypto/sha512"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

const (
	npmRunner      = NpmCLIHostedBuilder
	nodejsBuilder  = workflows + "builder_nodejs_slsa3.yml"
	goggles        = "github.com/trishankatdatadog/supreme-goggles"
	gogglesPkg     = "@trishankatdatadog/supreme-goggles"
	visor          = "github.com/ramonpetgrave64/gundam-visor"
	npmTest        = "github.com/laurentsimon/provenance-npm-test"
	npmTestPkg     = "@laurentsimon/provenance-npm-test"
	sigstoreJS     = "github.com/sigstore/sigstore-js"
	npmFixtureDir  = fixtures + "/npm/gha"
	npmKeysFixture = "../../testdata/sigstore/registry.npmjs.org.keys.json"
	publicGoodRoot = "../../testdata/sigstore/public-good.trusted_root.json"
)

// npmCase is one case of slsa-verifier's Test_runVerifyNpmPackage (or
// consign's own), with slsa-verifier's verdict.
type npmCase struct {
	name      string
	artifact  string // attestations: artifact + ".json"; the tarball has the name without -invalidsig*
	source    string
	builderID *string
	version   *string
	pkg       *string
	tarball   string // consign: another tarball than the artifact's
	want      error
}

// npmCases are slsa-verifier's cases, in its order, with its verdicts
// (its ErrorInvalidSignature is ErrInvalidSignature here; its
// ErrorMismatchBuilderID, ErrorNotSupported, ErrorInvalidBuilderID and
// ErrorMismatchSource keep their names).
var npmCases = []npmCase{
	{"valid npm CLI builder", "supreme-googles-cli-v02-tag.tgz", goggles, ptr(npmRunner), ptr("1.0.5"), ptr(gogglesPkg), "", nil},
	{"valid npm CLI builder v1", "gundam-visor-cli-v1-tag.tgz", visor, ptr(npmRunner), ptr("1.0.1"), ptr("gundam-visor"), "", nil},
	{"valid npm CLI builder short runner name", "supreme-googles-cli-v02-tag.tgz", goggles, ptr(NpmCLILegacyBuilder), ptr("1.0.5"), ptr(gogglesPkg), "", nil},
	{"valid npm CLI builder v1 short runner name", "gundam-visor-cli-v1-tag.tgz", visor, ptr(NpmCLILegacyBuilder), ptr("1.0.1"), ptr("gundam-visor"), "", ErrInvalidBuilderID},
	{"valid npm CLI builder no builder", "supreme-googles-cli-v02-tag.tgz", goggles, nil, ptr("1.0.5"), ptr(gogglesPkg), "", ErrInvalidBuilderID},
	{"valid npm CLI builder v1 no builder", "gundam-visor-cli-v1-tag.tgz", visor, nil, ptr("1.0.5"), ptr("gundam-visor"), "", ErrInvalidBuilderID},
	{"valid npm CLI builder mismatch builder", "supreme-googles-cli-v02-tag.tgz", goggles, ptr("https://github.com/actions/runner2"), ptr("1.0.5"), ptr(gogglesPkg), "", ErrNotSupported},
	{"valid npm CLI builder v1 mismatch builder", "gundam-visor-cli-v1-tag.tgz", visor, ptr(npmRunner + "2"), ptr("1.0.1"), ptr("gundam-visor"), "", ErrNotSupported},
	{"valid npm CLI builder no package name", "supreme-googles-cli-v02-tag.tgz", goggles, ptr(npmRunner), ptr("1.0.5"), nil, "", nil},
	{"valid npm CLI builder v1 no package name", "gundam-visor-cli-v1-tag.tgz", visor, ptr(npmRunner), ptr("1.0.1"), nil, "", nil},
	{"valid npm CLI builder no package version", "supreme-googles-cli-v02-tag.tgz", goggles, ptr(npmRunner), nil, ptr(gogglesPkg), "", nil},
	{"valid npm CLI builder v1 no package version", "gundam-visor-cli-v1-tag.tgz", visor, ptr(npmRunner), nil, ptr("gundam-visor"), "", nil},
	{"valid npm CLI builder mismatch source", "supreme-googles-cli-v02-tag.tgz", goggles + "S", ptr(npmRunner), ptr("1.0.5"), ptr(gogglesPkg), "", ErrMismatchSource},
	{"valid npm CLI builder v1 mismatch source", "gundam-visor-cli-v1-tag.tgz", visor + "S", ptr(npmRunner), ptr("1.0.1"), ptr("gundam-visor"), "", ErrMismatchSource},
	{"valid npm CLI builder mismatch package version", "supreme-googles-cli-v02-tag.tgz", goggles, ptr(npmRunner), ptr("1.0.4"), nil, "", ErrMismatchPackageVersion},
	{"valid npm CLI builder v1 mismatch package version", "gundam-visor-cli-v1-tag.tgz", visor, ptr(npmRunner), ptr("1.0.2"), ptr("gundam-visor"), "", ErrMismatchPackageVersion},
	{"valid npm CLI builder mismatch package name", "supreme-googles-cli-v02-tag.tgz", goggles, ptr(npmRunner), nil, ptr(gogglesPkg[:len(gogglesPkg)-1] + "S"), "", ErrMismatchPackageName},
	{"valid npm CLI builder v1 mismatch package name", "gundam-visor-cli-v1-tag.tgz", visor, ptr(npmRunner), ptr("1.0.1"), ptr("gundam-visorS"), "", ErrMismatchPackageName},
	{"invalid signature provenance npm CLI", "supreme-googles-cli-v02-tag-invalidsigprov.tgz", goggles, ptr(npmRunner), nil, ptr(gogglesPkg), "", ErrInvalidSignature},
	{"invalid signature provenance npm CLI v1", "gundam-visor-cli-v1-tag-invalidsigprov.tgz", visor, ptr(npmRunner), ptr("1.0.1"), ptr("gundam-visor"), "", ErrInvalidSignature},
	{"invalid signature publish npm CLI", "supreme-googles-cli-v02-tag-invalidsigpub.tgz", goggles, ptr(npmRunner), nil, ptr(gogglesPkg), "", ErrInvalidSignature},
	{"invalid signature publish npm CLI v1", "gundam-visor-cli-v1-tag-invalidsigpub.tgz", visor, ptr(npmRunner), ptr("1.0.1"), ptr("gundam-visor"), "", ErrInvalidSignature},
	// npm CLI with main branch.
	{"valid npm CLI builder (main)", "provenance-npm-test-cli-v02-prega.tgz", npmTest, ptr(npmRunner), ptr("1.0.3"), ptr(npmTestPkg), "", nil},
	{"valid npm CLI builder v1 (main)", "provenance-npm-test-cli-v1-prega.tgz", sigstoreJS, ptr(npmRunner), ptr("2.3.1"), ptr("sigstore"), "", nil},
	{"valid npm CLI builder short runner name (main)", "provenance-npm-test-cli-v02-prega.tgz", npmTest, ptr(NpmCLILegacyBuilder), ptr("1.0.3"), ptr(npmTestPkg), "", nil},
	{"valid npm CLI builder v1 short runner name (main)", "provenance-npm-test-cli-v1-prega.tgz", sigstoreJS, ptr(NpmCLILegacyBuilder), ptr("2.3.1"), ptr("sigstore"), "", ErrInvalidBuilderID},
	{"valid npm CLI builder no builder (main)", "provenance-npm-test-cli-v02-prega.tgz", npmTest, nil, ptr("1.0.3"), ptr(npmTestPkg), "", ErrInvalidBuilderID},
	{"valid npm CLI builder v1 no builder (main)", "provenance-npm-test-cli-v1-prega.tgz", sigstoreJS, nil, ptr("2.3.1"), ptr("sigstore"), "", ErrInvalidBuilderID},
	{"valid npm CLI builder mismatch builder (main)", "provenance-npm-test-cli-v02-prega.tgz", npmTest, ptr("https://github.com/actions/runner2"), ptr("1.0.3"), ptr(npmTestPkg), "", ErrNotSupported},
	{"valid npm CLI builder v1 mismatch builder (main)", "provenance-npm-test-cli-v1-prega.tgz", sigstoreJS, ptr(npmRunner + "2"), ptr("2.3.1"), ptr("sigstore"), "", ErrNotSupported},
	{"valid npm CLI builder no package name (main)", "provenance-npm-test-cli-v02-prega.tgz", npmTest, ptr(npmRunner), ptr("1.0.3"), nil, "", nil},
	{"valid npm CLI builder v1 no package name (main)", "provenance-npm-test-cli-v1-prega.tgz", sigstoreJS, ptr(npmRunner), ptr("2.3.1"), nil, "", nil},
	{"valid npm CLI builder no package version (main)", "provenance-npm-test-cli-v02-prega.tgz", npmTest, ptr(npmRunner), nil, ptr(npmTestPkg), "", nil},
	{"valid npm CLI builder v1 no package version (main)", "provenance-npm-test-cli-v1-prega.tgz", sigstoreJS, ptr(npmRunner), nil, ptr("sigstore"), "", nil},
	{"valid npm CLI builder mismatch source (main)", "provenance-npm-test-cli-v02-prega.tgz", npmTest + "2", ptr(npmRunner), nil, nil, "", ErrMismatchSource},
	{"valid npm CLI builder v1 mismatch source (main)", "provenance-npm-test-cli-v1-prega.tgz", sigstoreJS + "2", ptr(npmRunner), nil, ptr("sigstore"), "", ErrMismatchSource},
	{"valid npm CLI builder mismatch package version (main)", "provenance-npm-test-cli-v02-prega.tgz", npmTest, ptr(npmRunner), ptr("1.0.4"), nil, "", ErrMismatchPackageVersion},
	{"valid npm CLI builder v1 mismatch package version (main)", "provenance-npm-test-cli-v1-prega.tgz", sigstoreJS, ptr(npmRunner), ptr("2.3.2"), nil, "", ErrMismatchPackageVersion},
	{"valid npm CLI builder mismatch package name (main)", "provenance-npm-test-cli-v02-prega.tgz", npmTest, ptr(npmRunner), nil, ptr(npmTestPkg + "2"), "", ErrMismatchPackageName},
	{"valid npm CLI builder v1 mismatch package name (main)", "provenance-npm-test-cli-v1-prega.tgz", sigstoreJS, ptr(npmRunner), nil, ptr("sigstore2"), "", ErrMismatchPackageName},
	{"invalid signature provenance npm CLI (main)", "provenance-npm-test-cli-v02-prega-invalidsigprov.tgz", npmTest, ptr(npmRunner), nil, ptr(npmTestPkg), "", ErrInvalidSignature},
	{"invalid signature provenance npm CLI v1 (main)", "provenance-npm-test-cli-v1-prega-invalidsigprov.tgz", sigstoreJS, ptr(npmRunner), nil, ptr("sigstore"), "", ErrInvalidSignature},
	{"invalid signature publish npm CLI (main)", "provenance-npm-test-cli-v02-prega-invalidsigpub.tgz", npmTest, ptr(npmRunner), nil, ptr(npmTestPkg), "", ErrInvalidSignature},
	{"invalid signature publish npm CLI v1 (main)", "provenance-npm-test-cli-v1-prega-invalidsigpub.tgz", sigstoreJS, ptr(npmRunner), nil, ptr("sigstore"), "", ErrInvalidSignature},
	// OSSF builder (BYOB: the low-permissions delegator signs).
	{"valid npm OSSF builder", "provenance-npm-test-ossf.tgz", npmTest, ptr(nodejsBuilder), ptr("1.0.5"), ptr(npmTestPkg), "", nil},
	{"valid npm OSSF builder no builder", "provenance-npm-test-ossf.tgz", npmTest, nil, ptr("1.0.5"), ptr(npmTestPkg), "", ErrInvalidBuilderID},
	{"valid npm OSSF builder mismatch builder", "provenance-npm-test-ossf.tgz", npmTest, ptr(workflows + "builder_nodejs_slsa.yml"), ptr("1.0.5"), ptr(npmTestPkg), "", ErrMismatchBuilderID},
	{"valid npm OSSF builder no package name", "provenance-npm-test-ossf.tgz", npmTest, ptr(nodejsBuilder), ptr("1.0.5"), nil, "", nil},
	{"valid npm OSSF builder no package version", "provenance-npm-test-ossf.tgz", npmTest, ptr(nodejsBuilder), nil, ptr(npmTestPkg), "", nil},
	{"valid npm OSSF builder mismatch package name", "provenance-npm-test-ossf.tgz", npmTest, ptr(nodejsBuilder), ptr("1.0.5"), ptr(npmTestPkg + "2"), "", ErrMismatchPackageName},
	{"valid npm OSSF builder mismatch package version", "provenance-npm-test-ossf.tgz", npmTest, ptr(nodejsBuilder), ptr("1.0.6"), ptr(npmTestPkg), "", ErrMismatchPackageVersion},
	{"valid npm OSSF builder mismatch mismatch source", "provenance-npm-test-ossf.tgz", npmTest + "2", ptr(nodejsBuilder), ptr("1.0.5"), ptr(npmTestPkg), "", ErrMismatchSource},
	{"invalid signature provenance npm OSSF builder", "provenance-npm-test-ossf-invalidsigprov.tgz", npmTest, ptr(nodejsBuilder), ptr("1.0.5"), ptr(npmTestPkg), "", ErrInvalidSignature},
	{"invalid signature publish npm OSSF builder", "provenance-npm-test-ossf-invalidsigpub.tgz", npmTest, ptr(nodejsBuilder), ptr("1.0.5"), ptr(npmTestPkg), "", ErrInvalidSignature},
}

// consignNpmCases are consign's own, on the same files.
var consignNpmCases = []npmCase{
	{name: "consign: another tarball", artifact: "supreme-googles-cli-v02-tag.tgz", source: goggles, builderID: ptr(npmRunner),
		tarball: "gundam-visor-cli-v1-tag.tgz", want: ErrMismatchHash},
	{name: "consign: self-hosted runner asked, hosted in the certificate", artifact: "supreme-googles-cli-v02-tag.tgz", source: goggles,
		builderID: ptr(NpmCLISelfHostedBuilder), want: ErrMismatchBuilderID},
	{name: "consign: builder id at a version", artifact: "provenance-npm-test-ossf.tgz", source: npmTest,
		builderID: ptr(nodejsBuilder + "@refs/tags/v1.6.0")},
	{name: "consign: builder id at another version", artifact: "provenance-npm-test-ossf.tgz", source: npmTest,
		builderID: ptr(nodejsBuilder + "@refs/tags/v1.5.0"), want: ErrMismatchBuilderID},
	{name: "consign: empty builder id", artifact: "supreme-googles-cli-v02-tag.tgz", source: goggles, builderID: ptr(""), want: ErrInvalidBuilderID},
	{name: "consign: npm CLI records no ref type for a tag", artifact: "supreme-googles-cli-v02-tag.tgz", source: goggles,
		builderID: ptr(npmRunner), want: ErrInvalidProvenance},
	{name: "consign: package scope missing", artifact: "supreme-googles-cli-v02-tag.tgz", source: goggles, builderID: ptr(npmRunner),
		pkg: ptr("supreme-goggles"), want: ErrMismatchPackageName},
}

// TestNpmPackage walks slsa-verifier's verify-npm-package cases and
// consign's own.
func TestNpmPackage(t *testing.T) {
	root := readFixture(t, publicGoodRoot)
	keys := readFixture(t, npmKeysFixture)
	for _, tc := range append(append([]npmCase(nil), npmCases...), consignNpmCases...) {
		t.Run(tc.name, func(t *testing.T) {
			tarball := tc.tarball
			if tarball == "" {
				tarball = strings.NewReplacer("-invalidsigprov", "", "-invalidsigpub", "").Replace(tc.artifact)
			}
			sum := sha512.Sum512(readFixture(t, filepath.Join(npmFixtureDir, tarball)))
			cfg := NpmConfig{Attestations: readFixture(t, filepath.Join(npmFixtureDir, tc.artifact+".json")),
				TrustedRoot: root, NpmKeys: keys, TarballSHA512: sum[:], SourceURI: tc.source,
				BuilderID: tc.builderID, PackageName: tc.pkg, PackageVersion: tc.version}
			if strings.Contains(tc.name, "no ref type") {
				cfg.Tag = ptr("v1.0.5")
			}
			res, err := VerifyNpmPackage(cfg)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("VerifyNpmPackage() = %v, want %v", err, tc.want)
			}
			if err == nil && (len(res.Provenance) == 0 || res.SourceSHA == "") {
				t.Errorf("result %+v lacks the provenance or the commit", res)
			}
		})
	}
	t.Logf("%d slsa-verifier cases, %d of consign's", len(npmCases), len(consignNpmCases))
}

// TestNpmRegistryKeys: the publish attestation verifies only with the
// registry key its hint names, of usage npm:attestations, valid when the
// log saw it; the keys come from the file given, never from the bundle.
func TestNpmRegistryKeys(t *testing.T) {
	root := readFixture(t, publicGoodRoot)
	keys := string(readFixture(t, npmKeysFixture))
	const oldID = "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"
	const oldKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg=="
	const newKey = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEY6Ya7W++7aUPzvMTrezH6Ycx3c+HOKYCcNGybJZSCJq/fd7Qa8uuAKtdIkUQtQiEKERhAmE5lMMJhP8OkDOa2g=="
	tests := []struct {
		name string
		keys string
		want error
	}{
		{"the registry's keys", keys, nil},
		{"the key listed for npm:signatures only", strings.Replace(keys, `"npm:attestations"`, `"npm:other"`, 1), ErrInvalidSignature},
		{"another key under the key id", strings.ReplaceAll(keys, oldKey, newKey), ErrInvalidSignature},
		{"the key retired before the signature", strings.Replace(keys, `"end": "2025-01-29T00:00:00.000Z"`, `"end": "2023-01-01T00:00:00.000Z"`, 2), ErrInvalidSignature},
		{"the key valid only after the signature", strings.Replace(keys, `"start": "2022-12-01T00:00:00.000Z"`, `"start": "2024-12-01T00:00:00.000Z"`, 1), ErrInvalidSignature},
		{"no key with the id", strings.ReplaceAll(keys, oldID, "SHA256:other"), ErrInvalidSignature},
		{"keys that do not parse", "{", ErrNpmKeys},
		{"a key that does not parse", strings.Replace(keys, oldKey, "AAAA", 2), ErrNpmKeys},
	}
	sum := sha512.Sum512(readFixture(t, filepath.Join(npmFixtureDir, "supreme-googles-cli-v02-tag.tgz")))
	att := readFixture(t, filepath.Join(npmFixtureDir, "supreme-googles-cli-v02-tag.tgz.json"))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := VerifyNpmPackage(NpmConfig{Attestations: att, TrustedRoot: root, NpmKeys: []byte(tc.keys),
				TarballSHA512: sum[:], SourceURI: goggles, BuilderID: ptr(npmRunner)})
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("VerifyNpmPackage() = %v, want %v", err, tc.want)
			}
		})
	}
}

// TestNpmAttestationSet: the document must hold one provenance and one
// publish attestation.
func TestNpmAttestationSet(t *testing.T) {
	for _, doc := range []string{`[]`, `{"attestations":[]}`,
		`{"attestations":[{"predicateType":"https://slsa.dev/provenance/v1","bundle":{}},{"predicateType":"x","bundle":{}}]}`,
		`{"attestations":[{"predicateType":"https://slsa.dev/provenance/v1","bundle":{}},{"predicateType":"https://slsa.dev/provenance/v0.2","bundle":{}}]}`,
	} {
		if _, _, err := splitNpmAttestations([]byte(doc)); !errors.Is(err, ErrNpmAttestations) {
			t.Errorf("%s: %v, want %v", doc, err, ErrNpmAttestations)
		}
	}
}
