package verify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/policy"
)

// releaseInputs replaces the chain's release links with links signed by keys.
func (c *chain) withRelease(t testing.TB, keys ...*testKey) []Input {
	t.Helper()
	in := append([]Input(nil), c.inputs[:2]...)
	for _, k := range keys {
		in = append(in, input("release-"+k.name+".intoto.jsonl", envLine(t, linkStatement(t, "release", c.app, c.app), k)))
	}
	return in
}

// fakeReceipts is a ReceiptChecker that knows receipts by the SHA-256 of the
// exact bytes logged, as a real log binds its entries.
type fakeReceipts struct {
	mu    sync.Mutex
	times map[string]time.Time
	calls []string
}

func (f *fakeReceipts) log(raw []byte, t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.times == nil {
		f.times = map[string]time.Time{}
	}
	sum := sha256.Sum256(raw)
	f.times[hex.EncodeToString(sum[:])] = t
}

func (f *fakeReceipts) Check(env *attest.Envelope, raw []byte) (time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	sum := sha256.Sum256(raw)
	id := hex.EncodeToString(sum[:])
	f.calls = append(f.calls, id)
	if t, ok := f.times[id]; ok {
		return t, nil
	}
	return time.Time{}, errors.New("no receipt for these bytes")
}

// TestSecurityCase01_ReceiptBoundToEnvelope: a receipt counts only for the
// exact bytes it was made for. Carol's key was revoked on 2026-10-01; a
// receipt for another envelope (alice's) must not make her signature count,
// and a receipt for her own envelope from before the revocation does.
func TestSecurityCase01_ReceiptBoundToEnvelope(t *testing.T) {
	c := newChain(t)
	in := c.withRelease(t, c.alice, c.carol)
	aliceLine := strings.TrimSpace(string(in[2].Data))
	carolLine := strings.TrimSpace(string(in[3].Data))
	receipts := &fakeReceipts{}
	receipts.log([]byte(aliceLine), time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations, cfg.Receipts = in, receipts
	wantFail(t, mustVerify(t, cfg), "1 of 2 distinct signer(s)")

	receipts.log([]byte(carolLine), time.Date(2026, 9, 15, 0, 0, 0, 0, time.UTC))
	res := mustVerify(t, cfg)
	wantPass(t, res)
	if len(receipts.calls) == 0 {
		t.Fatalf("the receipt checker was never asked")
	}
}

// TestSecurityCase02_SameChecksEveryFormat: the functionary, type and
// threshold checks apply whatever the container: JSON Lines, a cosign
// bundle, a Sigstore bundle. A release link by a non-functionary counts in
// none of them; a Sigstore bundle without a verified log entry counts in
// no case.
func TestSecurityCase02_SameChecksEveryFormat(t *testing.T) {
	c := newChain(t)
	mallory := newKey(t, "mallory")
	for _, format := range []string{"jsonl", "cosign", "sigstore"} {
		t.Run(format, func(t *testing.T) {
			wrap := func(line string) string {
				switch format {
				case "cosign":
					return fmt.Sprintf(`{"base64Signature":%q,"cert":"","rekorBundle":null}`, base64.StdEncoding.EncodeToString([]byte(line)))
				case "sigstore":
					return `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"x"}},"dsseEnvelope":` + line + `}`
				}
				return line
			}
			good := append([]Input(nil), c.inputs[:2]...)
			good = append(good,
				input("alice", wrap(envLine(t, linkStatement(t, "release", c.app, c.app), c.alice))),
				input("bob", wrap(envLine(t, linkStatement(t, "release", c.app, c.app), c.bob))))
			cfg := c.config(t, c.policyYAML(""))
			cfg.Attestations = good
			if format == "sigstore" {
				// A Sigstore bundle counts only with its transparency log
				// entry verified against a trusted root the policy names
				// (internal/sigstore's TestPolicyKeyedBundleLogged); these
				// carry none, so they count for nothing.
				res := mustVerify(t, cfg)
				wantFail(t, res, "stage release: no link attestation")
				if !strings.Contains(res.Text(), "a key-signed Sigstore bundle whose transparency log entry is not verified") {
					t.Errorf("the report does not say why the bundles did not count:\n%s", res.Text())
				}
				return
			}
			wantPass(t, mustVerify(t, cfg))
			bad := append(good[:3:3], input("mallory", wrap(envLine(t, linkStatement(t, "release", c.app, c.app), mallory))))
			cfg.Attestations = bad
			wantFail(t, mustVerify(t, cfg), "1 of 2 distinct signer(s)")
		})
	}
}

// TestSecurityCase03_RejectedReceiptCountsForNothing: when the checker
// refuses a receipt (it is for another entry), the signature is judged now;
// when the policy requires receipts, a signature without one never counts.
func TestSecurityCase03_RejectedReceiptCountsForNothing(t *testing.T) {
	c := newChain(t)
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations = c.withRelease(t, c.alice, c.carol)
	cfg.Receipts = &fakeReceipts{} // knows no entry
	wantFail(t, mustVerify(t, cfg), "1 of 2 distinct signer(s)")

	logKey := newKey(t, "log")
	yaml := strings.Replace(c.policyYAML(""), "functionaries:", "log:\n  receipts: required\n  key: "+indentPEM(logKey.PEM, 4)+"\nfunctionaries:", 1)
	cfg = c.config(t, yaml)
	wantFail(t, mustVerify(t, cfg), "stage source: no link attestation")
	res := mustVerify(t, cfg)
	if !strings.Contains(res.Text(), "the policy requires a log receipt") {
		t.Errorf("the report does not say why:\n%s", res.Text())
	}
	receipts := &fakeReceipts{}
	for _, in := range cfg.Attestations {
		for _, line := range strings.Split(strings.TrimSpace(string(in.Data)), "\n") {
			receipts.log([]byte(line), testNow.Add(-time.Hour))
		}
	}
	cfg.Receipts = receipts
	wantPass(t, mustVerify(t, cfg))
}

// TestSecurityCase05_BindsToTheDigestAskedFor: verification is about the
// digest the caller gives, not about a name that resolves elsewhere.
func TestSecurityCase05_BindsToTheDigestAskedFor(t *testing.T) {
	c := newChain(t)
	cfg := c.config(t, c.policyYAML(""))
	cfg.Artifacts = []Artifact{{Name: "dist/app", Digest: sha("another app")}}
	wantFail(t, mustVerify(t, cfg), "no subject of stage release matches the artifact's digest")
}

// TestSecurityCase06_PAEBindsPayloadType: the signature covers the
// payloadType; one changed byte makes the envelope invalid (not an in-toto
// type) or unsigned (another in-toto type), never counted.
func TestSecurityCase06_PAEBindsPayloadType(t *testing.T) {
	c := newChain(t)
	for _, pt := range []string{"application/vnd.in-toto+jsoN", "application/vnd.in-toto.link+json"} {
		line := envLine(t, linkStatement(t, "release", c.app, c.app), c.bob)
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatal(err)
		}
		m["payloadType"] = pt
		b, _ := json.Marshal(m)
		cfg := c.config(t, c.policyYAML(""))
		cfg.Attestations = append(c.withRelease(t, c.alice), input("bob", string(b)))
		wantFail(t, mustVerify(t, cfg), "1 of 2 distinct signer(s)")
	}
}

