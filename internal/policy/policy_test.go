package policy

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/testutil/testkey"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type key = testkey.Key

func testKey(t testing.TB, name string) *key { return testkey.New(t, name) }

// keyDir writes the public keys of names into a temporary directory.
func keyDir(t testing.TB, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.MkdirAll(filepath.Join(dir, "keys"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "keys", n+".pub"), []byte(testKey(t, n).PEM), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// basePolicy is a valid policy with key files; %s is appended to the stages.
const basePolicy = `product: acme
expires: 2027-06-30T00:00:00Z
owner: {key: keys/owner.pub}
functionaries:
  ci: {role: build system, keys: [keys/ci.pub]}
  alice: {role: release engineer, keys: [keys/alice.pub]}
  bob: {role: release engineer, keys: [keys/bob.pub]}
stages:
  - name: build
    by: [ci]
    require: [link, slsa]
    materials: [ALLOW "src/*", DISALLOW "*"]
    products: [CREATE "dist/*", DISALLOW "*"]
    checks:
      - slsa: {builder_ids: [https://consign.dev/builders/local/v1], external_parameters: "*"}
  - name: release
    by: [alice, bob]
    threshold: 2
    require: [link]
    materials: [MATCH "dist/*" WITH PRODUCTS FROM build, DISALLOW "*"]
%s`

func parseBase(t testing.TB, extra string) (*Policy, error) {
	t.Helper()
	dir := keyDir(t, "owner", "ci", "alice", "bob", "carol")
	return Parse([]byte(fmt.Sprintf(basePolicy, extra)), ParseOptions{Dir: dir})
}

func TestParseBase(t *testing.T) {
	p, err := parseBase(t, "")
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	if got, want := len(p.Stages), 2; got != want {
		t.Fatalf("len(Stages) = %d, want %d", got, want)
	}
	rel := p.Stage("release")
	if rel == nil || rel.Threshold != 2 || len(p.StageKeys(rel)) != 2 {
		t.Errorf("release stage = %+v", rel)
	}
	if b := p.Stage("build"); b.Threshold != 1 {
		t.Errorf("an omitted threshold is %d, want 1 (never 0)", b.Threshold)
	}
	if p.Owner.KeyID != testKey(t, "owner").Signer.KeyID() {
		t.Errorf("Owner.KeyID = %s", p.Owner.KeyID)
	}
	if r := rel.Materials[0]; r.Type != RuleMatch || r.DstStage != "build" || r.DstType != "products" || r.Pattern.String() != "dist/*" || r.Line != 20 {
		t.Errorf("release materials[0] = %+v", r)
	}
}

// TestParseErrors: every refusal names the line.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, extra string
		mutate      func(string) string
		want        string
		line        int
		wantErr     error
	}{
		{name: "unknown field", mutate: func(s string) string { return strings.Replace(s, "product: acme", "product: acme\nprodcut: x", 1) }, want: `unknown field "prodcut"`, line: 2},
		{name: "unknown stage field", mutate: func(s string) string { return strings.Replace(s, "    threshold: 2", "    treshold: 2", 1) }, want: `unknown field "treshold" in a stage (did you mean "threshold"?)`, line: 18},
		{name: "threshold 0", mutate: func(s string) string { return strings.Replace(s, "threshold: 2", "threshold: 0", 1) }, want: "threshold 0 is invalid", line: 18},
		{name: "threshold -1", mutate: func(s string) string { return strings.Replace(s, "threshold: 2", "threshold: -1", 1) }, want: "threshold -1 is invalid", line: 18},
		{name: "threshold float", mutate: func(s string) string { return strings.Replace(s, "threshold: 2", "threshold: 2.0", 1) }, want: "threshold must be an integer", line: 18},
		{name: "threshold above keys", mutate: func(s string) string { return strings.Replace(s, "threshold: 2", "threshold: 5", 1) }, want: "threshold 5 is more than the 2 distinct key(s)", line: 16},
		{name: "unknown functionary", mutate: func(s string) string { return strings.Replace(s, "by: [alice, bob]", "by: [alice, bob, eve]", 1) }, want: `unknown functionary "eve"`, line: 17},
		{name: "empty by", mutate: func(s string) string { return strings.Replace(s, "by: [alice, bob]", "by: []", 1) }, want: "by is empty", line: 17},
		{name: "empty require", mutate: func(s string) string { return strings.Replace(s, "require: [link]\n", "require: []\n", 1) }, want: "require is empty", line: 19},
		{name: "unknown type", mutate: func(s string) string { return strings.Replace(s, "require: [link]\n", "require: [lnk]\n", 1) }, want: `predicate type "lnk"`, line: 19},
		{name: "bad rule", mutate: func(s string) string { return strings.Replace(s, `ALLOW "src/*"`, `PERMIT "src/*"`, 1) }, want: "bad artifact rule", line: 12, wantErr: ErrRule},
		{name: "bad pattern", mutate: func(s string) string { return strings.Replace(s, `ALLOW "src/*"`, `'ALLOW src/['`, 1) }, want: "unclosed", line: 12, wantErr: ErrPattern},
		{name: "unknown match stage", mutate: func(s string) string { return strings.Replace(s, "FROM build", "FROM biuld", 1) }, want: `names the unknown stage "biuld"`, line: 20},
		{name: "no stages", mutate: func(s string) string { return s[:strings.Index(s, "stages:")] + "stages: []\n" }, want: "stages is empty"},
		{name: "duplicate key", mutate: func(s string) string { return strings.Replace(s, "product: acme", "product: acme\nproduct: evil", 1) }, want: `the key "product" twice`, line: 2},
		{name: "alias", mutate: func(s string) string {
			return strings.Replace(s, "by: [ci]", "by: &x [ci]", 1) + "  - {name: x, by: *x, require: [link]}\n"
		}, want: "anchors and aliases"},
		{name: "second document", mutate: func(s string) string { return s + "---\nproduct: other\n" }, want: "more than one YAML document"},
		{name: "bad expiry", mutate: func(s string) string { return strings.Replace(s, "2027-06-30T00:00:00Z", "June 2027", 1) }, want: "expires must be an RFC 3339 time", line: 2},
		{name: "check without its type", mutate: func(s string) string {
			return strings.Replace(s, "    materials: [MATCH", "    checks: [{tests: all_passed}]\n    materials: [MATCH", 1)
		}, want: "the tests check needs the stage to require test"},
		{name: "audit check without its type", mutate: func(s string) string {
			return strings.Replace(s, "    materials: [MATCH", "    checks: [{audit: pass}]\n    materials: [MATCH", 1)
		}, want: "the audit check needs the stage to require audit"},
		{name: "audit check accepting a failure", mutate: func(s string) string {
			return strings.Replace(s, "require: [link]\n    materials: [MATCH", "require: [link, audit]\n    checks: [{audit: [pass, fail]}]\n    materials: [MATCH", 1)
		}, want: "audit cannot accept a failing finding"},
		{name: "audit check unknown result", mutate: func(s string) string {
			return strings.Replace(s, "require: [link]\n    materials: [MATCH", "require: [link, audit]\n    checks: [{audit: maybe}]\n    materials: [MATCH", 1)
		}, want: `audit result "maybe" is not one of pass, observation`},
		{name: "bad stage name", mutate: func(s string) string { return strings.Replace(s, "name: release", "name: ../release", 1) }, want: `stage name "../release"`, line: 16},
		{name: "missing key file", mutate: func(s string) string { return strings.Replace(s, "keys/bob.pub", "keys/nobody.pub", 1) }, want: `reading "keys/nobody.pub"`, line: 7},
		{name: "slsa builder ids empty", mutate: func(s string) string {
			return strings.Replace(s, "builder_ids: [https://consign.dev/builders/local/v1]", "builder_ids: []", 1)
		}, want: "builder_ids is empty"},
	}
	dir := keyDir(t, "owner", "ci", "alice", "bob")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.mutate(fmt.Sprintf(basePolicy, ""))
			_, err := Parse([]byte(src), ParseOptions{Dir: dir})
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse() = %v, want a *ParseError wrapping ErrInvalid", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Parse() = %v, want it to wrap %v", err, tt.wantErr)
			}
			for _, f := range pe.Findings {
				if strings.Contains(f.Message, tt.want) {
					if tt.line != 0 && f.Line != tt.line {
						t.Errorf("finding %q at line %d, want line %d", f.Message, f.Line, tt.line)
					}
					return
				}
			}
			t.Errorf("Parse() findings =\n%s\nwant one containing %q", pe.Details(), tt.want)
		})
	}
}

