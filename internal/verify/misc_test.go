package verify

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/predicate"
)

func TestConfigValidate(t *testing.T) {
	c := newChain(t)
	good := c.config(t, c.policyYAML(""))
	tests := []struct {
		name   string
		mutate func(*Config)
	}{
		{"no policy", func(cfg *Config) { cfg.Policy = nil }},
		{"no trust root", func(cfg *Config) { cfg.TrustRoots = nil }},
		{"no artifact", func(cfg *Config) { cfg.Artifacts = nil }},
		{"weak artifact digest", func(cfg *Config) {
			cfg.Artifacts = []Artifact{{Name: "a", Digest: digest.Set{"sha1": strings.Repeat("a", 40)}}}
		}},
		{"VSA without signer", func(cfg *Config) { cfg.VSA = &VSAOptions{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.mutate(&cfg)
			if _, err := Verify(context.Background(), cfg); !errors.Is(err, ErrConfig) {
				t.Errorf("Verify() = %v, want ErrConfig", err)
			}
		})
	}
}

// TestVSA: the VSA fits consign's VSA schema, names the policy and every
// input by the digest of its bytes, and says FAILED for a failure.
func TestVSA(t *testing.T) {
	c := newChain(t)
	gate := newKey(t, "gate")
	for _, pass := range []bool{true, false} {
		cfg := c.config(t, c.policyYAML(""))
		cfg.VSA = &VSAOptions{Signer: gate.Signer, Version: "v1.2.3"}
		if !pass {
			cfg.Attestations = c.withRelease(t, c.alice)
		}
		res := mustVerify(t, cfg)
		if res.Passed != pass || res.VSA == nil {
			t.Fatalf("passed = %v, VSA = %v", res.Passed, res.VSA)
		}
		kr, _ := attest.NewKeyring(gate.pub())
		v, err := attest.VerifyEnvelope(res.VSA, kr, attest.VerifyOptions{PredicateTypes: []string{attest.PredicateVSA}, Subject: c.app["dist/app"]})
		if err != nil {
			t.Fatalf("the VSA does not verify: %v", err)
		}
		if err := predicate.Validate(attest.PredicateVSA, v.Statement.Predicate); err != nil {
			t.Errorf("the VSA predicate does not fit the schema: %v", err)
		}
		var p predicate.VSA
		if err := json.Unmarshal(v.Statement.Predicate, &p); err != nil {
			t.Fatal(err)
		}
		want := map[bool]string{true: VSAPassed, false: VSAFailed}[pass]
		if p.VerificationResult != want || p.Policy.URI != "policy.json" || p.Policy.Digest[digest.SHA256] != res.Policy.Digest[digest.SHA256] ||
			len(p.InputAttestations) != len(res.Attestations) || p.Verifier.ID != DefaultVerifierID || p.Verifier.Version["consign"] != "v1.2.3" ||
			p.TimeVerified != testNow.Format(time.RFC3339) || p.ResourceURI != "app" {
			t.Errorf("VSA predicate = %+v", p)
		}
	}
}

// TestReportTree: the text report is a tree that names, for a failure, the
// stage, the attestation, the signer and the reason.
func TestReportTree(t *testing.T) {
	c := newChain(t)
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations = c.withRelease(t, c.alice, c.carol)
	res := mustVerify(t, cfg)
	text := res.Text()
	for _, want := range []string{
		"FAIL stage release (threshold 2, 1 distinct signer(s) counted; requires link)",
		"       link: 1 of 2 distinct signer(s) signed (threshold not met)",
		"    ---- release-carol.intoto.jsonl link \"release\"",
		"(carol): carol was revoked at 2026-10-01T00:00:00Z (judged at verification time: no log receipt)",
		"FAILED: 2 failure(s)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("Text() lacks %q:\n%s", want, text)
		}
	}
	if err := res.Err(); !errors.Is(err, ErrNotSatisfied) || !errors.Is(err, attest.ErrUnverified) {
		t.Errorf("Err() = %v, want ErrNotSatisfied", err)
	}
	b, err := json.Marshal(res)
	if err != nil || !strings.Contains(string(b), `"status":"revoked"`) {
		t.Errorf("JSON report = %s, %v", b, err)
	}
}

