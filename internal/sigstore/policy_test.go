package sigstore

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/testutil/testkey"
	"github.com/consign-dev/consign/internal/verify"
)

// The keyless fixtures: the suite's DSSE bundles made under its custom
// trust root (a SLSA provenance about d.txt, signed by the conformance
// beacon workflow), the good one and those that must fail.
const (
	customCase = "intoto-with-custom-trust-root"
	dTxtSHA256 = "330a043220fa13e01d68a7db39c89e12b0c4c3b6a0346fe624b0903f1303b5b2"
	aTxtSHA256 = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
)

var policyNow = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// keylessPolicy is a release policy whose one stage is the intake of a
// third party's keyless SLSA provenance; identity is the functionary's
// identity (YAML flow mapping fields), root the trusted root's fields.
func keylessPolicy(owner *testkey.Key, root, identity, stage string) string {
	if stage == "" {
		stage = "by: [upstream]"
	}
	mirror := ""
	if strings.Contains(stage, "mirror") {
		// A second functionary whose identity is a regular expression
		// that the beacon's subject matches too.
		mirror = "  mirror:\n    identities:\n      - {issuer: https://token.actions.githubusercontent.com, subject_regexp: \"https://github\\\\.com/sigstore-conformance/.*\"}\n"
	}
	return fmt.Sprintf(`product: acme
expires: 2030-01-01T00:00:00Z
owner: {key: %s}
trusted_roots:
  custom: {%s}
functionaries:
  upstream:
    role: third-party release workflow
    identities:
      - {%s}
%sstages:
  - name: intake
    %s
    require: [slsa]
`, strconv.Quote(owner.PEM), root, identity, mirror, stage)
}

const beaconID = `issuer: https://token.actions.githubusercontent.com, subject: "` + beacon + `"`

func inlineRoot(t *testing.T) string {
	return "root: " + strconv.Quote(string(loadCase(t, customCase).root))
}

func rootDigest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// verifyKeyless signs the policy and verifies the artifact of digest
// sha256 with the bundles of the named suite cases (one input each).
func verifyKeyless(t *testing.T, pol, artifact string, roots [][]byte, cases ...string) *verify.Result {
	t.Helper()
	owner := testkey.New(t, "owner")
	env, _, err := policy.Sign([]byte(pol), policy.ParseOptions{}, owner.Signer)
	if err != nil {
		t.Fatalf("policy.Sign: %v\n%s", err, pol)
	}
	signed, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	cfg := verify.Config{Policy: signed, PolicyName: "policy", TrustRoots: []crypto.PublicKey{owner.Public()},
		Artifacts: []verify.Artifact{{Name: "d.txt", Digest: digest.Set{digest.SHA256: artifact}}},
		Now:       func() time.Time { return policyNow }, Bundles: PolicyVerifier{}, TrustedRoots: roots}
	for _, c := range cases {
		cfg.Attestations = append(cfg.Attestations, verify.Input{Name: c, Data: loadCase(t, c).bundle})
	}
	res, err := verify.Verify(context.Background(), cfg)
	if err != nil {
		t.Fatalf("verify.Verify: %v", err)
	}
	return res
}

func failures(res *verify.Result) string {
	var b strings.Builder
	for _, f := range res.Failures {
		b.WriteString(f + "\n")
	}
	for _, a := range res.Attestations {
		fmt.Fprintf(&b, "%s: %s: %s\n", a.Source, a.Status, a.Reason)
	}
	return b.String()
}

