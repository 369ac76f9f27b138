package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/policy"
)

// Verify checks a release against its signed policy, in the order the trust
// flows (docs/design.md): the trust root verifies the policy, the policy names the
// functionaries' keys, those keys verify the attestations, and the
// attestations vouch for the artifacts.
//
//  1. The policy: signature by a trust root over its DSSE PAE, owner, expiry
//     at cfg.Now ([policy.Open]); with cfg.State, no rollback to an older
//     policy version and no clock earlier than the last verification.
//  2. Every attestation read: payloadType, then signatures over the exact
//     signed bytes by keys the policy names, then strict parsing. An input
//     that cannot be read or parsed fails verification (security cases 8, 11 in docs/security.md).
//     A Sigstore bundle a policy key signed counts only when its
//     transparency log entry verifies too, with that key, against a trusted
//     root of the policy (cfg.Bundles; [BundleVerifier.VerifyKeyedBundle]).
//     A Sigstore bundle no policy key signed is verified with cfg.Bundles
//     for the policy's keyless identities, against the trusted root each
//     names ([BundleVerifier]); its signer is the certificate's identity,
//     at the bundle's verified time.
//  3. Each stage: an attestation counts when a functionary of the stage
//     signed it with a key valid at the log's time (receipt) or, without
//     receipt, now, or as a keyless identity; its predicate type is
//     required; and, for a link, its name is the stage's. Each required
//     type needs threshold distinct signers (by key, never by key id
//     label; by OIDC issuer and certificate subject, never by
//     certificate: security cases 13, 15 (docs/security.md)).
//  4. Artifact rules, in-toto's semantics, across stages; predicate checks.
//  5. Every artifact is a subject of the final stage (security cases 65, 67 in docs/security.md).
//
// Verify returns an error only for settings it cannot use ([ErrConfig]),
// a cfg.State it cannot read or save, or a cancelled ctx. A release that fails is a *Result with Passed false; see
// [Result.Err]. An empty set of attestations, a stage with nothing to show,
// a required type nobody produced, a parse error or a panic in a check is a
// failure, never a pass.
func Verify(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	now := cfg.now()
	sum := sha256.Sum256(cfg.Policy)
	res := &Result{VerifiedAt: now, Stages: []*StageResult{}, Artifacts: []ArtifactResult{}, Attestations: []*AttestationResult{}, Policy: PolicyResult{
		Source: cfg.PolicyName, Kind: "consign policy",
		Digest: digest.Set{digest.SHA256: hex.EncodeToString(sum[:])},
	}}
	// The attestations are read (split, hashed, parsed, nothing trusted)
	// while the policy is verified.
	read := make(chan readResult, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				read <- readResult{panicked: r}
			}
		}()
		read <- readResult{items: readItems(cfg.Attestations)}
	}()
	sp, err := policy.Open(cfg.Policy, cfg.TrustRoots, now)
	if err == nil && cfg.State != nil {
		var serr error
		if err, serr = checkState(cfg.State, sp.Policy, now); serr != nil {
			return nil, serr // a state that cannot be read is never taken for none
		}
	}
	r := <-read
	if r.panicked != nil {
		panic(r.panicked) // as when it was read on this goroutine
	}
	items := r.items
	if err != nil {
		res.Policy.Status, res.Policy.Reason = StatusFail, err.Error()
		res.fail(err, "policy %s: %v", cfg.PolicyName, err)
		for _, it := range items {
			it.res.Status, it.res.Reason = StatusNotCounted, "not evaluated: the policy did not verify"
			res.Attestations = append(res.Attestations, it.res)
		}
		return finish(res, cfg.Artifacts, cfg.VSA)
	}
	p := sp.Policy
	exp := p.Expires
	res.Policy.Status, res.Policy.Product, res.Policy.Version, res.Policy.SignedBy, res.Policy.Expires = StatusPass, p.Product, p.Version, sp.SignedBy, &exp
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	holders := p.Keys()
	keys := make([]*policy.Key, 0, len(holders))
	for _, kh := range holders {
		keys = append(keys, kh.Key)
	}
	ix := newKeyIndex(keys, nil, hasLegacyLinks(items))
	checkAll(items, ix, cfg.Receipts, stagePreference(p, holders))
	var keyed []*item
	for _, it := range items {
		if keyedBundleCandidate(it) {
			keyed = append(keyed, it)
		}
	}
	if len(keyed) > 0 {
		roots := make([]policyRoot, len(p.TrustedRoots))
		for i, r := range p.TrustedRoots {
			roots[i] = policyRoot{root: r, data: rootData(r, cfg.TrustedRoots)}
		}
		parallel(len(keyed), func(i int) { checkKeyedBundle(keyed[i], roots, cfg.Bundles, ix) })
	}
	if ks := newKeylessSet(p, cfg.TrustedRoots, cfg.Bundles); ks != nil {
		var bundles []*item
		for _, it := range items {
			if keylessCandidate(it) {
				bundles = append(bundles, it)
			}
		}
		parallel(len(bundles), func(i int) { ks.checkKeyless(bundles[i]) })
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := newEngine(p, items, cfg.Artifacts, res, now)
	e.run(ctx)
	if ctx.Err() != nil {
		// A check the context cut short (a Rego evaluation stops at
		// once) says nothing of the release: no verdict, no VSA.
		return nil, context.Cause(ctx)
	}
	e.checkArtifacts(cfg.Artifacts)
	collect(res, items)
	if cfg.State != nil {
		if err := saveState(cfg.State, p, now); err != nil {
			return nil, err
		}
	}
	return finish(res, cfg.Artifacts, cfg.VSA)
}

