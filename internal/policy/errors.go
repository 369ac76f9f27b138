package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
)

var (
	// ErrInvalid is the root of every error about a policy's content.
	ErrInvalid = errors.New("invalid policy")
	// ErrPattern is returned for an artifact pattern consign refuses.
	ErrPattern = fmt.Errorf("%w: bad artifact pattern", ErrInvalid)
	// ErrRule is returned for an artifact rule that does not parse.
	ErrRule = fmt.Errorf("%w: bad artifact rule", ErrInvalid)
	// ErrNotSigned is returned by [LintFile] when asked to verify the
	// signature of a policy that is not signed.
	ErrNotSigned = errors.New("the policy is not signed")
	// ErrPayloadType is returned for an envelope that does not hold a policy.
	ErrPayloadType = fmt.Errorf("%w: the envelope does not hold a consign policy", ErrInvalid)
	// ErrKeyFile is returned when a signed policy names a file instead of
	// carrying the key or module itself: what a signed policy trusts must be
	// inside what was signed.
	ErrKeyFile = fmt.Errorf("%w: a signed policy must carry its keys and modules inline", ErrInvalid)

	// ErrUnverified is the root of every "no" about a policy's signature or
	// validity. It wraps [attest.ErrUnverified], so that callers mapping
	// verification failures to an exit code need one sentinel.
	ErrUnverified = fmt.Errorf("%w: policy", attest.ErrUnverified)
	// ErrSignature is returned when no trusted root key signed the policy.
	ErrSignature = fmt.Errorf("%w: signature does not match the trust root", ErrUnverified)
	// ErrOwner is returned when the policy names another owner than the key that signed it.
	ErrOwner = fmt.Errorf("%w: the policy's owner is not the key that signed it", ErrUnverified)
	// ErrExpired is returned for a policy past its expiry.
	ErrExpired = fmt.Errorf("%w: expired", ErrUnverified)
	// ErrOwnerKey is returned by [Sign] when the signing key is not the policy's owner.
	ErrOwnerKey = errors.New("the signing key is not the policy's owner key")
)

// Severity grades a [Finding].
type Severity string

// Severities of findings.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Finding is one problem found in a policy, at a line of its YAML (1-based;
// 0 when it concerns the whole file).
type Finding struct {
	Line     int      `json:"line"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	// Syntax is set when the file is not valid YAML: nothing else in it
	// was checked.
	Syntax bool `json:"syntax,omitempty"`
}

func (f Finding) String() string {
	if f.Line > 0 {
		return fmt.Sprintf("line %d: %s: %s", f.Line, f.Severity, f.Message)
	}
	return fmt.Sprintf("%s: %s", f.Severity, f.Message)
}

// ParseError lists every error-level finding of a policy that did not
// parse. It wraps [ErrInvalid] (and [ErrKeyFile] or [ErrPattern] when one
// of its findings is of that kind).
type ParseError struct {
	Findings []Finding
	wrapped  []error
}

func (e *ParseError) Error() string {
	if len(e.Findings) == 0 {
		return ErrInvalid.Error()
	}
	// Every finding here is an error: its severity is not said again
	// after the sentinel's.
	f := e.Findings[0]
	msg := fmt.Sprintf("%s: %s", ErrInvalid, f.Message)
	if f.Line > 0 {
		msg = fmt.Sprintf("%s: line %d: %s", ErrInvalid, f.Line, f.Message)
	}
	if n := len(e.Findings) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more)", n)
	}
	return msg
}

// Unwrap returns [ErrInvalid] and the sentinels of the findings.
func (e *ParseError) Unwrap() []error { return append([]error{ErrInvalid}, e.wrapped...) }

// Details is every finding, one per line.
func (e *ParseError) Details() string {
	lines := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		lines[i] = f.String()
	}
	return strings.Join(lines, "\n")
}
