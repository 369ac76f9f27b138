package sigstore

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/consign-dev/consign/internal/sign"
)

// Fixtures: the sigstore-conformance suite's bundle-verify cases, and the
// public good instance's trusted root (see testdata/README.md).
const (
	suite      = "../../testdata/sigstore-conformance"
	publicGood = "../../testdata/sigstore/public-good.trusted_root.json"
	beacon     = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
	actions    = "https://token.actions.githubusercontent.com"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixture is one suite case loaded for Verify: the bundle, the trusted root
// (the case's, else the public good instance's) and the artifact.
type fixture struct {
	bundle, root, artifact []byte
}

func loadCase(t *testing.T, name string) fixture {
	t.Helper()
	dir := filepath.Join(suite, name)
	f := fixture{bundle: readFile(t, filepath.Join(dir, "bundle.sigstore.json"))}
	if b, err := os.ReadFile(filepath.Join(dir, "trusted_root.json")); err == nil {
		f.root = b
	} else {
		f.root = readFile(t, publicGood)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "artifact")); err == nil {
		f.artifact = b
	} else {
		f.artifact = readFile(t, filepath.Join(suite, "a.txt"))
	}
	return f
}

func (f fixture) config(id *Identity) Config {
	return Config{Bundle: f.bundle, TrustedRoot: f.root, Identity: id, Artifact: bytes.NewReader(f.artifact)}
}

func beaconIdentity() *Identity { return &Identity{Subject: beacon, Issuer: actions} }

// editJSON decodes b, lets edit change it, and encodes it again.
func editJSON(t *testing.T, b []byte, edit func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// get walks a path of object keys and array indexes through decoded JSON.
func get(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			v = v.(map[string]any)[k]
		case int:
			v = v.([]any)[k]
		}
	}
	return v
}

func TestVerifyHappyPaths(t *testing.T) {
	for _, name := range []string{"happy-path-v0.1", "happy-path-v0.2", "happy-path-v0.3", "happy-path-intoto-in-dsse-v3", "rekor2-happy-path", "rekor2-dsse-happy-path"} {
		t.Run(name, func(t *testing.T) {
			f := loadCase(t, name)
			res, err := Verify(f.config(beaconIdentity()))
			if err != nil {
				t.Fatalf("Verify = %v, want nil", err)
			}
			if res.Subject != beacon || res.Issuer != actions {
				t.Errorf("signer = %q (issuer %q), want %q (%q)", res.Subject, res.Issuer, beacon, actions)
			}
			if len(res.Timestamps) != 1 {
				t.Errorf("verified timestamps = %+v, want the one observation each of these bundles carries", res.Timestamps)
			}
			// The same bundle by digest.
			cfg := f.config(beaconIdentity())
			sum := sha256.Sum256(f.artifact)
			cfg.Artifact, cfg.Digest = nil, sum[:]
			if _, err := Verify(cfg); err != nil {
				t.Errorf("Verify(digest) = %v, want nil", err)
			}
			// And for another artifact.
			cfg = f.config(beaconIdentity())
			cfg.Artifact = bytes.NewReader(append(f.artifact, '\n'))
			if _, err := Verify(cfg); !errors.Is(err, ErrUnverified) {
				t.Errorf("Verify(artifact+1 byte) = %v, want ErrUnverified", err)
			}
		})
	}
}