// TestSecurityCase07_RequiredTypeMissingFails: a stage that requires SPDX,
// shown only SLSA and a link, fails: an empty match set is never a pass.
func TestSecurityCase07_RequiredTypeMissingFails(t *testing.T) {
	c := newChain(t)
	yaml := strings.Replace(c.policyYAML(""), "require: [link, slsa]", "require: [link, slsa, spdx]", 1)
	wantFail(t, mustVerify(t, c.config(t, yaml)), "stage build: no spdx attestation signed by its functionaries (ci)")
}

// TestSecurityCase08_ParseErrorFailsInEveryFormat: validly signed payloads
// that are not statements fail verification in every container; a
// CycloneDX statement does not stand in for the SLSA provenance asked for.
func TestSecurityCase08_ParseErrorFailsInEveryFormat(t *testing.T) {
	c := newChain(t)
	payloads := []string{"AAAA", `{"_type":"https://in-toto.io/Statement/v1","subject":"x"}`}
	for _, p := range payloads {
		env, err := attest.SignPayload(attest.PayloadType, []byte(p), c.ci.Signer)
		if err != nil {
			t.Fatal(err)
		}
		line, _ := json.Marshal(env)
		for name, doc := range map[string]string{
			"jsonl":    string(line),
			"cosign":   fmt.Sprintf(`{"base64Signature":%q}`, base64.StdEncoding.EncodeToString(line)),
			"sigstore": `{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":` + string(line) + `}`,
		} {
			cfg := c.config(t, c.policyYAML(""))
			cfg.Attestations = append(cfg.Attestations, input("bad-"+name, doc))
			wantFail(t, mustVerify(t, cfg), "is invalid")
		}
	}
	// (c) a CycloneDX statement where SLSA is required.
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations = []Input{c.inputs[0],
		input("build", envLine(t, linkStatement(t, "build", c.src, c.app), c.ci), envLine(t, statement(t, attest.PredicateCycloneDX, c.app, `{"bomFormat":"CycloneDX","specVersion":"1.6"}`), c.ci)),
		c.inputs[2], c.inputs[3]}
	wantFail(t, mustVerify(t, cfg), "no slsa attestation")
}

// TestSecurityCase09_SignatureTruthTable: random bytes and a signature over
// the raw payload (not the PAE) do not count; a signature over the PAE does.
func TestSecurityCase09_SignatureTruthTable(t *testing.T) {
	c := newChain(t)
	st := linkStatement(t, "release", c.app, c.app)
	payload, _ := st.Marshal()
	random := make([]byte, 64)
	rand.Read(random)
	rawSig, err := c.bob.Signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	paeSig, err := c.bob.Signer.Sign(attest.PAE(attest.PayloadType, payload))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		sig  []byte
		pass bool
	}{{"random", random, false}, {"raw payload", rawSig, false}, {"PAE", paeSig, true}} {
		t.Run(tt.name, func(t *testing.T) {
			env := &attest.Envelope{PayloadType: attest.PayloadType, Payload: payload, Signatures: []attest.Signature{{KeyID: c.bob.id(), Sig: tt.sig}}}
			b, _ := json.Marshal(env)
			cfg := c.config(t, c.policyYAML(""))
			cfg.Attestations = append(c.withRelease(t, c.alice), input("bob", string(b)))
			res := mustVerify(t, cfg)
			if res.Passed != tt.pass {
				t.Errorf("Verify() passed = %v, want %v\n%s", res.Passed, tt.pass, res.Text())
			}
		})
	}
}

// TestSecurityCase10_PanicInCheckIsFailure: a panic inside a check (here a
// deliberately panicking hook) fails the check and the release, with a message.
func TestSecurityCase10_PanicInCheckIsFailure(t *testing.T) {
	c := newChain(t)
	testOnlyCheckHook = func(kind string) {
		if kind == policy.CheckSLSA {
			panic("boom in the slsa check")
		}
	}
	defer func() { testOnlyCheckHook = nil }()
	res := mustVerify(t, c.config(t, c.policyYAML("")))
	wantFail(t, res, "internal error in the slsa check: boom in the slsa check")
}

