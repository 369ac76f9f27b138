package ui_test

import (
	"context"
	"crypto"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/testutil/golden"
	"github.com/consign-dev/consign/internal/testutil/testkey"
)

// browser starts Debian's chromium, headless, with a fresh profile, and
// returns a tab and a counter of the JavaScript dialogs that opened in it
// (each is dismissed). Without chromium the test is skipped, except in CI
// (CI=true), where it fails.
func browser(t *testing.T) (context.Context, *atomic.Int32) {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("chromium is not installed; CI installs it (apt-get install chromium)")
		}
		t.Skip("chromium is not installed (apt-get install chromium): the browser tests did not run")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true))
	ctx, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	var dialogs atomic.Int32
	events := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range events {
			if err != nil {
				return
			}
			dialogs.Add(1)
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return ctx, &dialogs
}

// open navigates to u and returns the HTTP status of the page.
func open(t *testing.T, ctx context.Context, u string) int64 {
	t.Helper()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
	if err != nil {
		t.Fatalf("navigating to %s: %v", u, err)
	}
	return resp.Status
}

// click clicks the element sel and returns the status of the page it loads.
func click(t *testing.T, ctx context.Context, sel string) int64 {
	t.Helper()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("clicking %s: %v", sel, err)
	}
	return resp.Status
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v", sel, err)
	}
	return s
}

// screenshots takes the current page at 1280 and 390 px wide; with -update
// they are written to docs/portal/NAME-WIDTH.png.
func screenshots(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	for _, width := range []int64{1280, 390} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil || len(png) < 1000 {
			t.Fatalf("screenshot of %s at %d px: %d bytes, %v", name, width, len(png), err)
		}
		if golden.Updating() {
			dir := filepath.Join("..", "..", "..", "docs", "portal")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name+"-"+strconv.FormatInt(width, 10)+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

// TestBrowser signs in with chromium, walks product → release →
// attestation, opens hostile content, tries another product's pages and a
// forged or missing CSRF token, and checks the access record.
func TestBrowser(t *testing.T) {
	p := newPortal(t)
	ctx, dialogs := browser(t)

	// The dialog counter works: a page that opens one is seen.
	open(t, ctx, "data:text/html,<script>alert('control')</script>")
	if waitFor(func() bool { return dialogs.Load() == 1 }); dialogs.Load() != 1 {
		t.Fatalf("the control page's alert was not seen (%d dialogs): the hostile-content checks below would prove nothing", dialogs.Load())
	}
	dialogs.Store(0)

	key := browserSignIn(t, ctx, p)
	browserRelease(t, ctx, p, key)
	browserPack(t, ctx, p)
	browserSBOM(t, ctx, p)
	browserHostile(t, ctx, p)
	browserScope(t, ctx, p)
	browserCSRF(t, ctx, p)
	rel, build, sbom := p.chain[product].vsa, p.chain[product].build, p.chain[product].sbom
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened on the portal's pages", n)
	}
	p.checkAccessRecord(t, "regional centre", []string{
		"/products/" + product,
		"/products/" + product + "/releases/" + itoa(rel),
		"/products/" + product + "/releases/" + itoa(rel) + "/findings",
		"/products/" + product + "/releases/" + itoa(rel) + "/pack",
		"/products/" + product + "/entries/" + itoa(build),
		"/products/" + product + "/entries/" + itoa(p.hostil),
		"/products/" + product + "/entries/" + itoa(sbom) + "/sbom",
		"/products/" + product + "/entries/" + itoa(sbom) + "/sbom?q=zlib&sort=name",
		"/log", "/search?digest=sha256:" + artifact(product + "-1.0.tar")["sha256"], "/access",
	})
}

// browserSignIn checks that an expired token is refused, and signs in an
// inspector with a key.
func browserSignIn(t *testing.T, ctx context.Context, p *portal) *testkey.Key {
	t.Helper()
	// An expired token: sign-in refused.
	signIn := func(token string) int64 {
		open(t, ctx, p.url("/signin"))
		if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("token"), token)); err != nil {
			t.Fatal(err)
		}
		return click(t, ctx, `form button[type=submit]`)
	}
	if code := signIn(p.inspector("late", -time.Hour, product)); code != 401 || !strings.Contains(text(t, ctx, ".error"), "Sign-in refused") {
		t.Fatalf("sign-in with an expired token = %d, want 401 and refused", code)
	}
	screenshots(t, ctx, "signin-refused")
	key := testkey.New(t, "browser-inspector")
	if code := signIn(p.inspectorWithKey("regional centre", 24*time.Hour, key, product)); code != 200 || text(t, ctx, "h1") != "Products" {
		t.Fatalf("sign-in = %d, %q; want the products page", code, text(t, ctx, "h1"))
	}
	screenshots(t, ctx, "products")

	return key
}

