package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keylessPolicy has a keyless functionary whose trusted root is a file;
// %s is added to the identity.
const keylessPolicy = `product: acme
expires: 2027-06-30T00:00:00Z
owner: {key: keys/owner.pub}
trusted_roots:
  public-good: {root: trusted_root.json}
functionaries:
  ci: {keys: [keys/ci.pub]}
  upstream:
    role: third-party release workflow
    identities:
      - issuer: https://token.actions.githubusercontent.com
        subject_regexp: https://github\.com/acme/app/\.github/workflows/release\.yml@refs/tags/v.*
        github_workflow_repository: acme/app
        source_repository_visibility_at_signing: public
%s
stages:
  - name: intake
    by: [upstream]
    require: [slsa]
  - name: build
    by: [ci, upstream]
    threshold: 2
    require: [link]
`

const publicGood = "../../testdata/sigstore/public-good.trusted_root.json"

func keylessDir(t *testing.T) (string, string) {
	t.Helper()
	dir := keyDir(t, "owner", "ci")
	b, err := os.ReadFile(publicGood)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "trusted_root.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return dir, hex.EncodeToString(sum[:])
}

// TestParseIdentities: a keyless functionary, its trusted root read from a
// file and inlined when signed, the root's digest computed; a threshold over
// a regular-expression identity is not bounded by the count of entries.
func TestParseIdentities(t *testing.T) {
	dir, sum := keylessDir(t)
	src := fmt.Sprintf(keylessPolicy, "")
	p, err := Parse([]byte(src), ParseOptions{Dir: dir})
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	up := p.Functionary("upstream")
	if len(up.Keys) != 0 || len(up.Identities) != 1 {
		t.Fatalf("upstream = %+v", up)
	}
	id := up.Identities[0]
	if id.TrustedRoot != "public-good" || id.Extensions["github_workflow_repository"] != "acme/app" || id.Extensions["source_repository_visibility_at_signing"] != "public" || len(id.Extensions) != 2 || id.Issuer != "https://token.actions.githubusercontent.com" {
		t.Errorf("identity = %+v", id)
	}
	r := p.TrustedRoot("public-good")
	if r == nil || r.SHA256 != sum || len(r.JSON) == 0 || r.File != "trusted_root.json" {
		t.Fatalf("trusted root = %+v", r)
	}
	if n, bounded := p.StageSigners(p.Stage("build")); n != 1 || bounded {
		t.Errorf("StageSigners(build) = %d, %v; want 1, false (a regexp identity)", n, bounded)
	}
	d := p.Describe()
	if len(d.TrustedRoots) != 1 || !d.TrustedRoots[0].Carried || d.TrustedRoots[0].SHA256 != sum {
		t.Errorf("Describe().TrustedRoots = %+v", d.TrustedRoots)
	}
	if got, want := d.Functionaries[1].Identities, []string{`subject matching ^(?:https://github\.com/acme/app/\.github/workflows/release\.yml@refs/tags/v.*)$ from https://token.actions.githubusercontent.com, github_workflow_repository acme/app, source_repository_visibility_at_signing public (trusted root public-good)`}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("Describe() identities = %q, want %q", got, want)
	}
	inlined, err := Inline([]byte(src), ParseOptions{Dir: dir})
	if err != nil {
		t.Fatalf("Inline() = %v", err)
	}
	q, err := Parse(inlined, ParseOptions{})
	if err != nil {
		t.Fatalf("Parse(inlined) = %v", err)
	}
	if got := q.TrustedRoot("public-good"); got == nil || got.SHA256 != sum || got.File != "" {
		t.Errorf("inlined trusted root = %+v, want the same digest, inline", got)
	}
}

