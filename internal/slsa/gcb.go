package slsa

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/semver"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/strictjson"
)

// GCBBuilder is Google Cloud Build's builder id (its name; the version,
// v0.2 or v0.3, is the provenance's).
const GCBBuilder = "https://cloudbuild.googleapis.com/GoogleHostedWorker"

// The Cloud Build builders whose provenance (SLSA v0.1) consign reads.
var gcbBuilders = []string{GCBBuilder + "@v0.2", GCBBuilder + "@v0.3"}

// The errors of Cloud Build verification that have no GitHub counterpart.
var (
	// ErrMismatchIntoto is provenance whose human-readable copy (the
	// unsigned text Cloud Build puts beside the envelope) says something
	// else than the signed statement (slsa-verifier: ErrorMismatchIntoto).
	ErrMismatchIntoto = fmt.Errorf("%w: the signed statement does not match the text provenance", ErrUnverified)
)

const (
	inTotoPayloadType  = "application/vnd.in-toto+json"
	slsaProvenanceV01  = "https://slsa.dev/provenance/v0.1"
	gcbBuildType       = "type.googleapis.com/google.devtools.cloudbuild.v1.Build"
	gcbGlobalPAEKeyID  = "projects/verified-builder/locations/global/keyRings/attestor/cryptoKeys/provenanceSigner/cryptoKeyVersions/1"
	gcbGlobalPAEKeyPEM = "global-pae-provenanceSigner_1"
)

