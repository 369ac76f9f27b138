package pack_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/report"
	"github.com/consign-dev/consign/internal/verify"
)

func paths(p *pack.Pack) []string {
	var out []string
	for _, f := range p.Manifest.Files {
		out = append(out, f.Path)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	for _, gz := range []bool{true, false} {
		r := newRelease(t, 2, 2)
		r.cfg.Include = map[int]string{0: r.artifacts[0]}
		data := r.build(t, pack.WriteOptions{Gzip: gz})
		dest := filepath.Join(t.TempDir(), "out")
		p, err := read(t, data, pack.Options{ExtractTo: dest})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"artifacts/app-1.bin", "attestations/01-build.intoto.jsonl", "policy/release.policy.json", "sboms/01-build.1.cdx.json"}
		if got := paths(p); !slices.Equal(got, want) {
			t.Errorf("files = %q, want %q", got, want)
		}
		if wantC := map[bool]string{true: "gzip", false: "none"}[gz]; p.Compression != wantC {
			t.Errorf("compression %q, want %q", p.Compression, wantC)
		}
		// Only the two attestations the stage counted, as exact bytes; the
		// one signed by an outsider stays out.
		att := p.Data("attestations/01-build.intoto.jsonl")
		if n := bytes.Count(att, []byte("\n")); n != 2 || !bytes.Contains(r.cfg.Attestations[0].Data, att) {
			t.Errorf("packed attestations are not the counted lines, as given:\n%s", att)
		}
		if got := p.Data("sboms/01-build.1.cdx.json"); string(got) != sbomJSON {
			t.Errorf("sbom = %s", got)
		}
		if f := p.Manifest.File("artifacts/app-1.bin"); f == nil || f.Mode != "0755" {
			t.Errorf("the executable artifact's entry: %+v", f)
		}
		res := r.verify(t, p)
		if !res.Passed {
			t.Fatalf("pack does not verify:\n%s", report.PackText(res))
		}
		if len(res.SBOMs) != 1 || res.SBOMs[0].Status != verify.StatusPass || res.SBOMs[0].Components != 1 {
			t.Errorf("sboms: %+v", res.SBOMs)
		}
		for _, s := range []string{"PASS pack", "PASS sbom sboms/01-build.1.cdx.json: cyclonedx-json 1.6 of acme-app 1.0, 1 component(s)",
			"format rules: valid (schema http://cyclonedx.org/schema/bom-1.6.schema.json)",
			"profile ntia (NTIA minimum elements (2021)): met; 7 of 7 element(s) present", "PASS the pack verified"} {
			if !strings.Contains(report.PackText(res), s) {
				t.Errorf("report lacks %q:\n%s", s, report.PackText(res))
			}
		}
		// Extraction: nothing until Commit, then everything, in place.
		if _, err := os.Stat(dest); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s exists before Commit", dest)
		}
		if err := p.Commit(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dest, "artifacts", "app-1.bin"))
		if err != nil || string(got) != "artifact 1\n" {
			t.Errorf("extracted artifact %q, %v", got, err)
		}
		if fi, err := os.Stat(filepath.Join(dest, "artifacts", "app-1.bin")); err != nil || fi.Mode().Perm() != 0o755 {
			t.Errorf("extracted mode: %v %v", fi, err)
		}
		if _, err := os.Stat(filepath.Join(dest, pack.ManifestName)); err != nil {
			t.Error(err)
		}
	}
}

func TestDeterministic(t *testing.T) {
	r := newRelease(t, 1, 1)
	r.cfg.Include = map[int]string{0: r.artifacts[0]}
	a := r.build(t, pack.WriteOptions{Gzip: true})
	b := r.build(t, pack.WriteOptions{Gzip: true})
	if !bytes.Equal(a, b) {
		t.Fatal("the same inputs gave different packs")
	}
	c := r.build(t, pack.WriteOptions{Gzip: true, ModTime: time.Unix(1700000000, 0)})
	if bytes.Equal(a, c) {
		t.Fatal("ModTime (SOURCE_DATE_EPOCH) changed nothing: the check cannot fail")
	}
}