// TestSecurityCase14_ThresholdZeroRejectedAtLoad: threshold 0, -1, and more
// than the keys are refused when the policy is parsed (and by lint); an
// omitted threshold is 1, never 0.
func TestSecurityCase14_ThresholdZeroRejectedAtLoad(t *testing.T) {
	for _, th := range []string{"0", "-1", "5"} {
		src := strings.Replace(fmt.Sprintf(basePolicy, ""), "threshold: 2", "threshold: "+th, 1)
		dir := keyDir(t, "owner", "ci", "alice", "bob")
		if _, err := Parse([]byte(src), ParseOptions{Dir: dir}); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "threshold") {
			t.Errorf("threshold %s: Parse() = %v, want an invalid threshold error", th, err)
		}
		if f := Lint([]byte(src), ParseOptions{Dir: dir}, now); !HasErrors(f) {
			t.Errorf("threshold %s: Lint() = %v, want an error", th, f)
		}
	}
	p, err := parseBase(t, "")
	if err != nil {
		t.Fatal(err)
	}
	if p.Stage("build").Threshold != 1 {
		t.Errorf("omitted threshold = %d, want 1", p.Stage("build").Threshold)
	}
}

// TestSecurityCase22_ExplicitEmptyIsNeverWildcard: no stages, a stage with
// no required types, a stage with nobody to sign, are load errors.
func TestSecurityCase22_ExplicitEmptyIsNeverWildcard(t *testing.T) {
	base := fmt.Sprintf(basePolicy, "")
	dir := keyDir(t, "owner", "ci", "alice", "bob")
	for name, src := range map[string]string{
		"no stages":   base[:strings.Index(base, "stages:")] + "stages: []\n",
		"require: []": strings.Replace(base, "require: [link]\n", "require: []\n", 1),
		"by: []":      strings.Replace(base, "by: [ci]", "by: []", 1),
		"keys: []":    strings.Replace(base, "keys: [keys/ci.pub]", "keys: []", 1),
	} {
		if _, err := Parse([]byte(src), ParseOptions{Dir: dir}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Parse() = %v, want ErrInvalid", name, err)
		}
	}
}

