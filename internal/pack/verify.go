package pack

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/predicate"
	"github.com/consign-dev/consign/internal/receipt"
	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// VerifyConfig is what [Verify] needs besides the pack.
type VerifyConfig struct {
	// Name is the pack's file name, for the report.
	Name string
	// TrustRoots are the owner's keys, obtained out of band.
	TrustRoots []crypto.PublicKey
	// Artifacts are more artifacts to check, besides the manifest's (the
	// files a customer received).
	Artifacts []verify.Artifact
	Now       func() time.Time
	// Bundles verifies the keyless Sigstore bundles of the pack, against
	// the trusted roots the signed policy carries or names by digest (the
	// pack holds the latter).
	Bundles verify.BundleVerifier
	// State, when set, refuses a pack older than one already verified for
	// its product, and remembers this one: its signed policy's version
	// (as [verify.Config].State) and its log checkpoint ([checkLogState]).
	State verify.StateStore
}

// Result is the answer of [Verify]: the verification of the policy issue,
// and what is particular to a pack.
type Result struct {
	Passed bool        `json:"passed"`
	Pack   PackSummary `json:"pack"`
	// Verification is the full chain verification.
	Verification *verify.Result `json:"verification"`
	Log          *LogResult     `json:"log,omitempty"`
	SBOMs        []SBOMResult   `json:"sboms"`
	VSA          *VSAResult     `json:"vsa,omitempty"`
	Notes        []string       `json:"notes,omitempty"`
	Failures     []string       `json:"failures,omitempty"`
	// stateErr is the rollback or fork the state showed, for [Result.Err].
	stateErr error
}

// PackSummary describes the pack as read.
type PackSummary struct {
	Name   string `json:"name,omitempty"`
	Format string `json:"format"`
	// Product is the signed policy's product. It is empty, and absent
	// from JSON, when the policy did not verify: the manifest's product is
	// then only a claim, which a result never repeats.
	Product string `json:"product,omitempty"`
	// PolicyVersion is the version of the signed policy the pack carries
	// (0, and absent from JSON, when it did not verify). The manifest's
	// release label is not signed, so a result never repeats it.
	PolicyVersion int `json:"policyVersion,omitempty"`
	// Unknown says why Product and PolicyVersion are empty: the policy
	// did not verify.
	Unknown     string `json:"productUnknown,omitempty"`
	Files       int    `json:"files"`
	Size        int64  `json:"size"`
	Compression string `json:"compression"`
	// Included lists the artifacts the pack carries, whose bytes were
	// checked against their digests as they were read.
	Included []string `json:"included,omitempty"`
}

// LogResult is what the pack's receipts and checkpoint showed.
type LogResult struct {
	Status     string `json:"status"`
	Reason     string `json:"reason,omitempty"`
	Origin     string `json:"origin,omitempty"`
	Size       uint64 `json:"size,omitempty"`
	Receipts   int    `json:"receipts"`
	Consistent int    `json:"consistent"`
	// Unproven counts receipts whose checkpoint the pack does not prove to
	// be a prefix of its latest one (a pack made without --server).
	Unproven int `json:"unproven,omitempty"`
	// checkpoint is the pack's latest checkpoint, verified.
	checkpoint *tlog.Checkpoint
}

// SBOMResult summarises one SBOM of the pack.
type SBOMResult struct {
	Path       string             `json:"path"`
	Status     string             `json:"status"`
	Reason     string             `json:"reason,omitempty"`
	Format     string             `json:"format,omitempty"`
	Subject    string             `json:"subject,omitempty"`
	Components int                `json:"components"`
	Coverage   map[string]float64 `json:"coverage,omitempty"`
	// Schema is what the SBOM's format's rules say of it
	// ([sbomdoc.Validate]): its official schema, and the licence, purl,
	// CPE and hash grammars.
	Schema *SBOMSchema `json:"schema,omitempty"`
	// Profiles are the results of the profiles the policy's sbom checks
	// name, in the order they are first named.
	Profiles []*sbomdoc.ProfileResult `json:"profiles,omitempty"`
}

