package verify

import (
	"bytes"
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/sign"
)

// itKey is a consign test key as in-toto-golang loads it: with the private
// key, to sign, and public only, for layouts.
type itKey struct {
	k         *testKey
	priv, pub in_toto.Key
}

func newITKey(t testing.TB, name string) *itKey {
	t.Helper()
	return itKeyOf(t, newKey(t, name))
}

func itKeyOf(t testing.TB, k *testKey) *itKey {
	t.Helper()
	pemPriv, err := sign.MarshalPrivateKeyUnencryptedUnsafe(k.Signer.PrivateKey())
	if err != nil {
		t.Fatal(err)
	}
	out := &itKey{k: k}
	if err := out.priv.LoadKeyReaderDefaults(bytes.NewReader(pemPriv)); err != nil {
		t.Fatal(err)
	}
	if err := out.pub.LoadKeyReaderDefaults(strings.NewReader(k.PEM)); err != nil {
		t.Fatal(err)
	}
	return out
}

func artifacts(m map[string]digest.Set) map[string]any {
	out := map[string]any{}
	for n, d := range m {
		h := map[string]any{}
		for alg, v := range d {
			h[alg] = v
		}
		out[n] = h
	}
	return out
}

// layoutFixture is an in-toto v0.9 supply chain made with in-toto-golang:
// a layout signed by owner, and links signed by the functionary.
type layoutFixture struct {
	owner, fn *itKey
	layout    in_toto.Layout
	dir       string // links directory
	src, app  map[string]digest.Set
}

func newLayoutFixture(t testing.TB) *layoutFixture {
	f := &layoutFixture{
		owner: newITKey(t, "owner"), fn: newITKey(t, "ci"), dir: t.TempDir(),
		src: map[string]digest.Set{"src/main.c": sha("int main;")},
		app: map[string]digest.Set{"dist/app": sha("the app")},
	}
	f.layout = in_toto.Layout{
		Type:    "layout",
		Expires: time.Now().Add(3 * 365 * 24 * time.Hour).UTC().Format(in_toto.ISO8601DateSchema),
		Keys:    map[string]in_toto.Key{f.fn.pub.KeyID: f.fn.pub},
		Steps: []in_toto.Step{
			{Type: "step", PubKeys: []string{f.fn.pub.KeyID}, Threshold: 1, ExpectedCommand: []string{"make"},
				SupplyChainItem: in_toto.SupplyChainItem{Name: "build",
					ExpectedMaterials: [][]string{{"ALLOW", "src/*"}, {"DISALLOW", "*"}},
					ExpectedProducts:  [][]string{{"CREATE", "dist/*"}, {"DISALLOW", "*"}}}},
			{Type: "step", PubKeys: []string{f.fn.pub.KeyID}, Threshold: 1, ExpectedCommand: []string{"true"},
				SupplyChainItem: in_toto.SupplyChainItem{Name: "package",
					ExpectedMaterials: [][]string{{"MATCH", "dist/*", "WITH", "PRODUCTS", "FROM", "build"}, {"DISALLOW", "*"}},
					ExpectedProducts:  [][]string{{"MATCH", "dist/*", "WITH", "PRODUCTS", "FROM", "build"}, {"DISALLOW", "*"}}}},
		},
		Inspect: []in_toto.Inspection{},
	}
	f.link(t, "build", f.src, f.app, f.fn)
	f.link(t, "package", f.app, f.app, f.fn)
	return f
}

// link writes a link signed (legacy Metablock) by k as in-toto names it.
func (f *layoutFixture) link(t testing.TB, name string, materials, products map[string]digest.Set, k *itKey) {
	t.Helper()
	mb := &in_toto.Metablock{Signed: in_toto.Link{Type: "link", Name: name, Materials: artifacts(materials), Products: artifacts(products),
		ByProducts: map[string]any{"return-value": 0}, Command: []string{"make"}, Environment: map[string]any{}}}
	if err := mb.Sign(k.priv); err != nil {
		t.Fatal(err)
	}
	if err := mb.Dump(filepath.Join(f.dir, fmt.Sprintf(in_toto.LinkNameFormat, name, k.priv.KeyID))); err != nil {
		t.Fatal(err)
	}
}

