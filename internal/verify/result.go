package verify

import (
	"errors"
	"fmt"
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

// ResultMediaType is the media type of a [Result] in JSON, in its
// "mediaType" field. Its version changes when a field changes meaning or
// goes away; fields may be added within a version.
const ResultMediaType = "application/vnd.consign.verification-result+json;version=1"

// LayoutType is the predicate type a result gives an in-toto v0.9 layout
// read among the attestations (a sublayout).
const LayoutType = layoutType

// Result is the answer of a verification, as a tree: the policy, its stages,
// each stage's attestations, their signers, and the stage's rules and
// checks; then the artifacts. Passed is true only when every node passed.
// The report package renders it.
type Result struct {
	Passed     bool             `json:"passed"`
	VerifiedAt time.Time        `json:"verifiedAt"`
	Policy     PolicyResult     `json:"policy"`
	Stages     []*StageResult   `json:"stages"`
	Artifacts  []ArtifactResult `json:"artifacts"`
	// Attestations lists every attestation read, in input order.
	Attestations []*AttestationResult `json:"attestations"`
	// NoArtifactBound is set when an in-toto layout was verified without
	// an artifact: the chain of steps holds, but nothing shipped is bound
	// to it.
	NoArtifactBound bool `json:"noArtifactBound,omitempty"`
	// Failures sums up why verification failed, one line each.
	Failures []string `json:"failures,omitempty"`
	// VSA is the signed Verification Summary Attestation, when asked for.
	VSA *attest.Envelope `json:"-"`
	// MediaType is [ResultMediaType]: what this JSON object is, and which
	// version of it.
	MediaType string `json:"mediaType"`

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
	// Signers are the distinct signers (keys, keyless identities) that
	// counted for the stage.
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

	raw  []byte
	line *attest.EnvelopeLine
}

// Raw returns the exact bytes the attestation was read from: one line of a
// JSON Lines file, or the whole file of a single document (which may hold
// several attestations). An evidence pack carries these bytes as they are.
// For an envelope line read as it streamed ([Line]), they are rebuilt.
func (a *AttestationResult) Raw() []byte {
	if a.raw == nil && a.line != nil {
		return a.line.AppendLine(nil)
	}
	return a.raw
}

// Line returns the envelope line the attestation was read from when an
// [attest.EnvelopeSink] read it as it streamed (its bytes were never held
// whole), or nil.
func (a *AttestationResult) Line() *attest.EnvelopeLine { return a.line }

// SignerResult is one key, or one keyless identity, that signed, as the
// policy knows it.
type SignerResult struct {
	// KeyID is the key's id; empty for a keyless signer.
	KeyID string `json:"keyId,omitempty"`
	// Identity is the keyless signer: the certificate's OIDC issuer and
	// subject; nil for a key.
	Identity    *SignerIdentity `json:"identity,omitempty"`
	Functionary string          `json:"functionary,omitempty"`
	Status      string          `json:"status"`
	Reason      string          `json:"reason,omitempty"`
	LoggedAt    *time.Time      `json:"loggedAt,omitempty"`
}

// SignerIdentity is a keyless signer, as its verified certificate names it.
type SignerIdentity struct {
	Issuer  string `json:"issuer"`
	Subject string `json:"subject"`
}

// String is the identity in one line.
func (id *SignerIdentity) String() string { return id.Subject + " (issuer " + id.Issuer + ")" }

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

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
