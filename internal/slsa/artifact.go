package slsa

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sigstore"
)

// ArtifactConfig is what [VerifyArtifact] checks provenance against: the
// options of slsa-verifier's verify-artifact. Pointers are options that
// may be absent.
type ArtifactConfig struct {
	// Provenance is the provenance file: a Sigstore bundle (what the SLSA
	// GitHub generators write since v2.1.0) or a DSSE envelope.
	Provenance []byte
	// TrustedRoot is the trusted_root.json of the Sigstore instance that
	// signed it; nothing is fetched.
	TrustedRoot []byte
	// Digests are the SHA-256 digests of the artifacts, each of which the
	// provenance must name.
	Digests [][]byte

	SourceURI    string  // required: github.com/org/repo, exactly
	BuilderID    *string // the builder (name or name@version); nil for the trusted set
	Branch       *string
	Tag          *string
	VersionedTag *string
	Inputs       map[string]string
}

// Validate reports an [ErrConfig] for an unusable c.
func (c *ArtifactConfig) Validate() error {
	switch {
	case len(c.Provenance) == 0:
		return fmt.Errorf("%w: no provenance", ErrConfig)
	case len(c.TrustedRoot) == 0:
		return fmt.Errorf("%w: no trusted root (consign verifies offline: pass a trusted_root.json)", ErrConfig)
	case len(c.Digests) == 0:
		return fmt.Errorf("%w: no artifact", ErrConfig)
	case c.SourceURI == "":
		return fmt.Errorf("%w: no source URI", ErrConfig)
	}
	for _, d := range c.Digests {
		if len(d) != 32 {
			return fmt.Errorf("%w: artifact digests are SHA-256 (32 bytes), got %d bytes", ErrConfig, len(d))
		}
	}
	return nil
}

// Result is provenance that verified.
type Result struct {
	BuilderID  BuilderID // the builder, as the provenance names it (name@ref)
	SourceSHA  string    // the commit built, from the certificate
	Provenance []byte    // the verified in-toto statement
}

// VerifyArtifact verifies SLSA provenance from the SLSA GitHub generators
// for artifacts, offline, giving slsa-verifier's verdicts: the bundle
// (certificate chain, log entry, signature) against the trusted root, the
// signing workflow against the trusted builders (or cfg.BuilderID) at a
// release tag, the source repository in the certificate and in the
// provenance, the builder id in the provenance, each artifact's digest
// among the subjects, then the branch, tag, versioned tag and workflow
// inputs asked for.
//
// It returns [ErrConfig] for unusable options, [ErrNeedsOnline] for a
// DSSE envelope without its log entry, errors of package sigstore for a
// bundle that does not parse or verify, and otherwise an error wrapping
// [ErrUnverified] (one of this package's sentinels) for each "no".
func VerifyArtifact(cfg ArtifactConfig) (*Result, error) {
	return verifyGitHub(cfg, artifactBuilders, parseArtifactProvenance)
}

// verifyGitHub is slsa-verifier's verifyEnvAndCert over a Sigstore bundle:
// the bundle, the signing workflow against trusted (or cfg.BuilderID), its
// release ref, the source, then the provenance that parse reads.
func verifyGitHub(cfg ArtifactConfig, trusted map[string]bool, parse func(payload []byte, builder string) (provenance, error)) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	res, err := verifyBundle(cfg.Provenance, cfg.TrustedRoot)
	if err != nil {
		return nil, err
	}
	id, err := identityOf(res.Subject, res.Extensions)
	if err != nil {
		return nil, err
	}
	want := ""
	if cfg.BuilderID != nil {
		want = *cfg.BuilderID
	}
	byob, err := trustedBuilder(id.workflow, want, trusted)
	if err != nil {
		return nil, err
	}
	if err := checkBuilderRef(id.workflow.Version); err != nil {
		return nil, err
	}
	if err := checkCertSource(id, cfg.SourceURI); err != nil {
		return nil, err
	}
	p, err := parse(res.Payload, id.workflow.Name)
	if err != nil {
		return nil, err
	}
	var builder BuilderID
	if byob {
		// The certificate names the delegator; the provenance names the
		// builder that ran it, which is what --builder-id asks for.
		builder, err = checkDelegatedBuilder(p, cfg.BuilderID)
	} else {
		builder, err = certifiedBuilder(p, id.workflow)
	}
	if err != nil {
		return nil, err
	}
	if err := checkProvenance(p, cfg); err != nil {
		return nil, err
	}
	return &Result{BuilderID: builder, SourceSHA: id.sourceSHA, Provenance: res.Payload}, nil
}

// certifiedBuilder requires the provenance's builder id to be the
// certificate's workflow, name@ref exactly.
func certifiedBuilder(p provenance, cert BuilderID) (BuilderID, error) {
	builder, err := ParseBuilderID(p.builderID(), true)
	if err != nil {
		return BuilderID{}, err
	}
	if err := builder.MatchesFull(cert.String(), true); err != nil {
		return BuilderID{}, err
	}
	return builder, nil
}