func (f *layoutFixture) signedLayout(t testing.TB) *in_toto.Metablock {
	t.Helper()
	mb := &in_toto.Metablock{Signed: f.layout}
	if err := mb.Sign(f.owner.priv); err != nil {
		t.Fatal(err)
	}
	return mb
}

func (f *layoutFixture) config(t testing.TB) LayoutConfig {
	t.Helper()
	b, err := json.Marshal(f.signedLayout(t))
	if err != nil {
		t.Fatal(err)
	}
	return LayoutConfig{Layout: b, LayoutName: "root.layout", LayoutKeys: []crypto.PublicKey{f.owner.k.pub()},
		Links: os.DirFS(f.dir), LinksName: "links", Artifacts: []Artifact{{Name: "dist/app", Digest: f.app["dist/app"]}},
		Now: func() time.Time { return testNow }}
}

func verifyLayoutT(t testing.TB, cfg LayoutConfig) *Result {
	t.Helper()
	res, err := VerifyLayout(context.Background(), cfg)
	if err != nil {
		t.Fatalf("VerifyLayout() error = %v", err)
	}
	return res
}

// inTotoGolang runs in-toto-golang's own InTotoVerify on the fixture, and
// reports a panic as an error.
func (f *layoutFixture) inTotoGolang(t testing.TB) (err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	_, err = in_toto.InTotoVerify(f.signedLayout(t), map[string]in_toto.Key{f.owner.pub.KeyID: f.owner.pub}, f.dir, "", nil, nil, false)
	return err
}

func TestLayoutVerifiesLikeInTotoGolang(t *testing.T) {
	f := newLayoutFixture(t)
	if err := f.inTotoGolang(t); err != nil {
		t.Fatalf("in-toto-golang rejects the fixture: %v", err)
	}
	res := verifyLayoutT(t, f.config(t))
	wantPass(t, res)
	if res.Policy.Kind != "in-toto layout" || len(res.Stages) != 2 {
		t.Errorf("report = %+v", res.Policy)
	}

	// The package link reports a product other than the build's: both fail.
	other := map[string]digest.Set{"dist/app": sha("tampered")}
	f.link(t, "package", other, other, f.fn)
	if err := f.inTotoGolang(t); err == nil {
		t.Errorf("in-toto-golang accepts a tampered product")
	}
	wantFail(t, verifyLayoutT(t, f.config(t)), "stage package: materials rule DISALLOW * failed")
}

func TestLayoutRefusals(t *testing.T) {
	f := newLayoutFixture(t)
	cfg := f.config(t)
	cfg.LayoutKeys = []crypto.PublicKey{f.fn.k.pub()}
	wantFail(t, verifyLayoutT(t, cfg), "0 of the 1 layout key(s) signed the layout")

	cfg = f.config(t)
	cfg.Now = func() time.Time { return time.Now().Add(4 * 365 * 24 * time.Hour) }
	wantFail(t, verifyLayoutT(t, cfg), "the layout expired")

	// A link signed by a key the step does not name does not count.
	mallory := newITKey(t, "mallory")
	os.Remove(filepath.Join(f.dir, fmt.Sprintf(in_toto.LinkNameFormat, "build", f.fn.priv.KeyID)))
	f.link(t, "build", f.src, f.app, mallory)
	wantFail(t, verifyLayoutT(t, f.config(t)), "stage build: no link attestation signed by its functionaries")
}

