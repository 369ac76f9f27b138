package sigstore

import (
	"crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/consign-dev/consign/internal/sign"
)

// Config is what [Verify] checks a bundle against. Exactly one of Key,
// Identity and Identities is set, and exactly one of Artifact and Digest.
type Config struct {
	// Bundle is the Sigstore bundle, JSON (v0.1, v0.2 or v0.3).
	Bundle []byte
	// TrustedRoot is a trusted_root.json (Sigstore protobuf-specs
	// TrustedRoot, JSON): the Fulcio CAs, Rekor logs, CT logs and timestamp
	// authorities to trust. It is required: nothing is fetched.
	TrustedRoot []byte

	// Key is the public key a key-signed bundle must be signed with.
	Key crypto.PublicKey
	// Identity is who must have signed a keyless (Fulcio certificate) bundle.
	Identity *Identity
	// Identities, in place of Identity, are the signers a keyless bundle
	// may come from: its certificate must match at least one of them, and
	// [Result.Matched] says which.
	Identities []Identity

	// Artifact is the signed artifact; for a DSSE bundle holding an in-toto
	// statement, a subject of the statement.
	Artifact io.Reader
	// Digest is the artifact's digest, in place of the artifact: SHA-256
	// unless DigestAlgorithm says otherwise.
	Digest []byte
	// DigestAlgorithm is Digest's algorithm: "" or "sha256", or "sha512"
	// (the digest npm's attestations name a package tarball by). Only a
	// DSSE bundle's statement can name a SHA-512 subject.
	DigestAlgorithm string
}

