package ui_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/server/ui"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/memory"
	"github.com/consign-dev/consign/internal/testutil/testkey"
	"github.com/consign-dev/consign/internal/tlog"
)

var bg = context.Background()

// The hostile strings the fixtures carry: if any of them ran, it would
// open a dialog or set window.pwned.
const (
	hostileScript = `</script><script>window.pwned=1;alert("script")</script>`
	hostileImg    = `<img src=x onerror="window.pwned=2;alert('img')">`
	hostileQuote  = `"'><svg onload=alert(3)>`
)

// chain is the entries of one release.
type chain struct{ build, sbom, test, pkg, vsa int64 }

// portal is a log server with the portal in front, on 127.0.0.1, holding
// two products' chains and a release of each.
type portal struct {
	t     testing.TB
	st    *memory.Store
	srv   *server.Server
	http  *httptest.Server
	now   time.Time
	pub   string // publishing token for every product
	key   *testkey.Key
	gate  *testkey.Key
	owner *testkey.Key // signs the packs' policies
	// packDir holds the packs; pack is acme-router 1.0's.
	packDir, pack string
	chain         map[string]*chain // product -> its last release
	hostil        int64             // the hostile entry of acme-router
}

const (
	product = "acme-router"
	other   = "other-product"
)

func newPortal(t testing.TB) *portal {
	t.Helper()
	p := &portal{t: t, st: memory.New(), now: time.Now().UTC().Truncate(time.Second), chain: map[string]*chain{}}
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := tlog.NewSigner("log.test/portal", priv)
	if err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return p.now }
	p.srv, err = server.New(bg, server.Config{Store: p.st, Signer: signer, ReadTokenRequired: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	p.key, p.gate, p.owner = testkey.New(t, "portal-ci"), testkey.New(t, "portal-gate"), testkey.New(t, "portal-owner")
	// The packs directory: a real pack of acme-router 1.0 and of the other
	// product's 1.0, and a file that is not a pack.
	p.packDir = t.TempDir()
	p.pack = writePack(t, p.packDir, product, "1.0", p.owner, p.key, p.now)
	writePack(t, p.packDir, other, "1.0", p.owner, p.key, p.now)
	if err := os.WriteFile(filepath.Join(p.packDir, "notes.txt"), []byte("not a pack"), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := ui.New(ui.Config{Log: p.srv, Store: p.st, API: p.srv, Now: clock, PackDir: p.packDir, TrustRoots: []crypto.PublicKey{p.owner.Signer.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	p.http = httptest.NewServer(h)
	t.Cleanup(func() { p.http.Close(); p.srv.Close() })
	p.pub, _, err = server.CreateToken(bg, p.st, server.TokenConfig{Name: "ci", Products: []string{product, other}, Keys: [][]byte{[]byte(p.key.PEM), []byte(p.gate.PEM)}})
	if err != nil {
		t.Fatal(err)
	}
	p.release(product, "0.9", sbomDoc(t, component{"openssl", "3.0.11", "Apache-2.0"}, component{"zlib", "1.2.13", "Zlib"}, component{"left-pad", "1.3.0", "WTFPL"}))
	p.release(product, "1.0", sbomDoc(t, component{"openssl", "3.0.13", "Apache-2.0"}, component{"zlib", "1.3.1", "Zlib"}, component{"busybox", "1.36.1", "GPL-2.0-only"},
		component{hostileScript, "6.6.6", hostileImg}))
	p.release(other, "1.0", sbomDoc(t, component{"musl", "1.2.4", "MIT"}))
	p.hostil = p.publish(product, p.key, statement(t, attest.PredicateLink, hostileImg, map[string]any{"name": hostileScript, "command": []string{hostileScript + hostileImg}}))
	return p
}

// inspector makes an inspector token for products, valid for validFor
// from the portal's now (negative: already expired).
func (p *portal) inspector(name string, validFor time.Duration, products ...string) string {
	p.t.Helper()
	return p.inspectorWithKey(name, validFor, nil, products...)
}

// inspectorWithKey is inspector with the inspector's own key, whose signed
// findings the portal accepts (none when k is nil).
func (p *portal) inspectorWithKey(name string, validFor time.Duration, k *testkey.Key, products ...string) string {
	p.t.Helper()
	var keys [][]byte
	if k != nil {
		keys = append(keys, []byte(k.PEM))
	}
	made := p.now
	if validFor < 0 {
		made = p.now.Add(2 * validFor)
	}
	secret, _, err := server.CreateToken(bg, p.st, server.TokenConfig{Name: name, Products: products, Role: store.RoleInspector, Keys: keys,
		Expires: made.Add(validFor.Abs()), Now: func() time.Time { return made }})
	if err != nil {
		p.t.Fatal(err)
	}
	return secret
}

func artifact(name string) digest.Set {
	sum := sha256.Sum256([]byte(name))
	return digest.Set{digest.SHA256: hex.EncodeToString(sum[:])}
}

func statement(t testing.TB, predicateType, subject string, pred any) *attest.Statement {
	t.Helper()
	b, err := json.Marshal(pred)
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.NewStatement(predicateType, []attest.Subject{{Name: subject, Digest: artifact(subject)}}, b)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// envelopeLine is st signed by k, as consign writes it: one JSON line.
func envelopeLine(t testing.TB, st *attest.Statement, k *testkey.Key) []byte {
	t.Helper()
	env, err := attest.SignStatement(st, k.Signer)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// publish logs st signed by k for prod and returns its index.
func (p *portal) publish(prod string, k *testkey.Key, st *attest.Statement) int64 {
	p.t.Helper()
	idx, _ := p.publishLine(prod, envelopeLine(p.t, st, k))
	return idx
}

func (p *portal) publishLine(prod string, line []byte) (int64, []byte) {
	p.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, p.http.URL+"/api/v1/attestations?product="+prod, bytes.NewReader(line))
	req.Header.Set("Authorization", "Bearer "+p.pub)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Results []struct{ Index int64 } `json:"results"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusOK || len(out.Results) != 1 {
		p.t.Fatalf("publish for %s: %s, %v", prod, resp.Status, err)
	}
	return out.Results[0].Index, line
}

// component is one SBOM component: name, version, licence.
type component struct{ name, version, license string }

// sbomDoc is a CycloneDX 1.6 SBOM of the components.
func sbomDoc(t testing.TB, cs ...component) map[string]any {
	var comps []map[string]any
	for _, c := range cs {
		comps = append(comps, map[string]any{"type": "library", "bom-ref": c.name, "name": c.name, "version": c.version,
			"supplier": map[string]any{"name": "ACME suppliers"}, "purl": "pkg:generic/" + url.PathEscape(c.name) + "@" + c.version,
			"licenses": []any{map[string]any{"license": map[string]any{"name": c.license}}}})
	}
	return map[string]any{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
		"metadata": map[string]any{"timestamp": "2026-12-01T00:00:00Z", "authors": []any{map[string]any{"name": "ACME CI"}}}, "components": comps}
}

// release logs a four-step chain (build, sbom, test, package) of
// prod-version.tar and a VSA naming each step by the digest of its
// envelope line.
func (p *portal) release(prod, version string, sbom map[string]any) {
	artifactName := prod + "-" + version + ".tar"
	var inputs []map[string]any
	c := &chain{}
	for _, step := range []struct {
		name, predicateType string
		pred                any
		at                  *int64
	}{
		{"build", attest.PredicateLink, map[string]any{"name": "build", "command": []string{"make"}}, &c.build},
		{"sbom", attest.PredicateCycloneDX, sbom, &c.sbom},
		{"test", attest.PredicateLink, map[string]any{"name": "test", "command": []string{"make", "test"}}, &c.test},
		{"package", attest.PredicateLink, map[string]any{"name": "package", "command": []string{"make", "dist"}}, &c.pkg},
	} {
		line := envelopeLine(p.t, statement(p.t, step.predicateType, artifactName, step.pred), p.key)
		*step.at, _ = p.publishLine(prod, line)
		sum := sha256.Sum256(line)
		inputs = append(inputs, map[string]any{"uri": "att/" + step.name + ".intoto.jsonl:1", "digest": map[string]string{"sha256": hex.EncodeToString(sum[:])}})
	}
	inputs = append(inputs, map[string]any{"uri": "att/missing.intoto.jsonl:1", "digest": map[string]string{"sha256": hex.EncodeToString(make([]byte, 32))}})
	vsa := map[string]any{
		"verifier":           map[string]any{"id": "https://consign.dev/verifier"},
		"timeVerified":       p.now.Format(time.RFC3339),
		"resourceUri":        artifactName,
		"policy":             map[string]any{"uri": "policies/" + prod + ".signed.json", "digest": artifact("policy " + prod)},
		"inputAttestations":  inputs,
		"verificationResult": "PASSED",
		"verifiedLevels":     []string{},
		"slsaVersion":        "1.0",
	}
	c.vsa = p.publish(prod, p.gate, statement(p.t, attest.PredicateVSA, artifactName, vsa))
	p.chain[prod] = c
}

// client is an HTTP client with a cookie jar, that does not follow redirects.
func (p *portal) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (p *portal) url(format string, args ...any) string {
	return p.http.URL + fmt.Sprintf(format, args...)
}
