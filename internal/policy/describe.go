package policy

import (
	"time"

	"github.com/consign-dev/consign/internal/attest"
)

// Summary is what a policy says, in brief, for people reading it: who signs
// for what, and against which keys, identities and trusted roots.
type Summary struct {
	Product       string               `json:"product"`
	Version       int                  `json:"version,omitempty"`
	Expires       time.Time            `json:"expires"`
	Owner         string               `json:"owner"` // the owner's key id
	TrustedRoots  []TrustedRootSummary `json:"trustedRoots,omitempty"`
	Functionaries []FunctionarySummary `json:"functionaries"`
	Stages        []StageSummary       `json:"stages"`
}

// TrustedRootSummary is one trusted root a policy names.
type TrustedRootSummary struct {
	Name    string `json:"name"`
	SHA256  string `json:"sha256"`
	Carried bool   `json:"carried"` // in the policy, not only named by digest
}

// FunctionarySummary is one functionary: its keys by id, its keyless
// identities described in one line each ([Identity.String]).
type FunctionarySummary struct {
	Name       string     `json:"name"`
	Role       string     `json:"role,omitempty"`
	Keys       []string   `json:"keys,omitempty"`
	Identities []string   `json:"identities,omitempty"`
	ValidFrom  *time.Time `json:"validFrom,omitempty"`
	ValidUntil *time.Time `json:"validUntil,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
}

// StageSummary is one stage: who signs for it, how many, and what it needs.
type StageSummary struct {
	Name      string   `json:"name"`
	By        []string `json:"by"`
	Threshold int      `json:"threshold"`
	Require   []string `json:"require"` // short names where there is one
	// AllowExitCodes are the non-zero exit statuses its links may record.
	AllowExitCodes []int `json:"allowExitCodes,omitempty"`
}

// Describe sums up p.
func (p *Policy) Describe() Summary {
	s := Summary{Product: p.Product, Version: p.Version, Expires: p.Expires, Owner: p.Owner.KeyID,
		Functionaries: []FunctionarySummary{}, Stages: []StageSummary{}}
	for _, r := range p.TrustedRoots {
		s.TrustedRoots = append(s.TrustedRoots, TrustedRootSummary{Name: r.Name, SHA256: r.SHA256, Carried: r.JSON != nil})
	}
	for _, f := range p.Functionaries {
		fs := FunctionarySummary{Name: f.Name, Role: f.Role, ValidFrom: timePtr(f.ValidFrom), ValidUntil: timePtr(f.ValidUntil), RevokedAt: timePtr(f.RevokedAt)}
		for _, k := range f.Keys {
			fs.Keys = append(fs.Keys, k.ID)
		}
		for _, id := range f.Identities {
			fs.Identities = append(fs.Identities, id.String()+" (trusted root "+id.TrustedRoot+")")
		}
		s.Functionaries = append(s.Functionaries, fs)
	}
	for _, st := range p.Stages {
		ss := StageSummary{Name: st.Name, By: st.By, Threshold: st.Threshold, AllowExitCodes: st.AllowExitCodes}
		for _, t := range st.Require {
			ss.Require = append(ss.Require, attest.ShortName(t))
		}
		s.Stages = append(s.Stages, ss)
	}
	return s
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