// gcbRegionalKeyID is the id of a regional key of Cloud Build, which signs
// the payload itself rather than its DSSE pre-authentication encoding.
var gcbRegionalKeyID = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^projects/verified-builder/locations/([a-z0-9-]+)/keyRings/attestor/cryptoKeys/builtByGCB/cryptoKeyVersions/1$`)
})

// gcloudOutput is what 'gcloud artifacts docker images describe IMAGE
// --format json --show-provenance' prints: the image and its Cloud Build
// provenance occurrences. Only the envelopes' signatures are trusted;
// everything else is checked against the signed statement.
type gcloudOutput struct {
	ImageSummary struct {
		Digest               string `json:"digest"`
		FullyQualifiedDigest string `json:"fully_qualified_digest"`
	} `json:"image_summary"`
	ProvenanceSummary struct {
		Provenance []gcbOccurrence `json:"provenance"`
	} `json:"provenance_summary"`
}

type gcbOccurrence struct {
	Build struct {
		Text gcbTextStatement `json:"intotoStatement"`
	} `json:"build"`
	Kind        string `json:"kind"`
	ResourceURI string `json:"resourceUri"`
	Envelope    struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
		Signatures  []struct {
			KeyID string `json:"keyid"`
			Sig   string `json:"sig"`
		} `json:"signatures"`
	} `json:"envelope"`
}

// gcbHeader, gcbPredicate: the fields of a Cloud Build statement that the
// signed and the text copies are compared on, as slsa-verifier compares
// them (other fields, such as metadata.buildInvocationId, are not).
type gcbHeader struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

type gcbPredicate struct {
	Builder struct {
		ID string `json:"id"`
	} `json:"builder"`
	Recipe struct {
		Type        string `json:"type"`
		EntryPoint  string `json:"entryPoint"`
		Arguments   any    `json:"arguments"`
		Environment any    `json:"environment"`
	} `json:"recipe"`
	Metadata *struct {
		BuildStartedOn  *time.Time `json:"buildStartedOn"`
		BuildFinishedOn *time.Time `json:"buildFinishedOn"`
		Completeness    struct {
			Arguments, Environment, Materials bool
		} `json:"completeness"`
		Reproducible bool `json:"reproducible"`
	} `json:"metadata"`
	Materials []struct {
		URI    string            `json:"uri"`
		Digest map[string]string `json:"digest"`
	} `json:"materials"`
}

// gcbStatement is the signed statement; gcbTextStatement the text copy,
// whose predicate Cloud Build names slsaProvenance.
type gcbStatement struct {
	gcbHeader
	Predicate gcbPredicate `json:"predicate"`
}

type gcbTextStatement struct {
	gcbHeader
	Predicate gcbPredicate `json:"slsaProvenance"`
}

// VerifyGCBImage verifies Google Cloud Build provenance for an image,
// offline, giving slsa-verifier's verdicts for its gcb_container builder
// (v0.2 and v0.3, SLSA Provenance v0.1): cfg.Provenance is gcloud's JSON.
// The first occurrence with a signature that verifies under one of Cloud
// Build's keys (consign carries them, as slsa-verifier does) is the
// provenance; then its builder (v0.2 or v0.3, cfg.BuilderID, the recipe
// type and its arguments' type), the image digest among its subjects, the
// source, the occurrence's kind and resource URI, the image summary, the
// text copy against the signed statement, and the tag or versioned tag
// asked for. A branch cannot be checked ([ErrNotSupported]).
func VerifyGCBImage(cfg ImageConfig) (*Result, error) {
	if len(cfg.Provenance) == 0 {
		return nil, fmt.Errorf("%w: Cloud Build provenance is read from --provenance-path", ErrConfig)
	}
	if len(cfg.Digest) != 32 {
		return nil, fmt.Errorf("%w: the image digest is SHA-256 (32 bytes), got %d bytes", ErrConfig, len(cfg.Digest))
	}
	var out gcloudOutput
	if err := json.Unmarshal(cfg.Provenance, &out); err != nil {
		return nil, fmt.Errorf("%w: gcloud provenance: %v", ErrInvalidProvenance, err)
	}
	occ, st, payload, err := gcbVerifiedOccurrence(out.ProvenanceSummary.Provenance)
	if err != nil {
		return nil, err
	}
	digest := hex.EncodeToString(cfg.Digest)
	builder, err := gcbCheckBuilder(st, cfg.BuilderID)
	if err != nil {
		return nil, err
	}
	if err := gcbCheckSubject(st, digest); err != nil {
		return nil, err
	}
	if err := gcbCheckSource(st, builder, cfg.SourceURI); err != nil {
		return nil, err
	}
	if occ.Kind != "BUILD" {
		return nil, fmt.Errorf("%w: occurrence kind %q, not BUILD", ErrInvalidProvenance, occ.Kind)
	}
	if !strings.HasSuffix(occ.ResourceURI, "@sha256:"+digest) {
		return nil, fmt.Errorf("%w: resourceUri %q is not the image sha256:%s", ErrMismatchHash, occ.ResourceURI, digest)
	}
	sum := out.ImageSummary
	if sum.Digest != "sha256:"+digest || !strings.HasSuffix(sum.FullyQualifiedDigest, "sha256:"+digest) {
		return nil, fmt.Errorf("%w: image summary %q (%q) is not the image sha256:%s", ErrMismatchHash, sum.Digest, sum.FullyQualifiedDigest, digest)
	}
	text := gcbStatement{gcbHeader: occ.Build.Text.gcbHeader, Predicate: occ.Build.Text.Predicate}
	if !reflect.DeepEqual(text, *st) {
		return nil, fmt.Errorf("%w (the unsigned intotoStatement beside the envelope)", ErrMismatchIntoto)
	}
	if cfg.Branch != nil {
		return nil, fmt.Errorf("%w: Cloud Build's SLSA v0.1 provenance records no branch", ErrNotSupported)
	}
	if len(cfg.Inputs) > 0 {
		return nil, fmt.Errorf("%w: Cloud Build has no workflow inputs", ErrNotSupported)
	}
	if cfg.Tag != nil || cfg.VersionedTag != nil {
		if err := gcbCheckTag(st, cfg.Tag, cfg.VersionedTag); err != nil {
			return nil, err
		}
	}
	sha := ""
	if len(st.Predicate.Materials) > 0 {
		sha = st.Predicate.Materials[0].Digest["sha1"]
	}
	return &Result{BuilderID: builder, SourceSHA: sha, Provenance: payload}, nil
}

// gcbVerifiedOccurrence returns the first occurrence with a signature
// that verifies, and its statement.
func gcbVerifiedOccurrence(occs []gcbOccurrence) (*gcbOccurrence, *gcbStatement, []byte, error) {
	if len(occs) == 0 {
		return nil, nil, nil, fmt.Errorf("%w: no provenance in gcloud's output", ErrInvalidProvenance)
	}
	var errs []error
	for i := range occs {
		st, payload, err := gcbVerifyEnvelope(&occs[i])
		if err == nil {
			return &occs[i], st, payload, nil
		}
		errs = append(errs, fmt.Errorf("provenance %d: %w", i, err))
	}
	return nil, nil, nil, fmt.Errorf("%w: %v", ErrNoValidSignature, errors.Join(errs...))
}

// gcbVerifyEnvelope checks an occurrence's envelope: a signature by the
// global key over the DSSE pre-authentication encoding, or by a regional
// key over the payload itself; signatures by keys of other ids are not
// read. The statement must then be SLSA Provenance v0.1.
func gcbVerifyEnvelope(occ *gcbOccurrence) (*gcbStatement, []byte, error) {
	env := &occ.Envelope
	if env.PayloadType != inTotoPayloadType {
		return nil, nil, fmt.Errorf("%w: payload type %q", ErrInvalidProvenance, env.PayloadType)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil || len(payload) == 0 {
		return nil, nil, fmt.Errorf("%w: payload is not base64 or empty", ErrInvalidProvenance)
	}
	if len(env.Signatures) == 0 {
		return nil, nil, errors.New("no signatures")
	}
	var errs []error
	for _, s := range env.Signatures {
		var key *ecdsa.PublicKey
		var signed []byte
		if s.KeyID == gcbGlobalPAEKeyID {
			key, signed = gcbKeys()[gcbGlobalPAEKeyPEM], attest.PAE(env.PayloadType, payload)
		} else if m := gcbRegionalKeyID().FindStringSubmatch(s.KeyID); m != nil {
			if key = gcbKeys()[m[1]]; key == nil {
				errs = append(errs, fmt.Errorf("no Cloud Build key for region %q", m[1]))
				continue
			}
			signed = payload
		} else {
			continue
		}
		sig, err := decodeSig(s.Sig)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		h := sha256.Sum256(signed)
		if !ecdsa.VerifyASN1(key, h[:], sig) {
			errs = append(errs, fmt.Errorf("signature does not verify with key %s", s.KeyID))
			continue
		}
		st, err := parseGCBStatement(payload)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return st, payload, nil
	}
	if len(errs) == 0 {
		return nil, nil, errors.New("no signature by a Cloud Build key")
	}
	return nil, nil, errors.Join(errs...)
}

// decodeSig reads a DSSE signature, which may be in standard or URL-safe
// base64 (the DSSE specification allows either).
func decodeSig(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) > 0 {
		return b, nil
	}
	if b, err := base64.URLEncoding.DecodeString(s); err == nil && len(b) > 0 {
		return b, nil
	}
	return nil, errors.New("signature is not base64, or empty")
}

func parseGCBStatement(payload []byte) (*gcbStatement, error) {
	if err := strictjson.Check(payload); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
	}
	var st gcbStatement
	if err := json.Unmarshal(payload, &st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidProvenance, err)
	}
	if st.Type != "https://in-toto.io/Statement/v0.1" && st.Type != "https://in-toto.io/Statement/v1" {
		return nil, fmt.Errorf("%w: statement type %q", ErrInvalidProvenance, st.Type)
	}
	if st.PredicateType != slsaProvenanceV01 {
		return nil, fmt.Errorf("%w: predicate type %q, not %s", ErrInvalidProvenance, st.PredicateType, slsaProvenanceV01)
	}
	return &st, nil
}

// gcbCheckBuilder checks the provenance's builder: a Cloud Build version
// consign reads, the one asked for, with the recipe type of its version
// and arguments of Cloud Build's Build type.
func gcbCheckBuilder(st *gcbStatement, want *string) (BuilderID, error) {
	id := st.Predicate.Builder.ID
	if !slices.Contains(gcbBuilders, id) {
		return BuilderID{}, fmt.Errorf("%w: %q is not a Cloud Build builder consign reads (%s)", ErrMismatchBuilderID, id, strings.Join(gcbBuilders, ", "))
	}
	b, err := ParseBuilderID(id, true)
	if err != nil {
		return BuilderID{}, err
	}
	if want != nil {
		if err := b.MatchesLoose(*want, false); err != nil {
			return BuilderID{}, err
		}
	}
	rt := st.Predicate.Recipe.Type
	switch b.Version {
	case "v0.2":
		if rt != b.String() {
			return BuilderID{}, fmt.Errorf("%w: recipe type %q, not %q", ErrInvalidProvenance, rt, b.String())
		}
	case "v0.3":
		if !strings.HasPrefix(rt, "https://cloudbuild.googleapis.com/CloudBuildYaml@") &&
			!strings.HasPrefix(rt, "https://cloudbuild.googleapis.com/CloudBuildSteps@") {
			return BuilderID{}, fmt.Errorf("%w: recipe type %q is neither CloudBuildYaml nor CloudBuildSteps", ErrInvalidProvenance, rt)
		}
	}
	args, ok := st.Predicate.Recipe.Arguments.(map[string]any)
	if !ok {
		return BuilderID{}, fmt.Errorf("%w: recipe arguments are not an object", ErrInvalidProvenance)
	}
	if t, ok := args["@type"].(string); !ok {
		return BuilderID{}, fmt.Errorf("%w: recipe arguments have no @type", ErrInvalidProvenance)
	} else if t != gcbBuildType {
		return BuilderID{}, fmt.Errorf("%w: recipe arguments of type %q, not %q", ErrMismatchBuilderID, t, gcbBuildType)
	}
	return b, nil
}

// gcbCheckSubject requires the image's digest among the subjects, each of
// which must have a SHA-256 (as slsa-verifier requires, in order).
func gcbCheckSubject(st *gcbStatement, digest string) error {
	for _, s := range st.Subject {
		d, ok := s.Digest["sha256"]
		if !ok {
			return fmt.Errorf("%w: subject %q has no sha256 digest", ErrInvalidProvenance, s.Name)
		}
		if d == digest {
			return nil
		}
	}
	return fmt.Errorf("%w: sha256:%s", ErrMismatchHash, digest)
}

// gcbCheckSource compares the first material with want: for v0.2 a
// commit URL of the repository (REPO/commit/SHA) or a versioned Cloud
// Storage source (REPO#GENERATION); for v0.3 the repository itself, or
// the versioned Cloud Storage source. A repository given without a
// scheme is compared as https.
func gcbCheckSource(st *gcbStatement, b BuilderID, want string) error {
	if len(st.Predicate.Materials) == 0 || st.Predicate.Materials[0].URI == "" {
		return fmt.Errorf("%w: no source material", ErrInvalidProvenance)
	}
	uri := strings.TrimPrefix(st.Predicate.Materials[0].URI, "git+")
	if strings.HasPrefix(uri, "https://") && !strings.HasPrefix(want, "https://") {
		want = "https://" + want
	}
	ok := strings.HasPrefix(uri, want+"#")
	switch b.Version {
	case "v0.2":
		ok = ok || strings.HasPrefix(uri, want+"/commit/")
	case "v0.3":
		ok = ok || uri == want
	}
	if !ok {
		return fmt.Errorf("%w: expected %q, got %q", ErrMismatchSource, want, uri)
	}
	return nil
}

// gcbCheckTag reads the tag from the build's TAG_NAME substitution.
func gcbCheckTag(st *gcbStatement, tag, versioned *string) error {
	got, err := gcbTag(st)
	if tag != nil {
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMismatchTag, err)
		}
		if got != *tag {
			return fmt.Errorf("%w: expected tag %q, got %q", ErrMismatchTag, *tag, got)
		}
	}
	if versioned != nil {
		if !semver.IsValid(*versioned) {
			return fmt.Errorf("%w: --source-versioned-tag %q is not a semantic version", ErrConfig, *versioned)
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMismatchVersionedTag, err)
		}
		return matchVersionedTag(got, *versioned)
	}
	return nil
}

func gcbTag(st *gcbStatement) (string, error) {
	args, _ := st.Predicate.Recipe.Arguments.(map[string]any)
	subs, ok := args["substitutions"].(map[string]any)
	if !ok {
		return "", errors.New("the build has no substitutions")
	}
	t, ok := subs["TAG_NAME"].(string)
	if !ok {
		return "", errors.New("the build has no TAG_NAME substitution")
	}
	return t, nil
}