// TestSBOMCheck: coverage below what the policy asks, a denied licence
// anywhere in an expression, an SBOM of the wrong format for its predicate
// type, and an SBOM that does not decode all fail.
func TestSBOMCheck(t *testing.T) {
	c := newChain(t)
	sbomStage := `  - name: sbom
    by: [ci]
    require: [cyclonedx]
    products: [MATCH "dist/*" WITH PRODUCTS FROM build, DISALLOW "*"]
    checks:
      - sbom:
          min_coverage: {name: 100, version: 100, supplier: 100}
          deny_licenses: [AGPL-3.0-only]
`
	comp := func(name, version, supplier, lic string) string {
		return fmt.Sprintf(`{"type":"library","bom-ref":%q,"name":%q,"version":%q,"supplier":{"name":%q},"licenses":[{"expression":%q}]}`, name, name, version, supplier, lic)
	}
	bom := func(comps ...string) string {
		return `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[` + strings.Join(comps, ",") + `]}`
	}
	tests := []struct {
		name, predType, predicate, want string
	}{
		{"passes", attest.PredicateCycloneDX, bom(comp("a", "1", "ACME", "MIT")), ""},
		{"coverage", attest.PredicateCycloneDX, bom(comp("a", "1", "ACME", "MIT"), comp("b", "", "", "MIT")), "version 50.0% (100% required)"},
		{"licence in an expression", attest.PredicateCycloneDX, bom(comp("a", "1", "ACME", "MIT OR agpl-3.0-only")), "denied licence(s): a@1 (agpl-3.0-only)"},
		{"wrong format", attest.PredicateCycloneDX, `{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","name":"x","dataLicense":"CC0-1.0","documentNamespace":"https://x/y","creationInfo":{"created":"2026-01-01T00:00:00Z","creators":["Tool: x"]},"packages":[]}`, "the predicate type is cyclonedx but the SBOM is spdx"},
		{"does not decode", attest.PredicateCycloneDX, `{"bomFormat":"CycloneDX","specVersion":"0.1"}`, "the SBOM does not decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { verifySBOM(t, c, sbomStage, tt.predType, tt.predicate, tt.want) })
	}
}

// verifySBOM verifies the chain c with stage added to its policy and an
// SBOM attestation of predType about the app, signed by ci: it passes when
// want is "", else fails saying want.
func verifySBOM(t *testing.T, c *chain, stage, predType, predicate, want string) {
	t.Helper()
	cfg := c.config(t, c.policyYAML("")+stage)
	cfg.Attestations = append(cfg.Attestations, input("sbom", envLine(t, statement(t, predType, c.app, predicate), c.ci)))
	res := mustVerify(t, cfg)
	if want == "" {
		wantPass(t, res)
		return
	}
	wantFail(t, res, want)
}

// TestSBOMCheckProfileSchema: a stage's sbom check that asks for a profile
// fails on an SBOM missing one of its elements, naming it; one that asks
// for schema validity fails on an SBOM its format's rules forbid (a hash
// of the wrong length), naming where.
func TestSBOMCheckProfileSchema(t *testing.T) {
	c := newChain(t)
	stage := `  - name: sbom
    by: [ci]
    require: [cyclonedx]
    products: [MATCH "dist/*" WITH PRODUCTS FROM build, DISALLOW "*"]
    checks:
      - sbom: {profile: ntia, schema: true}
`
	bom := func(hash, timestamp string) string {
		return `{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",` +
			`"metadata":{` + timestamp + `"tools":{"components":[{"type":"application","name":"consign","version":"1"}]}},` +
			`"components":[{"type":"library","bom-ref":"a","name":"a","version":"1","supplier":{"name":"ACME"},"purl":"pkg:golang/a@1",` +
			`"hashes":[{"alg":"SHA-256","content":"` + hash + `"}]}],"dependencies":[{"ref":"a"}]}`
	}
	good := strings.Repeat("ab", 32)
	tests := []struct{ name, predicate, want string }{
		{"passes", bom(good, `"timestamp":"2026-01-01T00:00:00Z",`), ""},
		{"profile element missing", bom(good, ""), "SBOM does not meet the profile ntia: missing timestamp"},
		{"schema violation", bom(good[:10], `"timestamp":"2026-01-01T00:00:00Z",`), "/components/0/hashes/0/content"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { verifySBOM(t, c, stage, attest.PredicateCycloneDX, tt.predicate, tt.want) })
	}
}

// ExampleVerify verifies a one-stage release against a policy signed by its
// owner, with keys made on the spot.
func ExampleVerify() {
	t := &testing.T{}
	owner, ci := newKey(t, "example-owner"), newKey(t, "example-ci")
	app := map[string]digest.Set{"dist/app": sha("the app")}
	pol := fmt.Sprintf("product: app\nexpires: 2030-01-01T00:00:00Z\nowner: {keyid: %s}\nfunctionaries:\n  ci: {keys: [%q]}\nstages:\n  - {name: build, by: [ci], require: [link], products: [CREATE \"dist/*\", DISALLOW \"*\"]}\n", owner.id(), ci.PEM)
	env, _, err := policy.Sign([]byte(pol), policy.ParseOptions{}, owner.Signer)
	if err != nil {
		fmt.Println(err)
		return
	}
	signed, _ := json.Marshal(env)
	res, err := Verify(context.Background(), Config{
		Policy: signed, PolicyName: "policy.json", TrustRoots: []crypto.PublicKey{owner.pub()},
		Attestations: []Input{input("build.intoto.jsonl", envLine(t, linkStatement(t, "build", nil, app), ci))},
		Artifacts:    []Artifact{{Name: "dist/app", Digest: app["dist/app"]}},
	})
	fmt.Println(res.Passed, err)
	// Output: true <nil>
}

// TestSetLinkNames: a Metablock link's artifacts (validated when read)
// are filed under cleaned names, with a name twice (once cleaned) under
// different digests and a backslash refused, whether the maps read are
// shared (every name clean) or copied.
func TestSetLinkNames(t *testing.T) {
	d := digest.Set{digest.SHA256: strings.Repeat("a", 64)}
	e := digest.Set{digest.SHA256: strings.Repeat("b", 64)}
	tests := []struct {
		name     string
		products map[string]digest.Set
		want     []string
		wantErr  string
	}{
		{name: "clean", products: map[string]digest.Set{"a/b": d, "c": e}, want: []string{"a/b", "c"}},
		{name: "none", products: nil, want: []string{}},
		{name: "dot", products: map[string]digest.Set{"./a/b": d, "c": e}, want: []string{"a/b", "c"}},
		{name: "twice", products: map[string]digest.Set{"x/../c": d, "c": e}, wantErr: "listed twice"},
		{name: "backslash", products: map[string]digest.Set{`a\b`: d}, wantErr: "backslash"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := &item{res: &AttestationResult{}}
			err := it.setLink("step", nil, tableOf(tt.products), true)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("setLink() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := tableNames(it.products); !slices.Equal(got, tt.want) {
				t.Errorf("products = %q, want %q", got, tt.want)
			}
			if it.materials == nil || it.products == nil {
				t.Errorf("materials or products is a nil table")
			}
		})
	}
}

