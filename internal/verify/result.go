package verify

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
)

// Status values of the nodes of a [Result].
const (
	StatusPass = "pass"
	StatusFail = "fail"
	// StatusCounted, StatusNotCounted and StatusInvalid describe attestations.
	StatusCounted    = "counted"
	StatusNotCounted = "not counted"
	StatusUnused     = "unused"
	StatusInvalid    = "invalid"
)

// Result is the answer of a verification, as a tree: the policy, its stages,
// each stage's attestations, their signers, and the stage's rules and
// checks; then the artifacts. Passed is true only when every node passed.
type Result struct {
	Passed     bool             `json:"passed"`
	VerifiedAt time.Time        `json:"verifiedAt"`
	Policy     PolicyResult     `json:"policy"`
	Stages     []*StageResult   `json:"stages"`
	Artifacts  []ArtifactResult `json:"artifacts"`
	// Attestations lists every attestation read, in input order.
	Attestations []*AttestationResult `json:"attestations"`
	// Failures sums up why verification failed, one line each.
	Failures []string `json:"failures,omitempty"`
	// VSA is the signed Verification Summary Attestation, when asked for.
	VSA *attest.Envelope `json:"-"`

	firstErr error
}

// PolicyResult describes the policy (or in-toto layout) verified against.
type PolicyResult struct {
	Source   string     `json:"source"`
	Kind     string     `json:"kind"` // "consign policy" or "in-toto layout"
	Product  string     `json:"product,omitempty"`
	Version  int        `json:"version,omitempty"`
	Expires  *time.Time `json:"expires,omitempty"`
	SignedBy string     `json:"signedBy,omitempty"`
	Digest   digest.Set `json:"digest"`
	Status   string     `json:"status"`
	Reason   string     `json:"reason,omitempty"`
}

// StageResult is one stage (or in-toto step or inspection).
type StageResult struct {
	Name      string   `json:"name"`
	Kind      string   `json:"kind,omitempty"` // "" for a stage, "inspection"
	Status    string   `json:"status"`
	Reason    string   `json:"reason,omitempty"`
	Threshold int      `json:"threshold"`
	Require   []string `json:"require,omitempty"`
	// Signers are the distinct keys that counted for the stage.
	Signers      []SignerResult       `json:"signers"`
	Attestations []*AttestationResult `json:"attestations"`
	Rules        []RuleResult         `json:"rules"`
	Checks       []CheckResult        `json:"checks"`
	Notes        []string             `json:"notes,omitempty"`
}

// AttestationResult is one attestation read, as it counted for a stage (or,
// in [Result.Attestations], overall).
type AttestationResult struct {
	Source        string         `json:"source"`
	Format        string         `json:"format,omitempty"`
	Digest        digest.Set     `json:"digest,omitempty"`
	PredicateType string         `json:"predicateType,omitempty"`
	Name          string         `json:"name,omitempty"`
	Status        string         `json:"status"`
	Reason        string         `json:"reason,omitempty"`
	Signers       []SignerResult `json:"signers,omitempty"`
	Stages        []string       `json:"stages,omitempty"`

	raw []byte
}

// Raw returns the exact bytes the attestation was read from: one line of a
// JSON Lines file, or the whole file of a single document (which may hold
// several attestations). An evidence pack carries these bytes as they are.
func (a *AttestationResult) Raw() []byte { return a.raw }