// TestPolicyKeylessFunctionary: a keyless bundle counts for the stage of
// the functionary whose identity its certificate matches, its signer is the
// certificate's identity, judged at the bundle's verified time.
func TestPolicyKeylessFunctionary(t *testing.T) {
	owner := testkey.New(t, "owner")
	res := verifyKeyless(t, keylessPolicy(owner, inlineRoot(t), beaconID, "by: [upstream, mirror]"), dTxtSHA256, nil, customCase)
	if !res.Passed {
		t.Fatalf("Verify() failed:\n%s", failures(res))
	}
	st := res.Stages[0]
	if len(st.Signers) != 1 || st.Signers[0].Identity == nil || st.Signers[0].Identity.Subject != beacon || st.Signers[0].KeyID != "" {
		t.Fatalf("stage signers = %+v, want the beacon identity", st.Signers)
	}
	if got := st.Signers[0].Functionary; got != "upstream, mirror" {
		t.Errorf("signer's functionaries = %q, want %q", got, "upstream, mirror")
	}
	s := st.Attestations[0].Signers[0]
	if s.LoggedAt == nil || !s.LoggedAt.Equal(time.Date(2023, 2, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("signer time = %v, want the bundle's verified time 2023-02-01", s.LoggedAt)
	}
}

// TestPolicyKeylessFailClosed: every way a keyless bundle must not count
// for a stage (security cases 2, 3, 13, 17, 23, 25, 65 in docs/security.md).
func TestPolicyKeylessFailClosed(t *testing.T) {
	owner := testkey.New(t, "owner")
	custom := loadCase(t, customCase).root
	publicGoodRoot := readFile(t, publicGood)
	byDigest := "sha256: " + rootDigest(custom)
	tests := []struct {
		name, root, identity, stage, artifact string
		roots                                 [][]byte
		cases                                 []string
		want                                  string
	}{
		{name: "wrong issuer", identity: `issuer: https://accounts.google.com, subject: "` + beacon + `"`, want: "certificate identity does not match"},
		{name: "issuer regexp unanchored", identity: `issuer_regexp: "token\\.actions", subject: "` + beacon + `"`, want: "certificate identity does not match"},
		{name: "subject regexp unanchored", identity: `issuer: https://token.actions.githubusercontent.com, subject_regexp: "sigstore-conformance"`, want: "certificate identity does not match"},
		{name: "another workflow", identity: `issuer: https://token.actions.githubusercontent.com, subject: "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/other.yml@refs/heads/main"`, want: "certificate identity does not match"},
		{name: "another workflow repository", identity: beaconID + ", github_workflow_repository: acme/app", want: "certificate identity does not match"},
		{name: "another workflow ref", identity: beaconID + ", github_workflow_ref: refs/tags/v1.0.0", want: "certificate identity does not match"},
		{name: "bundle for another artifact", identity: beaconID, artifact: aTxtSHA256, want: "no subject of stage intake matches the artifact's digest"},
		{name: "root named by digest not given", root: byDigest, identity: beaconID, want: "trusted root custom (sha256:7d76b75f0a69) was not given"},
		{name: "root given does not match the digest", root: byDigest, identity: beaconID, roots: [][]byte{publicGoodRoot}, want: "was not given"},
		{name: "another instance's root", root: "root: " + strconv.Quote(string(publicGoodRoot)), identity: beaconID, want: "trusted root custom"},
		{name: "SET outside certificate validity", identity: beaconID, cases: []string{"intoto-set-outside-signing-cert-validity_fail"}, want: "integrated time outside certificate validity"},
		{name: "TSA time outside certificate validity", identity: beaconID, cases: []string{"intoto-tsa-timestamp-outside-cert-validity_fail"}, want: "not verified"},
		{name: "expired certificate", identity: beaconID, cases: []string{"intoto-expired-certificate_fail"}, want: "not verified"},
		{name: "log entry for another envelope", identity: beaconID, cases: []string{"intoto-log-entry-mismatch_fail"}, want: "invalid sigstore bundle"},
		{name: "one identity twice counts once", identity: beaconID, stage: "by: [upstream, mirror]\n    threshold: 2", cases: []string{customCase, customCase}, want: "1 of 2 distinct signer(s) signed"},
		{name: "functionary expired at the signing time", identity: beaconID, stage: "by: [upstream]", want: "", cases: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root, artifact, cases := tt.root, tt.artifact, tt.cases
			if root == "" {
				root = inlineRoot(t)
			}
			if artifact == "" {
				artifact = dTxtSHA256
			}
			if cases == nil {
				cases = []string{customCase}
			}
			pol := keylessPolicy(owner, root, tt.identity, tt.stage)
			if tt.want == "" {
				pol = strings.Replace(pol, "    role: third-party release workflow\n", "    role: third-party release workflow\n    valid_from: 2024-01-01T00:00:00Z\n", 1)
				tt.want = "upstream is valid only from 2024-01-01T00:00:00Z"
			}
			res := verifyKeyless(t, pol, artifact, tt.roots, cases...)
			if res.Passed {
				t.Fatalf("Verify() passed, want a failure containing %q", tt.want)
			}
			if got := failures(res) + stageReasons(res); !strings.Contains(got, tt.want) {
				t.Errorf("Verify() failures:\n%s\nwant one containing %q", got, tt.want)
			}
		})
	}
}

