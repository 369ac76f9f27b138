package policy

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/consign-dev/consign/internal/sign"
)

// APIVersion is the only policy format version consign reads.
const APIVersion = "consign.dev/policy/v1"

// Policy is what a release must show before it ships. It is immutable once
// parsed and safe for concurrent use.
type Policy struct {
	APIVersion string
	// Product names what the policy is for.
	Product string
	// Version orders the policies of one product (0 when the policy has
	// none); a verifier that remembers it refuses older ones (security case 27 in docs/security.md).
	Version int
	// Expires is when the policy stops being valid.
	Expires time.Time
	Owner   Owner
	// Log is the transparency log whose receipts the policy asks for, or nil.
	Log *Log
	// TrustedRoots are the Sigstore trusted roots that keyless identities
	// are verified against.
	TrustedRoots  []*TrustedRoot
	Functionaries []*Functionary
	Stages        []*Stage
	// Source is the YAML the policy was parsed from.
	Source []byte

	functionaries map[string]*Functionary
	stages        map[string]int
}

// Owner is the root key that signs the policy. KeyID is always set; Key is
// set when the policy carries the key itself.
type Owner struct {
	KeyID string
	Key   *Key
	Line  int
}

// Receipt requirements of a [Log].
const (
	ReceiptsRequired = "required"
	ReceiptsOptional = "optional"
)

// Log names a transparency log's key and whether every attestation must
// carry a receipt from it.
type Log struct {
	Key *Key
	// Origin is the log's origin, which pins the key to that one log; ""
	// when the policy names none.
	Origin   string
	Receipts string
	Line     int
}

// Key is a public key named by a policy.
type Key struct {
	// ID is consign's key id: hex SHA-256 of the DER SubjectPublicKeyInfo.
	ID       string
	Verifier *sign.Verifier
	// PEM is the key as PKIX PEM.
	PEM []byte
	// File is the file the key was read from, or "" when it was inline.
	File string
	Line int
}

// Functionary is a person or system allowed to sign for stages, with keys,
// keyless identities, or both.
type Functionary struct {
	Name       string
	Role       string
	Keys       []*Key
	Identities []*Identity
	// ValidFrom, ValidUntil and RevokedAt bound when the functionary's keys
	// count; a zero time is unset.
	ValidFrom, ValidUntil, RevokedAt time.Time
	Line                             int
}

// ValidAt reports whether the functionary's keys count for a signature made
// at t: ValidFrom <= t <= ValidUntil (a closed interval, security case 25 (docs/security.md))
// and t before RevokedAt. When it does not, the reason says why.
func (f *Functionary) ValidAt(t time.Time) (bool, string) {
	switch {
	case !f.RevokedAt.IsZero() && !t.Before(f.RevokedAt):
		return false, fmt.Sprintf("%s was revoked at %s", f.Name, f.RevokedAt.Format(time.RFC3339))
	case !f.ValidFrom.IsZero() && t.Before(f.ValidFrom):
		return false, fmt.Sprintf("%s is valid only from %s", f.Name, f.ValidFrom.Format(time.RFC3339))
	case !f.ValidUntil.IsZero() && t.After(f.ValidUntil):
		return false, fmt.Sprintf("%s was valid until %s", f.Name, f.ValidUntil.Format(time.RFC3339))
	}
	return true, ""
}

// Stage is one step of the chain, in order.
type Stage struct {
	Name string
	// By names the functionaries allowed to sign for the stage.
	By []string
	// Threshold is how many distinct signers must have signed (at least
	// 1): distinct keys, and distinct keyless identities (one per OIDC
	// issuer and certificate subject).
	Threshold int
	// Require lists the predicate types (URIs) the stage must show.
	Require             []string
	Materials, Products []Rule
	Checks              []Check
	// AllowExitCodes are the non-zero exit statuses the stage's links may
	// record for their command (a test step that reports failures as a
	// product). A link that records any other non-zero status fails the
	// stage.
	AllowExitCodes []int
	Line           int
}

// Check kinds.
const (
	CheckSBOM  = "sbom"
	CheckSLSA  = "slsa"
	CheckTests = "tests"
	CheckRego  = "rego"
	CheckAudit = "audit"
)

// Check is one predicate check of a stage; exactly one of its pointers is set.
type Check struct {
	Kind  string
	SBOM  *SBOMCheck
	SLSA  *SLSACheck
	Tests *TestsCheck
	Rego  *RegoCheck
	Audit *AuditCheck
	Line  int
}