// TestVerifyIdentity covers who may have signed: exact values, anchored
// regular expressions, the issuer, and the GitHub workflow extensions
// (security cases 2b, 17-21 in docs/security.md: identity policy on every path, exact and
// anchored matching).
func TestVerifyIdentity(t *testing.T) {
	f := loadCase(t, "happy-path-v0.3") // signed by the beacon workflow, run by workflow_dispatch
	tests := []struct {
		name string
		id   Identity
		want error
	}{
		{"exact", Identity{Subject: beacon, Issuer: actions}, nil},
		{"regexp for the whole subject", Identity{SubjectRegexp: `https://github\.com/sigstore-conformance/.*@refs/heads/main`, Issuer: actions}, nil},
		{"issuer regexp", Identity{Subject: beacon, IssuerRegexp: `https://token\.actions\.githubusercontent\.com`}, nil},
		{"regexp matching a prefix only is anchored", Identity{SubjectRegexp: `https://github\.com/sigstore-conformance/`, Issuer: actions}, ErrIdentity},
		{"regexp matching the middle only is anchored", Identity{SubjectRegexp: `extremely-dangerous`, Issuer: actions}, ErrIdentity},
		{"issuer regexp matching a substring is anchored", Identity{Subject: beacon, IssuerRegexp: `token\.actions`}, ErrIdentity},
		{"another workflow of the same repository", Identity{Subject: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/release.yml@refs/heads/main", Issuer: actions}, ErrIdentity},
		{"the same workflow at another ref", Identity{Subject: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/tags/v1", Issuer: actions}, ErrIdentity},
		{"wrong issuer", Identity{Subject: beacon, Issuer: "https://accounts.google.com"}, ErrIdentity},
		{"issuer with a trailing slash", Identity{Subject: beacon, Issuer: actions + "/"}, ErrIdentity},
		{"workflow extensions", Identity{Subject: beacon, Issuer: actions,
			WorkflowRepository: "sigstore-conformance/extremely-dangerous-public-oidc-beacon", WorkflowRef: "refs/heads/main",
			WorkflowSHA: "c7b3dfb335f051e1c86bda4c716fac97df62ad81", WorkflowTrigger: "workflow_dispatch", WorkflowName: "Extremely dangerous OIDC beacon"}, nil},
		{"another repository", Identity{SubjectRegexp: `.*`, Issuer: actions, WorkflowRepository: "sigstore-conformance/other"}, ErrIdentity},
		{"another ref", Identity{Subject: beacon, Issuer: actions, WorkflowRef: "refs/tags/v1.0.0"}, ErrIdentity},
		{"another commit", Identity{Subject: beacon, Issuer: actions, WorkflowSHA: "0000000000000000000000000000000000000000"}, ErrIdentity},
		{"another trigger", Identity{Subject: beacon, Issuer: actions, WorkflowTrigger: "push"}, ErrIdentity},
		{"another workflow name", Identity{Subject: beacon, Issuer: actions, WorkflowName: "Release"}, ErrIdentity},
		{"no issuer", Identity{Subject: beacon}, ErrConfig},
		{"no subject", Identity{Issuer: actions}, ErrConfig},
		{"subject twice", Identity{Subject: beacon, SubjectRegexp: ".*", Issuer: actions}, ErrConfig},
		{"bad regexp", Identity{SubjectRegexp: "(", Issuer: actions}, ErrConfig},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.id
			_, err := Verify(f.config(&id))
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyKey(t *testing.T) {
	f := loadCase(t, "managed-key-happy-path")
	key, err := sign.ParsePublicKey(readFile(t, filepath.Join(suite, "managed-key-happy-path", "key.pub")))
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Bundle: f.bundle, TrustedRoot: f.root, Key: key, Artifact: bytes.NewReader(f.artifact)}
	res, err := Verify(cfg)
	if err != nil {
		t.Fatalf("Verify = %v, want nil", err)
	}
	if want, _ := sign.KeyID(key); res.KeyID != want {
		t.Errorf("KeyID = %q, want %q", res.KeyID, want)
	}

	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	cfg = Config{Bundle: f.bundle, TrustedRoot: f.root, Key: other.Public(), Artifact: bytes.NewReader(f.artifact)}
	if _, err := Verify(cfg); !errors.Is(err, ErrUnverified) {
		t.Errorf("Verify(another key) = %v, want ErrUnverified", err)
	}
	// A key-signed bundle has no identity to match.
	if _, err := Verify(f.config(beaconIdentity())); !errors.Is(err, ErrUnverified) {
		t.Errorf("Verify(key-signed bundle, identity) = %v, want ErrUnverified", err)
	}
	// And a keyless bundle is not signed by a key given.
	k := loadCase(t, "happy-path-v0.3")
	cfg = Config{Bundle: k.bundle, TrustedRoot: k.root, Key: key, Artifact: bytes.NewReader(k.artifact)}
	if _, err := Verify(cfg); !errors.Is(err, ErrUnverified) {
		t.Errorf("Verify(keyless bundle, key) = %v, want ErrUnverified", err)
	}
}

func TestConfigValidate(t *testing.T) {
	f := loadCase(t, "happy-path-v0.3")
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	weak, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(c *Config)
	}{
		{"no bundle", func(c *Config) { c.Bundle = nil }},
		{"no trusted root", func(c *Config) { c.TrustedRoot = nil }},
		{"key and identity", func(c *Config) { c.Key = key.Public() }},
		{"neither key nor identity", func(c *Config) { c.Identity = nil }},
		{"artifact and digest", func(c *Config) { c.Digest = make([]byte, 32) }},
		{"neither artifact nor digest", func(c *Config) { c.Artifact = nil }},
		{"short digest", func(c *Config) { c.Artifact, c.Digest = nil, make([]byte, 20) }},
		{"SHA-256 digest named SHA-512", func(c *Config) { c.Artifact, c.Digest, c.DigestAlgorithm = nil, make([]byte, 32), "sha512" }},
		{"SHA-512 digest named SHA-256", func(c *Config) { c.Artifact, c.Digest, c.DigestAlgorithm = nil, make([]byte, 64), "sha256" }},
		{"unknown digest algorithm", func(c *Config) { c.Artifact, c.Digest, c.DigestAlgorithm = nil, make([]byte, 32), "md5" }},
		{"weak key", func(c *Config) { c.Identity, c.Key = nil, weak.Public() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := f.config(beaconIdentity())
			tt.edit(&cfg)
			if _, err := Verify(cfg); !errors.Is(err, ErrConfig) {
				t.Errorf("Verify = %v, want ErrConfig", err)
			}
		})
	}
}

func TestParseDigest(t *testing.T) {
	good := "sha256:" + string(bytes.Repeat([]byte("ab"), 32))
	if d, ok := ParseDigest(good); !ok || len(d) != 32 || d[0] != 0xab {
		t.Errorf("ParseDigest(%q) = %x, %v", good, d, ok)
	}
	for _, s := range []string{"", "a.txt", "sha256:", "sha256:abc", "sha512:" + good[7:], good + "00", "sha256:" + string(bytes.Repeat([]byte("zz"), 32))} {
		if _, ok := ParseDigest(s); ok {
			t.Errorf("ParseDigest(%q) ok, want not a digest", s)
		}
	}
}

// TestVerifyIdentities: with several identities, the certificate must match
// one, and the result lists every one it matches; none matching is an
// ErrIdentity, and a regular expression matches the whole subject only.
func TestVerifyIdentities(t *testing.T) {
	f := loadCase(t, "happy-path-intoto-in-dsse-v3")
	other := Identity{Subject: "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main", Issuer: actions}
	anyBeacon := Identity{SubjectRegexp: `https://github\.com/sigstore-conformance/.*`, Issuer: actions}
	tests := []struct {
		name    string
		ids     []Identity
		want    []int
		wantErr error
	}{
		{"second of two", []Identity{other, *beaconIdentity()}, []int{1}, nil},
		{"exact and regexp", []Identity{*beaconIdentity(), other, anyBeacon}, []int{0, 2}, nil},
		{"none", []Identity{other}, nil, ErrIdentity},
		{"unanchored substring", []Identity{{SubjectRegexp: `sigstore-conformance`, Issuer: actions}}, nil, ErrIdentity},
		{"wrong issuer", []Identity{{Subject: beacon, Issuer: "https://accounts.google.com"}}, nil, ErrIdentity},
		{"another workflow trigger", []Identity{{Subject: beacon, Issuer: actions, WorkflowTrigger: "release"}}, nil, ErrIdentity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Bundle: f.bundle, TrustedRoot: f.root, Identities: tt.ids, Artifact: bytes.NewReader(f.artifact)}
			res, err := Verify(cfg)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Verify() error = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got := res.Matched; !slices.Equal(got, tt.want) {
				t.Errorf("Matched = %v, want %v", got, tt.want)
			}
		})
	}
	cfg := Config{Bundle: f.bundle, TrustedRoot: f.root, Identity: beaconIdentity(), Identities: []Identity{other}, Artifact: bytes.NewReader(f.artifact)}
	if _, err := Verify(cfg); !errors.Is(err, ErrConfig) {
		t.Errorf("Verify(Identity and Identities) error = %v, want ErrConfig", err)
	}
}