// TestSecurityCase10_RegoRuntimeErrorIsFailure: a Rego module that errors at
// run time, or whose deny is undefined, fails.
func TestSecurityCase10_RegoRuntimeErrorIsFailure(t *testing.T) {
	c := newChain(t)
	mod := `package consign.t
import rego.v1
deny contains "bad number" if { to_number(input.stage) > 1 }
`
	extra := "    checks:\n      - rego:\n          name: t.rego\n          module: |\n" + indentLines(mod, 12)
	wantFail(t, mustVerify(t, c.config(t, c.policyYAML(extra))), "to_number")
}

func indentLines(s string, n int) string {
	pad := strings.Repeat(" ", n)
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString(pad + l + "\n")
	}
	return b.String()
}

// TestSecurityCase11_MalformedMetadataNeverPanics: well-formed JSON that is
// not well-formed metadata fails verification without a panic.
func TestSecurityCase11_MalformedMetadataNeverPanics(t *testing.T) {
	c := newChain(t)
	corpus := []string{
		`{"signatures":[null]}`, `{"signatures":[{"sig":null,"publicKey":null}]}`, `{"signed":"str","signatures":[]}`,
		`{"signed":{"_type":5},"signatures":[{"keyid":"a","sig":"00"}]}`, `{"payloadType":"application/vnd.in-toto+json","payload":"","signatures":[null]}`,
		`{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","dsseEnvelope":null}`, `[]`, `null`, `{}`, `"x"`,
	}
	for _, doc := range corpus {
		cfg := c.config(t, c.policyYAML(""))
		cfg.Attestations = append(cfg.Attestations, input("bad.jsonl", doc))
		res := mustVerify(t, cfg)
		if res.Passed {
			t.Errorf("Verify() with %s passed", doc)
		}
	}
}

// TestSecurityCase13_OneKeyCountsOnce: one public key listed under two
// functionaries signs twice (two key id labels): it counts once, and the
// two-person rule fails.
func TestSecurityCase13_OneKeyCountsOnce(t *testing.T) {
	c := newChain(t)
	yaml := c.policyYAML("")
	yaml = strings.Replace(yaml, "by: [alice, bob, carol]", "by: [alice, bob]", 1)
	yaml = strings.Replace(yaml, indentPEM(c.bob.PEM, 8), indentPEM(c.alice.PEM, 8)+"\n      - "+indentPEM(c.bob.PEM, 8), 1)
	st := linkStatement(t, "release", c.app, c.app)
	payload, _ := st.Marshal()
	pae := attest.PAE(attest.PayloadType, payload)
	s1, _ := c.alice.Signer.Sign(pae)
	s2, _ := c.alice.Signer.Sign(pae)
	env := &attest.Envelope{PayloadType: attest.PayloadType, Payload: payload, Signatures: []attest.Signature{{KeyID: "alice", Sig: s1}, {KeyID: "bob", Sig: s2}}}
	b, _ := json.Marshal(env)
	cfg := c.config(t, yaml)
	cfg.Attestations = append(append([]Input(nil), c.inputs[:2]...), input("release", string(b)))
	wantFail(t, mustVerify(t, cfg), "1 of 2 distinct signer(s)")
}

// TestSecurityCase15_DuplicateSignatures: the same signature twice counts
// once; [bad, good] by one key counts that key once, deterministically.
func TestSecurityCase15_DuplicateSignatures(t *testing.T) {
	c := newChain(t)
	st := linkStatement(t, "release", c.app, c.app)
	payload, _ := st.Marshal()
	sig, _ := c.alice.Signer.Sign(attest.PAE(attest.PayloadType, payload))
	bad := append([]byte(nil), sig...)
	bad[len(bad)-1] ^= 1
	mk := func(sigs ...[]byte) Input {
		env := &attest.Envelope{PayloadType: attest.PayloadType, Payload: payload}
		for _, s := range sigs {
			env.Signatures = append(env.Signatures, attest.Signature{KeyID: c.alice.id(), Sig: s})
		}
		b, _ := json.Marshal(env)
		return input("release", string(b))
	}
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations = append(append([]Input(nil), c.inputs[:2]...), mk(sig, sig))
	wantFail(t, mustVerify(t, cfg), "1 of 2 distinct signer(s)")
	for range 5 {
		cfg.Attestations = append(c.withRelease(t, c.bob), mk(bad, sig))
		wantPass(t, mustVerify(t, cfg))
	}
}