// browserRelease walks products → product → release, checks its chain, and
// records a signed finding.
func browserRelease(t *testing.T, ctx context.Context, p *portal, key *testkey.Key) {
	t.Helper()
	rel := p.chain[product].vsa
	// Product → release → attestation.
	if code := click(t, ctx, `a[href="/products/`+product+`"]`); code != 200 || text(t, ctx, "h1") != product {
		t.Fatalf("product page = %d %q", code, text(t, ctx, "h1"))
	}
	screenshots(t, ctx, "product")
	if code := click(t, ctx, `a[href="/products/`+product+`/releases/`+itoa(rel)+`"]`); code != 200 || !strings.Contains(text(t, ctx, "h1"), "PASSED") {
		t.Fatalf("release page = %d %q", code, text(t, ctx, "h1"))
	}
	chain := text(t, ctx, "main table tbody")
	for _, want := range []string{"build", "SBOM (CycloneDX)", "test", "package", "verified: entry", "not in the log for this product"} {
		if !strings.Contains(chain, want) {
			t.Errorf("the release's chain lacks %q:\n%s", want, chain)
		}
	}
	// Record a signed finding: open "Record a finding", paste the line.
	finding := envelopeLine(t, audit(t, product+"-1.0.tar", "observation", "The chain is complete and every receipt verifies.\nThe SBOM lists no hashes."), key)
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("details.card-details summary")), chromedp.SetValue(chromedp.ID("envelope"), string(finding))); err != nil {
		t.Fatal(err)
	}
	screenshots(t, ctx, "record-finding")
	if code := click(t, ctx, `details.card-details form button`); code != 200 || !strings.Contains(text(t, ctx, ".finding"), "The chain is complete") {
		t.Fatalf("recording a finding = %d, and the release page shows %q", code, text(t, ctx, ".finding"))
	}
	screenshots(t, ctx, "release")
}

// browserPack downloads the release's evidence pack through the browser
// into a directory and verifies it as verify-pack does, with the owner's key.
func browserPack(t *testing.T, ctx context.Context, p *portal) {
	t.Helper()
	dir := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir}); err != nil {
		t.Fatal(err)
	}
	if s := text(t, ctx, "main"); !strings.Contains(s, "The server verified the pack with the owner's key") {
		t.Fatalf("the release page does not show the verified pack:\n%s", s)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("download-pack"))); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, product+"-release-"+itoa(p.chain[product].vsa)+".pack")
	for i := 0; i < 250; i++ {
		if _, err := os.Stat(file); err == nil {
			break
		}
		time.Sleep(40 * time.Millisecond)
	}
	pk, err := pack.ReadFile(context.Background(), file, pack.Options{})
	if err != nil {
		entries, _ := os.ReadDir(dir)
		t.Fatalf("the downloaded pack: %v (the download directory holds %v)", err, entries)
	}
	res, err := pack.Verify(ctx, pk, pack.VerifyConfig{Name: file, TrustRoots: []crypto.PublicKey{p.owner.Signer.Public()}, Now: func() time.Time { return p.now }})
	if err != nil || !res.Passed {
		t.Fatalf("verify-pack of the pack downloaded in the browser: %v, %v", err, res.Err())
	}
}

// browserSBOM opens the SBOM from the release and filters it, then opens an
// attestation and the log.
func browserSBOM(t *testing.T, ctx context.Context, p *portal) {
	t.Helper()
	rel, build, sbom := p.chain[product].vsa, p.chain[product].build, p.chain[product].sbom
	if code := click(t, ctx, `main table a[href="/products/`+product+`/entries/`+itoa(sbom)+`/sbom"]`); code != 200 || !strings.Contains(text(t, ctx, "h1"), "SBOM of") {
		t.Fatalf("SBOM page = %d %q", code, text(t, ctx, "h1"))
	}
	if s := text(t, ctx, "main"); !strings.Contains(s, "3.0.11 → 3.0.13") || !strings.Contains(s, hostileScript+"@6.6.6") {
		t.Errorf("the SBOM page lacks the change of openssl or the hostile component as text")
	}
	screenshots(t, ctx, "sbom")
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("q"), "zlib")); err != nil {
		t.Fatal(err)
	}
	if code := click(t, ctx, `main form button`); code != 200 || strings.Count(text(t, ctx, "#components tbody"), "pkg:generic/") != 1 {
		t.Errorf("SBOM filter = %d, want one component:\n%s", code, text(t, ctx, "#components tbody"))
	}
	open(t, ctx, p.url("/products/%s/releases/%d", product, rel))
	if code := click(t, ctx, `main table a[href="/products/`+product+`/entries/`+itoa(build)+`"]`); code != 200 || !strings.Contains(text(t, ctx, "h1"), "build") {
		t.Fatalf("attestation page = %d %q", code, text(t, ctx, "h1"))
	}
	if s := text(t, ctx, "details pre"); !strings.Contains(s, `"predicateType": "https://in-toto.io/attestation/link/v0.3"`) {
		t.Errorf("the decoded statement is not shown: %q", s)
	}
	screenshots(t, ctx, "attestation")
	open(t, ctx, p.url("/log"))
	screenshots(t, ctx, "log")

}

