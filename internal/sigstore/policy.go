package sigstore

import (
	"crypto"
	"fmt"
	"time"

	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/verify"
)

// PolicyVerifier verifies keyless bundles for a consign policy's
// identities, and the log entries of bundles signed with a policy's keys:
// the [verify.BundleVerifier] that consign's commands hand the
// verification engine. Each bundle is verified by [Verify], fully (the
// certificate chain, SCT, log entry and timestamps against the trusted
// root), as a DSSE bundle about the subject digest given, with the
// policy's identities as the signers it may come from.
type PolicyVerifier struct{}

var _ verify.BundleVerifier = PolicyVerifier{}

// IdentityOf is a policy's keyless identity as [Verify] matches it.
func IdentityOf(id *policy.Identity) Identity {
	return Identity{
		Subject: id.Subject, SubjectRegexp: id.SubjectRegexp, Issuer: id.Issuer, IssuerRegexp: id.IssuerRegexp,
		Extensions: id.Extensions,
	}
}

// VerifyBundle implements [verify.BundleVerifier]. Its errors are
// [Verify]'s, and an [ErrUnverified] for a bundle that is not a keyless
// DSSE envelope.
func (PolicyVerifier) VerifyBundle(bundle, trustedRoot, subjectSHA256 []byte, ids []*policy.Identity) (*verify.KeylessSigner, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("%w: no identity to verify the bundle for", ErrConfig)
	}
	cfg := Config{Bundle: bundle, TrustedRoot: trustedRoot, Digest: subjectSHA256, Identities: make([]Identity, len(ids))}
	for i, id := range ids {
		cfg.Identities[i] = IdentityOf(id)
	}
	res, at, err := verifyStatement(cfg)
	if err != nil {
		return nil, err
	}
	return &verify.KeylessSigner{Issuer: res.Issuer, Subject: res.Subject, Matched: res.Matched, SignedAt: at, Payload: res.Payload}, nil
}

// VerifyKeyedBundle implements [verify.BundleVerifier]: [Verify] with the
// key, so the bundle's transparency log entry (and every timestamp) is
// verified against the trusted root as a keyless bundle's is. Its errors
// are [Verify]'s, and an [ErrUnverified] for a bundle that is not a DSSE
// envelope.
func (PolicyVerifier) VerifyKeyedBundle(bundle, trustedRoot, subjectSHA256 []byte, key crypto.PublicKey) (*verify.LoggedBundle, error) {
	if key == nil {
		return nil, fmt.Errorf("%w: no key to verify the bundle with", ErrConfig)
	}
	res, at, err := verifyStatement(Config{Bundle: bundle, TrustedRoot: trustedRoot, Digest: subjectSHA256, Key: key})
	if err != nil {
		return nil, err
	}
	return &verify.LoggedBundle{LoggedAt: at, Payload: res.Payload}, nil
}

// verifyStatement verifies a DSSE bundle with [Verify] and returns the
// earliest time it was verifiably observed at.
func verifyStatement(cfg Config) (*Result, time.Time, error) {
	res, err := Verify(cfg)
	if err != nil {
		return nil, time.Time{}, err
	}
	if !res.DSSE || res.Payload == nil {
		return nil, time.Time{}, fmt.Errorf("%w: a message signature carries no statement", ErrUnverified)
	}
	if len(res.Timestamps) == 0 {
		return nil, time.Time{}, fmt.Errorf("%w: no verified time", ErrUnverified)
	}
	at := res.Timestamps[0].Time
	for _, t := range res.Timestamps[1:] {
		if t.Time.Before(at) {
			at = t.Time
		}
	}
	return res, at.UTC(), nil
}