// TestSecurityCase16_ConcurrentVerificationIsDeterministic: one policy and
// input set verified from many goroutines gives the same answer each time.
func TestSecurityCase16_ConcurrentVerificationIsDeterministic(t *testing.T) {
	c := newChain(t)
	good := c.config(t, c.policyYAML(""))
	bad := c.config(t, c.policyYAML(""))
	bad.Attestations = c.withRelease(t, c.alice)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg := good
			if i%2 == 1 {
				cfg = bad
			}
			res, err := Verify(context.Background(), cfg)
			if err != nil || res.Passed != (i%2 == 0) {
				errs <- fmt.Sprintf("run %d: passed=%v err=%v", i, res != nil && res.Passed, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSecurityCase56_MixedSignatures: a malformed signature never makes or
// breaks a verdict: [garbage, valid] counts the valid key; [valid, garbage]
// and [valid, valid copy] are one key.
func TestSecurityCase56_MixedSignatures(t *testing.T) {
	c := newChain(t)
	line := envLine(t, linkStatement(t, "release", c.app, c.app), c.bob)
	var m map[string]any
	json.Unmarshal([]byte(line), &m)
	valid := m["signatures"].([]any)[0]
	garbage := map[string]any{"keyid": "", "sig": "!!!notb64"}
	mk := func(sigs ...any) string {
		m["signatures"] = sigs
		b, _ := json.Marshal(m)
		return string(b)
	}
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations = append(c.withRelease(t, c.alice), input("bob", mk(garbage, valid)))
	wantPass(t, mustVerify(t, cfg))
	cfg.Attestations = append(append([]Input(nil), c.inputs[:2]...), input("bob", mk(valid, garbage)))
	wantFail(t, mustVerify(t, cfg), "1 of 2 distinct signer(s)")
	cfg.Attestations = append(append([]Input(nil), c.inputs[:2]...), input("bob", mk(valid, valid)))
	wantFail(t, mustVerify(t, cfg), "1 of 2 distinct signer(s)")
}

// buildWith returns the chain's inputs with the SLSA provenance replaced.
func (c *chain) buildWith(t testing.TB, signer *testKey, predicate string) []Input {
	t.Helper()
	in := append([]Input(nil), c.inputs...)
	in[1] = input("build.intoto.jsonl",
		envLine(t, linkStatement(t, "build", c.src, c.app), c.ci),
		envLine(t, statement(t, attest.PredicateSLSAProvenance, c.app, predicate), signer))
	return in
}

// TestSecurityCase17_BuilderIDsAreExact: allow-list entries are exact
// strings; one that looks like a regular expression is just that string.
func TestSecurityCase17_BuilderIDsAreExact(t *testing.T) {
	c := newChain(t)
	pattern := "https://github.com/acme/.+/release.yml@refs/tags/v.*"
	yaml := strings.Replace(c.policyYAML(""), "builder_ids: [https://consign.dev/builders/local/v1]", "builder_ids: ['"+pattern+"']", 1)
	for _, id := range []string{
		"https://evil.example/?u=https://github.com/acme/a/release.yml@refs/tags/v1",
		"https://github.com/acme/a/release.yml@refs/tags/v1",
	} {
		cfg := c.config(t, yaml)
		cfg.Attestations = c.buildWith(t, c.ci, slsaPredicate(id, "git+https://github.com/acme/app"))
		wantFail(t, mustVerify(t, cfg), "is not one the policy allows")
	}
	cfg := c.config(t, yaml)
	cfg.Attestations = c.buildWith(t, c.ci, slsaPredicate(pattern, "git+https://github.com/acme/app"))
	wantPass(t, mustVerify(t, cfg))
}

// TestSecurityCase18_SourceRepoIsExact: only the repository itself, with an
// @ref or #fragment, is accepted.
func TestSecurityCase18_SourceRepoIsExact(t *testing.T) {
	c := newChain(t)
	tests := []struct {
		src  string
		pass bool
	}{
		{"git+https://github.com/acme/app", true},
		{"git+https://github.com/acme/app@refs/tags/v1.2.3", true},
		{"git+https://github.com/acme/app#main", true},
		{"git+https://github.com/acme/app-evil", false},
		{"git+https://github.com/acme/app.evil.com/x", false},
		{"git+http://github.com/acme/app", false},
		{"git+https://github.com/ACME/app", false},
		{"git+https://github.com/acme/app/../evil", false},
		{"git+https://github.com/acme/app/", false},
		{"https://github.com/acme/app", false},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			cfg := c.config(t, c.policyYAML(""))
			cfg.Attestations = c.buildWith(t, c.ci, slsaPredicate("https://consign.dev/builders/local/v1", tt.src))
			res := mustVerify(t, cfg)
			if res.Passed != tt.pass {
				t.Errorf("source %q: passed = %v, want %v\n%v", tt.src, res.Passed, tt.pass, res.Failures)
			}
		})
	}
}

// TestSecurityCase19_BuilderIDNeedsAnAuthorisedSigner: a provenance naming
// the trusted builder, signed by a key that does not sign for the stage,
// does not count.
func TestSecurityCase19_BuilderIDNeedsAnAuthorisedSigner(t *testing.T) {
	c := newChain(t)
	for _, signer := range []*testKey{newKey(t, "mallory"), c.alice} {
		cfg := c.config(t, c.policyYAML(""))
		cfg.Attestations = c.buildWith(t, signer, slsaPredicate("https://consign.dev/builders/local/v1", "git+https://github.com/acme/app"))
		wantFail(t, mustVerify(t, cfg), "no slsa attestation signed by its functionaries (ci)")
	}
}

// TestSecurityCase20_MutableBuilderRefRejected: a builder pinned to a
// release tag is not matched by a branch, a shorter tag or a longer one.
func TestSecurityCase20_MutableBuilderRefRejected(t *testing.T) {
	c := newChain(t)
	pinned := "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v1.2.3"
	yaml := strings.Replace(c.policyYAML(""), "builder_ids: [https://consign.dev/builders/local/v1]", "builder_ids: ['"+pinned+"']", 1)
	base := strings.TrimSuffix(pinned, "@refs/tags/v1.2.3")
	for _, ref := range []string{"@refs/heads/main", "@refs/tags/v1", "@refs/tags/v1.2.3-evil"} {
		cfg := c.config(t, yaml)
		cfg.Attestations = c.buildWith(t, c.ci, slsaPredicate(base+ref, "git+https://github.com/acme/app"))
		wantFail(t, mustVerify(t, cfg), "is not one the policy allows")
	}
	findings := policy.Lint([]byte(strings.Replace(yaml, "@refs/tags/v1.2.3", "@refs/heads/main", 1)), policy.ParseOptions{}, testNow)
	found := false
	for _, f := range findings {
		found = found || strings.Contains(f.Message, "is a branch, which moves")
	}
	if !found {
		t.Errorf("Lint() = %v, want a warning about the branch ref", findings)
	}
}

// TestSecurityCase21_UnexpectedParametersRejected: an externalParameters
// key the policy does not list, or another buildType, fails.
func TestSecurityCase21_UnexpectedParametersRejected(t *testing.T) {
	c := newChain(t)
	extra := strings.Replace(slsaPredicate("https://consign.dev/builders/local/v1", "git+https://github.com/acme/app"), `"externalParameters":{`, `"externalParameters":{"inputs":{"cflags":"-DBACKDOOR"},`, 1)
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations = c.buildWith(t, c.ci, extra)
	wantFail(t, mustVerify(t, cfg), `externalParameters has "inputs", which the policy does not allow`)

	yaml := strings.Replace(c.policyYAML(""), "          external_parameters:", "          build_types: [https://consign.dev/buildtypes/run/v1]\n          external_parameters:", 1)
	other := strings.Replace(slsaPredicate("https://consign.dev/builders/local/v1", "git+https://github.com/acme/app"), "https://consign.dev/buildtypes/run/v1", "https://example.com/other-platform/v1", 1)
	cfg = c.config(t, yaml)
	cfg.Attestations = c.buildWith(t, c.ci, other)
	wantFail(t, mustVerify(t, cfg), `build type "https://example.com/other-platform/v1" is not one the policy allows`)

	wrongValue := strings.Replace(c.policyYAML(""), "step: build,", "step: package,", 1)
	wantFail(t, mustVerify(t, c.config(t, wrongValue)), `externalParameters "step" is "build", the policy expects "package"`)
}

// TestSecurityCase22_LinkNameMustBeExact: a link named "build-evil" does
// not count for stage "build", whoever signed it.
func TestSecurityCase22_LinkNameMustBeExact(t *testing.T) {
	c := newChain(t)
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations[1] = input("build", envLine(t, linkStatement(t, "build-evil", c.src, c.app), c.ci),
		envLine(t, statement(t, attest.PredicateSLSAProvenance, c.app, slsaPredicate("https://consign.dev/builders/local/v1", "git+https://github.com/acme/app")), c.ci))
	wantFail(t, mustVerify(t, cfg), "stage build: no link attestation")
}

// TestSecurityCase22_EveryAttestationIsChecked: with two test results, the
// first failing, the check fails; a Rego module sees every statement.
func TestSecurityCase22_EveryAttestationIsChecked(t *testing.T) {
	c := newChain(t)
	qa := newKey(t, "qa")
	yaml := strings.Replace(c.policyYAML(`  - name: test
    by: [qa]
    require: [test]
    checks: [{tests: all_passed}]
`), "functionaries:", "functionaries:\n  qa:\n    keys:\n      - "+indentPEM(qa.PEM, 8), 1)
	failed := statement(t, attest.PredicateTestResult, c.app, `{"result":"FAILED","configuration":[],"failedTests":["t1"]}`)
	passed := statement(t, attest.PredicateTestResult, c.app, `{"result":"PASSED","configuration":[],"passedTests":["t1"]}`)
	cfg := c.config(t, yaml)
	cfg.Artifacts = nil
	cfg.Artifacts = []Artifact{{Name: "dist/app", Digest: c.app["dist/app"]}}
	cfg.Attestations = append(cfg.Attestations, input("test.jsonl", envLine(t, failed, qa), envLine(t, passed, qa)))
	wantFail(t, mustVerify(t, cfg), `test.jsonl:1: the test result is "FAILED"`)

	mod := `package consign.t
import rego.v1
deny contains msg if {
	some s in input.statements
	s.predicate.result != "PASSED"
	msg := sprintf("%s is %s", [s.source, s.predicate.result])
}
`
	yaml = strings.Replace(yaml, "    checks: [{tests: all_passed}]\n", "    checks:\n      - rego:\n          module: |\n"+indentLines(mod, 12), 1)
	cfg2 := c.config(t, yaml)
	cfg2.Attestations = cfg.Attestations
	wantFail(t, mustVerify(t, cfg2), "test.jsonl:1 is FAILED")
}

// functionaryPolicy makes carol (the only release functionary besides
// alice) valid by the window given.
func (c *chain) windowPolicy(window string) string {
	return strings.Replace(c.policyYAML(""), "    revoked_at: 2026-10-01T00:00:00Z\n", window, 1)
}

// TestSecurityCase24_KeyValidityWithoutTimestamp: a key valid until June
// counts neither without a receipt (judged now, in November) nor with a
// receipt from September; a receipt from March makes it count.
func TestSecurityCase24_KeyValidityWithoutTimestamp(t *testing.T) {
	c := newChain(t)
	yaml := c.windowPolicy("    valid_until: 2026-06-01T00:00:00Z\n")
	in := c.withRelease(t, c.alice, c.carol)
	carolLine := []byte(strings.TrimSpace(string(in[3].Data)))
	for _, tt := range []struct {
		name    string
		logged  time.Time
		pass    bool
		receipt bool
	}{
		{"no receipt", time.Time{}, false, false},
		{"after validity", time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), false, true},
		{"within validity", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := c.config(t, yaml)
			cfg.Attestations = in
			r := &fakeReceipts{}
			if tt.receipt {
				r.log(carolLine, tt.logged)
			}
			cfg.Receipts = r
			if res := mustVerify(t, cfg); res.Passed != tt.pass {
				t.Errorf("passed = %v, want %v\n%s", res.Passed, tt.pass, res.Text())
			}
		})
	}
}