// browserHostile checks that hostile content is shown as text, never run.
func browserHostile(t *testing.T, ctx context.Context, p *portal) {
	t.Helper()
	// Hostile content: shown as text, never run.
	for _, path := range []string{"/products/" + product, "/products/" + product + "/entries/" + itoa(p.hostil), "/products/" + product + "/entries/" + itoa(p.chain[product].sbom) + "/sbom"} {
		if code := open(t, ctx, p.url("%s", path)); code != 200 {
			t.Fatalf("GET %s = %d", path, code)
		}
		body := text(t, ctx, "main")
		if !strings.Contains(body, hostileImg) || !strings.Contains(body, hostileScript) {
			t.Errorf("GET %s does not show the hostile subject name as text", path)
		}
		pwned, err := chromedp.Run(ctx, chromedp.Evaluate[string](`typeof window.pwned`))
		if err != nil || pwned != "undefined" {
			t.Errorf("GET %s: window.pwned is %q (%v): a hostile script ran", path, pwned, err)
		}
	}
	screenshots(t, ctx, "hostile")

}

// browserScope checks that another product's pages answer the same 404 as a
// product that does not exist.
func browserScope(t *testing.T, ctx context.Context, p *portal) {
	t.Helper()
	// Another product's pages: the same 404 as a product that does not exist.
	for _, path := range []string{"/products/" + other, "/products/" + other + "/releases/" + itoa(p.chain[other].vsa), "/products/" + product + "/entries/" + itoa(p.chain[other].build), "/products/no-such"} {
		if code := open(t, ctx, p.url("%s", path)); code != 404 || text(t, ctx, "h1") != "Not found" {
			t.Errorf("GET %s = %d %q, want 404 Not found", path, code, text(t, ctx, "h1"))
		}
	}

}

// browserCSRF checks that a form with a forged CSRF token, then with none, is
// refused; with it, search works.
func browserCSRF(t *testing.T, ctx context.Context, p *portal) {
	t.Helper()
	// A form with a forged CSRF token, then with none: 403.
	open(t, ctx, p.url("/search"))
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`main input[name=csrf]`), "forged"), chromedp.SendKeys(chromedp.ID("digest"), artifact(product + "-1.0.tar")["sha256"])); err != nil {
		t.Fatal(err)
	}
	if code := click(t, ctx, `main form button`); code != 403 {
		t.Errorf("search with a forged CSRF token = %d, want 403", code)
	}
	open(t, ctx, p.url("/search"))
	if err := chromedp.Do(ctx, chromedp.RemoveAttribute(chromedp.CSS(`main input[name=csrf]`), "name"), chromedp.SendKeys(chromedp.ID("digest"), artifact(product + "-1.0.tar")["sha256"])); err != nil {
		t.Fatal(err)
	}
	if code := click(t, ctx, `main form button`); code != 403 {
		t.Errorf("search without a CSRF token = %d, want 403", code)
	}
	open(t, ctx, p.url("/search"))
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("digest"), artifact(product + "-1.0.tar")["sha256"])); err != nil {
		t.Fatal(err)
	}
	if code := click(t, ctx, `main form button`); code != 200 || strings.Count(text(t, ctx, "main table tbody"), "#") != 6 {
		t.Errorf("search = %d, want the 6 entries about the artifact (5 of its release, 1 finding):\n%s", code, text(t, ctx, "main table tbody"))
	}
	screenshots(t, ctx, "search")
	open(t, ctx, p.url("/access"))
	screenshots(t, ctx, "access")

}

// checkAccessRecord checks that each path was viewed by the inspector
// named name, and that nothing was recorded for the 404s.
func (p *portal) checkAccessRecord(t *testing.T, name string, paths []string) {
	t.Helper()
	recs, err := p.st.Accesses(bg, store.AccessQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range recs {
		if a.TokenName == name {
			seen[a.Path] = true
		}
		if strings.Contains(a.Path, other) || strings.Contains(a.Path, "no-such") {
			t.Errorf("access record %+v: a page that was not shown was recorded", a)
		}
	}
	for _, path := range paths {
		if !seen[path] {
			t.Errorf("the access record lacks %s by %q", path, name)
		}
	}
}

func waitFor(cond func() bool) {
	for i := 0; i < 50 && !cond(); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}
