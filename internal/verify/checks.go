package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/predicate"
)

// testOnlyCheckHook, when set (by tests only), is called at the start of
// every built-in check, inside its panic guard.
var testOnlyCheckHook func(kind string)

// runChecks runs a stage's predicate checks over the attestations that
// counted for it. A check with nothing to look at fails (security case 7 in docs/security.md).
func (e *engine) runChecks(ctx context.Context, st *policy.Stage, sr *StageResult) {
	counted := e.counted[st.Name]
	for _, c := range st.Checks {
		cr := CheckResult{Kind: c.Kind, Line: c.Line, Status: StatusPass}
		if c.Rego != nil {
			cr.Name = c.Rego.Name
		}
		var err error
		switch {
		case len(counted) == 0:
			err = fmt.Errorf("nothing to check: no attestation counted for the stage")
		default:
			err = guard(c.Kind, func() error { return e.runCheck(ctx, st, c, counted) })
		}
		if err != nil {
			cr.Status, cr.Reason = StatusFail, err.Error()
		} else {
			cr.Reason = e.checkSummary(c, counted)
		}
		sr.Checks = append(sr.Checks, cr)
	}
}

// guard runs a check so that a panic in it is a failure with a message,
// never a crash and never a pass (security case 10 in docs/security.md).
func guard(kind string, f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in the %s check: %v", kind, r)
		}
	}()
	if testOnlyCheckHook != nil {
		testOnlyCheckHook(kind)
	}
	return f()
}

func (e *engine) checkSummary(c policy.Check, counted []*countedItem) string {
	n := 0
	for _, ci := range counted {
		if checkApplies(c, ci.it) {
			n++
		}
	}
	if c.Kind == policy.CheckRego {
		return fmt.Sprintf("deny is empty over %d attestation(s)", len(counted))
	}
	return fmt.Sprintf("%d attestation(s) checked", n)
}

// checkApplies reports whether a check looks at an item.
func checkApplies(c policy.Check, it *item) bool {
	switch c.Kind {
	case policy.CheckSBOM:
		return it.predicateType == attest.PredicateCycloneDX || it.predicateType == attest.PredicateSPDX
	case policy.CheckSLSA:
		return it.predicateType == attest.PredicateSLSAProvenance
	case policy.CheckTests:
		return it.predicateType == attest.PredicateTestResult
	case policy.CheckAudit:
		return it.predicateType == attest.PredicateAudit
	}
	return true
}

func (e *engine) runCheck(ctx context.Context, st *policy.Stage, c policy.Check, counted []*countedItem) error {
	if c.Kind == policy.CheckRego {
		return e.regoCheck(ctx, st, c.Rego)
	}
	var targets []*item
	for _, ci := range counted {
		if checkApplies(c, ci.it) {
			targets = append(targets, ci.it)
		}
	}
	if len(targets) == 0 {
		return fmt.Errorf("no counted attestation of a type the %s check reads", c.Kind)
	}
	var problems []string
	for _, it := range targets {
		var err error
		switch c.Kind {
		case policy.CheckTests:
			err = checkTests(it)
		case policy.CheckSLSA:
			err = checkSLSA(c.SLSA, it)
		case policy.CheckSBOM:
			err = checkSBOM(c.SBOM, it)
		case policy.CheckAudit:
			err = checkAudit(c.Audit, it)
		default:
			err = fmt.Errorf("unknown check %q", c.Kind)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", it.res.Source, err))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s", strings.Join(problems, "; "))
	}
	return nil
}

// checkTests: an in-toto test-result v0.1 with result PASSED and no failed test.
func checkTests(it *item) error {
	r, err := predicate.ParseTestResult(it.st.Predicate)
	if err != nil {
		return err
	}
	switch {
	case r.Result != predicate.TestPassed:
		return fmt.Errorf("the test result is %q, not PASSED", r.Result)
	case len(r.FailedTests) > 0:
		return fmt.Errorf("%d test(s) failed: %s", len(r.FailedTests), strings.Join(r.FailedTests, ", "))
	}
	return nil
}

// checkAudit: an auditor's finding (audit v1, valid against its schema)
// whose result is one the policy accepts.
func checkAudit(c *policy.AuditCheck, it *item) error {
	if err := predicate.Validate(attest.PredicateAudit, it.st.Predicate); err != nil {
		return err
	}
	var f struct {
		Result string `json:"result"`
	}
	if err := json.Unmarshal(it.st.Predicate, &f); err != nil {
		return err
	}
	if !slices.Contains(c.Results, f.Result) {
		return fmt.Errorf("the auditor's finding is %q; the policy accepts %s", f.Result, strings.Join(c.Results, " or "))
	}
	return nil
}

