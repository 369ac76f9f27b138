package step

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/in-toto/in-toto-golang/in_toto"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/sign"
)

// BuildType is the SLSA buildType of provenance made by 'consign run'.
const BuildType = "https://consign.dev/buildtypes/run/v1"

// DefaultBuilderID names a local, unmanaged builder: the person or machine
// that ran 'consign run'. A policy should name its real builders' ids.
const DefaultBuilderID = "https://consign.dev/builders/local/v1"

type resourceDescriptor struct {
	Name   string     `json:"name,omitempty"`
	URI    string     `json:"uri,omitempty"`
	Digest digest.Set `json:"digest,omitempty"`
}

func descriptors(m map[string]digest.Set) []resourceDescriptor {
	out := make([]resourceDescriptor, 0, len(m))
	for name, d := range m {
		out = append(out, resourceDescriptor{Name: name, Digest: d})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func subjects(m map[string]digest.Set) []attest.Subject {
	out := make([]attest.Subject, 0, len(m))
	for name, d := range m {
		out = append(out, attest.Subject{Name: name, Digest: d})
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
	env := map[string]any{"excludePatterns": nonNil(r.Exclude)}
	pred, err := marshal(map[string]any{
		"name":        r.Name,
		"command":     nonNil(r.Command),
		"materials":   descriptors(r.Materials),
		"byproducts":  byproducts,
		"environment": env,
	})
	if err != nil {
		return nil, err
	}
	return attest.NewStatement(attest.PredicateLink, subjects(r.Products), pred)
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
	byproducts := []resourceDescriptor{}
	if r.Stdout != nil {
		byproducts = append(byproducts, resourceDescriptor{Name: "stdout", Digest: r.Stdout}, resourceDescriptor{Name: "stderr", Digest: r.Stderr})
	}
	pred, err := marshal(map[string]any{
		"buildDefinition": map[string]any{
			"buildType": BuildType,
			"externalParameters": map[string]any{
				"step":            r.Name,
				"command":         nonNil(r.Command),
				"excludePatterns": nonNil(r.Exclude),
			},
			"internalParameters":   map[string]any{"exitCode": r.ExitCode},
			"resolvedDependencies": descriptors(r.Materials),
		},
		"runDetails": map[string]any{
			"builder": map[string]any{"id": builderID},
			"metadata": map[string]any{
				"startedOn":  r.StartedOn.Format(time.RFC3339),
				"finishedOn": r.FinishedOn.Format(time.RFC3339),
			},
			"byproducts": byproducts,
		},
	})
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
		Environment: map[string]any{},
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

func artifactMap(m map[string]digest.Set) map[string]any {
	out := make(map[string]any, len(m))
	for name, d := range m {
		hs := make(map[string]any, len(d))
		for alg, v := range d {
			hs[alg] = v
		}
		out[name] = hs
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func marshal(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	return b, err
}