// TestLayoutLinksMustAgree: a step's links must report the same artifacts
// (in-toto's ReduceStepsMetadata), unlike a consign policy's shards.
func TestLayoutLinksMustAgree(t *testing.T) {
	f := newLayoutFixture(t)
	bob := newITKey(t, "bob")
	f.layout.Keys[bob.pub.KeyID] = bob.pub
	f.layout.Steps[0].PubKeys = append(f.layout.Steps[0].PubKeys, bob.pub.KeyID)
	f.link(t, "build", f.src, map[string]digest.Set{"dist/app": f.app["dist/app"], "dist/extra": sha("x")}, bob)
	wantFail(t, verifyLayoutT(t, f.config(t)), "report different artifacts")
}

// TestLayoutDSSE: a DSSE layout and DSSE-wrapped links, as in-toto-golang
// writes them in its DSSE mode, verify too. The functionary has an Ed25519
// key: in-toto-golang writes DSSE payloads in OLPC canonical JSON, which
// leaves the line breaks of a PEM key raw inside a string, so a layout
// holding a PEM key is not JSON; in-toto-golang's own loader refuses it,
// and so does consign.
func TestLayoutDSSE(t *testing.T) {
	f := newLayoutFixture(t)
	pemLayout := &in_toto.Envelope{}
	if err := pemLayout.SetPayload(f.layout); err != nil {
		t.Fatal(err)
	}
	if err := pemLayout.Sign(f.owner.priv); err != nil {
		t.Fatal(err)
	}
	pemPath := filepath.Join(t.TempDir(), "pem.layout")
	if err := pemLayout.Dump(pemPath); err != nil {
		t.Fatal(err)
	}
	if _, err := in_toto.LoadMetadata(pemPath); err == nil {
		t.Errorf("in-toto-golang loads a DSSE layout whose payload holds raw line breaks; the comment above is out of date")
	}
	cfg := f.config(t)
	cfg.Layout, _ = os.ReadFile(pemPath)
	wantFail(t, verifyLayoutT(t, cfg), "invalid character")

	old, _ := filepath.Glob(filepath.Join(f.dir, "*.link"))
	for _, o := range old {
		os.Remove(o)
	}
	fn := itKeyOf(t, newKeyAlg(t, "ci-ed25519", sign.Ed25519))
	f.fn = fn
	f.layout.Keys = map[string]in_toto.Key{fn.pub.KeyID: fn.pub}
	for i := range f.layout.Steps {
		f.layout.Steps[i].PubKeys = []string{fn.pub.KeyID}
	}
	for _, name := range []string{"build", "package"} {
		materials, products := f.src, f.app
		if name == "package" {
			materials = f.app
		}
		env := &in_toto.Envelope{}
		if err := env.SetPayload(in_toto.Link{Type: "link", Name: name, Materials: artifacts(materials), Products: artifacts(products), ByProducts: map[string]any{}, Command: []string{}, Environment: map[string]any{}}); err != nil {
			t.Fatal(err)
		}
		if err := env.Sign(f.fn.priv); err != nil {
			t.Fatal(err)
		}
		if err := env.Dump(filepath.Join(f.dir, fmt.Sprintf(in_toto.LinkNameFormat, name, f.fn.priv.KeyID))); err != nil {
			t.Fatal(err)
		}
	}
	env := &in_toto.Envelope{}
	if err := env.SetPayload(f.layout); err != nil {
		t.Fatal(err)
	}
	if err := env.Sign(f.owner.priv); err != nil {
		t.Fatal(err)
	}
	layoutPath := filepath.Join(t.TempDir(), "root.layout")
	if err := env.Dump(layoutPath); err != nil {
		t.Fatal(err)
	}
	loaded, err := in_toto.LoadMetadata(layoutPath)
	if err != nil {
		t.Fatalf("in-toto-golang cannot load its own DSSE layout: %v", err)
	}
	if _, err := in_toto.InTotoVerify(loaded, map[string]in_toto.Key{f.owner.pub.KeyID: f.owner.pub}, f.dir, "", nil, nil, false); err != nil {
		t.Fatalf("in-toto-golang rejects its own DSSE chain: %v", err)
	}
	cfg = f.config(t)
	cfg.Layout, _ = os.ReadFile(layoutPath)
	wantPass(t, verifyLayoutT(t, cfg))
}