// TestSecurityCase25_TimeBoundaries: a log time in the future is refused;
// valid_until itself is inside the window, one second later is not.
func TestSecurityCase25_TimeBoundaries(t *testing.T) {
	c := newChain(t)
	until := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	yaml := c.windowPolicy("    valid_until: 2026-06-01T00:00:00Z\n")
	in := c.withRelease(t, c.alice, c.carol)
	carolLine := []byte(strings.TrimSpace(string(in[3].Data)))
	for _, tt := range []struct {
		name   string
		logged time.Time
		pass   bool
	}{
		{"log time in the future", testNow.Add(time.Hour), false},
		{"exactly valid_until", until, true},
		{"valid_until + 1s", until.Add(time.Second), false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := c.config(t, yaml)
			cfg.Attestations = in
			r := &fakeReceipts{}
			r.log(carolLine, tt.logged)
			cfg.Receipts = r
			if res := mustVerify(t, cfg); res.Passed != tt.pass {
				t.Errorf("passed = %v, want %v\n%s", res.Passed, tt.pass, res.Text())
			}
		})
	}
	// A receipt without a time is no receipt.
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations = in
	cfg.Receipts = zeroTime{}
	wantFail(t, mustVerify(t, cfg), "1 of 2 distinct signer(s)")
}