func TestLint(t *testing.T) {
	dir := keyDir(t, "owner", "ci", "alice", "bob")
	src := fmt.Sprintf(basePolicy, `  - name: island
    by: [ci]
    require: [test]
    products: [ALLOW "*"]
`)
	src = strings.Replace(src, "bob: {role: release engineer, keys: [keys/bob.pub]}", "bob: {role: release engineer, keys: [keys/bob.pub]}\n  ci2: {role: backup, keys: [keys/ci.pub]}", 1)
	src = strings.Replace(src, "2027-06-30T00:00:00Z", "2026-06-30T00:00:00Z", 1)
	src = strings.Replace(src, `ALLOW "src/*"`, `'ALLOW [^a-z]*'`, 1)
	findings := Lint([]byte(src), ParseOptions{Dir: dir}, now)
	want := []struct {
		line int
		sev  Severity
		msg  string
	}{
		{2, SeverityError, "the policy expired at 2026-06-30T00:00:00Z"},
		{8, SeverityError, "the same key (key id"},
		{8, SeverityWarning, `functionary "ci2" signs for no stage`},
		{13, SeverityWarning, `"[^" is not a negation`},
		{22, SeverityWarning, `stage "island" is not connected`},
		{25, SeverityWarning, "do not end with DISALLOW"},
	}
	for _, w := range want {
		found := false
		for _, f := range findings {
			if f.Line == w.line && f.Severity == w.sev && strings.Contains(f.Message, w.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("Lint() has no %s at line %d containing %q; got:\n%v", w.sev, w.line, w.msg, findings)
		}
	}
	for i := 1; i < len(findings); i++ {
		if findings[i].Line < findings[i-1].Line {
			t.Errorf("findings are not sorted by line: %v", findings)
		}
	}
	if clean := Lint([]byte(fmt.Sprintf(basePolicy, "")), ParseOptions{Dir: dir}, now); HasErrors(clean) || len(clean) != 0 {
		t.Errorf("Lint(base policy) = %v, want nothing", clean)
	}
}

// TestSecurityCase13_OneKeyTwoNames: the same key under two functionary
// names is a lint error, and counts as one key toward a threshold.
func TestSecurityCase13_OneKeyTwoNames(t *testing.T) {
	dir := keyDir(t, "owner", "ci", "alice", "bob")
	src := strings.Replace(fmt.Sprintf(basePolicy, ""), "keys: [keys/bob.pub]", "keys: [keys/alice.pub]", 1)
	findings := Lint([]byte(src), ParseOptions{Dir: dir}, now)
	found := false
	for _, f := range findings {
		if f.Severity == SeverityError && strings.Contains(f.Message, "listed under 2 names: alice, bob") {
			found = true
		}
	}
	if !found {
		t.Errorf("Lint() = %v, want the same key under two names", findings)
	}
	if _, err := Parse([]byte(src), ParseOptions{Dir: dir}); err == nil || !strings.Contains(err.Error(), "threshold 2 is more than the 1 distinct key") {
		t.Errorf("Parse() = %v, want threshold 2 refused: alice and bob are one key", err)
	}
}

func TestSignAndOpen(t *testing.T) {
	dir := keyDir(t, "owner", "ci", "alice", "bob")
	src := []byte(fmt.Sprintf(basePolicy, `    checks: [{rego: release.rego}]
`))
	if err := os.WriteFile(filepath.Join(dir, "release.rego"), []byte("package consign.r\nimport rego.v1\ndeny contains \"no\" if { input.stage == \"never\" }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	owner := testKey(t, "owner")
	env, p, err := Sign(src, ParseOptions{Dir: dir}, owner.Signer)
	if err != nil {
		t.Fatalf("Sign() = %v", err)
	}
	if env.PayloadType != PayloadType || strings.Contains(string(env.Payload), "[keys/ci.pub]") || !strings.Contains(string(env.Payload), "BEGIN PUBLIC KEY") || !strings.Contains(string(env.Payload), "package consign.r") {
		t.Errorf("the signed payload does not carry its keys and module inline:\n%s", env.Payload)
	}
	if p.Stage("release").Checks[0].Rego == nil {
		t.Fatalf("the rego check is lost")
	}
	data := mustJSON(env)
	got, err := Open(data, []any2{owner.Signer.Public()}, now)
	if err != nil {
		t.Fatalf("Open() = %v", err)
	}
	if got.Product != "acme" || got.SignedBy != owner.Signer.KeyID() || got.Digest["sha256"] == "" {
		t.Errorf("Open() = %+v", got)
	}
	// The owner key is the only one that can sign.
	if _, _, err := Sign(src, ParseOptions{Dir: dir}, testKey(t, "ci").Signer); !errors.Is(err, ErrOwnerKey) {
		t.Errorf("Sign(by ci) = %v, want ErrOwnerKey", err)
	}
	tests := []struct {
		name  string
		data  []byte
		roots []any2
		now   time.Time
		want  error
	}{
		{"wrong root", data, []any2{testKey(t, "ci").Signer.Public()}, now, ErrSignature},
		{"expired", data, []any2{owner.Signer.Public()}, time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC), ErrExpired},
		{"expiry itself counts", data, []any2{owner.Signer.Public()}, time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC), nil},
		{"flipped payload", flipPayload(t, env), []any2{owner.Signer.Public()}, now, ErrSignature},
		{"in-toto payloadType", relabel(t, env, "application/vnd.in-toto+json"), []any2{owner.Signer.Public()}, now, ErrPayloadType},
		{"no roots", data, nil, now, ErrSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.data, tt.roots, tt.now)
			if tt.want == nil {
				if err != nil {
					t.Errorf("Open() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Open() = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestSecurityCase22_PolicySignedByAnotherOwner: a policy signed by a key
// that is a trust root but not the owner it names fails (go-witness
// accepted policy verifiers whose signature failed).
func TestSecurityCase22_PolicySignedByAnotherOwner(t *testing.T) {
	dir := keyDir(t, "owner", "ci", "alice", "bob")
	src := []byte(fmt.Sprintf(basePolicy, ""))
	inlined, err := Inline(src, ParseOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	// Sign the inlined policy with ci's key, bypassing Sign's owner check.
	env, err := signRaw(inlined, testKey(t, "ci").Signer)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(mustJSON(env), []any2{testKey(t, "ci").Signer.Public(), testKey(t, "owner").Signer.Public()}, now)
	if !errors.Is(err, ErrOwner) {
		t.Errorf("Open(signed by ci, owner is owner) = %v, want ErrOwner", err)
	}
}

func TestOpenRefusesKeyFiles(t *testing.T) {
	dir := keyDir(t, "owner", "ci", "alice", "bob")
	src := []byte(fmt.Sprintf(basePolicy, ""))
	env, err := signRaw(src, testKey(t, "owner").Signer)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Open(mustJSON(env), []any2{testKey(t, "owner").Signer.Public()}, now)
	if !errors.Is(err, ErrKeyFile) {
		t.Errorf("Open(a signed policy naming key files) = %v, want ErrKeyFile", err)
	}
	_ = dir
}

func TestRego(t *testing.T) {
	tests := []struct {
		name    string
		module  string
		input   any
		want    []string
		wantErr string
		loadErr string
	}{
		{name: "empty deny passes", module: "package p\nimport rego.v1\ndeny contains \"x\" if { input.bad }\n", input: map[string]any{"bad": false}},
		{name: "deny fails", module: "package p\nimport rego.v1\ndeny contains msg if { msg := sprintf(\"bad %v\", [input.n]) }\n", input: map[string]any{"n": 3}, want: []string{"bad 3"}},
		{name: "runtime error", module: "package p\nimport rego.v1\ndeny contains \"x\" if { to_number(input.s) > 1 }\n", input: map[string]any{"s": "abc"}, wantErr: "to_number"},
		{name: "conflict", module: "package p\nimport rego.v1\nv := 1 if { true }\nv := 2 if { true }\ndeny contains \"x\" if { v == 3 }\n", input: map[string]any{}, wantErr: "conflict"},
		{name: "no deny", module: "package p\nimport rego.v1\nallow := true\n", loadErr: "defines no rule"},
		{name: "syntax", module: "package p\ndeny contains {", loadErr: "Rego module"},
		{name: "http.send refused", module: "package p\nimport rego.v1\ndeny contains \"x\" if { http.send({\"method\": \"get\", \"url\": \"http://169.254.169.254/\"}) }\n", loadErr: "http.send"},
		{name: "time.now_ns refused", module: "package p\nimport rego.v1\ndeny contains \"x\" if { time.now_ns() > 0 }\n", loadErr: "time.now_ns"},
		{name: "deny is an object", module: "package p\nimport rego.v1\ndeny := {\"a\": 1}\n", input: map[string]any{}, wantErr: "object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := compileRego("t.rego", tt.module)
			if tt.loadErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.loadErr) {
					t.Fatalf("compileRego() = %v, want an error containing %q", err, tt.loadErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("compileRego() = %v", err)
			}
			got, err := rc.Eval(context.Background(), tt.input)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Eval() = %v, %v; want an error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Eval() = %v", err)
			}
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Eval() = %q, want %q", got, tt.want)
			}
		})
	}
}

type any2 = crypto.PublicKey

// signRaw signs bytes as a policy envelope with no checks at all.
func signRaw(payload []byte, s *sign.Signer) (*attest.Envelope, error) {
	return attest.SignPayload(PayloadType, payload, s)
}

func flipPayload(t testing.TB, env *attest.Envelope) []byte {
	t.Helper()
	c := *env
	c.Payload = append([]byte(nil), env.Payload...)
	c.Payload[len(c.Payload)/2] ^= 1
	return mustJSON(&c)
}

func relabel(t testing.TB, env *attest.Envelope, pt string) []byte {
	t.Helper()
	c := *env
	c.PayloadType = pt
	return mustJSON(&c)
}

// A policy with many inline keys has them read ahead on every core
// (preparseKeys): the keys, the warnings and the errors, in document
// order, are those of reading them one by one.
func TestParseManyInlineKeys(t *testing.T) {
	corrupt := "-----BEGIN PUBLIC KEY-----\nbm90IERFUg==\n-----END PUBLIC KEY-----\n"
	private, err := sign.MarshalPrivateKeyUnencryptedUnsafe(mustGenerate(t))
	if err != nil {
		t.Fatal(err)
	}
	policyWith := func(n int) string {
		var b strings.Builder
		b.WriteString("product: acme\nexpires: 2027-06-30T00:00:00Z\nowner: {keyid: " + strings.Repeat("ab", 32) + "}\nfunctionaries:\n")
		for i := range n {
			fmt.Fprintf(&b, "  f%d: {keys: [%q]}\n", i, testKey(t, fmt.Sprint("f", i)).PEM)
		}
		fmt.Fprintf(&b, "  dup: {keys: [%q, %q]}\n", testKey(t, "f0").PEM, testKey(t, "f0").PEM)
		fmt.Fprintf(&b, "  bad: {keys: [%q, %q, %q]}\n", corrupt, testKey(t, "f1").PEM, private)
		b.WriteString("stages:\n  - {name: build, by: [f0], require: [link]}\n")
		return b.String()
	}
	var ps *parser
	findings := func(src string) (*Policy, []string) {
		var p *Policy
		p, ps = parse([]byte(src), ParseOptions{})
		var out []string
		for _, f := range ps.findings {
			out = append(out, fmt.Sprintf("%s: %s", f.Severity, f.Message))
		}
		return p, out
	}
	p, many := findings(policyWith(100))
	if runtime.GOMAXPROCS(0) > 1 && len(ps.parsed) != 102 { // 100 keys, the corrupt one and the private one; f0 and f1 repeat
		t.Errorf("%d keys were read ahead, want 102", len(ps.parsed))
	}
	_, few := findings(policyWith(2))
	if got, want := strings.Join(many, "\n"), strings.Join(few, "\n"); got != want {
		t.Errorf("with 100 keys the findings are\n%s\nwith 2\n%s", got, want)
	}
	if len(few) != 3 {
		t.Errorf("findings %q, want a warning and two errors", few)
	}
	for i := range 100 {
		k := testKey(t, fmt.Sprint("f", i))
		fn := p.functionaries[fmt.Sprint("f", i)]
		if fn == nil || len(fn.Keys) != 1 || fn.Keys[0].ID != k.Signer.KeyID() || string(fn.Keys[0].PEM) != k.PEM || !sign.Equal(fn.Keys[0].Verifier.Public(), k.Signer.Public()) {
			t.Fatalf("functionary f%d = %+v", i, fn)
		}
	}
	if bad := p.functionaries["bad"]; bad == nil || len(bad.Keys) != 1 || bad.Keys[0].ID != testKey(t, "f1").Signer.KeyID() {
		t.Errorf("functionary bad = %+v", bad)
	}
}

func mustGenerate(t *testing.T) crypto.Signer {
	t.Helper()
	k, err := sign.Generate(sign.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestAllowExitCodes: a stage's allow_exit_codes is read, shown by
// Describe, and refused when empty, holding 0 or a non-integer.
func TestAllowExitCodes(t *testing.T) {
	p, err := parseBase(t, "    allow_exit_codes: [1, 3]\n")
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	if got := p.Stage("release").AllowExitCodes; fmt.Sprint(got) != "[1 3]" {
		t.Errorf("AllowExitCodes = %v, want [1 3]", got)
	}
	if got := p.Stage("build").AllowExitCodes; got != nil {
		t.Errorf("build AllowExitCodes = %v, want none", got)
	}
	if got := p.Describe().Stages[1].AllowExitCodes; fmt.Sprint(got) != "[1 3]" {
		t.Errorf("Describe AllowExitCodes = %v, want [1 3]", got)
	}
	for _, tc := range []struct{ extra, want string }{
		{"    allow_exit_codes: []\n", "allow_exit_codes must be a non-empty list"},
		{"    allow_exit_codes: 1\n", "allow_exit_codes must be a non-empty list"},
		{"    allow_exit_codes: [0, 1]\n", "allow_exit_codes lists 0, which is always allowed"},
		{"    allow_exit_codes: [fail]\n", "allow_exit_codes entry must be an integer"},
	} {
		_, err := parseBase(t, tc.extra)
		if err == nil || !strings.Contains(err.Error()+detailsOf(err), tc.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tc.extra, err, tc.want)
		}
	}
}

func detailsOf(err error) string {
	var pe *ParseError
	if errors.As(err, &pe) {
		return pe.Details()
	}
	return ""
}
