package report_test

import (
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/verify"
)

var (
	when    = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	expires = time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC)
	keyID   = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	appSum  = digest.Set{digest.SHA256: "b07c7c20217058ea361d150708a1d176d9e0153a3f13ac67bfcd781d1227e3f0"}
)

// failedResult is a verification that failed, with a node of every kind:
// a stage with a counted and an uncounted attestation, signers valid and
// revoked, rules and checks with lines and reasons, a note, an inspection,
// artifacts passing and failing, and attestations no stage counted.
func failedResult() *verify.Result {
	counted := &verify.AttestationResult{Source: "att/build.intoto.jsonl", PredicateType: attest.PredicateLink, Name: "build", Status: verify.StatusCounted,
		Signers: []verify.SignerResult{{KeyID: keyID, Functionary: "ci", Status: "valid"}}}
	revoked := &verify.AttestationResult{Source: "att/release-carol.intoto.jsonl", PredicateType: attest.PredicateLink, Name: "release", Status: verify.StatusNotCounted,
		Reason:  "signed by no key valid for the stage",
		Signers: []verify.SignerResult{{KeyID: keyID, Functionary: "carol", Status: "revoked", Reason: "carol was revoked at 2026-10-01T00:00:00Z"}}}
	legacy := &verify.AttestationResult{Source: "links/package.0123abcd.link", PredicateType: attest.LegacyLinkType, Name: "package", Status: verify.StatusCounted,
		Signers: []verify.SignerResult{{KeyID: keyID, Functionary: keyID, Status: "valid"}}}
	return &verify.Result{
		Passed: false, VerifiedAt: when,
		Policy: verify.PolicyResult{Source: "policy.json", Kind: "consign policy", Product: "app", Version: 2, Expires: &expires, SignedBy: keyID, Digest: appSum, Status: verify.StatusPass},
		Stages: []*verify.StageResult{
			{Name: "build", Status: verify.StatusPass, Threshold: 1, Require: []string{attest.PredicateLink, attest.PredicateSLSAProvenance},
				Signers: []verify.SignerResult{{KeyID: keyID, Functionary: "ci", Status: "valid"}}, Attestations: []*verify.AttestationResult{counted},
				Rules:  []verify.RuleResult{{Side: "products", Rule: `CREATE "dist/*"`, Line: 13, Status: verify.StatusPass, Reason: "1 artifact(s) consumed"}},
				Checks: []verify.CheckResult{{Kind: "slsa", Name: "builder", Line: 15, Status: verify.StatusPass}},
				Notes:  []string{"a note"}},
			{Name: "release", Status: verify.StatusFail, Reason: "link: 1 of 2 distinct signer(s) signed (threshold not met)", Threshold: 2, Require: []string{attest.PredicateLink},
				Attestations: []*verify.AttestationResult{revoked, legacy},
				Rules:        []verify.RuleResult{{Side: "materials", Rule: "DISALLOW *", Status: verify.StatusFail, Reason: "dist/extra is disallowed"}},
				Checks:       []verify.CheckResult{{Kind: "rego", Status: verify.StatusFail, Reason: "deny: unsigned"}}},
			{Name: "check", Kind: "inspection", Status: verify.StatusFail, Reason: "not run"},
		},
		Artifacts: []verify.ArtifactResult{
			{Name: "dist/app", Digest: appSum, Status: verify.StatusPass},
			{Name: "other.bin", Digest: appSum, Status: verify.StatusFail, Reason: "no subject of stage release matches the artifact's digest"},
		},
		Attestations: []*verify.AttestationResult{counted, revoked, legacy,
			{Source: "att/notes.jsonl", Status: verify.StatusInvalid, Reason: "line 1: not JSON"},
			{Source: "att/other.intoto.jsonl", PredicateType: verify.LayoutType, Status: verify.StatusUnused, Reason: "signed by a key the policy names, but no stage counted it"},
		},
		Failures: []string{"stage release: threshold not met", "artifact other.bin: not covered"},
	}
}

// passedResult is a verification that passed, with a policy that failed to
// say nothing more than its kind and source (no product, no signer).
func passedResult() *verify.Result {
	return &verify.Result{
		Passed: true, VerifiedAt: when,
		Policy:       verify.PolicyResult{Source: "root.layout", Kind: "in-toto layout", Status: verify.StatusPass},
		Stages:       []*verify.StageResult{{Name: "build", Status: verify.StatusPass, Threshold: 1}},
		Artifacts:    []verify.ArtifactResult{{Name: "dist/app", Digest: appSum, Status: verify.StatusPass}},
		Attestations: []*verify.AttestationResult{{Source: "links/build.link", Status: verify.StatusCounted}},
	}
}

// packResult is a pack's verification with a log, SBOMs passing and
// failing, a VSA, notes and failures.
func packResult() *pack.Result {
	return &pack.Result{
		Passed: false,
		Pack: pack.PackSummary{Name: "r2.pack", Format: "1", Product: "app", PolicyVersion: 3, Files: 9, Size: 3 << 20, Compression: "gzip",
			Included: []string{"artifacts/app"}},
		Verification: passedResult(),
		Log:          &pack.LogResult{Status: verify.StatusPass, Origin: "log.example", Size: 12, Receipts: 3, Consistent: 2, Unproven: 1},
		SBOMs: []pack.SBOMResult{
			{Path: "sboms/01-build.1.cdx.json", Status: verify.StatusPass, Format: "cyclonedx-json 1.6", Subject: "acme-app 1.0", Components: 4,
				Coverage: map[string]float64{"name": 100, "version": 75, "supplier": 0},
				Schema:   &pack.SBOMSchema{Schema: "http://cyclonedx.org/schema/bom-1.6.schema.json"},
				Profiles: []*sbomdoc.ProfileResult{{Profile: "ntia", Title: "NTIA minimum elements (2021)", Elements: []sbomdoc.ElementResult{
					{Element: "supplier", Status: sbomdoc.StatusMissing, Covered: 1, Total: 5, Missing: []string{"a@1", "b@2", "c@3", "d@4"}},
					{Element: "name", Status: sbomdoc.StatusPresent, Covered: 5, Total: 5},
					{Element: "timestamp", Status: sbomdoc.StatusPresent},
				}}}},
			{Path: "sboms/03-build.spdx", Status: verify.StatusPass, Format: "spdx-tagvalue 2.3", Components: 0,
				Schema: &pack.SBOMSchema{Violations: 2, First: "line 7: hash: SHA256 is 64 hex digits, not 10"},
				Profiles: []*sbomdoc.ProfileResult{{Profile: "fsct", Title: "FSCT", Elements: []sbomdoc.ElementResult{
					{Element: "timestamp", Status: sbomdoc.StatusPresent},
					{Element: "component-name", Status: sbomdoc.StatusNotApplicable},
				}}}},
			{Path: "sboms/02-build.2.cdx.json", Status: verify.StatusFail, Reason: "not the predicate of any attestation the policy counted"},
		},
		VSA:      &pack.VSAResult{Path: "vsa/app.intoto.jsonl", Status: verify.StatusFail, Result: verify.VSAPassed, SignedBy: "0123456789ab (the owner)", Reason: "about another policy"},
		Notes:    []string{"the pack holds log receipts, but the signed policy names no log key: they were not used"},
		Failures: []string{"VSA vsa/app.intoto.jsonl: about another policy"},
	}
}