type zeroTime struct{}

func (zeroTime) Check(*attest.Envelope, []byte) (time.Time, error) { return time.Time{}, nil }

type memState struct {
	mu sync.Mutex
	m  map[string]State
}

func (s *memState) Load(p string) (State, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[p]
	return st, ok, nil
}

func (s *memState) Save(p string, st State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]State{}
	}
	s.m[p] = s.m[p].Merge(st)
	return nil
}

// TestSecurityCase27_RollbackRefused: after version 3 of a product's policy
// verified, version 2 (validly signed, unexpired) is refused; an expired
// policy fails by default.
func TestSecurityCase27_RollbackRefused(t *testing.T) {
	c := newChain(t)
	state := &memState{}
	cfg := c.config(t, c.policyYAML(""))
	cfg.State = state
	wantPass(t, mustVerify(t, cfg))
	if st, _, _ := state.Load("acme-app"); st.Version != 3 {
		t.Fatalf("state after verification = %+v, want version 3", st)
	}
	old := c.config(t, strings.Replace(c.policyYAML(""), "version: 3", "version: 2", 1))
	old.State = state
	res := mustVerify(t, old)
	wantFail(t, res, "policy version 2 is older than version 3")
	if !errors.Is(res.Err(), ErrRollback) {
		t.Errorf("Err() = %v, want ErrRollback", res.Err())
	}
	expired := c.config(t, c.policyYAML(""))
	expired.Now = func() time.Time { return time.Date(2027, 7, 1, 0, 0, 0, 0, time.UTC) }
	res = mustVerify(t, expired)
	if res.Passed || !errors.Is(res.Err(), policy.ErrExpired) {
		t.Errorf("an expired policy: passed %v, Err() = %v; want ErrExpired", res.Passed, res.Err())
	}
}

// brokenState is a StateStore whose state cannot be read.
type brokenState struct{}

var errBrokenState = errors.New("the state does not read")

func (brokenState) Load(string) (State, bool, error) { return State{}, false, errBrokenState }
func (brokenState) Save(string, State) error         { return errBrokenState }

// TestStateUnreadableIsAnError: a state that cannot be read stops
// verification with an error, never a verdict and never a verification
// that forgot it.
func TestStateUnreadableIsAnError(t *testing.T) {
	c := newChain(t)
	cfg := c.config(t, c.policyYAML(""))
	cfg.State = brokenState{}
	if res, err := Verify(context.Background(), cfg); !errors.Is(err, errBrokenState) || res != nil {
		t.Errorf("Verify with an unreadable state = %v, %v; want no result and its error", res, err)
	}
}

// TestSecurityCase28_ClockRollbackRefused: a clock set back before the last
// verification of the product is refused, so an expired policy cannot be
// revived by turning the clock back.
func TestSecurityCase28_ClockRollbackRefused(t *testing.T) {
	c := newChain(t)
	state := &memState{}
	cfg := c.config(t, c.policyYAML(""))
	cfg.State = state
	wantPass(t, mustVerify(t, cfg))
	cfg.Now = func() time.Time { return testNow.Add(-400 * 24 * time.Hour) }
	wantFail(t, mustVerify(t, cfg), "is earlier than the last verification")
	// A clock stepped back by less than ClockSkew (a time server's
	// correction) is not an attack.
	cfg.Now = func() time.Time { return testNow.Add(-ClockSkew + time.Second) }
	wantPass(t, mustVerify(t, cfg))
}

// TestSecurityCase64_ExpiredRotatedRevokedKeys: a key past its validity, a
// key not yet valid, and a key revoked before its signature was logged
// count for nothing; a signature logged before the revocation counts.
func TestSecurityCase64_ExpiredRotatedRevokedKeys(t *testing.T) {
	c := newChain(t)
	in := c.withRelease(t, c.alice, c.carol)
	carolLine := []byte(strings.TrimSpace(string(in[3].Data)))
	for _, tt := range []struct {
		name, window string
		logged       time.Time
		pass         bool
	}{
		{"expired", "    valid_until: 2026-01-01T00:00:00Z\n", time.Time{}, false},
		{"not yet valid", "    valid_from: 2027-01-01T00:00:00Z\n", time.Time{}, false},
		{"revoked, logged after", "    revoked_at: 2026-10-01T00:00:00Z\n", time.Date(2026, 10, 2, 0, 0, 0, 0, time.UTC), false},
		{"revoked, logged before", "    revoked_at: 2026-10-01T00:00:00Z\n", time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC), true},
		{"revoked, no receipt", "    revoked_at: 2026-10-01T00:00:00Z\n", time.Time{}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := c.config(t, c.windowPolicy(tt.window))
			cfg.Attestations = in
			r := &fakeReceipts{}
			if !tt.logged.IsZero() {
				r.log(carolLine, tt.logged)
			}
			cfg.Receipts = r
			if res := mustVerify(t, cfg); res.Passed != tt.pass {
				t.Errorf("passed = %v, want %v\n%s", res.Passed, tt.pass, res.Text())
			}
		})
	}
}

// rawStatementLine signs a statement JSON as given (no validation).
func rawStatementLine(t testing.TB, stmt string, k *testKey) string {
	t.Helper()
	env, err := attest.SignPayload(attest.PayloadType, []byte(stmt), k.Signer)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(env)
	return string(b)
}