// A release that does not pass gets no pack.
func TestBuildRefusesFailingRelease(t *testing.T) {
	r := newRelease(t, 2, 1)
	plan, err := pack.Build(context.Background(), r.cfg)
	if !errors.Is(err, pack.ErrNotPassed) || plan == nil || plan.Manifest != nil {
		t.Fatalf("Build = %v, %v; want ErrNotPassed and no manifest", plan, err)
	}
	if !strings.Contains(report.VerificationText(plan.Result), "app-2.bin") {
		t.Errorf("the report does not name the uncovered artifact:\n%s", report.VerificationText(plan.Result))
	}
	r.cfg.Artifacts = r.cfg.Artifacts[:1]
	r.cfg.TrustRoots = nil
	r.cfg.TrustRoots = append(r.cfg.TrustRoots, r.ci.Signer.Public())
	if _, err := pack.Build(context.Background(), r.cfg); err == nil {
		t.Fatal("a policy opened with the wrong trust root was packed")
	}
}

func TestVSA(t *testing.T) {
	r := newRelease(t, 1, 1)
	r.cfg.VSA = &verify.VSAOptions{Signer: r.outsider.Signer}
	if _, err := pack.Build(context.Background(), r.cfg); !errors.Is(err, pack.ErrVSAKey) {
		t.Fatalf("a VSA key the policy does not name: %v", err)
	}
	r.cfg.VSA = &verify.VSAOptions{Signer: r.ci.Signer}
	data := r.build(t, pack.WriteOptions{})
	p, err := read(t, data, pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := r.verify(t, p)
	if !res.Passed || res.VSA == nil || res.VSA.Status != verify.StatusPass || res.VSA.Result != verify.VSAPassed {
		t.Fatalf("VSA: %+v\n%s", res.VSA, report.PackText(res))
	}
	// The same pack, its VSA replaced by one from an outsider, with the
	// manifest updated to match (it is not signed): refused.
	m := *p.Manifest
	vsaPath := p.Files(pack.RoleVSA)[0].Path
	st, err := attest.NewStatement(attest.PredicateVSA, []attest.Subject{{Name: "x", Digest: r.cfg.Artifacts[0].Digest}}, []byte(`{"verificationResult":"PASSED"}`))
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.SignStatement(st, r.outsider.Signer)
	if err != nil {
		t.Fatal(err)
	}
	forged := rewrite(t, p, &m, map[string][]byte{vsaPath: mustJSON(t, env)})
	p2, err := read(t, forged, pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res := r.verify(t, p2); res.Passed || res.VSA.Status != verify.StatusFail {
		t.Fatalf("a VSA by an outsider passed:\n%s", report.PackText(res))
	}
}

// security case 67 (docs/security.md): every shipped artifact needs provenance; "at least one
// matched" is not enough.
func TestSecurityCase67_PartialCoverage(t *testing.T) {
	r := newRelease(t, 3, 2)
	if _, err := pack.Build(context.Background(), r.cfg); !errors.Is(err, pack.ErrNotPassed) {
		t.Fatalf("3 artifacts, 2 covered: Build = %v", err)
	}
	// A pack of the 2 covered artifacts verifies...
	all := r.cfg.Artifacts
	r.cfg.Artifacts = all[:2]
	p, err := read(t, r.build(t, pack.WriteOptions{}), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res := r.verify(t, p); !res.Passed {
		t.Fatalf("control:\n%s", report.PackText(res))
	}
	// ...but not with the third added to its (unsigned) manifest,
	if res := r.verify(t, p, all[2]); res.Passed {
		t.Fatal("an artifact given by the customer and covered by no attestation passed")
	}
	m := *p.Manifest
	m.Artifacts = append(slices.Clone(m.Artifacts), pack.Artifact{Name: all[2].Name, Digest: all[2].Digest})
	p2, err := read(t, rewrite(t, p, &m, nil), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := r.verify(t, p2)
	if res.Passed || !strings.Contains(report.PackText(res), "FAIL artifact app-3.bin") {
		t.Fatalf("an uncovered artifact in the manifest passed:\n%s", report.PackText(res))
	}
}

// An SBOM file must be what a counted attestation signed.
func TestSBOMFileMustBeSigned(t *testing.T) {
	r := newRelease(t, 1, 1)
	p, err := read(t, r.build(t, pack.WriteOptions{}), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := *p.Manifest
	other := strings.Replace(sbomJSON, `"MIT"`, `"Apache-2.0"`, 1)
	p2, err := read(t, rewrite(t, p, &m, map[string][]byte{"sboms/01-build.1.cdx.json": []byte(other)}), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := r.verify(t, p2)
	if res.Passed || !strings.Contains(report.PackText(res), "FAIL sbom sboms/01-build.1.cdx.json: not the predicate of any attestation the policy counted") {
		t.Fatalf("a swapped SBOM passed:\n%s", report.PackText(res))
	}
}

func TestWrongTrustRootAndProduct(t *testing.T) {
	r := newRelease(t, 1, 1)
	p, err := read(t, r.build(t, pack.WriteOptions{}), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := pack.Verify(context.Background(), p, pack.VerifyConfig{TrustRoots: append(r.cfg.TrustRoots[:0:0], r.ci.Signer.Public()), Now: r.cfg.Now})
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || !strings.Contains(report.PackText(res), "FAIL consign policy") {
		t.Fatalf("wrong trust root passed:\n%s", report.PackText(res))
	}
	// Nothing signed the manifest's product: the result does not repeat
	// it, in text or JSON, and says why.
	if got, want := res.Pack.Unknown, "the policy's signature did not verify"; got != want || res.Pack.Product != "" || res.Pack.PolicyVersion != 0 {
		t.Errorf("wrong trust root: pack summary %+v, want no product or version and Unknown %q", res.Pack, want)
	}
	js, err := json.Marshal(res.Pack)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(js), p.Manifest.Product) || strings.Contains(string(js), `"policyVersion"`) {
		t.Errorf("wrong trust root: JSON pack summary %s repeats the manifest's claims", js)
	}
	m := *p.Manifest
	m.Product = "other-product"
	p2, err := read(t, rewrite(t, p, &m, nil), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res := r.verify(t, p2); res.Passed {
		t.Fatal("a manifest naming another product passed")
	}
}

// rewrite re-packs p with manifest m, replacing the contents of the named
// files (their manifest entries follow).
func rewrite(t testing.TB, p *pack.Pack, m *pack.Manifest, replace map[string][]byte) []byte {
	t.Helper()
	var files []pack.Content
	for _, f := range p.Manifest.Files {
		data := p.Data(f.Path)
		if b, ok := replace[f.Path]; ok {
			data = b
		}
		f.SHA256, f.Size = "", 0
		files = append(files, pack.Content{File: f, Data: data})
	}
	m.Files = nil
	var buf bytes.Buffer
	if err := pack.Write(&buf, m, files, pack.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// --- reading: security cases 36, 41-45, 68 (docs/security.md) and the manifest ---

// wantRead reads an archive, extracting into a fresh directory beside a
// sentinel, and wants err; nothing may be left behind.
func wantRead(t *testing.T, data []byte, want error, why string) {
	t.Helper()
	dest, guard := sentinel(t)
	p, err := pack.Read(context.Background(), bytes.NewReader(data), pack.Options{ExtractTo: dest})
	if err == nil {
		p.Close()
		t.Fatalf("%s: read without error", why)
	}
	if !errors.Is(err, want) || !errors.Is(err, pack.ErrInvalid) {
		t.Fatalf("%s: error %v, want %v", why, err, want)
	}
	assertUntouched(t, dest, guard)
}

func TestSecurityCase41_Traversal(t *testing.T) {
	for _, name := range []string{"../../etc/passwd", "/etc/shadow", `C:\Windows\x`, `..\..\x`, "a/../../x", "a/../b", "C:x", "./../x", "a//b", "a/./b", "x\x01y", "bad\xffutf8"} {
		evil := file(name, "pwned")
		data := archive(t, false, manifestFor(t, policyFile), policyFile, evil)
		wantRead(t, data, pack.ErrUnsafeName, name)
		// The manifest itself may not list such a name either (JSON cannot
		// carry invalid UTF-8 at all).
		if !utf8.ValidString(name) {
			continue
		}
		data = archive(t, false, manifestFor(t, policyFile, evil), policyFile)
		wantRead(t, data, pack.ErrManifest, "manifest listing "+name)
	}
}

func TestSecurityCase42_Links(t *testing.T) {
	target := file("docs/target.txt", "hello")
	cases := []struct {
		name    string
		entries []entry
		want    error
	}{
		{"symlink out, then write through it", []entry{symlink("lnk", "/tmp/outside"), file("lnk/pwned", "x")}, pack.ErrUnsafeLink},
		{"relative symlink out", []entry{symlink("docs/up", "../../outside")}, pack.ErrUnsafeLink},
		{"chain whose second link leaves", []entry{symlink("a", "b"), symlink("b", "../..")}, pack.ErrUnsafeLink},
		{"symlink to a symlink", []entry{target, symlink("b", "docs/target.txt"), symlink("a", "b")}, pack.ErrUnsafeLink},
		{"symlink to nothing", []entry{symlink("a", "missing.txt")}, pack.ErrUnsafeLink},
		{"hardlink out", []entry{{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "h", Linkname: "/etc/passwd", Mode: 0o644}}}, pack.ErrUnsafeLink},
		{"hardlink up", []entry{{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "h", Linkname: "../x", Mode: 0o644}}}, pack.ErrUnsafeLink},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Listed in the manifest or not, the link itself is refused.
			m := manifestFor(t, append([]entry{policyFile}, c.entries...)...)
			wantRead(t, archive(t, false, append([]entry{m, policyFile}, c.entries...)...), c.want, c.name)
			// Unlisted, a link is refused for itself when that alone shows
			// it unsafe, and otherwise for being unlisted.
			want := c.want
			if c.name == "chain whose second link leaves" || c.name == "symlink to a symlink" || c.name == "symlink to nothing" {
				want = pack.ErrUnlisted
			}
			wantRead(t, archive(t, false, append([]entry{manifestFor(t, policyFile), policyFile}, c.entries...)...), want, c.name+", unlisted")
		})
	}
	// Positive controls: a safe relative link, a "./" root entry and a
	// hard link to an earlier file are accepted, and extracted as links
	// that resolve inside.
	link := symlink("docs/link", "target.txt")
	hard := entry{hdr: tar.Header{Typeflag: tar.TypeLink, Name: "docs/hard.txt", Linkname: "docs/target.txt", Mode: 0o644}, data: target.data}
	m := manifestFor(t, policyFile, target, link, hard)
	root := entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "./", Mode: 0o755}}
	hard.data = nil
	data := archive(t, true, root, m, policyFile, target, link, hard)
	dest := filepath.Join(t.TempDir(), "out")
	p, err := pack.Read(context.Background(), bytes.NewReader(data), pack.Options{ExtractTo: dest})
	if err != nil {
		t.Fatalf("safe links refused: %v", err)
	}
	if got := string(p.Data("docs/link")); got != "hello\n" {
		t.Errorf("Data through the link = %q", got)
	}
	if got := string(p.Data("docs/hard.txt")); got != "hello\n" {
		t.Errorf("Data of the hard link = %q", got)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(dest, "docs", "link")); err != nil || string(got) != "hello" {
		t.Errorf("extracted link reads %q, %v", got, err)
	}
	if tgt, err := os.Readlink(filepath.Join(dest, "docs", "link")); err != nil || tgt != "target.txt" {
		t.Errorf("extracted link target %q, %v", tgt, err)
	}
}

func TestSecurityCase36_ModeAndType(t *testing.T) {
	tool := file("artifacts/bin/tool", "#!/bin/sh\n")
	tool.hdr.Mode = 0o755
	m := manifestFor(t, policyFile, tool)
	for _, mode := range []int64{0o4755, 0o2755, 0o1755, 0o777, 0o644} {
		evil := tool
		evil.hdr.Mode = mode
		wantRead(t, archive(t, false, m, policyFile, evil), pack.ErrMismatch, "mode change")
	}
	// The same name as a symlink whose target has the same bytes.
	real := file("artifacts/real", "#!/bin/sh\n")
	real.hdr.Mode = 0o755
	m2 := manifestFor(t, policyFile, tool, real)
	wantRead(t, archive(t, false, m2, policyFile, real, symlink("artifacts/bin/tool", "../real")), pack.ErrMismatch, "file swapped for a symlink")
	// Devices, FIFOs and sparse files are refused whatever the manifest says.
	for _, typ := range []byte{tar.TypeChar, tar.TypeBlock, tar.TypeFifo, 'Z'} {
		e := entry{hdr: tar.Header{Typeflag: typ, Name: "artifacts/dev", Mode: 0o644}}
		wantRead(t, archive(t, false, m, policyFile, e), pack.ErrEntryType, string(typ))
	}
	// A GNU sparse header (whose holes would expand) does not even parse.
	sparse := entry{hdr: tar.Header{Typeflag: tar.TypeGNUSparse, Name: "artifacts/dev", Mode: 0o644}}
	wantRead(t, archive(t, false, m, policyFile, sparse), pack.ErrInvalid, "sparse")
	// A manifest cannot ask for setuid.
	bad := *mustManifest(t, m)
	bad.Files = slices.Clone(bad.Files)
	for i := range bad.Files {
		if bad.Files[i].Path == "artifacts/bin/tool" {
			bad.Files[i].Mode = "4755"
		}
	}
	wantRead(t, archive(t, false, rawManifest(&bad), policyFile, tool), pack.ErrManifest, "setuid in the manifest")
	// Control: the right mode is extracted as is.
	dest := filepath.Join(t.TempDir(), "out")
	p, err := pack.Read(context.Background(), bytes.NewReader(archive(t, false, m, policyFile, tool)), pack.Options{ExtractTo: dest})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dest, "artifacts", "bin", "tool")); err != nil || fi.Mode() != 0o755 {
		t.Errorf("extracted: %v, %v", fi.Mode(), err)
	}
}

func mustManifest(t testing.TB, e entry) *pack.Manifest {
	t.Helper()
	m, err := pack.ParseManifest(e.data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSecurityCase43_Bombs(t *testing.T) {
	// 80 MiB of zeros: a few hundred KiB gzip-compressed.
	zeros := entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "artifacts/zeros", Mode: 0o644, Size: 80 << 20}, data: make([]byte, 80<<20)}
	m := manifestFor(t, policyFile, zeros)
	data := archive(t, true, m, policyFile, zeros)
	if len(data) > 1<<20 {
		t.Fatalf("the bomb is %d bytes compressed", len(data))
	}
	for _, c := range []struct {
		name string
		lim  pack.Limits
	}{
		{"total bytes", pack.Limits{MaxBytes: 64 << 20}},
		{"ratio", pack.Limits{MaxRatio: 10}},
		{"entries", pack.Limits{MaxEntries: 2}},
		{"evidence held in memory", pack.Limits{MaxMetadata: 10}},
	} {
		dest, guard := sentinel(t)
		p, err := pack.Read(context.Background(), bytes.NewReader(data), pack.Options{Limits: c.lim, ExtractTo: dest})
		if err == nil {
			p.Close()
			t.Fatalf("%s: a bomb was read", c.name)
		}
		if !errors.Is(err, pack.ErrTooLarge) {
			t.Fatalf("%s: %v", c.name, err)
		}
		assertUntouched(t, dest, guard)
	}
	// Control: limits above it take it (80 MiB of zeros is over the
	// default ratio of 1,000 all by itself).
	if _, err := read(t, data, pack.Options{Limits: pack.Limits{MaxRatio: 2000}}); err != nil {
		t.Fatalf("control: %v", err)
	}
	// A header claiming 2^40 bytes is refused before anything is read.
	huge := entry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "artifacts/zeros", Mode: 0o644, Size: 1 << 40}}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range []entry{m, policyFile} {
		h := e.hdr
		tw.WriteHeader(&h)
		tw.Write(e.data)
	}
	h := huge.hdr
	tw.WriteHeader(&h)
	tw.Flush() // no data, no Close: the header alone
	_, err := pack.Read(context.Background(), bytes.NewReader(buf.Bytes()), pack.Options{Limits: pack.Limits{MaxBytes: 1 << 30}})
	if !errors.Is(err, pack.ErrTooLarge) {
		t.Fatalf("2^40-byte header: %v", err)
	}
}