// SignerResult is one key that signed, as the policy knows it.
type SignerResult struct {
	KeyID       string     `json:"keyId"`
	Functionary string     `json:"functionary,omitempty"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	LoggedAt    *time.Time `json:"loggedAt,omitempty"`
}

// RuleResult is one artifact rule applied to a stage's materials or products.
type RuleResult struct {
	Side   string `json:"side"` // "materials" or "products"
	Rule   string `json:"rule"`
	Line   int    `json:"line,omitempty"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// CheckResult is one predicate check.
type CheckResult struct {
	Kind   string `json:"kind"`
	Name   string `json:"name,omitempty"`
	Line   int    `json:"line,omitempty"`
	Status string `json:"status"`
	Reason string `json:"reason,omitempty"`
}

// ArtifactResult says whether one artifact is a subject of the final stage.
type ArtifactResult struct {
	Name   string     `json:"name"`
	Digest digest.Set `json:"digest"`
	Status string     `json:"status"`
	Reason string     `json:"reason,omitempty"`
}

// Err returns nil when the result passed, and otherwise an error wrapping
// [ErrNotSatisfied] (or the policy's own error, such as
// [policy.ErrSignature]) that names the first failure.
func (r *Result) Err() error {
	if r.Passed {
		return nil
	}
	msg := "verification failed"
	if len(r.Failures) > 0 {
		msg = r.Failures[0]
		if n := len(r.Failures) - 1; n > 0 {
			msg += fmt.Sprintf(" (and %d more failure(s))", n)
		}
	}
	if r.firstErr != nil && !errors.Is(r.firstErr, ErrNotSatisfied) {
		return &FailedError{msg: msg, err: r.firstErr}
	}
	return &FailedError{msg: msg, err: ErrNotSatisfied}
}

// FailedError is a failed verification: Error names the first failure, and
// it wraps the sentinel that says what kind.
type FailedError struct {
	msg string
	err error
}

func (e *FailedError) Error() string { return e.msg }

// Unwrap returns the sentinel ([ErrNotSatisfied], [ErrRollback], a policy error).
func (e *FailedError) Unwrap() error { return e.err }

// fail records a failure line; err, when given, is kept as the first cause.
func (r *Result) fail(err error, format string, a ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, a...))
	if r.firstErr == nil && err != nil {
		r.firstErr = err
	}
}

// Mark is the word a report's line starts with for a status: PASS, FAIL,
// or ---- for what neither passed nor failed (an unused attestation).
func Mark(status string) string {
	switch status {
	case StatusPass, StatusCounted:
		return "PASS"
	case StatusFail, StatusInvalid:
		return "FAIL"
	}
	return "----"
}

