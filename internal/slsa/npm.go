package slsa

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/predicate"
	"github.com/consign-dev/consign/internal/sigstore"
)

// The builder ids of the npm CLI's provenance: the GitHub Actions runner,
// hosted or self-hosted. The short, legacy id is the hosted runner's.
const (
	NpmCLILegacyBuilder     = "https://github.com/actions/runner"
	NpmCLIHostedBuilder     = NpmCLILegacyBuilder + "/github-hosted"
	NpmCLISelfHostedBuilder = NpmCLILegacyBuilder + "/self-hosted"
)

// NpmPublishPredicate is the predicate type of the npm registry's publish
// attestation (a version follows it, v0.1 today).
const NpmPublishPredicate = "https://github.com/npm/attestation/tree/main/specs/publish/"

// The runner environments a Fulcio certificate names.
const (
	hostedGitHub = "github-hosted"
	hostedSelf   = "self-hosted"
)

// NpmConfig is what [VerifyNpmPackage] checks an npm package's
// attestations against: the options of slsa-verifier's
// verify-npm-package.
type NpmConfig struct {
	// Attestations is the package's attestations as the registry serves
	// them: {"attestations": [{"predicateType", "bundle"}, ...]}, with
	// the SLSA provenance and the registry's publish attestation.
	Attestations []byte
	// TrustedRoot is the trusted_root.json both bundles verify against.
	TrustedRoot []byte
	// NpmKeys is the registry.npmjs.org/keys.json target of the Sigstore
	// TUF repository: the registry keys that sign publish attestations.
	NpmKeys []byte
	// TarballSHA512 is the package tarball's SHA-512, which both
	// attestations must name.
	TarballSHA512 []byte

	SourceURI      string  // required: github.com/org/repo, exactly
	BuilderID      *string // required: a runner of the npm CLI, or the builder a BYOB delegator ran
	Branch         *string
	Tag            *string
	VersionedTag   *string
	Inputs         map[string]string
	PackageName    *string
	PackageVersion *string
}

// Validate reports an [ErrConfig] for an unusable c.
func (c *NpmConfig) Validate() error {
	switch {
	case len(c.Attestations) == 0:
		return fmt.Errorf("%w: no attestations", ErrConfig)
	case len(c.TrustedRoot) == 0:
		return fmt.Errorf("%w: no trusted root (consign verifies offline: pass a trusted_root.json)", ErrConfig)
	case len(c.NpmKeys) == 0:
		return fmt.Errorf("%w: no npm registry keys (consign verifies offline: pass the %s target)", ErrConfig, NpmKeysTarget)
	case len(c.TarballSHA512) != 64:
		return fmt.Errorf("%w: the tarball digest is a SHA-512 (64 bytes), got %d bytes", ErrConfig, len(c.TarballSHA512))
	case c.SourceURI == "":
		return fmt.Errorf("%w: no source URI", ErrConfig)
	}
	return nil
}

// npmAttestation is one entry of the registry's attestations document.
type npmAttestation struct {
	PredicateType string          `json:"predicateType"`
	Bundle        json.RawMessage `json:"bundle"`
}

// VerifyNpmPackage verifies an npm package tarball's attestations,
// offline, giving slsa-verifier verify-npm-package's verdicts, in its
// order:
//
//  1. the SLSA provenance's Sigstore bundle (a certificate for a GitHub
//     Actions workflow) against the trusted root;
//  2. the builder: a BYOB delegator's certificate (the provenance names the
//     real builder, which must be cfg.BuilderID) from a GitHub-hosted
//     runner, or else the npm CLI, where cfg.BuilderID names the runner
//     (hosted, its legacy short id, or self-hosted) and the certificate's
//     runner environment must be it;
//  3. the source in the certificate and the provenance, the tarball's
//     SHA-512 among the subjects, the branch, tag and inputs asked for,
//     and, for the npm CLI (no trusted builder vouches for it), every
//     claim of the provenance against the certificate;
//  4. the publish attestation's bundle, signed by the npm registry key its
//     hint names (from cfg.NpmKeys, npm:attestations, valid when the log
//     saw the signature), and the tarball's SHA-512 among its subjects;
//  5. the statements' types, then the package name and version in both.
//
// Errors are [VerifyArtifact]'s, with [ErrInvalidSignature] wrapping
// package sigstore's for a bundle that does not verify,
// [ErrMismatchPackageName] and [ErrMismatchPackageVersion] for the
// package, and [ErrNpmAttestations] or [ErrNpmKeys] for a document that is
// not the registry's attestations or keys.
func VerifyNpmPackage(cfg NpmConfig) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	prov, pub, err := splitNpmAttestations(cfg.Attestations)
	if err != nil {
		return nil, err
	}
	provRes, err := verifyNpmBundle(prov, cfg.TrustedRoot, nil)
	if err != nil {
		return nil, err
	}
	builder, sourceSHA, err := verifyNpmBuilder(provRes, cfg)
	if err != nil {
		return nil, err
	}
	pubRes, err := verifyPublishBundle(pub, cfg)
	if err != nil {
		return nil, err
	}
	pubSt, err := attest.ParseStatement(pubRes.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: publish attestation: %v", ErrInvalidProvenance, err)
	}
	if err := checkSHA512Subject(pubSt.Subject, cfg.TarballSHA512); err != nil {
		return nil, err
	}
	provSt, err := attest.ParseStatement(provRes.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
	}
	if err := checkNpmHeaders(prov, provSt, pub, pubSt); err != nil {
		return nil, err
	}
	if err := checkNpmPackage(provSt, pubSt, cfg.PackageName, cfg.PackageVersion); err != nil {
		return nil, err
	}
	return &Result{BuilderID: builder, SourceSHA: sourceSHA, Provenance: provRes.Payload}, nil
}