func TestSecurityCase44_Duplicates(t *testing.T) {
	good := file("attestations/a.jsonl", "good")
	evil := file("attestations/a.jsonl", "evil")
	m := manifestFor(t, policyFile, good)
	wantRead(t, archive(t, false, m, policyFile, good, evil), pack.ErrDuplicate, "the same name twice")
	wantRead(t, archive(t, false, m, policyFile, good, file("./attestations/a.jsonl", "good")), pack.ErrDuplicate, "a and ./a")
	wantRead(t, archive(t, false, m, m, policyFile, good), pack.ErrDuplicate, "manifest twice")
	// Verify and use read the same bytes: the second copy never replaces
	// the first, because there is no second copy.
	wantRead(t, archive(t, false, m, policyFile, evil), pack.ErrMismatch, "evil bytes under a listed name")
}

func TestSecurityCase45_NothingHalfExtracted(t *testing.T) {
	a := file("attestations/a.jsonl", "aaaa")
	b := file("attestations/b.jsonl", "bbbb")
	m := manifestFor(t, policyFile, a, b)
	b.data = []byte("BBBB") // fails after a was extracted
	wantRead(t, archive(t, false, m, policyFile, a, b), pack.ErrMismatch, "second file corrupt")
	// The destination must not exist: nothing is merged into it.
	dest := t.TempDir()
	if _, err := pack.Read(context.Background(), bytes.NewReader(archive(t, false, manifestFor(t, policyFile), policyFile)), pack.Options{ExtractTo: dest}); err == nil {
		t.Fatal("extracted into an existing directory")
	}
	// A pack verified but never committed leaves nothing.
	dest, guard := sentinel(t)
	p, err := pack.Read(context.Background(), bytes.NewReader(archive(t, false, manifestFor(t, policyFile, a), policyFile, a)), pack.Options{ExtractTo: dest})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	assertUntouched(t, dest, guard)
}