// TestLayoutSublayout: a step carried out under a sublayout signed by its
// functionary, with the sublayout's links in STEP.KEYID8/.
func TestLayoutSublayout(t *testing.T) {
	f := newLayoutFixture(t)
	sub := newITKey(t, "sub-fn")
	subLayout := in_toto.Layout{Type: "layout", Expires: f.layout.Expires,
		Keys: map[string]in_toto.Key{sub.pub.KeyID: sub.pub},
		Steps: []in_toto.Step{
			{Type: "step", PubKeys: []string{sub.pub.KeyID}, Threshold: 1, SupplyChainItem: in_toto.SupplyChainItem{Name: "compile",
				ExpectedMaterials: [][]string{{"ALLOW", "src/*"}, {"DISALLOW", "*"}}, ExpectedProducts: [][]string{{"ALLOW", "obj/*"}, {"DISALLOW", "*"}}}},
			{Type: "step", PubKeys: []string{sub.pub.KeyID}, Threshold: 1, SupplyChainItem: in_toto.SupplyChainItem{Name: "link",
				ExpectedMaterials: [][]string{{"MATCH", "obj/*", "WITH", "PRODUCTS", "FROM", "compile"}, {"DISALLOW", "*"}}, ExpectedProducts: [][]string{{"ALLOW", "dist/*"}, {"DISALLOW", "*"}}}},
		}, Inspect: []in_toto.Inspection{}}
	mb := &in_toto.Metablock{Signed: subLayout}
	if err := mb.Sign(f.fn.priv); err != nil { // the sublayout is signed by the step's functionary
		t.Fatal(err)
	}
	os.Remove(filepath.Join(f.dir, fmt.Sprintf(in_toto.LinkNameFormat, "build", f.fn.priv.KeyID)))
	if err := mb.Dump(filepath.Join(f.dir, fmt.Sprintf(in_toto.LinkNameFormat, "build", f.fn.priv.KeyID))); err != nil {
		t.Fatal(err)
	}
	subDir := filepath.Join(f.dir, fmt.Sprintf(in_toto.SublayoutLinkDirFormat, "build", f.fn.pub.KeyID))
	if err := os.MkdirAll(subDir, 0o755); err != nil {
		t.Fatal(err)
	}
	obj := map[string]digest.Set{"obj/main.o": sha("obj")}
	parent := f.dir
	f.dir = subDir
	f.link(t, "compile", f.src, obj, sub)
	f.link(t, "link", obj, f.app, sub)
	f.dir = parent
	if err := f.inTotoGolang(t); err != nil {
		t.Fatalf("in-toto-golang rejects the sublayout fixture: %v", err)
	}
	res := verifyLayoutT(t, f.config(t))
	wantPass(t, res)
	if !strings.Contains(res.Text(), "build") {
		t.Errorf("report:\n%s", res.Text())
	}
	// A tampered link inside the sublayout fails the whole chain.
	f.dir = subDir
	f.link(t, "link", map[string]digest.Set{"obj/main.o": sha("other obj")}, f.app, sub)
	f.dir = parent
	wantFail(t, verifyLayoutT(t, f.config(t)), "the sublayout did not verify")
}