func stageReasons(res *verify.Result) string {
	var b strings.Builder
	for _, st := range res.Stages {
		for _, a := range st.Attestations {
			for _, s := range a.Signers {
				fmt.Fprintf(&b, "%s: %s %s\n", a.Source, s.Status, s.Reason)
			}
		}
	}
	return b.String()
}

// TestPolicyKeylessRootByDigest: a trusted root the policy names by
// digest counts when the file given has that digest.
func TestPolicyKeylessRootByDigest(t *testing.T) {
	owner := testkey.New(t, "owner")
	custom := loadCase(t, customCase).root
	pol := keylessPolicy(owner, "sha256: "+rootDigest(custom), beaconID, "")
	res := verifyKeyless(t, pol, dTxtSHA256, [][]byte{readFile(t, publicGood), custom}, customCase)
	if !res.Passed {
		t.Fatalf("Verify() failed:\n%s", failures(res))
	}
}

// TestPolicyKeylessJSONLines: a JSON Lines file of bundles, as GitHub's
// attestation API gives them: each line is verified on its own; the good
// one counts, the other is listed with why it did not.
func TestPolicyKeylessJSONLines(t *testing.T) {
	owner := testkey.New(t, "owner")
	good := compact(t, loadCase(t, customCase).bundle)
	bad := compact(t, loadCase(t, "intoto-expired-certificate_fail").bundle)
	pol := keylessPolicy(owner, inlineRoot(t), beaconID, "")
	signed := signedPolicy(t, owner, pol)
	cfg := verify.Config{Policy: signed, PolicyName: "policy", TrustRoots: []crypto.PublicKey{owner.Public()},
		Artifacts:    []verify.Artifact{{Name: "d.txt", Digest: digest.Set{digest.SHA256: dTxtSHA256}}},
		Attestations: []verify.Input{{Name: "d.intoto.jsonl", Data: []byte(string(bad) + "\n" + string(good) + "\n")}},
		Now:          func() time.Time { return policyNow }, Bundles: PolicyVerifier{}}
	res, err := verify.Verify(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Passed {
		t.Fatalf("Verify() failed:\n%s", failures(res))
	}
	if a := res.Attestations[0]; a.Status != verify.StatusUnused || !strings.Contains(a.Reason, "no functionary's identity accepts") {
		t.Errorf("line 1 = %s: %s, want unused with the reason", a.Status, a.Reason)
	}
	if a := res.Attestations[1]; a.Status != verify.StatusCounted {
		t.Errorf("line 2 = %s: %s, want counted", a.Status, a.Reason)
	}
	// Without a bundle verifier, nothing keyless counts.
	cfg.Bundles = nil
	if res, err := verify.Verify(context.Background(), cfg); err != nil || res.Passed {
		t.Errorf("Verify(no bundle verifier) = %v, %v; want a failure", res.Passed, err)
	}
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func signedPolicy(t *testing.T, owner *testkey.Key, pol string) []byte {
	t.Helper()
	env, _, err := policy.Sign([]byte(pol), policy.ParseOptions{}, owner.Signer)
	if err != nil {
		t.Fatalf("policy.Sign: %v", err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPackKeyless: a pack of a release whose intake is keyless carries the
// bundle and the trusted root the policy names by digest, and verifies
// offline with the owner's key alone; without the root it is not packed,
// and a pack whose root was swapped for another instance's fails.
func TestPackKeyless(t *testing.T) {
	owner := testkey.New(t, "owner")
	custom := loadCase(t, customCase).root
	signed := signedPolicy(t, owner, keylessPolicy(owner, "sha256: "+rootDigest(custom), beaconID, ""))
	cfg := pack.BuildConfig{Policy: signed, PolicyName: "policy.signed.json", TrustRoots: []crypto.PublicKey{owner.Public()},
		Attestations: []verify.Input{{Name: "d.sigstore.json", Data: loadCase(t, customCase).bundle}},
		Artifacts:    []verify.Artifact{{Name: "d.txt", Digest: digest.Set{digest.SHA256: dTxtSHA256}}},
		Now:          func() time.Time { return policyNow }, Bundles: PolicyVerifier{}}
	if _, err := pack.Build(context.Background(), cfg); !errors.Is(err, pack.ErrNotPassed) {
		t.Fatalf("Build(no trusted root) = %v, want ErrNotPassed", err)
	}
	cfg.TrustedRoots = [][]byte{readFile(t, publicGood), custom}
	plan, err := pack.Build(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Build() = %v", err)
	}
	var roots []string
	for _, f := range plan.Files {
		if f.Role == pack.RoleTrustedRoot {
			roots = append(roots, f.Path)
		}
	}
	if !slices.Equal(roots, []string{"sigstore/custom.trusted_root.json"}) {
		t.Fatalf("packed trusted roots = %v, want only the one the policy names", roots)
	}
	write := func(files []pack.Content) *pack.Pack {
		var buf bytes.Buffer
		if err := pack.Write(&buf, plan.Manifest, files, pack.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		p, err := pack.Read(context.Background(), &buf, pack.Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	vc := pack.VerifyConfig{TrustRoots: []crypto.PublicKey{owner.Public()}, Now: func() time.Time { return policyNow }, Bundles: PolicyVerifier{}}
	res, err := pack.Verify(context.Background(), write(plan.Files), vc)
	if err != nil || !res.Passed {
		t.Fatalf("pack.Verify() = %+v, %v; want passed", res, err)
	}
	swapped := slices.Clone(plan.Files)
	for i, f := range swapped {
		if f.Role == pack.RoleTrustedRoot {
			swapped[i].Data, swapped[i].SHA256, swapped[i].Size = readFile(t, publicGood), "", 0
		}
	}
	res, err = pack.Verify(context.Background(), write(swapped), vc)
	if err != nil || res.Passed {
		t.Fatalf("pack.Verify(another root) = %v, %v; want a failure", res.Passed, err)
	}
	if got := failures(res.Verification); !strings.Contains(got, "trusted root custom (sha256:7d76b75f0a69) was not given") {
		t.Errorf("pack.Verify(another root) failures:\n%s\nwant the policy's root missing", got)
	}
}

// beaconExtensions are the Fulcio extensions of the certificate of the
// suite's happy-path-intoto-in-dsse-v3 bundle (GitHub Actions, public good
// instance): every one consign lets a policy require.
var beaconExtensions = map[string]string{
	"github_workflow_trigger":                 "workflow_dispatch",
	"github_workflow_sha":                     "82a3bfe6dd50fe9c71d6315eae66da15307856cf",
	"github_workflow_name":                    "Extremely dangerous OIDC beacon",
	"github_workflow_repository":              "sigstore-conformance/extremely-dangerous-public-oidc-beacon",
	"github_workflow_ref":                     "refs/heads/main",
	"build_signer_uri":                        beacon,
	"build_signer_digest":                     "82a3bfe6dd50fe9c71d6315eae66da15307856cf",
	"runner_environment":                      "github-hosted",
	"source_repository_uri":                   "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon",
	"source_repository_digest":                "82a3bfe6dd50fe9c71d6315eae66da15307856cf",
	"source_repository_ref":                   "refs/heads/main",
	"source_repository_identifier":            "632596897",
	"source_repository_owner_uri":             "https://github.com/sigstore-conformance",
	"source_repository_owner_identifier":      "131804563",
	"build_config_uri":                        beacon,
	"build_config_digest":                     "82a3bfe6dd50fe9c71d6315eae66da15307856cf",
	"build_trigger":                           "workflow_dispatch",
	"run_invocation_uri":                      "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/actions/runs/12359147651/attempts/1",
	"source_repository_visibility_at_signing": "public",
}

// TestPolicyKeylessExtensions: a policy identity may require every Fulcio
// extension by its policy name; the real certificate's values all count,
// and one value changed in any of them makes the bundle count for nothing.
func TestPolicyKeylessExtensions(t *testing.T) {
	const dsseV3 = "happy-path-intoto-in-dsse-v3"
	owner := testkey.New(t, "owner")
	root := "root: " + strconv.Quote(string(readFile(t, publicGood)))
	if len(beaconExtensions) != len(policy.CertificateExtensions) {
		t.Fatalf("the test knows %d extensions, policy.CertificateExtensions %d", len(beaconExtensions), len(policy.CertificateExtensions))
	}
	identity := func(change string) string {
		var b strings.Builder
		b.WriteString(beaconID)
		for _, e := range policy.CertificateExtensions {
			v := beaconExtensions[e.Name]
			if e.Name == change {
				v += "x"
			}
			fmt.Fprintf(&b, ", %s: %s", e.Name, strconv.Quote(v))
		}
		return b.String()
	}
	res := verifyKeyless(t, keylessPolicy(owner, root, identity(""), ""), aTxtSHA256, nil, dsseV3)
	if !res.Passed {
		t.Fatalf("Verify() with every extension failed:\n%s", failures(res))
	}
	for _, e := range policy.CertificateExtensions {
		t.Run(e.Name, func(t *testing.T) {
			res := verifyKeyless(t, keylessPolicy(owner, root, identity(e.Name), ""), aTxtSHA256, nil, dsseV3)
			if res.Passed {
				t.Fatalf("Verify() passed with %s changed", e.Name)
			}
			if got := failures(res); !strings.Contains(got, "certificate identity does not match") {
				t.Errorf("Verify() failures:\n%s\nwant the identity refused", got)
			}
		})
	}
}

// TestExtensionFields: every extension a policy names reaches its own
// field of sigstore-go's certificate.Extensions, and every field but the
// issuer (which an identity gives apart) is reachable, so a field added to
// sigstore-go shows up here.
func TestExtensionFields(t *testing.T) {
	var ext certificate.Extensions
	for _, e := range policy.CertificateExtensions {
		f := extensionFields[e.Name]
		if f == nil {
			t.Fatalf("policy extension %s has no certificate field", e.Name)
		}
		if *f(&ext) != "" {
			t.Fatalf("policy extension %s shares its field with another", e.Name)
		}
		*f(&ext) = e.OID
	}
	if len(extensionFields) != len(policy.CertificateExtensions) {
		t.Errorf("extensionFields has %d names, policy.CertificateExtensions %d", len(extensionFields), len(policy.CertificateExtensions))
	}
	v := reflect.ValueOf(ext)
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if name != "Issuer" && v.Field(i).String() == "" {
			t.Errorf("certificate.Extensions.%s cannot be required by a policy", name)
		}
	}
}

// TestIdentityExtensionsRefused: an extension consign does not know, or an
// empty one, is a configuration error, never a constraint that matches all.
func TestIdentityExtensionsRefused(t *testing.T) {
	for _, tt := range []struct {
		ext  map[string]string
		want string
	}{
		{map[string]string{"source_repo_uri": "x"}, `"source_repo_uri" is not a Fulcio certificate extension`},
		{map[string]string{"runner_environment": ""}, "runner_environment is empty"},
	} {
		id := Identity{Subject: beacon, Issuer: actions, Extensions: tt.ext}
		err := id.Validate()
		if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Validate(%v) = %v, want an ErrConfig containing %q", tt.ext, err, tt.want)
		}
	}
	id := Identity{Subject: beacon, Issuer: actions, WorkflowRef: "refs/heads/main", Extensions: map[string]string{"github_workflow_ref": "refs/heads/dev"}}
	if err := id.Validate(); !errors.Is(err, ErrConfig) {
		t.Errorf("Validate() of two values for one extension = %v, want an ErrConfig", err)
	}
}