// tableNames lists the names of a table, in its order.
func tableNames(t *digest.Table) []string {
	out := []string{}
	for i := range t.Len() {
		out = append(out, t.Name(i))
	}
	return out
}

// TestArtifactReasonsNameTheirSources: each artifact's reason names the
// attestations it is a subject of, when artifacts next to each other are
// subjects of different ones (a passing artifact takes the reason of the
// one before only when their sources are the same).
func TestArtifactReasonsNameTheirSources(t *testing.T) {
	c := newChain(t)
	app, doc := c.app["dist/app"], sha("the doc")
	both := map[string]digest.Set{"dist/app": app, "dist/doc": doc}
	docOnly := map[string]digest.Set{"dist/doc": doc}
	c.inputs = []Input{
		c.inputs[0],
		input("build.intoto.jsonl",
			envLine(t, linkStatement(t, "build", c.src, both), c.ci),
			envLine(t, statement(t, attest.PredicateSLSAProvenance, both, slsaPredicate("https://consign.dev/builders/local/v1", "git+https://github.com/acme/app@refs/heads/main")), c.ci)),
		input("release-alice.intoto.jsonl", envLine(t, linkStatement(t, "release", both, both), c.alice)),
		input("release-bob.intoto.jsonl", envLine(t, linkStatement(t, "release", c.app, c.app), c.bob)),
		input("release-bob-doc.intoto.jsonl", envLine(t, linkStatement(t, "release", docOnly, docOnly), c.bob)),
	}
	cfg := c.config(t, c.policyYAML(""))
	cfg.Artifacts = []Artifact{{Name: "dist/app", Digest: app}, {Name: "dist/doc", Digest: doc}, {Name: "dist/doc", Digest: doc}, {Name: "dist/app", Digest: app}}
	res := mustVerify(t, cfg)
	wantPass(t, res)
	if len(res.Artifacts) != len(cfg.Artifacts) {
		t.Fatalf("%d artifact results, want %d", len(res.Artifacts), len(cfg.Artifacts))
	}
	for i, want := range []struct{ in, out string }{
		{"release-bob.intoto", "release-bob-doc"},
		{"release-bob-doc.intoto", "release-bob.intoto"},
		{"release-bob-doc.intoto", "release-bob.intoto"},
		{"release-bob.intoto", "release-bob-doc"},
	} {
		r := res.Artifacts[i].Reason
		if !strings.Contains(r, "release-alice.intoto") || !strings.Contains(r, want.in) || strings.Contains(r, want.out) {
			t.Errorf("artifact %d (%s): reason %q, want one naming release-alice and %s, not %s", i, res.Artifacts[i].Name, r, want.in, want.out)
		}
	}
}