// TestSpecDifferenceMatchSourcePrefix: "MATCH app IN dist WITH PRODUCTS
// FROM build" applies only to artifacts under dist/ (in-toto python
// verify_match_rule filters on the prefix first). in-toto-golang v0.9
// strips the prefix only when present, so it also consumes "app" and
// passes; consign follows the specification and fails.
func TestSpecDifferenceMatchSourcePrefix(t *testing.T) {
	f := newLayoutFixture(t)
	app := map[string]digest.Set{"app": f.app["dist/app"]}
	f.layout.Steps[0].ExpectedProducts = [][]string{{"ALLOW", "*"}}
	f.layout.Steps[1].ExpectedMaterials = [][]string{{"MATCH", "app", "IN", "dist", "WITH", "PRODUCTS", "FROM", "build"}, {"DISALLOW", "*"}}
	f.layout.Steps[1].ExpectedProducts = [][]string{{"ALLOW", "*"}}
	f.link(t, "build", f.src, app, f.fn)
	f.link(t, "package", app, app, f.fn)
	if err := f.inTotoGolang(t); err != nil {
		t.Fatalf("in-toto-golang = %v; this test documents that it accepts a prefix-less artifact", err)
	}
	cfg := f.config(t)
	cfg.Artifacts = []Artifact{{Name: "app", Digest: f.app["dist/app"]}}
	wantFail(t, verifyLayoutT(t, cfg), "stage package: materials rule DISALLOW * failed: disallowed: app")
}

// TestSpecDifferenceCaretClass (security case 33 in docs/security.md): in-toto-golang v0.9
// reads "[^a-z]" as a negation and "[!a-z]" as a class holding "!";
// Python's fnmatch (and consign) the other way round. With product X.sh,
// "DISALLOW [^a-z]*" fails in-toto-golang and passes in consign, and
// "DISALLOW [!a-z]*" passes in-toto-golang and fails in consign.
func TestSpecDifferenceCaretClass(t *testing.T) {
	x := map[string]digest.Set{"X.sh": sha("script")}
	for _, tt := range []struct {
		pattern       string
		golangPasses  bool
		consignPasses bool
	}{
		{"[^a-z]*", false, true},
		{"[!a-z]*", true, false},
	} {
		t.Run(tt.pattern, func(t *testing.T) {
			f := newLayoutFixture(t)
			f.layout.Steps[0].ExpectedProducts = [][]string{{"DISALLOW", tt.pattern}, {"ALLOW", "*"}}
			f.layout.Steps[1].ExpectedMaterials = [][]string{{"ALLOW", "*"}}
			f.layout.Steps[1].ExpectedProducts = [][]string{{"ALLOW", "*"}}
			f.link(t, "build", f.src, x, f.fn)
			f.link(t, "package", x, x, f.fn)
			if err := f.inTotoGolang(t); (err == nil) != tt.golangPasses {
				t.Errorf("in-toto-golang: err = %v, want passes = %v", err, tt.golangPasses)
			}
			cfg := f.config(t)
			cfg.Artifacts = []Artifact{{Name: "X.sh", Digest: x["X.sh"]}}
			if res := verifyLayoutT(t, cfg); res.Passed != tt.consignPasses {
				t.Errorf("consign: passed = %v, want %v\n%s", res.Passed, tt.consignPasses, res.Text())
			}
		})
	}
}

// TestSpecDifferenceThresholdZero (security case 14 in docs/security.md): a step with threshold
// 0 (or none, which decodes to 0) and no link: in-toto-golang v0.9 does not
// refuse it and panics in ReduceStepsMetadata ("we should never get here");
// consign refuses the layout when it loads it.
func TestSpecDifferenceThresholdZero(t *testing.T) {
	for _, th := range []int{0, -1, 5} {
		f := newLayoutFixture(t)
		f.layout.Steps[1].Threshold = th
		os.Remove(filepath.Join(f.dir, fmt.Sprintf(in_toto.LinkNameFormat, "package", f.fn.priv.KeyID)))
		err := f.inTotoGolang(t)
		if th == 0 && (err == nil || !strings.Contains(err.Error(), "panic")) {
			t.Errorf("threshold 0: in-toto-golang = %v; this test documents that it panics", err)
		}
		wantFail(t, verifyLayoutT(t, f.config(t)), fmt.Sprintf("invalid threshold %d", th))
	}
}

