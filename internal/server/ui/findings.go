package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/consign-dev/consign/internal/shell"
	"net/http"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
)

// finding is an audit attestation about a release, as the release page shows it.
type finding struct {
	*attestation
	Result, Summary, Scope, Auditor string
}

type auditPredicate struct {
	Result  string `json:"result"`
	Summary string `json:"summary"`
	Scope   string `json:"scope"`
	Auditor struct {
		Name         string `json:"name"`
		Organization string `json:"organization"`
	} `json:"auditor"`
}

// findingsOf are the audit attestations among all about one of rel's subjects.
func findingsOf(rel *release, all []*attestation) []*finding {
	about := map[string]bool{}
	for _, s := range rel.Subjects {
		about[s.Digest] = true
	}
	var out []*finding
	for _, a := range all {
		if a.Type != attest.PredicateAudit || !aboutAny(a.Subjects, about) {
			continue
		}
		f := &finding{attestation: a}
		var p auditPredicate
		if json.Unmarshal(a.pred, &p) == nil {
			f.Result, f.Summary, f.Scope, f.Auditor = p.Result, p.Summary, p.Scope, p.Auditor.Name
			if p.Auditor.Organization != "" {
				f.Auditor += ", " + p.Auditor.Organization
			}
		}
		out = append(out, f)
	}
	return out
}

func aboutAny(subjects []subject, about map[string]bool) bool {
	for _, s := range subjects {
		if about[s.Digest] {
			return true
		}
	}
	return false
}

// findingForm is what the release page shows to record a finding: an
// example predicate filled in for this release, and the command that signs it.
type findingForm struct {
	Example string
	Command string
	CanSign bool // the token has a key to check the finding's signature with
}

func newFindingForm(rel *release, rq *request, now time.Time) *findingForm {
	pred := map[string]any{
		"result":      "observation",
		"summary":     "What you found.",
		"scope":       "What you examined.",
		"auditor":     map[string]any{"name": cmpOr(rq.token.Name, "your name")},
		"release":     resource(fmt.Sprintf("%s/releases/%d", rel.Product, rel.Index), rel.Digest),
		"findingTime": now.UTC().Format(time.RFC3339),
	}
	var refs []map[string]any
	for _, in := range rel.Inputs {
		if in.Entry != nil {
			refs = append(refs, resource(fmt.Sprintf("%s/entries/%d", in.Entry.Product, in.Entry.Index), in.Entry.Digest))
		}
	}
	if refs != nil {
		pred["references"] = refs
	}
	b, _ := json.MarshalIndent(pred, "", "  ")
	cmd := "consign attest --key inspector.key --type audit --predicate finding.json"
	for _, s := range rel.Subjects {
		cmd += " --subject " + shell.Quote(s.Name+"="+s.Digest)
	}
	return &findingForm{Example: string(b), Command: cmd + " --out finding.intoto.jsonl", CanSign: len(rq.token.Keys) > 0}
}

func resource(uri, dgst string) map[string]any {
	alg, hex, _ := strings.Cut(dgst, ":")
	return map[string]any{"uri": uri, "digest": map[string]string{alg: hex}}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// recordFinding is POST /products/{product}/releases/{index}/findings: a
// signed audit envelope, pasted as the .intoto.jsonl line, logged like any
// attestation once its signature checks with the inspector's key.
func (p *Portal) recordFinding(w http.ResponseWriter, r *http.Request, rq *request) error {
	rel, err := p.productRelease(r, rq)
	if err != nil {
		return err
	}
	a := rel.attestation
	var about []string
	for _, s := range rel.Subjects {
		if v, ok := strings.CutPrefix(s.Digest, "sha256:"); ok {
			about = append(about, v)
		}
	}
	line := []byte(strings.TrimSpace(r.PostForm.Get("envelope")))
	index, err := p.cfg.Log.PublishFinding(r.Context(), rq.token, a.Product, line, about)
	if err != nil {
		status := http.StatusBadRequest
		switch {
		case errors.Is(err, api.ErrForbidden):
			status = http.StatusForbidden
		case !errors.Is(err, api.ErrBadRequest) && !errors.Is(err, attest.ErrMalformed) && !errors.Is(err, attest.ErrInvalid):
			return err
		}
		p.render(w, r, status, "error", &page{Title: "Finding refused", Message: "The finding was not recorded: " + err.Error(), Product: a.Product, rq: rq})
		return nil
	}
	if err := p.record(r, rq, a.Product, "finding"); err != nil {
		return err
	}
	http.Redirect(w, r, fmt.Sprintf("/products/%s/releases/%d#finding-%d", a.Product, a.Index, index), http.StatusSeeOther)
	return nil
}