// Validate reports an [ErrConfig] for an unusable c.
func (c *Config) Validate() error {
	switch {
	case len(c.Bundle) == 0:
		return fmt.Errorf("%w: no bundle", ErrConfig)
	case len(c.TrustedRoot) == 0:
		return fmt.Errorf("%w: no trusted root (a trusted_root.json is required; consign fetches nothing)", ErrConfig)
	case btoi(c.Key != nil)+btoi(c.Identity != nil)+btoi(len(c.Identities) > 0) != 1:
		return fmt.Errorf("%w: give either a public key or a certificate identity, exactly one", ErrConfig)
	case (c.Artifact == nil) == (c.Digest == nil):
		return fmt.Errorf("%w: give either the artifact or its digest, exactly one", ErrConfig)
	case c.DigestAlgorithm != "" && c.DigestAlgorithm != "sha256" && c.DigestAlgorithm != "sha512":
		return fmt.Errorf("%w: digest algorithm %q is not sha256 or sha512", ErrConfig, c.DigestAlgorithm)
	case c.DigestAlgorithm == "sha512" && c.Digest != nil && len(c.Digest) != 64:
		return fmt.Errorf("%w: the artifact digest must be a SHA-512 (64 bytes), got %d bytes", ErrConfig, len(c.Digest))
	case c.DigestAlgorithm != "sha512" && c.Digest != nil && len(c.Digest) != 32:
		return fmt.Errorf("%w: the artifact digest must be a SHA-256 (32 bytes), got %d bytes", ErrConfig, len(c.Digest))
	}
	if c.Key != nil {
		if err := sign.CheckPublicKey(c.Key); err != nil {
			return fmt.Errorf("%w: %w", ErrConfig, err)
		}
	}
	if c.Identity != nil {
		return c.Identity.Validate()
	}
	for _, id := range c.Identities {
		if err := id.Validate(); err != nil {
			return err
		}
	}
	return nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// identities returns the identities c accepts, Identity alone or Identities.
func (c *Config) identities() []Identity {
	if c.Identity != nil {
		return []Identity{*c.Identity}
	}
	return c.Identities
}

// Result describes a bundle that verified.
type Result struct {
	MediaType string `json:"mediaType"` // the bundle's media type, which gives its version
	DSSE      bool   `json:"dsse"`      // a DSSE envelope, not a message signature

	// For a keyless bundle: the certificate's subject and OIDC issuer.
	Subject string `json:"subject,omitempty"`
	Issuer  string `json:"issuer,omitempty"`
	// Matched lists, for a keyless bundle, the positions in the identities
	// asked for ([Config.Identity] is position 0) that the certificate
	// matches: at least one.
	Matched []int `json:"-"`
	// For a key-signed bundle: the key's id (hex SHA-256 of its DER SPKI).
	KeyID string `json:"keyId,omitempty"`

	// PredicateType is the in-toto statement's, for a DSSE bundle.
	PredicateType string `json:"predicateType,omitempty"`
	// Timestamps are the verified times the signature was observed at
	// (a log's signed entry timestamp, a timestamp authority's token).
	Timestamps []Timestamp `json:"timestamps"`

	// Payload is the verified DSSE envelope's payload (the in-toto
	// statement), for a DSSE bundle; nil otherwise.
	Payload []byte `json:"-"`
	// Extensions are the keyless certificate's Fulcio extensions that a
	// builder's rules check; zero for a key-signed bundle.
	Extensions Extensions `json:"-"`
}

// Extensions are Fulcio certificate extensions
// (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
type Extensions struct {
	SourceRepositoryURI    string // 1.3.6.1.4.1.57264.1.12, e.g. https://github.com/acme/app
	SourceRepositoryDigest string // 1.3.6.1.4.1.57264.1.13, the commit
	BuildSignerURI         string // 1.3.6.1.4.1.57264.1.9, the signing workflow
	RunnerEnvironment      string // 1.3.6.1.4.1.57264.1.11, github-hosted or self-hosted
	WorkflowRepository     string // 1.3.6.1.4.1.57264.1.5 (deprecated), e.g. acme/app
	WorkflowSHA            string // 1.3.6.1.4.1.57264.1.3 (deprecated), the commit
	WorkflowTrigger        string // 1.3.6.1.4.1.57264.1.2 (deprecated), e.g. push
	WorkflowName           string // 1.3.6.1.4.1.57264.1.4 (deprecated)
	WorkflowRef            string // 1.3.6.1.4.1.57264.1.6 (deprecated), e.g. refs/heads/main

	// The claims a builder's provenance repeats, which slsa-verifier's
	// npm rules compare with the certificate.
	BuildSignerDigest       string // 1.3.6.1.4.1.57264.1.10, the signing workflow's commit
	SourceRepositoryRef     string // 1.3.6.1.4.1.57264.1.14, e.g. refs/tags/v1.0.5
	SourceRepositoryID      string // 1.3.6.1.4.1.57264.1.15
	SourceRepositoryOwnerID string // 1.3.6.1.4.1.57264.1.17
	BuildConfigURI          string // 1.3.6.1.4.1.57264.1.18, the calling workflow's URL@ref
	BuildConfigDigest       string // 1.3.6.1.4.1.57264.1.19, its commit
	BuildTrigger            string // 1.3.6.1.4.1.57264.1.20, e.g. release
	RunInvocationURI        string // 1.3.6.1.4.1.57264.1.21, the run's URL
}

// Timestamp is one verified observation of the signature.
type Timestamp struct {
	Source string    `json:"source"` // "Tlog" or "TimestampAuthority"
	URI    string    `json:"uri"`    // the log's or authority's URI, as the trusted root gives it
	Time   time.Time `json:"time"`   // when it saw the signature
}

// Verify checks a Sigstore bundle against cfg. It returns an error wrapping
// [ErrConfig] for unusable options, [ErrBundle] or [ErrTrustedRoot] for
// input that does not parse, and [ErrUnverified] (or [ErrIdentity],
// [ErrLogEntry], which wrap it) when the bundle does not verify. Verify
// never panics on hostile input: a panic inside the verifier is an
// [ErrUnverified].
func Verify(cfg Config) (res *Result, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("%w: the verifier failed on this input: %v", ErrUnverified, r)
		}
	}()
	tr, err := root.NewTrustedRootFromJSON(cfg.TrustedRoot)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrTrustedRoot, err)
	}
	if pb, ok := isIntotoV001(cfg.Bundle); ok {
		return verifyIntotoV001(pb, tr, cfg)
	}
	b := new(bundle.Bundle)
	if err := b.UnmarshalJSON(cfg.Bundle); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	want, err := bindEntries(b)
	if err != nil {
		return nil, err
	}
	var hasher *artifactHasher
	if want != nil && cfg.Artifact != nil {
		hasher = newArtifactHasher(cfg.Artifact, want.hash)
		cfg.Artifact = hasher
	}
	v, policy, err := verifier(b, tr, cfg)
	if err != nil {
		return nil, err
	}
	vr, err := v.Verify(b, policy)
	if err != nil {
		var idErr *sgverify.ErrNoMatchingCertificateIdentity
		if errors.As(err, &idErr) {
			return nil, fmt.Errorf("%w: %v", ErrIdentity, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrUnverified, err)
	}
	got := cfg.Digest
	if hasher != nil {
		if got, err = hasher.sum(); err != nil {
			return nil, err
		}
	} else if want != nil && (want.hash != crypto.SHA256 || cfg.DigestAlgorithm == "sha512") {
		return nil, fmt.Errorf("%w: the bundle commits to a %v digest; verify the artifact itself, not its SHA-256", ErrUnverified, want.hash)
	}
	if err := checkArtifact(want, got); err != nil {
		return nil, err
	}
	res, err = result(b.GetMediaType(), vr, cfg)
	if err == nil && res.DSSE {
		res.Payload = b.GetDsseEnvelope().GetPayload()
	}
	return res, err
}