// TestSpecDifferenceOneKeyTwoKeyIDs (security case 13 in docs/security.md): one public key
// listed under two key ids, threshold 2, one link per key id label:
// in-toto-golang v0.9 counts two functionaries and passes; consign counts
// one key and refuses the layout (the threshold exceeds its distinct keys).
func TestSpecDifferenceOneKeyTwoKeyIDs(t *testing.T) {
	f := newLayoutFixture(t)
	alias := f.fn.pub
	alias.KeyID = strings.Repeat("ab", 32)
	f.layout.Keys[alias.KeyID] = alias
	f.layout.Steps[0].PubKeys = []string{f.fn.pub.KeyID, alias.KeyID}
	f.layout.Steps[0].Threshold = 2
	aliasPriv := f.fn.priv
	aliasPriv.KeyID = alias.KeyID
	f.link(t, "build", f.src, f.app, &itKey{k: f.fn.k, priv: aliasPriv, pub: alias})
	if err := f.inTotoGolang(t); err != nil {
		t.Fatalf("in-toto-golang = %v; this test documents that it counts one key twice", err)
	}
	wantFail(t, verifyLayoutT(t, f.config(t)), "invalid threshold 2 (must be 1..1")
}

// TestSpecDifferenceBadPattern (security case 34 in docs/security.md): "DISALLOW targets/["
// is a pattern error; in-toto-golang v0.9 prints a warning and treats it as
// a non-match, so the DISALLOW never fires; consign refuses the layout.
func TestSpecDifferenceBadPattern(t *testing.T) {
	f := newLayoutFixture(t)
	odd := map[string]digest.Set{"targets/[": sha("x"), "dist/app": f.app["dist/app"]}
	f.layout.Steps[0].ExpectedProducts = [][]string{{"DISALLOW", "targets/["}, {"ALLOW", "*"}}
	f.layout.Steps[1].ExpectedMaterials = [][]string{{"ALLOW", "*"}}
	f.link(t, "build", f.src, odd, f.fn)
	f.link(t, "package", odd, f.app, f.fn)
	if err := f.inTotoGolang(t); err != nil {
		t.Fatalf("in-toto-golang = %v; this test documents that it ignores the bad pattern", err)
	}
	wantFail(t, verifyLayoutT(t, f.config(t)), "unclosed")
}

// TestSecurityCase38_StepNamesAreNotPaths: a step named "../evil" would
// make link and sublayout paths leave the links directory; the layout is
// refused.
func TestSecurityCase38_StepNamesAreNotPaths(t *testing.T) {
	for _, name := range []string{"../evil", "/abs", "a/../../b", "..", `C:\x`, "a\x00b"} {
		f := newLayoutFixture(t)
		f.layout.Steps[0].Name = name
		f.layout.Steps[1].ExpectedMaterials = [][]string{{"ALLOW", "*"}}
		f.layout.Steps[1].ExpectedProducts = [][]string{{"ALLOW", "*"}}
		wantFail(t, verifyLayoutT(t, f.config(t)), "must be 1 to 64 letters")
	}
}

// cancelFS is fsys, whose files cancel a context once more than at bytes
// of them have been read; it counts the reads after that.
type cancelFS struct {
	fsys   fs.FS
	at     int64
	n      int64
	cancel context.CancelCauseFunc
	cause  error
	after  int
}

func (c *cancelFS) ReadDir(name string) ([]fs.DirEntry, error) { return fs.ReadDir(c.fsys, name) }

func (c *cancelFS) Open(name string) (fs.File, error) {
	f, err := c.fsys.Open(name)
	if err != nil {
		return nil, err
	}
	return cancelFile{f, c}, nil
}

type cancelFile struct {
	fs.File
	c *cancelFS
}

func (f cancelFile) Read(p []byte) (int, error) {
	if f.c.n > f.c.at {
		f.c.after++
	}
	n, err := f.File.Read(p)
	if f.c.n += int64(n); f.c.n > f.c.at {
		f.c.cancel(f.c.cause)
	}
	return n, err
}

