package ui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/testutil/testkey"
)

// audit is an audit finding about the artifact named subject.
func audit(t testing.TB, subject, result, summary string) *attest.Statement {
	return statement(t, attest.PredicateAudit, subject, map[string]any{
		"result": result, "summary": summary, "scope": "the chain and the SBOM",
		"auditor": map[string]any{"name": "J. Smith", "organization": "Regional centre"}, "findingTime": "2026-12-06T15:00:00Z"})
}

// TestFindings records a signed finding through the release page, and
// checks what is refused: no CSRF token, another key's signature, another
// predicate, another artifact, an invalid finding, a token without a key.
func TestFindings(t *testing.T) {
	p := newPortal(t)
	key, stranger := testkey.New(t, "inspector"), testkey.New(t, "stranger")
	c := p.client()
	csrf := p.signIn(t, c, p.inspectorWithKey("centre", time.Hour, key, product))
	rel := p.url("/products/%s/releases/%d", product, p.chain[product].vsa)
	_, _, body := get(t, c, rel)
	for _, want := range []string{"No inspector has recorded a finding", "consign attest --key inspector.key --type audit --predicate finding.json --subject acme-router-1.0.tar=sha256:", `name="envelope"`} {
		if !strings.Contains(body, want) {
			t.Errorf("release page lacks %q", want)
		}
	}
	artifactName := product + "-1.0.tar"
	size := func() int64 {
		tr, err := p.st.Tree(bg)
		if err != nil {
			t.Fatal(err)
		}
		return tr.Size
	}
	before := size()
	send := func(csrf string, line []byte) (int, http.Header, string) {
		return post(t, c, rel+"/findings", url.Values{"csrf": {csrf}, "envelope": {string(line)}})
	}
	for name, tt := range map[string]struct {
		csrf string
		line []byte
		code int
	}{
		"no CSRF token":     {"", envelopeLine(t, audit(t, artifactName, "pass", "ok"), key), http.StatusForbidden},
		"another key":       {csrf, envelopeLine(t, audit(t, artifactName, "pass", "ok"), stranger), http.StatusForbidden},
		"a link":            {csrf, envelopeLine(t, statement(t, attest.PredicateLink, artifactName, map[string]any{"name": "x"}), key), http.StatusBadRequest},
		"another artifact":  {csrf, envelopeLine(t, audit(t, product+"-0.9.tar", "pass", "ok"), key), http.StatusBadRequest},
		"an invalid result": {csrf, envelopeLine(t, audit(t, artifactName, "maybe", "ok"), key), http.StatusBadRequest},
		"not an envelope":   {csrf, []byte(`{"hello":"world"}`), http.StatusBadRequest},
	} {
		if code, _, _ := send(tt.csrf, tt.line); code != tt.code {
			t.Errorf("a finding with %s = %d, want %d", name, code, tt.code)
		}
	}
	if got := size(); got != before {
		t.Fatalf("refused findings were logged: the log grew from %d to %d", before, got)
	}
	code, h, _ := send(csrf, envelopeLine(t, audit(t, artifactName, "fail", "The test stage ran on a <b>forked</b> runner."), key))
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/products/"+product+"/releases/"+itoa(p.chain[product].vsa)+"#finding-") {
		t.Fatalf("recording a finding = %d to %q, want 303 back to the release", code, h.Get("Location"))
	}
	if size() != before+1 {
		t.Fatalf("the finding was not logged")
	}
	_, _, body = get(t, c, rel)
	for _, want := range []string{`<span class="verdict fail">fail</span> by <strong>J. Smith, Regional centre</strong>`, "The test stage ran on a &lt;b&gt;forked&lt;/b&gt; runner.", "Scope: the chain and the SBOM"} {
		if !strings.Contains(body, want) {
			t.Errorf("release page lacks the finding's %q", want)
		}
	}
	recs, _ := p.st.Accesses(bg, store.AccessQuery{Limit: 10})
	if len(recs) < 2 || recs[1].Action != "finding" || recs[1].Path != "/products/"+product+"/releases/"+itoa(p.chain[product].vsa)+"/findings" {
		t.Errorf("access record = %+v, want the finding recorded before the last view", recs)
	}

	// A token without a key: no form, and a POST is refused.
	c2 := p.client()
	csrf2 := p.signIn(t, c2, p.inspector("reader", time.Hour, product))
	if _, _, body := get(t, c2, rel); strings.Contains(body, `name="envelope"`) || !strings.Contains(body, "Your token has no public key") {
		t.Errorf("a token without a key is offered the upload form")
	}
	if code, _, _ := post(t, c2, rel+"/findings", url.Values{"csrf": {csrf2}, "envelope": {string(envelopeLine(t, audit(t, artifactName, "pass", "ok"), key))}}); code != http.StatusForbidden {
		t.Errorf("a finding with a token without a key = %d, want 403", code)
	}
}
