package pack_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/report"
	"github.com/consign-dev/consign/internal/testutil/testkey"
	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type testKey = testkey.Key

func newKey(t testing.TB, name string) *testKey { return testkey.New(t, name) }

var indentPEM = testkey.IndentPEM

// sbomJSON is a small CycloneDX SBOM of the release.
const sbomJSON = `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{"timestamp":"2026-11-01T00:00:00Z","authors":[{"name":"ACME build"}],"component":{"bom-ref":"acme-app","type":"application","name":"acme-app","version":"1.0","supplier":{"name":"ACME"},"purl":"pkg:generic/acme-app@1.0"}},"components":[{"bom-ref":"pkg:generic/libgreet@1.2.0","type":"library","name":"libgreet","version":"1.2.0","supplier":{"name":"ACME"},"purl":"pkg:generic/libgreet@1.2.0","licenses":[{"license":{"id":"MIT"}}]}],"dependencies":[{"ref":"acme-app","dependsOn":["pkg:generic/libgreet@1.2.0"]},{"ref":"pkg:generic/libgreet@1.2.0","dependsOn":[]}]}`

// release is a small real release: one stage, "build", whose CI key signs
// an SBOM and a test result about the artifacts, under a policy signed by
// the owner.
type release struct {
	owner, ci, outsider *testKey
	dir                 string
	artifacts           []string // files on disk
	cfg                 pack.BuildConfig
}

// newRelease makes n artifact files; the attestations cover the first
// covered of them.
func newRelease(t testing.TB, n, covered int) *release {
	t.Helper()
	return newReleaseWith(t, n, covered, nil)
}

// newReleaseWith is newRelease, its policy naming log's key (receipts
// optional) when log is not nil.
func newReleaseWith(t testing.TB, n, covered int, log *tlog.Signer) *release {
	t.Helper()
	return newReleasePadded(t, n, covered, log, 0)
}

// newReleasePadded is newReleaseWith, its statements naming pad more
// subjects that are no artifacts (to make lines of any length).
func newReleasePadded(t testing.TB, n, covered int, log *tlog.Signer, pad int) *release {
	t.Helper()
	r := &release{owner: newKey(t, "owner"), ci: newKey(t, "ci"), outsider: newKey(t, "outsider"), dir: t.TempDir()}
	var subjects []attest.Subject
	for i := range n {
		p := filepath.Join(r.dir, fmt.Sprintf("app-%d.bin", i+1))
		if err := os.WriteFile(p, []byte(fmt.Sprintf("artifact %d\n", i+1)), 0o755); err != nil {
			t.Fatal(err)
		}
		r.artifacts = append(r.artifacts, p)
		d, err := digest.File(p, digest.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		r.cfg.Artifacts = append(r.cfg.Artifacts, verify.Artifact{Name: filepath.Base(p), Digest: d})
		if i < covered {
			subjects = append(subjects, attest.Subject{Name: filepath.Base(p), Digest: d})
		}
	}
	for i := range pad {
		subjects = append(subjects, attest.Subject{Name: fmt.Sprintf("pad/%06d.bin", i), Digest: digest.Set{digest.SHA256: fmt.Sprintf("%064x", i)}})
	}
	yaml := fmt.Sprintf(`product: acme-app
version: 2
expires: 2027-06-30T00:00:00Z
owner: {keyid: %s}
functionaries:
  ci:
    role: build system
    keys:
      - %s
stages:
  - name: build
    by: [ci]
    require: [cyclonedx, test]
    checks: [{tests: all_passed}, {sbom: {profile: ntia, schema: true}}]
`, r.owner.Signer.KeyID(), indentPEM(r.ci.PEM, 8))
	if log != nil {
		if err := os.WriteFile(filepath.Join(r.dir, "log.pub"), log.PublicKeyPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		yaml += fmt.Sprintf("log: {key: log.pub, origin: %s, receipts: optional}\n", log.Origin())
	}
	env, _, err := policy.Sign([]byte(yaml), policy.ParseOptions{Dir: r.dir}, r.owner.Signer)
	if err != nil {
		t.Fatal(err)
	}
	pol, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	line := func(pt, pred string, k *testKey) []byte {
		st, err := attest.NewStatement(pt, subjects, json.RawMessage(pred))
		if err != nil {
			t.Fatal(err)
		}
		e, err := attest.SignStatement(st, k.Signer)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	test := `{"result":"PASSED","configuration":[],"passedTests":["unit"],"warnedTests":[],"failedTests":[]}`
	r.cfg.Policy, r.cfg.PolicyName = pol, "release.policy.json"
	r.cfg.TrustRoots = append(r.cfg.TrustRoots, r.owner.Signer.Public())
	r.cfg.Attestations = []verify.Input{
		{Name: "build.intoto.jsonl", Data: bytes.Join([][]byte{line(attest.PredicateCycloneDX, sbomJSON, r.ci), line(attest.PredicateTestResult, test, r.ci), {}}, []byte("\n"))},
		// Signed by a key the policy does not name: read, never packed.
		{Name: "stray.intoto.jsonl", Data: append(line(attest.PredicateTestResult, test, r.outsider), '\n')},
	}
	r.cfg.Now = func() time.Time { return testNow }
	return r
}

// build plans and writes the pack, returning its bytes.
func (r *release) build(t testing.TB, opts pack.WriteOptions) []byte {
	t.Helper()
	plan, err := pack.Build(context.Background(), r.cfg)
	if err != nil {
		if plan != nil {
			t.Fatalf("Build: %v\n%s", err, report.VerificationText(plan.Result))
		}
		t.Fatalf("Build: %v", err)
	}
	var buf bytes.Buffer
	if err := pack.Write(&buf, plan.Manifest, plan.Files, opts); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (r *release) verify(t testing.TB, p *pack.Pack, extra ...verify.Artifact) *pack.Result {
	t.Helper()
	res, err := pack.Verify(context.Background(), p, pack.VerifyConfig{TrustRoots: r.cfg.TrustRoots, Artifacts: extra, Now: r.cfg.Now})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func read(t testing.TB, data []byte, opts pack.Options) (*pack.Pack, error) {
	t.Helper()
	p, err := pack.Read(context.Background(), bytes.NewReader(data), opts)
	if err == nil {
		t.Cleanup(func() { p.Close() })
	}
	return p, err
}

// entry is one raw tar entry for hand-made archives.
type entry struct {
	hdr  tar.Header
	data []byte
}

func file(name string, data string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data))}, data: []byte(data)}
}

func symlink(name, target string) entry {
	return entry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}}
}

