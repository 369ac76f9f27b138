package ui_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// rows is the text of each table row of a page, tags removed.
func rows(body string) []string {
	var out []string
	tag := regexp.MustCompile(`<[^>]*>`)
	space := regexp.MustCompile(`\s+`)
	for _, r := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(body, -1) {
		out = append(out, strings.TrimSpace(space.ReplaceAllString(html.UnescapeString(tag.ReplaceAllString(r[1], " ")), " ")))
	}
	return out
}

func TestSBOM(t *testing.T) {
	p := newPortal(t)
	c := p.client()
	p.signIn(t, c, p.inspector("centre", time.Hour, product))
	base := p.url("/products/%s/entries/%d/sbom", product, p.chain[product].sbom)
	code, _, body := get(t, c, base)
	if code != http.StatusOK {
		t.Fatalf("SBOM page = %d", code)
	}
	got := strings.Join(rows(body), "\n")
	for _, want := range []string{
		"added busybox@1.36.1 1.36.1 GPL-2.0-only",
		"removed left-pad@1.3.0 1.3.0 WTFPL",
		"changed openssl 3.0.11 → 3.0.13 Apache-2.0",
		"changed zlib 1.2.13 → 1.3.1 Zlib",
		"supplier 100.0% (4 of 4)",
		"hashes 0.0% (0 of 4)",
		"zlib@1.3.1 1.3.1 ACME suppliers Zlib pkg:generic/zlib@1.3.1",
		hostileScript + "@6.6.6 6.6.6 ACME suppliers " + hostileImg,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("SBOM page lacks the row %q; rows:\n%s", want, got)
		}
	}
	if strings.Contains(body, "<script>window.pwned") || strings.Contains(body, "<img src=x") {
		t.Errorf("SBOM page holds the hostile component unescaped")
	}
	// Filter and sort.
	_, _, body = get(t, c, base+"?q=ZLIB")
	var names []string
	for _, r := range rows(body) {
		if strings.Contains(r, "pkg:generic/") {
			names = append(names, strings.Fields(r)[0])
		}
	}
	if strings.Join(names, " ") != "zlib@1.3.1" {
		t.Errorf("filter zlib: components %v, want zlib@1.3.1 alone", names)
	}
	_, _, body = get(t, c, base+"?sort=version")
	names = nil
	for _, r := range rows(body) {
		if strings.Contains(r, "pkg:generic/") {
			names = append(names, strings.Fields(r)[1])
		}
	}
	if strings.Join(names, " ") != "1.3.1 1.36.1 3.0.13 6.6.6" {
		t.Errorf("sort by version: %v", names)
	}
	// The first SBOM of the product has nothing to compare with.
	if _, _, body := get(t, c, p.url("/products/%s/entries/%d/sbom", product, p.chain[product].sbom-5)); !strings.Contains(body, "the first SBOM logged for this product") {
		t.Errorf("the first SBOM's page does not say it is the first")
	}
	// Not an SBOM, or another product's: not found.
	for _, path := range []string{
		"/products/" + product + "/entries/" + itoa(p.chain[product].build) + "/sbom",
		"/products/" + product + "/entries/" + itoa(p.chain[other].sbom) + "/sbom",
		"/products/" + other + "/entries/" + itoa(p.chain[other].sbom) + "/sbom",
	} {
		if code, _, _ := get(t, c, p.url("%s", path)); code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, code)
		}
	}
}