// splitNpmAttestations returns the provenance's and the publish
// attestation's bundles. slsa-verifier takes the last of each kind; consign
// refuses a document with two of a kind rather than pick one.
func splitNpmAttestations(doc []byte) (prov, pub []byte, err error) {
	var set struct {
		Attestations []npmAttestation `json:"attestations"`
	}
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, nil, fmt.Errorf("%w: the npm attestations do not parse: %v", ErrNpmAttestations, err)
	}
	if len(set.Attestations) < 2 {
		return nil, nil, fmt.Errorf("%w: %d npm attestations, want the provenance and the publish attestation", ErrNpmAttestations, len(set.Attestations))
	}
	for _, a := range set.Attestations {
		var slot *[]byte
		switch {
		case a.PredicateType == predicate.PredicateSLSAProvenanceV02 || a.PredicateType == attest.PredicateSLSAProvenance:
			slot = &prov
		case strings.HasPrefix(a.PredicateType, NpmPublishPredicate):
			slot = &pub
		default:
			continue
		}
		if *slot != nil {
			return nil, nil, fmt.Errorf("%w: two attestations of type %q", ErrNpmAttestations, a.PredicateType)
		}
		*slot = a.Bundle
	}
	if prov == nil || pub == nil {
		return nil, nil, fmt.Errorf("%w: the npm attestations lack the provenance or the publish attestation", ErrNpmAttestations)
	}
	return prov, pub, nil
}

// verifyNpmBundle verifies a bundle whose statement names SHA-512
// subjects: keyless from a GitHub Actions workflow when key is nil, else
// signed by key. The signature is checked for the statement's first
// SHA-512 subject (the signature covers the rest); the tarball is matched
// against the verified subjects afterwards, so that another tarball is the
// verdict slsa-verifier gives ([ErrMismatchHash]).
func verifyNpmBundle(bundle, trustedRoot []byte, key *npmKey) (*sigstore.Result, error) {
	if kind(bundle) != "bundle" {
		return nil, fmt.Errorf("%w: the attestation is not a Sigstore bundle", ErrInvalidSignature)
	}
	digest, err := firstSubject(bundle, "sha512")
	if errors.Is(err, sigstore.ErrBundle) {
		// A bundle that does not parse is a bad signature for slsa-verifier here.
		return nil, fmt.Errorf("%w: %w", ErrInvalidSignature, err)
	}
	if err != nil {
		return nil, err
	}
	cfg := sigstore.Config{Bundle: bundle, TrustedRoot: trustedRoot, Digest: digest, DigestAlgorithm: "sha512"}
	if key != nil {
		cfg.Key = key.key
	} else {
		cfg.Identity = &sigstore.Identity{SubjectRegexp: githubURL + ".+", Issuer: GitHubIssuer}
	}
	res, err := sigstore.Verify(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSignature, err)
	}
	if !res.DSSE {
		return nil, fmt.Errorf("%w: the bundle holds a message signature, not an attestation", ErrInvalidProvenance)
	}
	return res, nil
}