// collect lists every item in the result and fails on the invalid ones.
func collect(res *Result, items []*item) {
	if len(items) == 0 {
		res.fail(attest.ErrNothingToVerify, "no attestations were given")
	}
	for _, it := range items {
		it.res.raw, it.res.line = it.raw, it.line
		switch {
		case it.err != nil:
			it.res.Status, it.res.Reason = StatusInvalid, it.err.Error()
			res.fail(ErrNotSatisfied, "attestation %s is invalid: %v", it.res.Source, it.err)
		case len(it.res.Stages) > 0:
			it.res.Status = StatusCounted
		case it.res.Status == "":
			it.res.Status = StatusUnused
			if len(it.signers) > 0 {
				it.res.Reason = "signed by a key the policy names, but no stage counted it"
			}
		}
		res.Attestations = append(res.Attestations, it.res)
	}
}

func finish(res *Result, artifacts []Artifact, vsa *VSAOptions) (*Result, error) {
	res.Passed = len(res.Failures) == 0
	res.MediaType = ResultMediaType
	if vsa == nil {
		return res, nil
	}
	st, err := VSAStatement(res, artifacts, *vsa)
	if err != nil {
		return nil, fmt.Errorf("making the VSA: %w", err)
	}
	env, err := attest.SignStatement(st, vsa.Signer)
	if err != nil {
		return nil, fmt.Errorf("signing the VSA: %w", err)
	}
	res.VSA = env
	return res, nil
}

// checkState refuses a policy older than one already verified for its
// product, and a clock earlier than the last verification (by more than
// [ClockSkew]): the first error is that verdict, the second a state that
// could not be read.
func checkState(store StateStore, p *policy.Policy, now time.Time) (verdict, err error) {
	st, ok, err := store.Load(p.Product)
	if err != nil || !ok {
		return nil, err
	}
	if p.Version < st.Version {
		return fmt.Errorf("%w: policy version %d is older than version %d, already verified for %q", ErrRollback, p.Version, st.Version, p.Product), nil
	}
	if now.Add(ClockSkew).Before(st.VerifiedAt) {
		return fmt.Errorf("%w: the clock (%s) is earlier than the last verification for %q (%s)", ErrRollback, now.Format(time.RFC3339), p.Product, st.VerifiedAt.Format(time.RFC3339)), nil
	}
	return nil, nil
}

func saveState(store StateStore, p *policy.Policy, now time.Time) error {
	st, _, err := store.Load(p.Product)
	if err != nil {
		return err
	}
	return store.Save(p.Product, st.Merge(State{Version: p.Version, VerifiedAt: now}))
}