// checkSLSA checks a SLSA Provenance v1 predicate against the policy's
// allow-lists, every comparison exact (security cases 17-21 in docs/security.md). The builder
// id is only text in the predicate: what makes it trustworthy is that the
// attestation counted, i.e. a functionary of the stage signed it (19).
func checkSLSA(c *policy.SLSACheck, it *item) error {
	p, err := predicate.ParseProvenance(it.st.Predicate)
	if err != nil {
		return err
	}
	if builderID := p.RunDetails.Builder.ID; !slices.Contains(c.BuilderIDs, builderID) {
		return fmt.Errorf("builder id %q is not one the policy allows", builderID)
	}
	if buildType := p.BuildDefinition.BuildType; len(c.BuildTypes) > 0 && !slices.Contains(c.BuildTypes, buildType) {
		return fmt.Errorf("build type %q is not one the policy allows", buildType)
	}
	ext := p.BuildDefinition.ExternalParameters
	if c.ExternalParameters != nil {
		for _, k := range sortedKeys(ext) {
			want, ok := c.ExternalParameters[k]
			if !ok {
				return fmt.Errorf("externalParameters has %q, which the policy does not allow", k)
			}
			if want != nil && !jsonEqual(want, ext[k]) {
				return fmt.Errorf("externalParameters %q is %s, the policy expects %s", k, compact(ext[k]), want)
			}
		}
	}
	if len(c.SourceRepos) > 0 {
		cands := p.SourceURIs()
		if len(cands) == 0 {
			return fmt.Errorf("the provenance names no source repository")
		}
		src, err := repoOf(cands[0])
		if err != nil {
			return err
		}
		if !slices.Contains(c.SourceRepos, src) {
			return fmt.Errorf("source repository %q is not one the policy allows", src)
		}
	}
	return nil
}

// jsonEqual compares two JSON values semantically (key order and white
// space aside), numbers exactly as written.
func jsonEqual(a, b json.RawMessage) bool {
	var va, vb any
	da := json.NewDecoder(bytes.NewReader(a))
	da.UseNumber()
	db := json.NewDecoder(bytes.NewReader(b))
	db.UseNumber()
	if da.Decode(&va) != nil || db.Decode(&vb) != nil {
		return false
	}
	ea, _ := json.Marshal(va)
	eb, _ := json.Marshal(vb)
	return bytes.Equal(ea, eb)
}

func compact(raw json.RawMessage) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

// repoOf strips "#fragment" and "@ref" from a source URI and checks that
// what is left is a plain repository URI.
func repoOf(s string) (string, error) {
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("source %q is not a repository URI", s)
	}
	if i := strings.IndexByte(u.Path, '@'); i >= 0 {
		u.Path = u.Path[:i]
		u.RawPath = ""
	}
	if u.RawQuery != "" || u.Path == "" || path.Clean(u.Path) != u.Path {
		return "", fmt.Errorf("source %q is not a plain repository URI", s)
	}
	return u.String(), nil
}

// regoCheck runs a Rego module over what the stage and the chain showed.
func (e *engine) regoCheck(ctx context.Context, st *policy.Stage, rc *policy.RegoCheck) error {
	input := map[string]any{
		"product": e.pol.Product,
		"stage":   st.Name,
	}
	chain := map[string]any{}
	for _, s := range e.pol.Stages {
		var list []any
		for _, ci := range e.counted[s.Name] {
			list = append(list, e.regoStatement(ci))
		}
		if list == nil {
			list = []any{}
		}
		chain[s.Name] = list
		if s.Name == st.Name {
			input["statements"] = list
		}
	}
	input["chain"] = chain
	arts := []any{}
	for _, a := range e.artifacts {
		arts = append(arts, map[string]any{"name": a.Name, "digest": map[string]string(a.Digest)})
	}
	input["artifacts"] = arts
	msgs, err := rc.Eval(ctx, input)
	if err != nil {
		return err
	}
	if len(msgs) > 0 {
		return fmt.Errorf("denied: %s", strings.Join(msgs, "; "))
	}
	return nil
}

// regoStatement is what a Rego module sees of one counted attestation.
func (e *engine) regoStatement(ci *countedItem) map[string]any {
	it := ci.it
	m := map[string]any{"source": it.res.Source, "predicateType": it.predicateType}
	var signers []any
	for _, sig := range it.signers {
		if !slices.Contains(ci.keys, sig.keyID) {
			continue
		}
		if sig.identity != nil {
			signers = append(signers, map[string]any{"issuer": sig.identity.Issuer, "subject": sig.identity.Subject, "functionary": names(sig.holders)})
			continue
		}
		signers = append(signers, map[string]any{"keyId": sig.keyID, "functionary": names(e.holders[sig.keyID])})
	}
	m["signers"] = signers
	if it.st != nil {
		var subjects []any
		for i := range it.subjects.Len() {
			subjects = append(subjects, map[string]any{"name": it.subjects.Name(i), "digest": map[string]string(it.subjects.Set(i))})
		}
		m["subject"] = subjects
		var pred any = map[string]any{}
		if len(it.st.Predicate) > 0 {
			dec := json.NewDecoder(bytes.NewReader(it.st.Predicate))
			dec.UseNumber()
			_ = dec.Decode(&pred)
		}
		m["predicate"] = pred
	}
	if it.isLink {
		m["name"] = it.linkName
		m["materials"] = artifactMap(it.materials)
		m["products"] = artifactMap(it.products)
	}
	return m
}

func artifactMap(a *digest.Table) map[string]any {
	out := make(map[string]any, a.Len())
	for i := range a.Len() {
		out[a.Name(i)] = map[string]string(a.Set(i))
	}
	return out
}
