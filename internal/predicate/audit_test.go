package predicate_test

import (
	"encoding/json"
	"testing"

	"github.com/consign-dev/consign/attestations"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/predicate"
)

// TestAuditPredicate: the audit example is valid, by its short name too,
// and a finding without a result, with another result, or with an unknown
// field is not.
func TestAuditPredicate(t *testing.T) {
	if uri, err := attest.ResolveType("audit"); err != nil || uri != attest.PredicateAudit {
		t.Fatalf("ResolveType(audit) = %q, %v", uri, err)
	}
	b, err := attestations.Examples.ReadFile("examples/audit.json")
	if err != nil {
		t.Fatal(err)
	}
	st, err := attest.ParseStatement(b)
	if err != nil {
		t.Fatalf("the audit example: %v", err)
	}
	if st.PredicateType != attest.PredicateAudit {
		t.Fatalf("the example's predicate type is %q", st.PredicateType)
	}
	if err := predicate.Validate(st.PredicateType, st.Predicate); err != nil {
		t.Errorf("the audit example does not validate: %v", err)
	}
	for name, change := range map[string]func(m map[string]any){
		"no result":     func(m map[string]any) { delete(m, "result") },
		"other result":  func(m map[string]any) { m["result"] = "maybe" },
		"unknown field": func(m map[string]any) { m["verdict"] = "pass" },
		"no auditor":    func(m map[string]any) { delete(m, "auditor") },
		"bad digest":    func(m map[string]any) { m["release"] = map[string]any{"digest": map[string]any{"sha256": "XYZ"}} },
	} {
		var m map[string]any
		json.Unmarshal(st.Predicate, &m)
		change(m)
		bad, _ := json.Marshal(m)
		if err := predicate.Validate(attest.PredicateAudit, bad); err == nil {
			t.Errorf("a finding with %s validates", name)
		}
	}
}