func TestSecurityCase68_Collisions(t *testing.T) {
	for _, pair := range [][2]string{
		{"README.md", "Readme.md"},
		{"caf\u00e9.txt", "cafe\u0301.txt"},
		{"dir/A", "DIR/a"},
		{"stra\u00dfe", "STRASSE"},
	} {
		a, b := file(pair[0], "one"), file(pair[1], "two")
		wantRead(t, archive(t, false, manifestFor(t, policyFile, a), policyFile, a, b), pack.ErrDuplicate, pair[0]+" + "+pair[1])
		wantRead(t, archive(t, false, manifestFor(t, policyFile, a, b), policyFile, a, b), pack.ErrManifest, "manifest with "+pair[0]+" + "+pair[1])
	}
	// Names are otherwise compared byte for byte: distinct names pass.
	a, b := file("README.md", "one"), file("README.txt", "two")
	if _, err := read(t, archive(t, false, manifestFor(t, policyFile, a, b), policyFile, a, b), pack.Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestManifestMustMatchArchive(t *testing.T) {
	a := file("attestations/a.jsonl", "aaaa")
	b := file("attestations/b.jsonl", "bbbb")
	wantRead(t, archive(t, false, manifestFor(t, policyFile, a), policyFile, a, b), pack.ErrUnlisted, "a file the manifest omits")
	wantRead(t, archive(t, false, manifestFor(t, policyFile, a, b), policyFile, a), pack.ErrMissing, "a file the archive lacks")
	wantRead(t, archive(t, false, policyFile, manifestFor(t, policyFile)), pack.ErrManifest, "manifest not first")
	wantRead(t, archive(t, false, manifestFor(t, a), a), pack.ErrManifest, "no policy")
	wantRead(t, archive(t, false, file(pack.ManifestName, `{"packFormat":"https://consign.dev/pack/v1","packFormat":"x"}`)), pack.ErrManifest, "duplicate key")
	wantRead(t, archive(t, false, file(pack.ManifestName, `{"packFormat":"https://consign.dev/pack/v9"}`)), pack.ErrManifest, "unknown format")
	dir := entry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: "unlisted/", Mode: 0o755}}
	wantRead(t, archive(t, false, manifestFor(t, policyFile), policyFile, dir), pack.ErrUnlisted, "an empty directory")
	short := a
	short.hdr.Size = 3
	short.data = short.data[:3]
	wantRead(t, archive(t, false, manifestFor(t, policyFile, a), policyFile, short), pack.ErrMismatch, "a truncated file")
	// Data after the end of the archive.
	good := archive(t, false, manifestFor(t, policyFile), policyFile)
	wantRead(t, append(slices.Clone(good), "hidden"...), pack.ErrFormat, "trailing data")
	if _, err := read(t, append(slices.Clone(good), make([]byte, 4096)...), pack.Options{}); err != nil {
		t.Fatalf("trailing zero padding: %v", err)
	}
	gz := archive(t, true, manifestFor(t, policyFile), policyFile)
	wantRead(t, append(slices.Clone(gz), gz...), pack.ErrFormat, "a second gzip member")
	wantRead(t, []byte("PK\x03\x04 a zip"), pack.ErrFormat, "zip")
	wantRead(t, []byte("\x28\xb5\x2f\xfd zstd"), pack.ErrFormat, "zstd")
	wantRead(t, []byte("hello"), pack.ErrFormat, "not an archive")
	wantRead(t, gz[:len(gz)/2], pack.ErrFormat, "truncated gzip")
}