// TestSecurityCase29_EmptyDigestRejected: a subject with an empty digest set
// or an empty sha256 makes the attestation invalid, and verification fail.
func TestSecurityCase29_EmptyDigestRejected(t *testing.T) {
	c := newChain(t)
	for _, d := range []string{`{}`, `{"sha256":""}`} {
		stmt := `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"dist/app","digest":` + d + `}],"predicateType":"https://in-toto.io/attestation/link/v0.3","predicate":{"name":"release"}}`
		cfg := c.config(t, c.policyYAML(""))
		cfg.Attestations = append(cfg.Attestations, input("empty", rawStatementLine(t, stmt, c.bob)))
		wantFail(t, mustVerify(t, cfg), "is invalid")
	}
}

// TestSecurityCase30_WeakDigestNeverMatches: a sha1-only subject does not
// vouch for an artifact, and sha1-only artifacts do not MATCH.
func TestSecurityCase30_WeakDigestNeverMatches(t *testing.T) {
	c := newChain(t)
	sha1 := digest.Set{"sha1": strings.Repeat("ab", 20)}
	weak := map[string]digest.Set{"dist/app": sha1}
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations = []Input{c.inputs[0],
		input("build", envLine(t, linkStatement(t, "build", c.src, weak), c.ci), envLine(t, statement(t, attest.PredicateSLSAProvenance, weak, slsaPredicate("https://consign.dev/builders/local/v1", "git+https://github.com/acme/app")), c.ci)),
		input("a", envLine(t, linkStatement(t, "release", weak, weak), c.alice)),
		input("b", envLine(t, linkStatement(t, "release", weak, weak), c.bob))}
	res := mustVerify(t, cfg)
	wantFail(t, res, "no subject of stage release matches the artifact's digest")
	wantFail(t, res, "stage release: materials rule DISALLOW")
}

// TestSecurityCase65_OldAttestationForNewArtifact: a valid attestation of
// an earlier build does not vouch for a new artifact, nor for the same one
// with a byte appended.
func TestSecurityCase65_OldAttestationForNewArtifact(t *testing.T) {
	c := newChain(t)
	for _, content := range []string{"the app v1.3.0", "the app\n"} {
		cfg := c.config(t, c.policyYAML(""))
		cfg.Artifacts = []Artifact{{Name: "dist/app", Digest: sha(content)}}
		wantFail(t, mustVerify(t, cfg), "no subject of stage release matches the artifact's digest")
	}
}

// TestSecurityCase66_NamesAreNotCompared: subjects match by digest only: an
// artifact called app-linux-amd64 with the digest of the subject called
// app-darwin is that subject; a subject named ../../etc/passwd is a name.
func TestSecurityCase66_NamesAreNotCompared(t *testing.T) {
	c := newChain(t)
	d1, d2 := sha("linux build"), sha("darwin build")
	prods := map[string]digest.Set{"app-linux-amd64": d1, "app-darwin": d2, "../../etc/passwd": sha("x")}
	yaml := strings.NewReplacer(`CREATE "dist/*", DISALLOW "*"`, `ALLOW "*"`, `MATCH "dist/*" WITH PRODUCTS FROM build, DISALLOW "*"`, `MATCH "*" WITH PRODUCTS FROM build, DISALLOW "*"`).Replace(c.policyYAML(""))
	cfg := c.config(t, yaml)
	cfg.Attestations = []Input{c.inputs[0],
		input("build", envLine(t, linkStatement(t, "build", c.src, prods), c.ci), envLine(t, statement(t, attest.PredicateSLSAProvenance, prods, slsaPredicate("https://consign.dev/builders/local/v1", "git+https://github.com/acme/app")), c.ci)),
		input("a", envLine(t, linkStatement(t, "release", prods, prods), c.alice)),
		input("b", envLine(t, linkStatement(t, "release", prods, prods), c.bob))}
	cfg.Artifacts = []Artifact{{Name: "app-linux-amd64", Digest: d2}}
	wantPass(t, mustVerify(t, cfg))
}

// TestSecurityCase67_EveryArtifactMustBeCovered: three artifacts, two of
// them subjects: the third fails verification.
func TestSecurityCase67_EveryArtifactMustBeCovered(t *testing.T) {
	c := newChain(t)
	cfg := c.config(t, c.policyYAML(""))
	cfg.Artifacts = []Artifact{{Name: "dist/app", Digest: c.app["dist/app"]}, {Name: "dist/app-copy", Digest: c.app["dist/app"]}, {Name: "dist/extra", Digest: sha("extra")}}
	res := mustVerify(t, cfg)
	wantFail(t, res, "artifact dist/extra: no subject of stage release")
	if len(res.Failures) != 1 {
		t.Errorf("failures = %q, want only dist/extra", res.Failures)
	}
}

// TestSecurityCase32_DisallowCatchesDotDotAndNesting: products named
// src/../evil.sh, ./evil.sh and sub/dir/evil.sh under ALLOW src/*,
// DISALLOW * fail: names are cleaned and * crosses /.
func TestSecurityCase32_DisallowCatchesDotDotAndNesting(t *testing.T) {
	c := newChain(t)
	for _, name := range []string{"src/../evil.sh", "./evil.sh", "sub/dir/evil.sh"} {
		prods := map[string]digest.Set{"src/main.c": c.src["src/main.c"], name: sha("evil")}
		yaml := strings.Replace(c.policyYAML(""), `products: [CREATE "src/*", DISALLOW "*"]`, `products: [ALLOW "src/*", DISALLOW "*"]`, 1)
		cfg := c.config(t, yaml)
		cfg.Attestations[0] = input("source", rawLinkLine(t, "source", nil, prods, c.ci))
		wantFail(t, mustVerify(t, cfg), "stage source: products rule DISALLOW \"*\" failed: disallowed: ")
	}
}