// verifier builds sigstore-go's verifier and policy for cfg. The policy is
// consign's, never the bundle's: a transparency log entry is always
// required, so is at least one trusted observation time, and every
// timestamp the bundle carries must verify; a keyless bundle needs an SCT.
func verifier(b *bundle.Bundle, tr *root.TrustedRoot, cfg Config) (*sgverify.Verifier, sgverify.PolicyBuilder, error) {
	var none sgverify.PolicyBuilder
	opts := []sgverify.VerifierOption{
		sgverify.WithTransparencyLog(1),
		sgverify.WithObserverTimestamps(1),
	}
	ts, err := b.Timestamps()
	if err != nil {
		return nil, none, fmt.Errorf("%w: %v", ErrBundle, err)
	}
	if len(ts) > 0 {
		opts = append(opts, sgverify.WithSignedTimestamps(len(ts)))
	}
	var material root.TrustedMaterial = tr
	var identity sgverify.PolicyOption
	var extra []sgverify.PolicyOption
	if cfg.Key != nil {
		sv, err := signature.LoadDefaultVerifier(cfg.Key)
		if err != nil {
			return nil, none, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		key := root.NewExpiringKey(sv, time.Time{}, time.Time{})
		// The key given is the only key: a bundle's key hint selects
		// nothing.
		material = root.TrustedMaterialCollection{tr, root.NewTrustedPublicKeyMaterial(
			func(string) (root.TimeConstrainedVerifier, error) { return key, nil })}
		identity = sgverify.WithKey()
	} else {
		// Each identity is one more that the certificate may match
		// (sigstore-go accepts the first that does).
		ids := cfg.identities()
		matchers := make([]sgverify.PolicyOption, len(ids))
		for i, id := range ids {
			m, err := id.matcher()
			if err != nil {
				return nil, none, err
			}
			matchers[i] = sgverify.WithCertificateIdentity(m)
		}
		opts = append(opts, sgverify.WithSignedCertificateTimestamps(1))
		identity, extra = matchers[0], matchers[1:]
	}
	v, err := sgverify.NewVerifier(material, opts...)
	if err != nil {
		return nil, none, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	var artifact sgverify.ArtifactPolicyOption
	if cfg.Digest != nil {
		alg := cfg.DigestAlgorithm
		if alg == "" {
			alg = "sha256"
		}
		artifact = sgverify.WithArtifactDigest(alg, cfg.Digest)
	} else {
		artifact = sgverify.WithArtifact(cfg.Artifact)
	}
	return v, sgverify.NewPolicy(artifact, append([]sgverify.PolicyOption{identity}, extra...)...), nil
}

func result(mediaType string, vr *sgverify.VerificationResult, cfg Config) (*Result, error) {
	r := &Result{MediaType: mediaType}
	if vr.Signature != nil && vr.Signature.Certificate != nil {
		r.Subject = vr.Signature.Certificate.SubjectAlternativeName
		r.Issuer = vr.Signature.Certificate.Issuer
		e := vr.Signature.Certificate.Extensions
		r.Extensions = Extensions{SourceRepositoryURI: e.SourceRepositoryURI, SourceRepositoryDigest: e.SourceRepositoryDigest,
			BuildSignerURI: e.BuildSignerURI, RunnerEnvironment: e.RunnerEnvironment,
			WorkflowRepository: e.GithubWorkflowRepository, WorkflowSHA: e.GithubWorkflowSHA,
			WorkflowTrigger: e.GithubWorkflowTrigger, WorkflowName: e.GithubWorkflowName, WorkflowRef: e.GithubWorkflowRef,
			BuildSignerDigest: e.BuildSignerDigest, SourceRepositoryRef: e.SourceRepositoryRef,
			SourceRepositoryID: e.SourceRepositoryIdentifier, SourceRepositoryOwnerID: e.SourceRepositoryOwnerIdentifier,
			BuildConfigURI: e.BuildConfigURI, BuildConfigDigest: e.BuildConfigDigest, BuildTrigger: e.BuildTrigger,
			RunInvocationURI: e.RunInvocationURI}
		// sigstore-go stops at the first identity that matches; a caller
		// that gave several learns every one.
		for i, id := range cfg.identities() {
			m, err := id.matcher()
			if err == nil && m.Verify(*vr.Signature.Certificate) == nil {
				r.Matched = append(r.Matched, i)
			}
		}
		if cfg.Key == nil && len(r.Matched) == 0 {
			return nil, fmt.Errorf("%w: no identity matches %s (issuer %s)", ErrIdentity, r.Subject, r.Issuer)
		}
	}
	if cfg.Key != nil {
		id, err := sign.KeyID(cfg.Key)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		r.KeyID = id
	}
	if vr.Statement != nil {
		r.DSSE = true
		r.PredicateType = vr.Statement.GetPredicateType()
	}
	for _, t := range vr.VerifiedTimestamps {
		// sigstore-go lists a TSA's timestamp once for each option that
		// asked for it (all must verify; one observation is needed).
		ts := Timestamp{Source: t.Type, URI: t.URI, Time: t.Timestamp}
		if !slices.ContainsFunc(r.Timestamps, func(o Timestamp) bool {
			return o.Source == ts.Source && o.URI == ts.URI && o.Time.Equal(ts.Time)
		}) {
			r.Timestamps = append(r.Timestamps, ts)
		}
	}
	return r, nil
}

// ParseDigest reads "sha256:HEX" (64 lowercase or uppercase hex digits).
// ok is false for anything else.
func ParseDigest(s string) (digest []byte, ok bool) {
	h, found := strings.CutPrefix(s, "sha256:")
	if !found || len(h) != 64 {
		return nil, false
	}
	d, err := hex.DecodeString(h)
	if err != nil {
		return nil, false
	}
	return d, true
}