// Every byte of a pack matters: flipping one is refused, or harmless to
// the files read (tar header fields such as the time or owner, and the
// manifest's own text, which is not signed: verification judges it).
func TestEveryByte(t *testing.T) {
	r := newRelease(t, 1, 1)
	data := r.build(t, pack.WriteOptions{})
	ref, err := read(t, data, pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(data); i += 7 {
		mut := slices.Clone(data)
		mut[i] ^= 0x20
		p, err := pack.Read(context.Background(), bytes.NewReader(mut), pack.Options{})
		if err != nil {
			if !errors.Is(err, pack.ErrInvalid) {
				t.Fatalf("byte %d: %v does not wrap ErrInvalid", i, err)
			}
			continue
		}
		// Accepted: then every file read is the one verified.
		for _, f := range ref.Manifest.Files {
			if f.Role != pack.RoleArtifact && !bytes.Equal(p.Data(f.Path), ref.Data(f.Path)) {
				t.Fatalf("byte %d changed %s and the pack was still read", i, f.Path)
			}
		}
	}
}

func TestInspectList(t *testing.T) {
	r := newRelease(t, 1, 1)
	path := filepath.Join(t.TempDir(), "r.pack")
	if err := os.WriteFile(path, r.build(t, pack.WriteOptions{Gzip: true}), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := pack.ListFile(context.Background(), path, pack.Limits{})
	if err != nil || len(l.Problems) != 0 || l.Manifest == nil || len(l.Entries) != 4 || l.Entries[0].Role != "manifest" {
		t.Fatalf("ListFile = %+v, %v", l, err)
	}
	extra := archive(t, false, manifestFor(t, policyFile), policyFile, file("unlisted", "x"))
	if err := os.WriteFile(path, extra, 0o644); err != nil {
		t.Fatal(err)
	}
	l, err = pack.ListFile(context.Background(), path, pack.Limits{})
	if err != nil || len(l.Problems) != 1 || !strings.Contains(l.Problems[0], "unlisted") || l.Entries[2].Role != "" {
		t.Fatalf("ListFile of a bad pack = %+v, %v", l, err)
	}
}

func TestArtifactDigestMustMatchIncludedFile(t *testing.T) {
	art := file("artifacts/app", "the app")
	m := mustManifest(t, manifestFor(t, policyFile, art))
	m.Artifacts = []pack.Artifact{{Name: "app", Digest: digest.Set{digest.SHA256: strings.Repeat("cd", 32)}, Size: 7, Path: "artifacts/app"}}
	wantRead(t, archive(t, false, rawManifest(m), policyFile, art), pack.ErrManifest, "artifact digest differs from its file's")
}

// failAfter is a disk that fills after n bytes.
type failAfter struct {
	w io.Writer
	n int
}

func (f *failAfter) Write(b []byte) (int, error) {
	if len(b) > f.n {
		n, _ := f.w.Write(b[:f.n])
		f.n = 0
		return n, syscall.ENOSPC
	}
	f.n -= len(b)
	return f.w.Write(b)
}

// security case 45 (docs/security.md): the disk fills while a pack is written: a clean error,
// and no partial pack and no temporary file left.
func TestSecurityCase45_DiskFullWhilePacking(t *testing.T) {
	r := newRelease(t, 1, 1)
	r.cfg.Include = map[int]string{0: r.artifacts[0]}
	plan, err := pack.Build(context.Background(), r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "release.pack")
	err = fsutil.WriteStream(out, 0o644, false, func(w io.Writer) error {
		return pack.Write(&failAfter{w: w, n: 2000}, plan.Manifest, plan.Files, pack.WriteOptions{Gzip: true})
	})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("WriteStream = %v, want ENOSPC", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
}

// Nothing rides along unverified: an artifact file no artifact names, a
// second policy, an attestation no stage counted.
func TestNothingUnverifiedRidesAlong(t *testing.T) {
	r := newRelease(t, 1, 1)
	p, err := read(t, r.build(t, pack.WriteOptions{}), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, extra := range []pack.File{
		{Path: "artifacts/malware.exe", Role: pack.RoleArtifact, Mode: "0755"},
		{Path: "policy/other.json", Role: pack.RolePolicy, Mode: "0644"},
	} {
		m := *p.Manifest
		var files []pack.Content
		for _, f := range p.Manifest.Files {
			f.SHA256, f.Size = "", 0
			files = append(files, pack.Content{File: f, Data: p.Data(f.Path)})
		}
		files = append(files, pack.Content{File: extra, Data: []byte("x")})
		if err := pack.Write(io.Discard, &m, files, pack.WriteOptions{}); !errors.Is(err, pack.ErrManifest) {
			t.Errorf("%s: Write = %v, want ErrManifest", extra.Path, err)
		}
	}
	// An attestation the policy does not count, added with its manifest
	// entry: the pack fails.
	m := *p.Manifest
	att := "attestations/01-build.intoto.jsonl"
	more := append(slices.Clone(p.Data(att)), r.cfg.Attestations[1].Data...)
	p2, err := read(t, rewrite(t, p, &m, map[string][]byte{att: more}), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := r.verify(t, p2)
	if res.Passed || !strings.Contains(report.PackText(res), "is in the pack but counted for no stage") {
		t.Fatalf("an uncounted attestation rode along:\n%s", report.PackText(res))
	}
}

// TestUnsignedReleaseLabelIsNotShown: the manifest's release label is not
// signed, so whoever edits it ("9.9-SECURITY-FIX") must not see it printed
// as a verified fact; what the result shows is the signed policy's product
// and version.
func TestUnsignedReleaseLabelIsNotShown(t *testing.T) {
	r := newRelease(t, 1, 1)
	r.cfg.Release = "9.9-SECURITY-FIX"
	p, err := read(t, r.build(t, pack.WriteOptions{}), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res := r.verify(t, p)
	if !res.Passed {
		t.Fatalf("pack does not verify:\n%s", report.PackText(res))
	}
	var js bytes.Buffer
	if err := report.Pack(&js, report.JSON, res); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"text": report.PackText(res), "json": js.String()} {
		if strings.Contains(out, "9.9-SECURITY-FIX") {
			t.Errorf("the %s result shows the unsigned release label:\n%s", name, out)
		}
	}
	if !strings.Contains(report.PackText(res), `under signed policy version `) {
		t.Errorf("the result does not name the signed policy's version:\n%s", report.PackText(res))
	}
}

// Envelope lines longer than the line reader's buffer are read as they
// stream (attest.EnvelopeSink), by Build from its inputs and by Read from
// the pack: the pack holds them byte for byte as given, the same pack as
// one built from lines held whole, it verifies with its SBOM, and a
// payload changed by one letter fails its signature.
func TestStreamedEnvelopeLines(t *testing.T) {
	r := newReleasePadded(t, 1, 1, nil, 2000)
	data := r.cfg.Attestations[0].Data
	held := r.build(t, pack.WriteOptions{})
	for i, in := range r.cfg.Attestations {
		docs, err := jsonl.StreamDocuments(context.Background(), bytes.NewReader(in.Data), in.Name, jsonl.Limits{}, &attest.EnvelopeSink{})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range docs {
			if d.Streamed == nil {
				t.Fatalf("%s:%d (%d bytes) was not read as it streamed", in.Name, d.N, len(d.Data))
			}
		}
		r.cfg.Attestations[i] = verify.Input{Name: in.Name, Docs: docs}
	}
	streamed := r.build(t, pack.WriteOptions{})
	if !bytes.Equal(streamed, held) {
		t.Fatalf("the pack built from streamed lines differs from the one built from lines held whole")
	}
	p, err := read(t, streamed, pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const name = "attestations/01-build.intoto.jsonl"
	for _, d := range p.Documents(name) {
		if d.Streamed == nil {
			t.Errorf("Read: %s:%d was not read as it streamed", name, d.N)
		}
	}
	if att := p.Data(name); !bytes.Equal(att, data) {
		t.Errorf("packed attestations are not the lines as given (%d bytes, want %d)", len(att), len(data))
	}
	res := r.verify(t, p)
	if !res.Passed || len(res.SBOMs) != 1 || res.SBOMs[0].Status != verify.StatusPass {
		t.Fatalf("pack of streamed lines does not verify:\n%s", report.PackText(res))
	}
	// One letter in the middle of the first payload changed: still
	// canonical base64, so read as it streams, and another payload.
	i := bytes.Index(data, []byte(`"payload":"`)) + len(`"payload":"`) + 100
	bad := bytes.Clone(data)
	bad[i] = map[bool]byte{true: 'B', false: 'A'}[bad[i] == 'A']
	tampered := rewrite(t, p, p.Manifest, map[string][]byte{name: bad})
	tp, err := read(t, tampered, pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := tp.Documents(name); len(d) == 0 || d[0].Streamed == nil {
		t.Fatalf("the tampered line was not read as it streamed")
	}
	if res := r.verify(t, tp); res.Passed {
		t.Fatalf("a pack with a changed payload verified:\n%s", report.PackText(res))
	}
}