// TestParseIdentityErrors: every ill-formed identity or trusted root is an
// error with its line: fail closed, never "anyone".
func TestParseIdentityErrors(t *testing.T) {
	dir, sum := keylessDir(t)
	other := strings.Repeat("ab", 32)
	tests := []struct {
		name, extra string
		mutate      func(string) string
		want        string
	}{
		{name: "both subject and regexp", extra: "        subject: https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1", want: "give subject or subject_regexp, not both"},
		{name: "no issuer", mutate: func(s string) string {
			return strings.Replace(s, "      - issuer: https://token.actions.githubusercontent.com\n        subject_regexp", "      - subject_regexp", 1)
		}, want: "needs issuer or issuer_regexp"},
		{name: "bad regexp", mutate: func(s string) string {
			return strings.Replace(s, `refs/tags/v.*`, `refs/tags/v(`, 1)
		}, want: "subject_regexp"},
		{name: "empty extension", extra: `        github_workflow_ref: ""`, want: "github_workflow_ref is empty"},
		{name: "empty CI extension", extra: `        build_signer_digest: ""`, want: "build_signer_digest is empty"},
		{name: "unknown field", extra: "        san: x", want: "san"},
		{name: "misspelt extension", extra: "        source_repository_url: https://github.com/acme/app", want: `unknown field "source_repository_url" in an identity of "upstream" (did you mean "source_repository_uri"?)`},
		{name: "extension given as a list", extra: "        runner_environment: [github-hosted]", want: "runner_environment must be a string"},
		{name: "unknown trusted root", extra: "        trusted_root: github", want: `unknown trusted root "github"`},
		{name: "root digest mismatch", mutate: func(s string) string {
			return strings.Replace(s, "{root: trusted_root.json}", "{root: trusted_root.json, sha256: "+other+"}", 1)
		}, want: "its SHA-256 is " + sum + ", the policy's sha256 says " + other},
		{name: "root not a trusted root", mutate: func(s string) string {
			return strings.Replace(s, "{root: trusted_root.json}", `{root: "{\"a\": 1}"}`, 1)
		}, want: "not a Sigstore trusted_root.json"},
		{name: "no trusted root", mutate: func(s string) string {
			return strings.Replace(s, "trusted_roots:\n  public-good: {root: trusted_root.json}\n", "", 1)
		}, want: "needs a trusted root"},
		{name: "neither keys nor identities", mutate: func(s string) string {
			return strings.Replace(s, "ci: {keys: [keys/ci.pub]}", "ci: {role: ci}", 1)
		}, want: "needs keys"},
		{name: "threshold above exact signers", mutate: func(s string) string {
			s = strings.Replace(s, `subject_regexp: https://github\.com/acme/app/\.github/workflows/release\.yml@refs/tags/v.*`, "subject: https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1", 1)
			return strings.Replace(s, "threshold: 2", "threshold: 3", 1)
		}, want: "threshold 3 is more than the 2 distinct signer(s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fmt.Sprintf(keylessPolicy, tt.extra)
			if tt.mutate != nil {
				src = tt.mutate(src)
			}
			_, err := Parse([]byte(src), ParseOptions{Dir: dir})
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse() = %v, want a *ParseError", err)
			}
			for _, f := range pe.Findings {
				if strings.Contains(f.Message, tt.want) {
					return
				}
			}
			t.Errorf("Parse() findings =\n%s\nwant one containing %q", pe.Details(), tt.want)
		})
	}
}

// TestParseTrustedRootByDigest: a trusted root named by digest alone is
// kept without its JSON, for the verifier to be handed.
func TestParseTrustedRootByDigest(t *testing.T) {
	dir, sum := keylessDir(t)
	src := strings.Replace(fmt.Sprintf(keylessPolicy, ""), "{root: trusted_root.json}", "{sha256: "+sum+"}", 1)
	p, err := Parse([]byte(src), ParseOptions{Dir: dir})
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	if r := p.TrustedRoot("public-good"); r == nil || r.SHA256 != sum || r.JSON != nil {
		t.Errorf("trusted root = %+v, want digest only", r)
	}
}