// checkProvenance runs the checks common to every builder.
func checkProvenance(p provenance, cfg ArtifactConfig) error {
	if err := checkSource(p, cfg.SourceURI); err != nil {
		return err
	}
	for _, d := range cfg.Digests {
		if err := checkSubject(p.subjects(), d); err != nil {
			return err
		}
	}
	return checkRefs(p, cfg)
}

// checkRefs checks the branch, tag, versioned tag and workflow inputs
// that cfg asks for.
func checkRefs(p provenance, cfg ArtifactConfig) error {
	if cfg.Branch != nil {
		if err := checkBranch(p, *cfg.Branch); err != nil {
			return err
		}
	}
	if cfg.Tag != nil {
		if err := checkTag(p, *cfg.Tag); err != nil {
			return err
		}
	}
	if cfg.VersionedTag != nil {
		if err := checkVersionedTag(p, *cfg.VersionedTag); err != nil {
			return err
		}
	}
	if len(cfg.Inputs) > 0 {
		return checkInputs(p, cfg.Inputs)
	}
	return nil
}

func checkSubject(subjects []attest.Subject, d []byte) error {
	want := hex.EncodeToString(d)
	for _, s := range subjects {
		if strings.EqualFold(s.Digest["sha256"], want) {
			return nil
		}
	}
	return fmt.Errorf("%w: sha256:%s", ErrMismatchHash, want)
}

// verifyBundle verifies the provenance's Sigstore bundle as signed by a
// GitHub Actions workflow on github.com. The signature is checked for the
// statement's first SHA-256 subject, which the signature covers with the
// rest of the statement; the artifacts are matched against the verified
// subjects afterwards, so that an artifact the provenance does not name
// is the verdict slsa-verifier gives ([ErrMismatchHash]).
func verifyBundle(prov, trustedRoot []byte) (*sigstore.Result, error) {
	switch kind(prov) {
	case "envelope":
		return nil, fmt.Errorf("%w: the provenance is a DSSE envelope without its transparency log entry; "+
			"slsa-verifier searches Rekor for it online, consign verifies offline only", ErrNeedsOnline)
	case "":
		return nil, fmt.Errorf("%w: the provenance is neither a Sigstore bundle nor a DSSE envelope", sigstore.ErrBundle)
	}
	digest, err := firstSubject(prov, "sha256")
	if err != nil {
		return nil, err
	}
	res, err := sigstore.Verify(sigstore.Config{
		Bundle:      prov,
		TrustedRoot: trustedRoot,
		Identity:    &sigstore.Identity{SubjectRegexp: githubURL + ".+", Issuer: GitHubIssuer},
		Digest:      digest,
	})
	if err != nil {
		return nil, err
	}
	if !res.DSSE {
		return nil, fmt.Errorf("%w: the bundle holds a message signature, not provenance", ErrInvalidProvenance)
	}
	return res, nil
}

// kind tells a Sigstore bundle (a mediaType field) from a DSSE envelope
// (a payloadType field); it is "" for anything else.
func kind(b []byte) string {
	var probe struct {
		MediaType   string `json:"mediaType"`
		PayloadType string `json:"payloadType"`
	}
	switch {
	case json.Unmarshal(b, &probe) != nil:
		return ""
	case strings.HasPrefix(probe.MediaType, "application/vnd.dev.sigstore.bundle"):
		return "bundle"
	case probe.PayloadType != "":
		return "envelope"
	}
	return ""
}

// firstSubject reads, before verification, the digest to verify the
// bundle for: its statement's first subject with a digest of alg
// ("sha256" or "sha512") of the right length. Verification then binds the
// bundle to that digest, and the callers compare it with the artifact's.
func firstSubject(b []byte, alg string) ([]byte, error) {
	size := map[string]int{"sha256": 32, "sha512": 64}[alg]
	var probe struct {
		DSSE struct {
			Payload []byte `json:"payload"`
		} `json:"dsseEnvelope"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", sigstore.ErrBundle, err)
	}
	if len(probe.DSSE.Payload) == 0 {
		return nil, fmt.Errorf("%w: the bundle holds no DSSE envelope", ErrInvalidProvenance)
	}
	st, err := attest.ParseStatement(bytes.TrimSpace(probe.DSSE.Payload))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
	}
	for _, s := range st.Subject {
		if d, err := hex.DecodeString(s.Digest[alg]); err == nil && size > 0 && len(d) == size {
			return d, nil
		}
	}
	return nil, fmt.Errorf("%w: the provenance names no %s subject", ErrMismatchHash, strings.ToUpper(alg[:3])+"-"+alg[3:])
}