// Text renders the result as an indented tree, one node per line, each
// starting with PASS or FAIL (or the attestation's status).
func (r *Result) Text() string {
	var b strings.Builder
	mark := Mark
	p := r.Policy
	fmt.Fprintf(&b, "%s %s %s", mark(p.Status), p.Kind, p.Source)
	if p.Product != "" {
		fmt.Fprintf(&b, " for %q", p.Product)
	}
	if p.Version > 0 {
		fmt.Fprintf(&b, " version %d", p.Version)
	}
	if p.SignedBy != "" {
		fmt.Fprintf(&b, ", signed by %s", shortID(p.SignedBy))
	}
	if p.Expires != nil {
		fmt.Fprintf(&b, ", expires %s", p.Expires.Format(time.RFC3339))
	}
	b.WriteString("\n")
	if p.Reason != "" {
		fmt.Fprintf(&b, "     %s\n", p.Reason)
	}
	for _, st := range r.Stages {
		kind := "stage"
		if st.Kind != "" {
			kind = st.Kind
		}
		fmt.Fprintf(&b, "  %s %s %s", mark(st.Status), kind, st.Name)
		if st.Kind == "" {
			fmt.Fprintf(&b, " (threshold %d, %d distinct key(s) counted", st.Threshold, len(st.Signers))
			if len(st.Require) > 0 {
				fmt.Fprintf(&b, "; requires %s", strings.Join(shortNames(st.Require), ", "))
			}
			b.WriteString(")")
		}
		b.WriteString("\n")
		if st.Reason != "" {
			fmt.Fprintf(&b, "       %s\n", st.Reason)
		}
		for _, a := range st.Attestations {
			fmt.Fprintf(&b, "    %s %s", mark(a.Status), a.Source)
			if a.PredicateType != "" {
				fmt.Fprintf(&b, " %s", typeName(a.PredicateType))
			}
			if a.Name != "" {
				fmt.Fprintf(&b, " %q", a.Name)
			}
			b.WriteString("\n")
			if a.Reason != "" {
				fmt.Fprintf(&b, "         %s\n", a.Reason)
			}
			for _, s := range a.Signers {
				fmt.Fprintf(&b, "      %s signer %s", mark(signerMark(s.Status)), shortID(s.KeyID))
				if s.Functionary != "" {
					fmt.Fprintf(&b, " (%s)", functionaryName(s.Functionary))
				}
				if s.Reason != "" {
					fmt.Fprintf(&b, ": %s", s.Reason)
				}
				b.WriteString("\n")
			}
		}
		for _, rr := range st.Rules {
			fmt.Fprintf(&b, "    %s %s rule %s", mark(rr.Status), rr.Side, rr.Rule)
			if rr.Line > 0 {
				fmt.Fprintf(&b, " (line %d)", rr.Line)
			}
			if rr.Reason != "" {
				fmt.Fprintf(&b, ": %s", rr.Reason)
			}
			b.WriteString("\n")
		}
		for _, c := range st.Checks {
			fmt.Fprintf(&b, "    %s check %s", mark(c.Status), c.Kind)
			if c.Name != "" {
				fmt.Fprintf(&b, " %s", c.Name)
			}
			if c.Line > 0 {
				fmt.Fprintf(&b, " (line %d)", c.Line)
			}
			if c.Reason != "" {
				fmt.Fprintf(&b, ": %s", c.Reason)
			}
			b.WriteString("\n")
		}
		for _, n := range st.Notes {
			fmt.Fprintf(&b, "    note: %s\n", n)
		}
	}
	for _, a := range r.Artifacts {
		fmt.Fprintf(&b, "  %s artifact %s %s", mark(a.Status), a.Name, a.Digest)
		if a.Reason != "" {
			fmt.Fprintf(&b, ": %s", a.Reason)
		}
		b.WriteString("\n")
	}
	var other []*AttestationResult
	for _, a := range r.Attestations {
		if a.Status == StatusInvalid || a.Status == StatusUnused {
			other = append(other, a)
		}
	}
	if len(other) > 0 {
		b.WriteString("  attestations no stage counted:\n")
		for _, a := range other {
			fmt.Fprintf(&b, "    %s %s", mark(a.Status), a.Source)
			if a.PredicateType != "" {
				fmt.Fprintf(&b, " %s", typeName(a.PredicateType))
			}
			if a.Reason != "" {
				fmt.Fprintf(&b, ": %s", a.Reason)
			}
			b.WriteString("\n")
		}
	}
	if r.Passed {
		fmt.Fprintf(&b, "PASSED: %d stage(s), %d artifact(s), %d attestation(s) read\n", len(r.Stages), len(r.Artifacts), len(r.Attestations))
	} else {
		fmt.Fprintf(&b, "FAILED: %d failure(s)\n", len(r.Failures))
		for _, f := range r.Failures {
			fmt.Fprintf(&b, "  - %s\n", f)
		}
	}
	return b.String()
}

// typeName is how the report names a predicate type.
func typeName(t string) string {
	switch t {
	case attest.LegacyLinkType:
		return "link (in-toto v0.9)"
	case layoutType:
		return "layout (in-toto v0.9)"
	}
	return attest.ShortName(t)
}

// functionaryName shortens the in-toto key ids that name a layout's
// functionaries.
func functionaryName(name string) string {
	if len(name) == 64 && strings.Trim(name, "0123456789abcdef") == "" {
		return "in-toto key " + shortID(name)
	}
	return name
}

func signerMark(status string) string {
	if status == "valid" {
		return StatusPass
	}
	return StatusFail
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func shortNames(uris []string) []string {
	out := make([]string, len(uris))
	for i, u := range uris {
		out[i] = attest.ShortName(u)
	}
	return out
}