// rawLinkLine signs a link v0.3 statement whose subject names are written
// as given (NewStatement would not change them either, but this makes the
// test independent of it).
func rawLinkLine(t testing.TB, name string, materials, products map[string]digest.Set, k *testKey) string {
	t.Helper()
	var subs, mats []string
	for n, d := range products {
		subs = append(subs, fmt.Sprintf(`{"name":%q,"digest":{"sha256":%q}}`, n, d["sha256"]))
	}
	for n, d := range materials {
		mats = append(mats, fmt.Sprintf(`{"name":%q,"digest":{"sha256":%q}}`, n, d["sha256"]))
	}
	stmt := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[%s],"predicateType":"https://in-toto.io/attestation/link/v0.3","predicate":{"name":%q,"materials":[%s]}}`, strings.Join(subs, ","), name, strings.Join(mats, ","))
	return rawStatementLine(t, stmt, k)
}

// TestSecurityCase34_BackslashNameRejected: a link listing dist\app.exe
// next to dist/app.exe is invalid, not matched differently than written.
func TestSecurityCase34_BackslashNameRejected(t *testing.T) {
	c := newChain(t)
	prods := map[string]digest.Set{`dist\app.exe`: sha("a"), "dist/app.exe": sha("b")}
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations[0] = input("source", rawLinkLine(t, "source", nil, prods, c.ci))
	wantFail(t, mustVerify(t, cfg), "hold no backslash")
}

// TestSecurityCase68_ByteExactRules: DISALLOW evil.sh does not catch
// EVIL.sh (documented: names compare byte for byte); a policy that wants
// both must name both.
func TestSecurityCase68_ByteExactRules(t *testing.T) {
	c := newChain(t)
	prods := map[string]digest.Set{"src/main.c": c.src["src/main.c"], "EVIL.sh": sha("evil")}
	base := strings.Replace(c.policyYAML(""), `products: [CREATE "src/*", DISALLOW "*"]`, `products: [DISALLOW evil.sh, ALLOW "*"]`, 1)
	base = strings.Replace(base, `materials: [MATCH "src/*" WITH PRODUCTS FROM source, DISALLOW "*"]`, `materials: [MATCH "src/*" WITH PRODUCTS FROM source, ALLOW "*"]`, 1)
	cfg := c.config(t, base)
	cfg.Attestations[0] = input("source", rawLinkLine(t, "source", nil, prods, c.ci))
	wantPass(t, mustVerify(t, cfg))
	strict := strings.Replace(base, `[DISALLOW evil.sh, ALLOW "*"]`, `[DISALLOW evil.sh, DISALLOW EVIL.sh, ALLOW "*"]`, 1)
	cfg = c.config(t, strict)
	cfg.Attestations[0] = input("source", rawLinkLine(t, "source", nil, prods, c.ci))
	wantFail(t, mustVerify(t, cfg), "disallowed: EVIL.sh")
}

// TestEmptyAttestationsFail: no attestation at all is a failure.
func TestEmptyAttestationsFail(t *testing.T) {
	c := newChain(t)
	cfg := c.config(t, c.policyYAML(""))
	cfg.Attestations = nil
	res := mustVerify(t, cfg)
	wantFail(t, res, "no attestations were given")
	cfg.Attestations = []Input{{Name: "empty.jsonl", Data: []byte("\n")}}
	wantFail(t, mustVerify(t, cfg), "is invalid")
}

// TestSecurityCase67_OneSubjectOfMany: the final stage's one link has many
// products; an artifact passes only by a subject that matches it by the rule
// of digest.Matches, wherever that subject is among the link's products: a
// subject agreeing on sha256 but not on sha512 does not cover the artifact.
func TestSecurityCase67_OneSubjectOfMany(t *testing.T) {
	c := newChain(t)
	hex := func(s string, alg string) string {
		if alg == digest.SHA512 {
			sum := sha512.Sum512([]byte(s))
			return fmt.Sprintf("%x", sum)
		}
		return sha(s)[alg]
	}
	prods := map[string]digest.Set{}
	for i := range 300 {
		prods[fmt.Sprintf("dist/f%03d", i)] = digest.Set{digest.SHA256: hex(fmt.Sprint(i), digest.SHA256)}
	}
	both := digest.Set{digest.SHA256: hex("both", digest.SHA256), digest.SHA512: hex("both", digest.SHA512)}
	prods["dist/both"] = both
	yaml := strings.NewReplacer(`CREATE "dist/*", DISALLOW "*"`, `ALLOW "*"`, `MATCH "dist/*" WITH PRODUCTS FROM build, DISALLOW "*"`, `MATCH "*" WITH PRODUCTS FROM build, DISALLOW "*"`).Replace(c.policyYAML(""))
	for _, tc := range []struct {
		name string
		art  digest.Set
		want string // "" for a pass
	}{
		{"the last of many", prods["dist/f299"], ""},
		{"sha512 alone", digest.Set{digest.SHA512: both[digest.SHA512]}, ""},
		{"sha256 agrees, sha512 differs", digest.Set{digest.SHA256: both[digest.SHA256], digest.SHA512: hex("other", digest.SHA512)}, "no subject of stage release"},
		{"none", digest.Set{digest.SHA256: hex("none", digest.SHA256)}, "no subject of stage release"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := c.config(t, yaml)
			cfg.Attestations = []Input{c.inputs[0],
				input("build", envLine(t, linkStatement(t, "build", c.src, prods), c.ci), envLine(t, statement(t, attest.PredicateSLSAProvenance, prods, slsaPredicate("https://consign.dev/builders/local/v1", "git+https://github.com/acme/app")), c.ci)),
				input("a", envLine(t, linkStatement(t, "release", prods, prods), c.alice)),
				input("b", envLine(t, linkStatement(t, "release", prods, prods), c.bob))}
			cfg.Artifacts = []Artifact{{Name: "x", Digest: tc.art}}
			res := mustVerify(t, cfg)
			if tc.want == "" {
				wantPass(t, res)
			} else {
				wantFail(t, res, tc.want)
			}
		})
	}
}