// archive writes entries as a tar (gzip-compressed when gz), exactly as
// given: no checks, no sorting.
func archive(t testing.TB, gz bool, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w = &buf
	var zw *gzip.Writer
	var tw *tar.Writer
	if gz {
		zw = gzip.NewWriter(w)
		tw = tar.NewWriter(zw)
	} else {
		tw = tar.NewWriter(w)
	}
	for _, e := range entries {
		h := e.hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if len(e.data) > 0 {
			if _, err := tw.Write(e.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// manifestFor makes a manifest.json entry listing files (and, for every
// symlink, its target), with a policy file "policy/p.json" expected among
// them and one artifact known by digest.
func manifestFor(t testing.TB, files ...entry) entry {
	t.Helper()
	m := pack.Manifest{Format: pack.FormatV1, Product: "acme-app", Release: "1.0", Policy: "policy/p.json",
		Artifacts: []pack.Artifact{{Name: "app", Digest: digest.Set{digest.SHA256: strings.Repeat("ab", 32)}}}}
	for _, e := range files {
		f := pack.File{Path: strings.TrimPrefix(e.hdr.Name, "./"), Role: pack.RoleAttestations, Mode: fmt.Sprintf("%04o", e.hdr.Mode&0o777)}
		if strings.HasPrefix(f.Path, "policy/") {
			f.Role = pack.RolePolicy
		}
		if strings.HasPrefix(f.Path, "artifacts/") && e.hdr.Typeflag != tar.TypeSymlink {
			f.Role = pack.RoleArtifact
			sum := sha256.Sum256(e.data)
			m.Artifacts = append(m.Artifacts, pack.Artifact{Name: f.Path, Digest: digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}, Size: int64(len(e.data)), Path: f.Path})
		}
		switch e.hdr.Typeflag {
		case tar.TypeSymlink:
			f.Type, f.Target, f.Mode = pack.TypeSymlink, e.hdr.Linkname, "0777"
		default:
			sum := sha256.Sum256(e.data)
			f.Type, f.Size, f.SHA256 = pack.TypeFile, int64(len(e.data)), hex.EncodeToString(sum[:])
		}
		m.Files = append(m.Files, f)
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Path < m.Files[j].Path })
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return file(pack.ManifestName, string(b))
}

// rawManifest is a manifest.json entry with the given JSON, unchecked.
func rawManifest(m *pack.Manifest) entry {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return file(pack.ManifestName, string(b))
}

var policyFile = file("policy/p.json", `{"payloadType":"x"}`)

// sentinel is a directory next to an extraction target that nothing may
// touch.
func sentinel(t testing.TB) (dest, guard string) {
	t.Helper()
	root := t.TempDir()
	guard = filepath.Join(root, "sentinel")
	if err := os.Mkdir(guard, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "out"), guard
}

// assertUntouched fails if anything but the sentinel directory (empty)
// exists in dest's parent.
func assertUntouched(t testing.TB, dest, guard string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dest))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != "sentinel" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
	if g, _ := os.ReadDir(guard); len(g) != 0 {
		t.Errorf("the sentinel directory was written to: %v", g)
	}
}
