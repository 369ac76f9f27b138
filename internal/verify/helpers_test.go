package verify

import (
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/predicate"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/testutil/testkey"
)

// testNow is the verification time of the tests.
var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// testKey is a real key pair with its PEM public key.
type testKey struct {
	name string
	*testkey.Key
}

func newKey(t testing.TB, name string) *testKey {
	t.Helper()
	return newKeyAlg(t, name, sign.ECDSAP256)
}

func newKeyAlg(t testing.TB, name, alg string) *testKey {
	t.Helper()
	return &testKey{name: name, Key: testkey.NewAlg(t, name, alg)}
}

func (k *testKey) pub() crypto.PublicKey { return k.Public() }
func (k *testKey) id() string            { return k.ID() }

var indentPEM = testkey.IndentPEM

// sha is a digest set for a string's content.
func sha(s string) digest.Set {
	d, _, err := digest.Reader(strings.NewReader(s))
	if err != nil {
		panic(err)
	}
	return d
}

// linkStatement is a link v0.3 statement as 'consign run' makes it, of
// any digest sets (a step records SHA-256; the security cases need others).
func linkStatement(t testing.TB, name string, materials, products map[string]digest.Set) *attest.Statement {
	t.Helper()
	return linkStatementBy(t, name, materials, products, map[string]any{"exitCode": 0})
}

// linkStatementBy is linkStatement with the given byproducts.
func linkStatementBy(t testing.TB, name string, materials, products map[string]digest.Set, byproducts map[string]any) *attest.Statement {
	t.Helper()
	l := predicate.Link{
		Name:        name,
		Command:     []string{"make"},
		Materials:   predicate.Descriptors(materials),
		Byproducts:  byproducts,
		Environment: map[string]any{"excludePatterns": []string{}},
	}
	pred, err := l.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	var subs []attest.Subject
	for n, d := range products {
		subs = append(subs, attest.Subject{Name: n, Digest: d})
	}
	st, err := attest.NewStatement(attest.PredicateLink, subs, pred)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func statement(t testing.TB, predType string, subjects map[string]digest.Set, predicate string) *attest.Statement {
	t.Helper()
	var subs []attest.Subject
	for n, d := range subjects {
		subs = append(subs, attest.Subject{Name: n, Digest: d})
	}
	st, err := attest.NewStatement(predType, subs, json.RawMessage(predicate))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// envLine signs st with keys and returns the JSON Lines line.
func envLine(t testing.TB, st *attest.Statement, keys ...*testKey) string {
	t.Helper()
	var signers []attest.Signer
	for _, k := range keys {
		signers = append(signers, k.Signer)
	}
	env, err := attest.SignStatement(st, signers...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func input(name string, lines ...string) Input {
	return Input{Name: name, Data: []byte(strings.Join(lines, "\n") + "\n")}
}

// signPolicy signs YAML with the owner key.
func signPolicy(t testing.TB, owner *testKey, yaml string) []byte {
	t.Helper()
	env, _, err := policy.Sign([]byte(yaml), policy.ParseOptions{}, owner.Signer)
	if err != nil {
		if pe, ok := err.(*policy.ParseError); ok {
			t.Fatalf("policy.Sign: %v\n%s\n--- policy:\n%s", err, pe.Details(), yaml)
		}
		t.Fatalf("policy.Sign: %v", err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// chain is a small release: source -> build -> release, with real keys.
type chain struct {
	owner, ci, alice, bob, carol *testKey
	src, app                     map[string]digest.Set
	inputs                       []Input
}

func newChain(t testing.TB) *chain {
	c := &chain{
		owner: newKey(t, "owner"), ci: newKey(t, "ci"), alice: newKey(t, "alice"), bob: newKey(t, "bob"), carol: newKey(t, "carol"),
		src: map[string]digest.Set{"src/main.c": sha("int main;"), "src/util.c": sha("int util;")},
		app: map[string]digest.Set{"dist/app": sha("the app")},
	}
	c.inputs = []Input{
		input("source.intoto.jsonl", envLine(t, linkStatement(t, "source", nil, c.src), c.ci)),
		input("build.intoto.jsonl",
			envLine(t, linkStatement(t, "build", c.src, c.app), c.ci),
			envLine(t, statement(t, attest.PredicateSLSAProvenance, c.app, slsaPredicate("https://consign.dev/builders/local/v1", "git+https://github.com/acme/app@refs/heads/main")), c.ci)),
		input("release-alice.intoto.jsonl", envLine(t, linkStatement(t, "release", c.app, c.app), c.alice)),
		input("release-bob.intoto.jsonl", envLine(t, linkStatement(t, "release", c.app, c.app), c.bob)),
	}
	return c
}

func slsaPredicate(builder, source string) string {
	return fmt.Sprintf(`{"buildDefinition":{"buildType":"https://consign.dev/buildtypes/run/v1","externalParameters":{"step":"build","command":["make"],"source":%q},"internalParameters":{"exitCode":0},"resolvedDependencies":[]},"runDetails":{"builder":{"id":%q},"metadata":{}}}`, source, builder)
}

// chainPolicy is testdata/chain.policy.yaml, the chain's policy, as a template.
var chainPolicy = template.Must(template.ParseFiles(filepath.Join("testdata", "chain.policy.yaml")))

// policyYAML is the chain's policy with its keys; extra is appended to the
// release stage.
func (c *chain) policyYAML(extra string) string {
	var b strings.Builder
	err := chainPolicy.Execute(&b, map[string]string{
		"Owner": c.owner.id(), "CI": indentPEM(c.ci.PEM, 8), "Alice": indentPEM(c.alice.PEM, 8),
		"Bob": indentPEM(c.bob.PEM, 8), "Carol": indentPEM(c.carol.PEM, 8), "Extra": extra,
	})
	if err != nil {
		panic(err)
	}
	return b.String()
}

func (c *chain) config(t testing.TB, policyYAML string) Config {
	return Config{
		Policy:       signPolicy(t, c.owner, policyYAML),
		PolicyName:   "policy.json",
		TrustRoots:   []crypto.PublicKey{c.owner.pub()},
		Attestations: append([]Input(nil), c.inputs...),
		Artifacts:    []Artifact{{Name: "dist/app", Digest: c.app["dist/app"]}},
		Now:          func() time.Time { return testNow },
	}
}

func mustVerify(t testing.TB, cfg Config) *Result {
	t.Helper()
	res, err := Verify(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Verify() error = %v", err)
	}
	return res
}

// wantPass fails the test unless res passed.
func wantPass(t testing.TB, res *Result) {
	t.Helper()
	if !res.Passed {
		t.Fatalf("Verify() did not pass:\n%s", res.Text())
	}
}

// wantFail fails the test unless res failed with a failure containing want.
func wantFail(t testing.TB, res *Result, want string) {
	t.Helper()
	if res.Passed {
		t.Fatalf("Verify() passed, want a failure containing %q:\n%s", want, res.Text())
	}
	for _, f := range res.Failures {
		if strings.Contains(f, want) {
			return
		}
	}
	t.Fatalf("Verify() failures = %q, want one containing %q\n%s", res.Failures, want, res.Text())
}

func writeFile(t testing.TB, p string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
