package ui_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/store"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// get fetches path and returns the status and body.
func get(t *testing.T, c *http.Client, u string) (int, http.Header, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (int, http.Header, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in the page:\n%s", body)
	}
	return m[1]
}

// signIn signs c in with token and returns the session's CSRF token.
func (p *portal) signIn(t *testing.T, c *http.Client, token string) string {
	t.Helper()
	_, _, body := get(t, c, p.url("/signin"))
	code, h, body := post(t, c, p.url("/signin"), url.Values{"csrf": {csrfOf(t, body)}, "token": {token}})
	if code != http.StatusSeeOther || h.Get("Location") != "/products" {
		t.Fatalf("sign-in = %d %s, want 303 to /products\n%s", code, h.Get("Location"), body)
	}
	_, _, body = get(t, c, p.url("/products"))
	return csrfOf(t, body)
}

func TestSignIn(t *testing.T) {
	p := newPortal(t)
	c := p.client()
	if code, h, _ := get(t, c, p.url("/products/%s", product)); code != http.StatusSeeOther || h.Get("Location") != "/signin" {
		t.Errorf("a page before sign-in = %d to %q, want 303 to /signin", code, h.Get("Location"))
	}
	_, h, body := get(t, c, p.url("/signin"))
	for name, want := range map[string]string{
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	csrf := csrfOf(t, body)
	token := p.inspector("regional centre", time.Hour, product)
	for name, form := range map[string]url.Values{
		"missing CSRF": {"token": {token}},
		"forged CSRF":  {"token": {token}, "csrf": {"forged" + csrf[6:]}},
	} {
		if code, h, _ := post(t, c, p.url("/signin"), form); code != http.StatusForbidden || h.Get("Set-Cookie") != "" && strings.Contains(h.Get("Set-Cookie"), "consign_session") {
			t.Errorf("sign-in with a %s = %d (cookie %q), want 403 and no session", name, code, h.Get("Set-Cookie"))
		}
	}
	for name, tok := range map[string]string{
		"expired token":    p.inspector("late", -time.Hour, product),
		"publishing token": p.pub,
		"malformed token":  "consign_" + strings.Repeat("x", 10),
	} {
		_, _, body := get(t, c, p.url("/signin"))
		code, h, body := post(t, c, p.url("/signin"), url.Values{"csrf": {csrfOf(t, body)}, "token": {tok}})
		if code != http.StatusUnauthorized || strings.Contains(h.Get("Set-Cookie"), "consign_session=") || !strings.Contains(body, "Sign-in refused") {
			t.Errorf("sign-in with an %s = %d (cookie %q), want 401, refused, no session", name, code, h.Get("Set-Cookie"))
		}
	}
	_, _, body = get(t, c, p.url("/signin"))
	resp, err := c.PostForm(p.url("/signin"), url.Values{"csrf": {csrfOf(t, body)}, "token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "consign_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Secure {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Strict, not Secure over plain HTTP", session)
	}
	if code, _, body := get(t, c, p.url("/products")); code != http.StatusOK || !strings.Contains(body, product) || strings.Contains(body, other) {
		t.Errorf("products page = %d, want 200 naming %s and not %s", code, product, other)
	}
	// The token expires: the session ends at the next page.
	p.now = p.now.Add(time.Hour)
	if code, h, _ := get(t, c, p.url("/products")); code != http.StatusSeeOther || h.Get("Location") != "/signin" {
		t.Errorf("a page after the token expired = %d to %q, want 303 to /signin", code, h.Get("Location"))
	}
}

// TestScope checks that an inspector sees only their products: another
// product, its entries, and a product that does not exist all get the
// same 404 page.
func TestScope(t *testing.T) {
	p := newPortal(t)
	c := p.client()
	p.signIn(t, c, p.inspector("centre", time.Hour, product))
	var first string
	for i, path := range []string{
		"/products/" + other,
		"/products/no-such-product",
		"/products/" + other + "/releases/" + itoa(p.chain[other].vsa),
		"/products/" + product + "/entries/" + itoa(p.chain[other].build),
		"/products/" + product + "/releases/" + itoa(p.chain[other].vsa),
		"/products/" + product + "/entries/" + itoa(p.chain[other].build) + "/envelope",
		"/products/" + product + "/entries/999999",
		"/products/" + product + "/releases/" + itoa(p.chain[product].build), // an entry, not a release
		"/products/" + product + "/entries/01",
	} {
		code, _, body := get(t, c, p.url("%s", path))
		if code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, code)
		}
		if i == 0 {
			first = body
		} else if body != first {
			t.Errorf("GET %s answers a different 404 page than GET /products/%s", path, other)
		}
	}
	if code, _, _ := get(t, c, p.url("/products/%s/releases/%d", product, p.chain[product].vsa)); code != http.StatusOK {
		t.Errorf("own release = %d, want 200", code)
	}
}

// TestPagesAndAccessRecord walks the pages over HTTP and checks what they
// show, that a form without the session's CSRF token is forbidden, and
// that each view and the download are in the access record.
func TestPagesAndAccessRecord(t *testing.T) {
	p := newPortal(t)
	c := p.client()
	csrf := p.signIn(t, c, p.inspector("centre", time.Hour, product))
	rel := p.chain[product].vsa
	_, _, body := get(t, c, p.url("/products/%s/releases/%d", product, rel))
	for _, want := range []string{"PASSED", ">build</a>", ">test</a>", ">package</a>", "not in the log for this product", "verified: entry " + itoa(p.chain[product].build)} {
		if !strings.Contains(body, want) {
			t.Errorf("release page lacks %q", want)
		}
	}
	code, h, body := get(t, c, p.url("/products/%s/entries/%d/envelope", product, p.chain[product].build))
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Disposition"), "attachment;") || !strings.HasPrefix(body, `{"payloadType":"application/vnd.in-toto+json"`) {
		t.Errorf("download = %d %q %.60s", code, h.Get("Content-Disposition"), body)
	}
	if code, _, body := get(t, c, p.url("/log")); code != http.StatusOK || !strings.Contains(body, "log.test/portal\n"+itoa(p.hostil+1)+"\n") {
		t.Errorf("log page = %d, want the checkpoint of %d entries:\n%s", code, p.hostil+1, body)
	}
	// The log grows; the log page shows the consistency proof the server
	// checked between the two checkpoints it served, and no witnesses.
	grown := p.publish(product, p.key, statement(t, attest.PredicateLink, product+"-1.1.tar", map[string]any{"name": "build"}))
	if _, _, body := get(t, c, p.url("/log")); !strings.Contains(body, "size "+itoa(p.hostil+1)+": proof of ") || !strings.Contains(body, "hash(es) verified") ||
		!strings.Contains(body, "No witnesses configured") || !strings.Contains(body, "<td data-label=\"Size\">"+itoa(grown+1)+"</td>") {
		t.Errorf("log page after the log grew lacks the checked consistency proof or the witnesses line:\n%s", body)
	}
	digest := "sha256:" + artifact(product + "-1.0.tar")["sha256"]
	for name, form := range map[string]url.Values{"no CSRF": {"digest": {digest}}, "forged CSRF": {"digest": {digest}, "csrf": {csrf + "x"}}} {
		if code, _, _ := post(t, c, p.url("/search"), form); code != http.StatusForbidden {
			t.Errorf("search with %s = %d, want 403", name, code)
		}
	}
	if code, _, body := post(t, c, p.url("/search"), url.Values{"digest": {digest}, "csrf": {csrf}}); code != http.StatusOK || strings.Count(body, "/entries/") != 5 {
		t.Errorf("search = %d with %d entries, want 200 with the 5 entries about the artifact", code, strings.Count(body, "/entries/"))
	}
	recs, err := p.st.Accesses(bg, store.AccessQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range recs {
		got = append(got, a.Action+" "+a.Product+" "+a.Path)
		if a.TokenName != "centre" {
			t.Errorf("access record %+v is not by the inspector's token", a)
		}
	}
	want := []string{
		"view  /search?digest=" + digest,
		"view  /log",
		"view  /log",
		"download " + product + " /products/" + product + "/entries/" + itoa(p.chain[product].build) + "/envelope",
		"view " + product + " /products/" + product + "/releases/" + itoa(rel),
		"view  /products",
		"signin  /signin",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("access record =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if code, _, body := get(t, c, p.url("/access")); code != http.StatusOK || !strings.Contains(body, "/products/"+product+"/releases/"+itoa(rel)) {
		t.Errorf("access page = %d, want the release view listed", code)
	}
	if code, h, _ := post(t, c, p.url("/signout"), url.Values{"csrf": {csrf}}); code != http.StatusSeeOther || h.Get("Location") != "/signin" {
		t.Errorf("sign out = %d to %q", code, h.Get("Location"))
	}
	if code, _, _ := get(t, c, p.url("/products")); code != http.StatusSeeOther {
		t.Errorf("a page after signing out = %d, want 303", code)
	}
}

func itoa(i int64) string { return strconvFormat(i) }

func strconvFormat(i int64) string { return strconv.FormatInt(i, 10) }

// TestTLSCookie checks that over TLS the session cookie is Secure.
func TestTLSCookie(t *testing.T) {
	p := newPortal(t)
	h := p.http.Config.Handler
	ts := httptest.NewTLSServer(h)
	defer ts.Close()
	c := ts.Client()
	jar, _ := cookiejar.New(nil)
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	_, _, body := get(t, c, ts.URL+"/signin")
	resp, err := c.PostForm(ts.URL+"/signin", url.Values{"csrf": {csrfOf(t, body)}, "token": {p.inspector("centre", time.Hour, product)}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var found bool
	for _, ck := range resp.Cookies() {
		if ck.Name == "consign_session" {
			found = true
			if !ck.Secure || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Errorf("session cookie over TLS = %+v, want Secure, HttpOnly, SameSite=Strict", ck)
			}
		}
	}
	if !found {
		t.Fatalf("no session cookie after sign-in over TLS (status %d)", resp.StatusCode)
	}
}
