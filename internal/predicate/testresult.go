package predicate

import (
	"encoding/json"

	"github.com/consign-dev/consign/internal/attest"
)

// TestResult is an in-toto test-result predicate v0.1
// (https://github.com/in-toto/attestation/blob/main/spec/predicates/test-result.md).
type TestResult struct {
	Result        string               `json:"result"`
	Configuration []ResourceDescriptor `json:"configuration"`
	URL           string               `json:"url,omitempty"`
	PassedTests   []string             `json:"passedTests,omitempty"`
	WarnedTests   []string             `json:"warnedTests,omitempty"`
	FailedTests   []string             `json:"failedTests,omitempty"`
}

// Test results.
const (
	TestPassed = "PASSED"
	TestWarned = "WARNED"
	TestFailed = "FAILED"
)

// testResultKeys are the fields of a test result.
var testResultKeys = []string{"result", "configuration", "url", "passedTests", "warnedTests", "failedTests"}

// Marshal returns the predicate's JSON, checked against its schema
// ([Validate]).
func (r *TestResult) Marshal() (json.RawMessage, error) {
	out := *r
	if out.Configuration == nil {
		out.Configuration = []ResourceDescriptor{}
	}
	return marshalChecked(attest.PredicateTestResult, &out)
}

// ParseTestResult reads what a policy checks of a test result, strictly:
// field names exact, the result a string and the
// failed tests a list of strings. The other fields are not read. The raw
// predicate must be part of a document [attest.CheckJSON] accepted. On
// error it returns nil and an error wrapping [attest.ErrInvalid].
func ParseTestResult(raw []byte) (*TestResult, error) {
	m, err := exactObject(raw, "test result", testResultKeys...)
	if err != nil {
		return nil, err
	}
	r := &TestResult{}
	if err := unmarshalOpt(m, "result", &r.Result); err != nil {
		return nil, err
	}
	if err := unmarshalOpt(m, "failedTests", &r.FailedTests); err != nil {
		return nil, err
	}
	return r, nil
}
