package predicate_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/predicate"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name, typ, pred string
		wantErr         error
	}{
		{"test result", attest.PredicateTestResult, `{"result":"PASSED","configuration":[]}`, nil},
		{"test result, bad enum", attest.PredicateTestResult, `{"result":"MAYBE","configuration":[]}`, attest.ErrPredicate},
		{"test result, missing field", attest.PredicateTestResult, `{"result":"PASSED"}`, attest.ErrPredicate},
		{"slsa", attest.PredicateSLSAProvenance, `{"buildDefinition":{"buildType":"b","externalParameters":{}},"runDetails":{"builder":{"id":"i"}}}`, nil},
		{"slsa without builder", attest.PredicateSLSAProvenance, `{"buildDefinition":{"buildType":"b","externalParameters":{}},"runDetails":{}}`, attest.ErrPredicate},
		{"unknown type, any object", "https://example.com/p", `{"anything":[1,2]}`, nil},
		{"unknown type, array", "https://example.com/p", `[1]`, attest.ErrPredicate},
		{"duplicate keys", "https://example.com/p", `{"a":1,"a":2}`, attest.ErrMalformed},
		{"not JSON", "https://example.com/p", `{`, attest.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := predicate.Validate(tt.typ, json.RawMessage(tt.pred))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Validate(%q, %s) = %v, want %v", tt.typ, tt.pred, err, tt.wantErr)
			}
		})
	}
	if !predicate.HasSchema(attest.PredicateSLSAProvenance) || predicate.HasSchema("https://example.com/p") {
		t.Errorf("HasSchema: want true for SLSA provenance and false for an unknown type")
	}
}