// verifyPublishBundle verifies the publish attestation with the registry
// key its bundle's hint names, valid at every time the log saw it.
func verifyPublishBundle(bundle []byte, cfg NpmConfig) (*sigstore.Result, error) {
	var probe struct {
		Material struct {
			PublicKey struct {
				Hint string `json:"hint"`
			} `json:"publicKey"`
		} `json:"verificationMaterial"`
	}
	if err := json.Unmarshal(bundle, &probe); err != nil {
		return nil, fmt.Errorf("%w: %w: %v", ErrInvalidSignature, sigstore.ErrBundle, err)
	}
	key, err := npmAttestationKey(cfg.NpmKeys, probe.Material.PublicKey.Hint)
	if err != nil {
		return nil, err
	}
	res, err := verifyNpmBundle(bundle, cfg.TrustedRoot, &key)
	if err != nil {
		return nil, err
	}
	for _, t := range res.Timestamps {
		if !key.validAt(t.Time) {
			return nil, fmt.Errorf("%w: the npm registry key %q was not valid at %s", ErrInvalidSignature, key.id, t.Time)
		}
	}
	return res, nil
}

func checkSHA512Subject(subjects []attest.Subject, d []byte) error {
	want := hex.EncodeToString(d)
	for _, s := range subjects {
		if s.Digest["sha512"] == want {
			return nil
		}
	}
	return fmt.Errorf("%w: sha512:%s", ErrMismatchHash, want)
}

// checkNpmHeaders requires DSSE envelopes of the in-toto payload type
// holding the predicate types their entries announced (the statement type,
// v0.1 or v1, attest.ParseStatement has checked).
func checkNpmHeaders(prov []byte, provSt *attest.Statement, pub []byte, pubSt *attest.Statement) error {
	for _, c := range []struct {
		bundle []byte
		st     *attest.Statement
		ok     bool
	}{
		{prov, provSt, provSt.PredicateType == predicate.PredicateSLSAProvenanceV02 || provSt.PredicateType == attest.PredicateSLSAProvenance},
		{pub, pubSt, strings.HasPrefix(pubSt.PredicateType, NpmPublishPredicate)},
	} {
		var probe struct {
			DSSE struct {
				PayloadType string `json:"payloadType"`
			} `json:"dsseEnvelope"`
		}
		if err := json.Unmarshal(c.bundle, &probe); err != nil || probe.DSSE.PayloadType != attest.PayloadType {
			return fmt.Errorf("%w: payload type %q", ErrInvalidProvenance, probe.DSSE.PayloadType)
		}
		if !c.ok {
			return fmt.Errorf("%w: predicate type %q", ErrInvalidProvenance, c.st.PredicateType)
		}
	}
	return nil
}

// checkNpmPackage compares the package name and version asked for with
// the provenance's one subject (pkg:npm/NAME@VERSION) and the publish
// attestation's predicate.
func checkNpmPackage(provSt, pubSt *attest.Statement, name, version *string) error {
	if name == nil && version == nil {
		return nil
	}
	if len(provSt.Subject) != 1 {
		return fmt.Errorf("%w: the provenance has %d subjects, want the package alone", ErrInvalidProvenance, len(provSt.Subject))
	}
	purl, ok := strings.CutPrefix(provSt.Subject[0].Name, "pkg:npm/")
	if !ok {
		return fmt.Errorf("%w: subject %q is not an npm package", ErrInvalidProvenance, provSt.Subject[0].Name)
	}
	decoded, err := url.QueryUnescape(purl)
	if err != nil {
		return fmt.Errorf("%w: subject %q: %v", ErrInvalidProvenance, provSt.Subject[0].Name, err)
	}
	provName, provVersion, err := splitNpmName(decoded)
	if err != nil {
		return err
	}
	var published struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(pubSt.Predicate, &published); err != nil {
		return fmt.Errorf("%w: publish predicate: %v", ErrInvalidProvenance, err)
	}
	if name != nil {
		for _, got := range []string{provName, published.Name} {
			if got != *name {
				return fmt.Errorf("%w: expected %q, got %q", ErrMismatchPackageName, *name, got)
			}
		}
	}
	if version != nil {
		for _, got := range []string{provVersion, published.Version} {
			if got != *version {
				return fmt.Errorf("%w: expected %q, got %q", ErrMismatchPackageVersion, *version, got)
			}
		}
	}
	return nil
}

// splitNpmName splits [@scope/]name[@version].
func splitNpmName(s string) (name, version string, err error) {
	scoped := strings.HasPrefix(s, "@")
	parts := strings.Split(strings.TrimPrefix(s, "@"), "@")
	if len(parts) > 2 {
		return "", "", fmt.Errorf("%w: package %q", ErrInvalidProvenance, s)
	}
	name = parts[0]
	if scoped {
		name = "@" + name
	}
	if len(parts) == 2 {
		version = parts[1]
	}
	return name, version, nil
}