// SBOM elements a coverage threshold can name (the NTIA minimum elements,
// plus hashes and licences).
var SBOMElements = []string{"supplier", "name", "version", "identifiers", "dependencies", "author", "timestamp", "hashes", "licenses"}

// NTIAElements are the NTIA minimum elements that minimum_elements requires in full.
var NTIAElements = []string{"supplier", "name", "version", "identifiers", "dependencies", "author", "timestamp"}

// SBOMCheck checks SBOM attestations (CycloneDX or SPDX predicates).
type SBOMCheck struct {
	// MinCoverage maps an element of [SBOMElements] to the least percentage
	// of components that must have it.
	MinCoverage map[string]float64
	// DenyLicenses lists SPDX license ids no component may carry (compared
	// case-insensitively, as SPDX ids are).
	DenyLicenses []string
	// Profiles are the SBOM profiles (sbomdoc.ProfileNames: ntia,
	// cisa-2025, bsi-tr-03183-2, fsct) the SBOM must meet in full: every
	// element present or not applicable.
	Profiles []string
	// Schema asks that the SBOM be valid by the rules of its format and
	// version: its official schema, and the licence, purl, CPE and hash
	// grammars (sbomdoc.Validate).
	Schema bool
}

// SLSACheck checks SLSA Provenance v1 attestations. Every comparison is
// exact: there are no patterns to leave unanchored (security case 17 in docs/security.md).
type SLSACheck struct {
	// BuilderIDs are the allowed runDetails.builder.id values.
	BuilderIDs []string
	// SourceRepos, when set, are the allowed source repositories; a
	// provenance must name one.
	SourceRepos []string
	// BuildTypes, when set, are the allowed buildDefinition.buildType values.
	BuildTypes []string
	// ExternalParameters, when not nil, maps every allowed
	// externalParameters key to its expected JSON value; a nil value means
	// any value. A key it does not list fails (security case 21 in docs/security.md).
	ExternalParameters map[string]json.RawMessage
	// AnyExternalParameters is set by `external_parameters: "*"`.
	AnyExternalParameters bool
}

// TestsCheck checks test-result attestations.
type TestsCheck struct {
	// AllPassed asks for result PASSED and no failed tests.
	AllPassed bool
}

// AuditCheck checks auditors' findings (audit predicates): every counted
// finding's result must be one of Results.
type AuditCheck struct {
	// Results are the accepted results: "pass", and "observation" when the
	// policy accepts a finding with remarks. "fail" is never accepted.
	Results []string
}

// Functionary returns the functionary called name, or nil.
func (p *Policy) Functionary(name string) *Functionary { return p.functionaries[name] }

// Stage returns the stage called name, or nil.
func (p *Policy) Stage(name string) *Stage {
	if i, ok := p.stages[name]; ok {
		return p.Stages[i]
	}
	return nil
}

// StageIndex returns the position of the stage called name, or -1.
func (p *Policy) StageIndex(name string) int {
	if i, ok := p.stages[name]; ok {
		return i
	}
	return -1
}

// Keys returns every distinct key the policy's functionaries hold, in file
// order, each with the names of the functionaries that list it.
func (p *Policy) Keys() []KeyHolders {
	n := 0
	for _, f := range p.Functionaries {
		n += len(f.Keys)
	}
	out := make([]KeyHolders, 0, n)
	idx := make(map[string]int, n)
	for _, f := range p.Functionaries {
		for _, k := range f.Keys {
			i, ok := idx[k.ID]
			if !ok {
				i = len(out)
				idx[k.ID] = i
				out = append(out, KeyHolders{Key: k})
			}
			if !slices.Contains(out[i].Functionaries, f.Name) {
				out[i].Functionaries = append(out[i].Functionaries, f.Name)
			}
		}
	}
	return out
}

// KeyHolders is a key and the functionaries that list it.
type KeyHolders struct {
	Key           *Key
	Functionaries []string
}

// StageKeys returns the distinct key ids of the functionaries of s, in
// order.
func (p *Policy) StageKeys(s *Stage) []string {
	var ids []string
	seen := map[string]bool{}
	for _, name := range s.By {
		f := p.functionaries[name]
		if f == nil {
			continue
		}
		for _, k := range f.Keys {
			if !seen[k.ID] {
				seen[k.ID] = true
				ids = append(ids, k.ID)
			}
		}
	}
	return ids
}