// SBOMSchema is an SBOM's validation, summarised.
type SBOMSchema struct {
	Schema     string `json:"schema,omitempty"` // the $id of the schema it was checked against
	Violations int    `json:"violations"`
	First      string `json:"first,omitempty"` // the first violation
}

// VSAResult is the pack's verification summary attestation, checked.
type VSAResult struct {
	Path     string `json:"path"`
	Status   string `json:"status"`
	Reason   string `json:"reason,omitempty"`
	Result   string `json:"result,omitempty"`
	SignedBy string `json:"signedBy,omitempty"`
}

func (r *Result) fail(format string, a ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, a...))
}

// Err returns nil when the pack verified, and otherwise an error naming the
// first failure.
func (r *Result) Err() error {
	if r.Passed {
		return nil
	}
	if !r.Verification.Passed {
		return r.Verification.Err()
	}
	if r.stateErr != nil {
		return r.stateErr
	}
	msg := r.Failures[0]
	if n := len(r.Failures) - 1; n > 0 {
		msg += fmt.Sprintf(" (and %d more failure(s))", n)
	}
	return fmt.Errorf("%w: %s", verify.ErrNotSatisfied, msg)
}

// Verify verifies a pack read by [Read], offline: the policy's signature
// with the trust roots; the whole chain of attestations against it, with
// the receipts checked with the log key the signed policy names; every
// artifact of the manifest and every one given; the latest checkpoint and
// the consistency of every receipt's checkpoint with it; that every SBOM
// file is the predicate of an attestation the policy counted; and the VSA,
// which must be signed by the owner or a key the policy names, about the
// pack's policy and artifacts, and PASSED.
func Verify(ctx context.Context, p *Pack, cfg VerifyConfig) (*Result, error) {
	m := p.Manifest
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	res := &Result{SBOMs: []SBOMResult{}, Pack: PackSummary{
		Name: cfg.Name, Format: m.Format, Files: len(m.Files) + 1,
		Size: p.Size, Compression: p.Compression,
	}}
	for _, a := range m.Artifacts {
		if a.Path != "" {
			res.Pack.Included = append(res.Pack.Included, a.Path)
		}
	}
	polData := p.Data(m.Policy)
	sp, perr := policy.Open(polData, cfg.TrustRoots, now())
	var logKey *tlog.Verifier
	var set *receipt.Set
	receiptFiles := p.Files(RoleReceipts)
	switch {
	case errors.Is(perr, policy.ErrSignature):
		res.Pack.Unknown = "the policy's signature did not verify"
	case perr != nil:
		res.Pack.Unknown = fmt.Sprintf("the policy did not verify (%v)", perr)
	}
	if perr == nil {
		res.Pack.Product, res.Pack.PolicyVersion = sp.Product, sp.Version
		if sp.Product != m.Product {
			res.fail("the manifest says product %q, the signed policy is for %q", m.Product, sp.Product)
		}
		if sp.Log != nil && sp.Log.Key != nil {
			var err error
			if logKey, err = LogKey(sp.Policy); err != nil {
				res.fail("%v", err)
			} else {
				set = receipt.NewSet(logKey, tlog.CheckpointOptions{})
				for _, f := range receiptFiles {
					if _, err := set.AddLines(p.Documents(f.Path), f.Path); err != nil {
						res.fail("receipts in %s: %v", f.Path, err)
					}
				}
			}
		} else if len(receiptFiles) > 0 || len(p.Files(RoleCheckpoint)) > 0 {
			res.Notes = append(res.Notes, "the pack holds log receipts, but the signed policy names no log key: they were not used")
		}
	}
	var inputs []verify.Input
	for _, f := range p.Files(RoleAttestations) {
		inputs = append(inputs, verify.Input{Name: f.Path, Docs: p.Documents(f.Path)})
	}
	artifacts := artifactsOf(m, cfg.Artifacts)
	vc := verify.Config{Policy: polData, PolicyName: m.Policy, TrustRoots: cfg.TrustRoots, Attestations: inputs, Artifacts: artifacts, Now: now, Bundles: cfg.Bundles, State: cfg.State}
	for _, f := range p.Files(RoleTrustedRoot) {
		vc.TrustedRoots = append(vc.TrustedRoots, p.Data(f.Path))
	}
	if set != nil {
		vc.Receipts = set
	}
	vr, err := verify.Verify(ctx, vc)
	if err != nil {
		return nil, err
	}
	res.Verification = vr
	// The packer keeps only what the policy counted: anything else in a
	// pack was put there afterwards.
	for _, a := range vr.Attestations {
		if a.Status != verify.StatusCounted && a.Status != verify.StatusInvalid && perr == nil {
			res.fail("%s is in the pack but counted for no stage (%s)", a.Source, a.Status)
		}
	}
	if perr == nil {
		if logKey != nil {
			res.Log = checkLog(p, logKey, receiptFiles, packedStatements(inputs))
			if res.Log.Status == verify.StatusFail {
				res.fail("log: %s", res.Log.Reason)
			} else if cfg.State != nil && res.Log.checkpoint != nil {
				verdict, err := checkLogState(cfg.State, sp.Product, res.Log.checkpoint)
				if err != nil {
					return nil, err
				}
				if verdict != nil {
					res.stateErr = verdict
					res.fail("%v", verdict)
				}
			}
		}
		res.SBOMs = checkSBOMs(p, vr, sbomProfiles(sp.Policy))
		for _, s := range res.SBOMs {
			if s.Status == verify.StatusFail {
				res.fail("SBOM %s: %s", s.Path, s.Reason)
			}
		}
		for _, f := range p.Files(RoleVSA) {
			v := checkVSA(p, f.Path, sp, cfg.TrustRoots, artifacts)
			if v.Status == verify.StatusFail {
				res.fail("VSA %s: %s", f.Path, v.Reason)
			}
			res.VSA = &v
		}
	}
	res.Passed = vr.Passed && len(res.Failures) == 0
	if res.Passed && cfg.State != nil && res.Log != nil && res.Log.checkpoint != nil {
		if err := rememberLog(cfg.State, sp.Product, res.Log.checkpoint); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// artifactsOf is the manifest's artifacts and the given ones, each digest
// once.
func artifactsOf(m *Manifest, extra []verify.Artifact) []verify.Artifact {
	var out []verify.Artifact
	for _, a := range m.Artifacts {
		out = append(out, verify.Artifact{Name: a.Name, Digest: a.Digest})
	}
	for _, e := range extra {
		dup := false
		for _, a := range out {
			if digest.Matches(a.Digest, e.Digest) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, e)
		}
	}
	return out
}

// checkLog verifies the pack's latest checkpoint with the policy's log key
// and that every receipt's checkpoint is it, or a prefix of it by a proof
// in log/consistency.json. The receipts themselves were verified when they
// were added to the set.
func checkLog(p *Pack, key *tlog.Verifier, files []File, packed map[[sha256.Size]byte]bool) *LogResult {
	lr := &LogResult{Status: verify.StatusPass}
	failf := func(format string, a ...any) *LogResult {
		lr.Status, lr.Reason = verify.StatusFail, fmt.Sprintf(format, a...)
		return lr
	}
	var inputs []verify.Input
	for _, f := range files {
		inputs = append(inputs, verify.Input{Name: f.Path, Docs: p.Documents(f.Path)})
	}
	verified, err := verifyReceipts(key, inputs)
	if err != nil {
		return failf("%v", err)
	}
	receipts := make([]*tlog.VerifiedReceipt, 0, len(verified))
	for _, v := range verified {
		if !packed[v.receipt.Leaf.Statement] {
			return failf("a receipt (entry %d) for no attestation of the pack", v.receipt.Index)
		}
		receipts = append(receipts, v.receipt)
	}
	lr.Receipts = len(receipts)
	cps := p.Files(RoleCheckpoint)
	if len(cps) == 0 {
		if len(receipts) > 0 {
			return failf("the pack holds receipts but no log/checkpoint")
		}
		lr.Reason = "no receipts and no checkpoint in the pack"
		return lr
	}
	if len(cps) > 1 {
		return failf("more than one checkpoint")
	}
	cp, err := tlog.OpenCheckpoint(p.Data(cps[0].Path), key, tlog.CheckpointOptions{})
	if err != nil {
		return failf("%s: %v", cps[0].Path, err)
	}
	lr.Origin, lr.Size, lr.checkpoint = cp.Origin, cp.Size, &cp.Checkpoint
	var cf consistencyFile
	if cfs := p.Files(RoleConsistency); len(cfs) == 1 {
		if err := strictUnmarshal(p.Data(cfs[0].Path), &cf); err != nil {
			return failf("%s: %v", cfs[0].Path, err)
		}
		if cf.Size != cp.Size || cf.Root != cp.Root {
			return failf("%s is about a tree of %d entries, the checkpoint's has %d", cfs[0].Path, cf.Size, cp.Size)
		}
		for _, pr := range cf.Proofs {
			if err := tlog.VerifyConsistency(pr.Proof, pr.From, pr.FromRoot, cp.Size, cp.Root); err != nil {
				return failf("%s: %v", cfs[0].Path, err)
			}
		}
	} else if len(cfs) > 1 {
		return failf("more than one consistency file")
	}
	for _, v := range receipts {
		c := v.Checkpoint
		switch {
		case c.Size > cp.Size:
			return failf("a receipt's checkpoint (%d entries) is newer than the pack's (%d)", c.Size, cp.Size)
		case c.Size == cp.Size:
			if c.Root != cp.Root {
				return failf("%v: two roots for %d entries", tlog.ErrFork, c.Size)
			}
			lr.Consistent++
		case slices.ContainsFunc(cf.Proofs, func(pr consistencyProof) bool { return pr.From == c.Size && pr.FromRoot == c.Root }):
			lr.Consistent++
		default:
			lr.Unproven++
		}
	}
	return lr
}

// packedStatements is the SHA-256 of the DSSE PAE of every envelope in the
// inputs, as receipt leaves record them.
func packedStatements(inputs []verify.Input) map[[sha256.Size]byte]bool {
	out := map[[sha256.Size]byte]bool{}
	for _, in := range inputs {
		docs, err := in.Documents()
		if err != nil {
			continue // verification reports it
		}
		items, err := attest.ReadDocuments(docs, in.Name)
		if err != nil {
			continue // verification reports it
		}
		for _, it := range items {
			if it.Envelope != nil {
				out[attest.PAESum(it.Envelope.PayloadType, it.Envelope.Payload)] = true
			}
		}
	}
	return out
}

func strictUnmarshal(data []byte, v any) error {
	if err := attest.CheckJSON(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// sbomProfiles lists the SBOM profiles the policy's sbom checks name, each
// once, in the order they are first named.
func sbomProfiles(pol *policy.Policy) []string {
	var out []string
	for _, st := range pol.Stages {
		for _, c := range st.Checks {
			if c.SBOM == nil {
				continue
			}
			for _, name := range c.SBOM.Profiles {
				if !slices.Contains(out, name) {
					out = append(out, name)
				}
			}
		}
	}
	return out
}

// checkSBOMs checks that every SBOM file is, byte for byte, the predicate of
// an attestation the policy counted, and summarises it: its coverage, its
// validity by its format's rules, and its results for the profiles given.
// The verdicts on validity and profiles are the policy's (a stage's sbom
// check); here they are reported, not judged again.
func checkSBOMs(p *Pack, vr *verify.Result, profiles []string) []SBOMResult {
	var preds [][]byte
	for _, a := range vr.Attestations {
		if a.Status != verify.StatusCounted {
			continue
		}
		items, err := itemsOf(a)
		if err != nil {
			continue
		}
		ps, err := sbomPredicatesOf(items)
		if err != nil {
			continue
		}
		for _, sp := range ps {
			preds = append(preds, sp.data)
		}
	}
	out := []SBOMResult{}
	for _, f := range p.Files(RoleSBOM) {
		s := SBOMResult{Path: f.Path, Status: verify.StatusPass}
		data := p.Data(f.Path)
		if !slices.ContainsFunc(preds, func(b []byte) bool { return bytes.Equal(b, data) }) {
			s.Status, s.Reason = verify.StatusFail, "not the predicate of any attestation the policy counted"
			out = append(out, s)
			continue
		}
		doc, err := sbomdoc.Decode(data)
		if err != nil {
			s.Status, s.Reason = verify.StatusFail, err.Error()
			out = append(out, s)
			continue
		}
		s.Format = doc.Format + " " + doc.SpecVersion
		if doc.Subject != nil {
			s.Subject = strings.TrimSpace(doc.Subject.Name + " " + doc.Subject.Version)
		}
		rep := sbomdoc.Check(doc)
		s.Components = rep.Components
		s.Coverage = map[string]float64{}
		for _, c := range rep.Coverage {
			s.Coverage[c.Element] = c.Percent
		}
		if v, err := sbomdoc.Validate(data); err == nil {
			s.Schema = &SBOMSchema{Schema: v.Schema, Violations: len(v.Violations)}
			if len(v.Violations) > 0 {
				s.Schema.First = v.Violations[0].String()
			}
		}
		for _, name := range profiles {
			if r, err := sbomdoc.CheckProfile(doc, name); err == nil {
				s.Profiles = append(s.Profiles, r)
			}
		}
		out = append(out, s)
	}
	return out
}

// checkVSA verifies the pack's VSA: signed by the owner or a key the
// policy names, a VSA about this policy (by digest) and every artifact of
// the pack, with the result PASSED.
func checkVSA(p *Pack, name string, sp *policy.Signed, roots []crypto.PublicKey, artifacts []verify.Artifact) VSAResult {
	v := VSAResult{Path: name, Status: verify.StatusFail}
	items, err := attest.Read(bytes.TrimSpace(p.Data(name)), name)
	if err != nil || len(items) != 1 || items[0].Envelope == nil {
		v.Reason = "not one DSSE envelope"
		if err != nil {
			v.Reason = err.Error()
		}
		return v
	}
	keys := slices.Clone(roots)
	names := map[string]string{}
	for _, kh := range sp.Keys() {
		keys = append(keys, kh.Key.Verifier.Public())
		names[kh.Key.ID] = strings.Join(kh.Functionaries, ", ")
	}
	kr, err := attest.NewKeyring(keys...)
	if err != nil {
		v.Reason = err.Error()
		return v
	}
	var subjects []attest.Subject
	for _, a := range artifacts {
		subjects = append(subjects, attest.Subject{Name: a.Name, Digest: a.Digest})
	}
	ver, err := attest.VerifyEnvelope(items[0].Envelope, kr, attest.VerifyOptions{PredicateTypes: []string{attest.PredicateVSA}})
	if err != nil {
		v.Reason = fmt.Sprintf("%v (a pack's VSA must be signed by the owner or a key the policy names)", err)
		return v
	}
	id := ver.Signers[0].KeyID()
	v.SignedBy = shortID(id)
	if n := names[id]; n != "" {
		v.SignedBy += " (" + n + ")"
	} else {
		v.SignedBy += " (the owner)"
	}
	body, err := predicate.ParseVSA(ver.Statement.Predicate)
	if err != nil {
		v.Reason = "predicate: " + err.Error()
		return v
	}
	v.Result = body.VerificationResult
	for _, a := range subjects {
		if !slices.ContainsFunc(ver.Statement.Subject, func(s attest.Subject) bool { return digest.Matches(s.Digest, a.Digest) }) {
			v.Reason = fmt.Sprintf("artifact %s is not a subject of the VSA", a.Name)
			return v
		}
	}
	switch {
	case !digest.Matches(body.Policy.Digest, sp.Digest):
		v.Reason = fmt.Sprintf("about policy %s, not the pack's %s", body.Policy.Digest, sp.Digest)
	case body.VerificationResult != verify.VSAPassed:
		v.Reason = fmt.Sprintf("the verification it records is %q", body.VerificationResult)
	default:
		v.Status = verify.StatusPass
	}
	return v
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
