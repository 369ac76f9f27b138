package step

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/predicate"
	"github.com/consign-dev/consign/internal/sign"
)

// BuildType is the SLSA buildType of provenance made by 'consign run'.
const BuildType = "https://consign.dev/buildtypes/run/v1"

// DefaultBuilderID names a local, unmanaged builder: the person or machine
// that ran 'consign run'. A policy should name its real builders' ids.
const DefaultBuilderID = "https://consign.dev/builders/local/v1"

func subjects(list []digest.Artifact) []attest.Subject {
	out := make([]attest.Subject, 0, len(list))
	for _, a := range list {
		out = append(out, attest.Subject{Name: a.Path, Digest: a.Set()})
	}
	return out
}

func descriptors(list []digest.Artifact) []predicate.ResourceDescriptor {
	out := make([]predicate.ResourceDescriptor, 0, len(list))
	for _, a := range list {
		out = append(out, predicate.ResourceDescriptor{Name: a.Path, Digest: a.Set()})
	}
	return out
}

// ErrNoProducts is returned when a statement is asked of a step that made
// nothing: a statement's subjects are the step's products.
var ErrNoProducts = fmt.Errorf("%w: the step recorded no products", attest.ErrNoSubject)

// LinkStatement is the record as an in-toto link predicate v0.3
// (https://github.com/in-toto/attestation/blob/main/spec/predicates/link.md):
// the products are the subjects; name, command, materials, byproducts (exit
// code, stdout and stderr digests, skipped paths) and environment (the
// exclude patterns in force) are the predicate.
func (r *Record) LinkStatement() (*attest.Statement, error) {
	pred, err := r.linkPredicate()
	if err != nil {
		return nil, err
	}
	return attest.NewStatement(attest.PredicateLink, subjects(r.Products), pred)
}

// LinkPayload is the JSON of [Record.LinkStatement], the payload to sign,
// written from the recorded artifacts straight into one buffer: a step of a
// million files holds no Subject, descriptor or Set per file.
func (r *Record) LinkPayload() ([]byte, error) {
	l, err := r.link()
	if err != nil {
		return nil, err
	}
	n, appendPredicate, err := l.Marshaler()
	if err != nil {
		return nil, err
	}
	return attest.ArtifactStatementWith(attest.PredicateLink, r.Products, n, appendPredicate)
}

// linkPredicate is the link predicate of [Record.LinkStatement].
func (r *Record) linkPredicate() ([]byte, error) {
	l, err := r.link()
	if err != nil {
		return nil, err
	}
	return l.Marshal()
}

// link is the link predicate of the record.
func (r *Record) link() (*predicate.Link, error) {
	if len(r.Products) == 0 {
		return nil, ErrNoProducts
	}
	byproducts := map[string]any{"exitCode": r.ExitCode}
	if r.Stdout != nil {
		byproducts["stdout"] = r.Stdout
		byproducts["stderr"] = r.Stderr
	}
	if len(r.Skipped) > 0 {
		byproducts["skipped"] = r.Skipped
	}
	l := predicate.Link{
		Name:              r.Name,
		Command:           r.Command,
		MaterialArtifacts: r.Materials,
		Byproducts:        byproducts,
		Environment:       r.noteRedacted(map[string]any{"excludePatterns": nonNil(r.Exclude)}),
	}
	return &l, nil
}

// ProvenanceStatement is the record as SLSA Provenance v1 for the products,
// naming builderID (default [DefaultBuilderID]) as the builder.
func (r *Record) ProvenanceStatement(builderID string) (*attest.Statement, error) {
	if len(r.Products) == 0 {
		return nil, ErrNoProducts
	}
	if builderID == "" {
		builderID = DefaultBuilderID
	}
	byproducts := []predicate.ResourceDescriptor{}
	if r.Stdout != nil {
		byproducts = append(byproducts, predicate.ResourceDescriptor{Name: "stdout", Digest: r.Stdout}, predicate.ResourceDescriptor{Name: "stderr", Digest: r.Stderr})
	}
	ext, err := predicate.Params(map[string]any{
		"step":            r.Name,
		"command":         nonNil(r.Command),
		"excludePatterns": nonNil(r.Exclude),
	})
	if err != nil {
		return nil, err
	}
	internal, err := predicate.Params(r.noteRedacted(map[string]any{"exitCode": r.ExitCode}))
	if err != nil {
		return nil, err
	}
	p := predicate.Provenance{
		BuildDefinition: predicate.BuildDefinition{
			BuildType:            BuildType,
			ExternalParameters:   ext,
			InternalParameters:   internal,
			ResolvedDependencies: descriptors(r.Materials),
		},
		RunDetails: predicate.RunDetails{
			Builder:    predicate.Builder{ID: builderID},
			Byproducts: byproducts,
			Metadata: &predicate.BuildMetadata{
				StartedOn:  r.StartedOn.Format(time.RFC3339),
				FinishedOn: r.FinishedOn.Format(time.RFC3339),
			},
		},
	}
	pred, err := p.Marshal()
	if err != nil {
		return nil, err
	}
	return attest.NewStatement(attest.PredicateSLSAProvenance, subjects(r.Products), pred)
}

// LegacyLink signs the record as an in-toto v0.9 link with in-toto-golang,
// so that in-toto's own verifiers accept it. It returns the file's bytes and
// the name in-toto expects for it: NAME.KEYID8.link, where KEYID is
// in-toto's key id (not consign's).
func (r *Record) LegacyLink(s *sign.Signer) (data []byte, filename string, err error) {
	pemKey, err := sign.MarshalPrivateKeyUnencryptedUnsafe(s.PrivateKey())
	if err != nil {
		return nil, "", err
	}
	var key in_toto.Key
	if err := key.LoadKeyReaderDefaults(bytes.NewReader(pemKey)); err != nil {
		return nil, "", fmt.Errorf("loading key for in-toto: %w", err)
	}
	byproducts := map[string]any{"return-value": r.ExitCode}
	if r.Stdout != nil {
		byproducts["stdout-sha256"] = r.Stdout[digest.SHA256]
		byproducts["stderr-sha256"] = r.Stderr[digest.SHA256]
	}
	mb := in_toto.Metablock{Signed: in_toto.Link{
		Type:        "link",
		Name:        r.Name,
		Materials:   artifactMap(r.Materials),
		Products:    artifactMap(r.Products),
		ByProducts:  byproducts,
		Command:     nonNil(r.Command),
		Environment: r.noteRedacted(map[string]any{}),
	}}
	if err := mb.Sign(key); err != nil {
		return nil, "", fmt.Errorf("signing in-toto link: %w", err)
	}
	data, err = json.MarshalIndent(mb, "", "  ")
	if err != nil {
		return nil, "", err
	}
	return append(data, '\n'), fmt.Sprintf(in_toto.LinkNameFormat, r.Name, key.KeyID), nil
}

func artifactMap(list []digest.Artifact) map[string]any {
	out := make(map[string]any, len(list))
	for _, a := range list {
		out[a.Path] = map[string]any{digest.SHA256: hex.EncodeToString(a.SHA256[:])}
	}
	return out
}

// noteRedacted adds to m, when secrets were redacted from the command, the
// indexes of the arguments redacted ("redactedArguments"), and returns m.
func (r *Record) noteRedacted(m map[string]any) map[string]any {
	if len(r.Redacted) > 0 {
		m["redactedArguments"] = r.Redacted
	}
	return m
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
