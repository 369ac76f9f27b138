package ui_test

import (
	"context"
	"crypto"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/server/ui"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/testutil/testkey"
)

// TestReleasePack: the release page shows the pack of its artifact,
// verified with the owner's key, with each stage's checks; the pack
// downloads as it is on disk, verifies, and is in the access record. A
// release without a pack, another product's pack and a pack that does not
// verify with the configured key are shown or refused as such.
func TestReleasePack(t *testing.T) {
	p := newPortal(t)
	c := p.client()
	p.signIn(t, c, p.inspector("centre", time.Hour, product))
	rel := p.url("/products/%s/releases/%d", product, p.chain[product].vsa)
	_, _, body := get(t, c, rel)
	for _, want := range []string{"The server verified the pack with the owner's key", `href="/products/` + product + `/releases/` + itoa(p.chain[product].vsa) + `/pack"`,
		"check <code>tests</code>", "<strong>test</strong>", "acme-router-1.0.pack"} {
		if !strings.Contains(body, want) {
			t.Errorf("release page lacks %q", want)
		}
	}
	code, h, got := get(t, c, rel+"/pack")
	want, _ := os.ReadFile(p.pack)
	if code != http.StatusOK || got != string(want) || h.Get("Content-Disposition") != `attachment; filename=acme-router-release-`+itoa(p.chain[product].vsa)+`.pack` {
		t.Fatalf("pack download = %d %q, %d bytes (want %d)", code, h.Get("Content-Disposition"), len(got), len(want))
	}
	pk, err := pack.Read(context.Background(), strings.NewReader(got), pack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res, err := pack.Verify(bg, pk, pack.VerifyConfig{TrustRoots: []crypto.PublicKey{p.owner.Signer.Public()}, Now: func() time.Time { return p.now }}); err != nil || !res.Passed {
		t.Fatalf("the downloaded pack does not verify: %v", err)
	}
	recs, _ := p.st.Accesses(bg, store.AccessQuery{Limit: 1})
	if len(recs) != 1 || recs[0].Action != "download" || !strings.HasSuffix(recs[0].Path, "/pack") {
		t.Errorf("access record = %+v, want the pack's download last", recs)
	}

	// Another product's pack (there is one on disk), and an entry that
	// is no release: the same 404.
	if code, _, _ := get(t, c, p.url("/products/%s/releases/%d/pack", other, p.chain[other].vsa)); code != http.StatusNotFound {
		t.Errorf("another product's pack = %d, want 404", code)
	}
	if code, _, _ := get(t, c, p.url("/products/%s/releases/%d/pack", product, p.chain[product].build)); code != http.StatusNotFound {
		t.Errorf("the pack of an entry that is no release = %d, want 404", code)
	}

	// A portal given another owner key shows the verification failing.
	h2, err := ui.New(ui.Config{Log: p.srv, Store: p.st, API: p.srv, Now: func() time.Time { return p.now }, PackDir: p.packDir,
		TrustRoots: []crypto.PublicKey{testkey.New(t, "not-the-owner").Signer.Public()}})
	if err != nil {
		t.Fatal(err)
	}
	s2 := httptest.NewServer(h2)
	defer s2.Close()
	q := &portal{t: t, st: p.st, srv: p.srv, http: s2, now: p.now, chain: p.chain}
	c2 := q.client()
	q.signIn(t, c2, p.inspector("centre-2", time.Hour, product))
	if _, _, body := get(t, c2, q.url("/products/%s/releases/%d", product, p.chain[product].vsa)); !strings.Contains(body, "The server's verification of the pack with the owner's key failed") {
		t.Errorf("a pack that does not verify with the configured key is not shown as failing")
	}

	if _, err := ui.New(ui.Config{Log: p.srv, Store: p.st, API: p.srv, PackDir: p.packDir}); err == nil {
		t.Errorf("a packs directory without trust roots was accepted")
	}
}