// TestLayoutLinksReadStopsWhenCancelled: a Ctrl-C while a large link is
// read (a step of hundreds of thousands of materials) stops the read at
// once, not one more read of the file, and VerifyLayout returns the
// context's cause, no verdict; the links used to be read to their end.
func TestLayoutLinksReadStopsWhenCancelled(t *testing.T) {
	f := newLayoutFixture(t)
	many := map[string]digest.Set{}
	for i := range 25_000 { // three lines each, as in-toto indents a link
		many[fmt.Sprintf("src/%s/file%06d.c", strings.Repeat("d", 100), i)] = sha(strconv.Itoa(i))
	}
	f.link(t, "build", many, f.app, f.fn)
	name := filepath.Join(f.dir, fmt.Sprintf(in_toto.LinkNameFormat, "build", f.fn.priv.KeyID))
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() < 4<<20 {
		t.Fatalf("the link is %d bytes: too small to cancel half-way", fi.Size())
	}
	wantPass(t, verifyLayoutT(t, f.config(t)))

	cause := errors.New("interrupted by SIGINT")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	cfg := f.config(t)
	links := &cancelFS{fsys: cfg.Links, at: 2 << 20, cancel: cancel, cause: cause}
	cfg.Links = links
	res, err := VerifyLayout(ctx, cfg)
	if res != nil || !errors.Is(err, cause) {
		t.Errorf("VerifyLayout(cancelled half-way through a link) = %v, %v; want no result and the context's cause", res, err)
	}
	if links.after != 0 {
		t.Errorf("%d reads of the links after the cancel, want none", links.after)
	}
}

// TestSpecDifferenceFailedStep: in-toto-golang's InTotoVerify passes a
// layout whose step recorded "return-value": 1; consign fails the step
// (docs/policy.md), for Metablock and DSSE links alike.
func TestSpecDifferenceFailedStep(t *testing.T) {
	t.Run("metablock", func(t *testing.T) {
		f := newLayoutFixture(t)
		mb := &in_toto.Metablock{Signed: in_toto.Link{Type: "link", Name: "build", Materials: artifacts(f.src), Products: artifacts(f.app),
			ByProducts: map[string]any{"return-value": 1}, Command: []string{"make"}, Environment: map[string]any{}}}
		if err := mb.Sign(f.fn.priv); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf(in_toto.LinkNameFormat, "build", f.fn.priv.KeyID)
		if err := mb.Dump(filepath.Join(f.dir, name)); err != nil {
			t.Fatal(err)
		}
		if err := f.inTotoGolang(t); err != nil {
			t.Fatalf("in-toto-golang now rejects a failed step (%v): update docs/policy.md", err)
		}
		wantFail(t, verifyLayoutT(t, f.config(t)), "stage build: exit check failed: step build exited with status 1 (link links/"+name+")")
	})
	t.Run("dsse", func(t *testing.T) {
		f := newLayoutFixture(t)
		old, _ := filepath.Glob(filepath.Join(f.dir, "build.*.link"))
		for _, o := range old {
			os.Remove(o)
		}
		env := &in_toto.Envelope{}
		if err := env.SetPayload(in_toto.Link{Type: "link", Name: "build", Materials: artifacts(f.src), Products: artifacts(f.app),
			ByProducts: map[string]any{"return-value": 3}, Command: []string{"make"}, Environment: map[string]any{}}); err != nil {
			t.Fatal(err)
		}
		if err := env.Sign(f.fn.priv); err != nil {
			t.Fatal(err)
		}
		if err := env.Dump(filepath.Join(f.dir, fmt.Sprintf(in_toto.LinkNameFormat, "build", f.fn.priv.KeyID))); err != nil {
			t.Fatal(err)
		}
		wantFail(t, verifyLayoutT(t, f.config(t)), "step build exited with status 3")
	})
}
