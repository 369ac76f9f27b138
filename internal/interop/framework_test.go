package interop

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	linkv0 "github.com/in-toto/attestation/go/predicates/link/v0"
	provv1 "github.com/in-toto/attestation/go/predicates/provenance/v1"
	ita1 "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/step"
)

// frameworkStatement unmarshals a payload into the in-toto attestation
// framework's Statement with protojson (strict: a field the spec does not
// define is an error) and runs its Validate.
func frameworkStatement(t *testing.T, payload []byte) *ita1.Statement {
	t.Helper()
	var st ita1.Statement
	if err := protojson.Unmarshal(payload, &st); err != nil {
		t.Fatalf("protojson.Unmarshal(payload, in-toto v1 Statement) = %v\npayload: %s", err, payload)
	}
	if err := st.Validate(); err != nil {
		t.Fatalf("in-toto v1 Statement.Validate() = %v\npayload: %s", err, payload)
	}
	return &st
}

// predicateJSON re-encodes a framework statement's predicate as JSON.
func predicateJSON(t *testing.T, st *ita1.Statement) []byte {
	t.Helper()
	b, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStatementsValidateWithAttestationFramework: every kind of statement
// consign signs (by attest.SignStatement, by 'consign attest', and the link
// and SLSA provenance statements of a real step.Run) parses strictly into the
// in-toto attestation framework's Go types and passes their Validate: the
// Statement v1, the SLSA Provenance v1 predicate, and the link v0.3
// predicate (whose resource descriptors are validated one by one).
func TestStatementsValidateWithAttestationFramework(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	kf := consignKey(t, dir, "ci", sign.ECDSAP256)

	tree := filepath.Join(dir, "tree")
	writeFile(t, filepath.Join(tree, "a.txt"), []byte("source material\n"))
	rec, err := step.Run(context.Background(), step.Config{
		Name: "build", Dir: tree, Materials: []string{"."}, Products: []string{"out"}, Command: stepCommand,
	})
	if err != nil {
		t.Fatalf("step.Run() = %v", err)
	}
	link, err := rec.LinkStatement()
	if err != nil {
		t.Fatalf("LinkStatement() = %v", err)
	}
	prov, err := rec.ProvenanceStatement("")
	if err != nil {
		t.Fatalf("ProvenanceStatement() = %v", err)
	}

	payloads := map[string][]byte{}
	for name, st := range map[string]*attest.Statement{"sign-statement": testStatement(t), "link": link, "provenance": prov} {
		env, err := attest.SignStatement(st, kf.Signer)
		if err != nil {
			t.Fatalf("attest.SignStatement(%s) = %v", name, err)
		}
		payloads[name] = env.Payload
	}
	// What 'consign attest' writes.
	predPath := filepath.Join(dir, "provenance.json")
	writeFile(t, predPath, []byte(slsaPredicate))
	jsonl := filepath.Join(dir, "build.intoto.jsonl")
	wantExit(t, 0, "attest", "--key", kf.Priv, "--type", "slsa", "--predicate", predPath, "--subject", filepath.Join(tree, "a.txt"), "--out", jsonl)
	payloads["consign-attest"] = readOne(t, jsonl, attest.FormatDSSE).Envelope.Payload

	for name, payload := range payloads {
		t.Run(name, func(t *testing.T) {
			st := frameworkStatement(t, payload)
			ours, err := attest.ParseStatement(payload)
			if err != nil {
				t.Fatal(err)
			}
			if st.GetPredicateType() != ours.PredicateType || len(st.GetSubject()) != len(ours.Subject) {
				t.Fatalf("framework reads predicateType %q and %d subjects, consign %q and %d",
					st.GetPredicateType(), len(st.GetSubject()), ours.PredicateType, len(ours.Subject))
			}
			for i, s := range st.GetSubject() {
				if s.GetName() != ours.Subject[i].Name || s.GetDigest()["sha256"] != ours.Subject[i].Digest["sha256"] {
					t.Errorf("subject %d: framework reads %s %v, consign %s %v", i, s.GetName(), s.GetDigest(), ours.Subject[i].Name, ours.Subject[i].Digest)
				}
			}
			switch st.GetPredicateType() {
			case attest.PredicateSLSAProvenance:
				var p provv1.Provenance
				if err := protojson.Unmarshal(predicateJSON(t, st), &p); err != nil {
					t.Fatalf("protojson.Unmarshal(predicate, SLSA Provenance v1) = %v", err)
				}
				if err := p.Validate(); err != nil {
					t.Errorf("SLSA Provenance v1 Validate() = %v", err)
				}
				if name == "provenance" {
					if got, want := p.GetRunDetails().GetBuilder().GetId(), step.DefaultBuilderID; got != want {
						t.Errorf("builder id %q, want %q", got, want)
					}
					if got := len(p.GetBuildDefinition().GetResolvedDependencies()); got != 1 {
						t.Errorf("resolvedDependencies: %d, want 1 (a.txt)", got)
					}
					if !p.GetRunDetails().GetMetadata().GetStartedOn().IsValid() {
						t.Errorf("startedOn %v is not a valid timestamp", p.GetRunDetails().GetMetadata().GetStartedOn())
					}
				}
			case attest.PredicateLink:
				var l linkv0.Link
				if err := protojson.Unmarshal(predicateJSON(t, st), &l); err != nil {
					t.Fatalf("protojson.Unmarshal(predicate, in-toto link v0.3) = %v", err)
				}
				if l.GetName() != "build" || len(l.GetCommand()) != len(stepCommand) {
					t.Errorf("link predicate name %q command %q, want build %q", l.GetName(), l.GetCommand(), stepCommand)
				}
				if len(l.GetMaterials()) != 1 {
					t.Errorf("link materials: %d, want 1 (a.txt)", len(l.GetMaterials()))
				}
				for i, m := range l.GetMaterials() {
					if err := m.Validate(); err != nil {
						t.Errorf("link material %d Validate() = %v", i, err)
					}
				}
			default:
				t.Fatalf("unexpected predicate type %q", st.GetPredicateType())
			}
		})
	}

	// Negative controls: the framework's checks are not vacuous.
	t.Run("controls", func(t *testing.T) {
		var m map[string]any
		if err := json.Unmarshal(payloads["provenance"], &m); err != nil {
			t.Fatal(err)
		}
		m["_type"] = attest.StatementV01
		b, _ := json.Marshal(m)
		var st ita1.Statement
		if err := protojson.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		if err := st.Validate(); !errors.Is(err, ita1.ErrInvalidStatementType) {
			t.Errorf("Validate(statement _type v0.1) = %v, want %v", err, ita1.ErrInvalidStatementType)
		}
		m["_type"] = attest.StatementV1
		m["subjects"] = m["subject"] // a misspelt field
		b, _ = json.Marshal(m)
		if err := protojson.Unmarshal(b, &st); err == nil {
			t.Errorf("protojson.Unmarshal(statement with an unknown field) = nil, want an error")
		}
		delete(m, "subjects")
		pred := m["predicate"].(map[string]any)
		pred["runDetails"].(map[string]any)["builder"] = map[string]any{"version": map[string]any{"go": "1.26"}} // no id
		b, _ = json.Marshal(pred)
		var p provv1.Provenance
		if err := protojson.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); !errors.Is(err, provv1.ErrBuilderIdRequired) {
			t.Errorf("Provenance.Validate(empty builder id) = %v, want %v", err, provv1.ErrBuilderIdRequired)
		}
	})
}
