package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/consign-dev/consign/internal/limits"
)

// Limits on a policy's trusted roots.
const (
	// MaxTrustedRootSize bounds a Sigstore trusted root a policy names.
	MaxTrustedRootSize = 1 << 20
	// MaxTrustedRoots bounds how many a policy names.
	MaxTrustedRoots = 16
)

// TrustedRoot is a Sigstore trusted root (the protobuf-specs
// TrustedRoot, JSON: the Fulcio CAs, Rekor logs, CT logs and timestamp
// authorities that keyless signatures are verified against), named by a
// policy. Either the policy carries it (JSON set) or it names it by digest
// only, and the verifier is handed a file with that digest.
type TrustedRoot struct {
	Name string
	// SHA256 is the hex SHA-256 of the trusted root's JSON bytes.
	SHA256 string
	// JSON is the trusted root itself, or nil when the policy names it by
	// digest only.
	JSON []byte
	// File is the file it was read from, or "" when it was inline.
	File string
	Line int
}

// Identity is a keyless signer a functionary stands for: who a Fulcio
// certificate must name. The subject (the certificate's
// SubjectAlternativeName: an email, a workflow URI) and the OIDC issuer are
// each given exactly or as a regular expression that must match the whole
// value (it is always anchored at both ends); the GitHub workflow
// extensions, when set, must equal the certificate's. The certificate is
// verified against TrustedRoot.
type Identity struct {
	Issuer, IssuerRegexp   string
	Subject, SubjectRegexp string

	// Extensions are the Fulcio certificate extensions the certificate
	// must carry, each with exactly this value, by their names in
	// [CertificateExtensions]. None is ever empty.
	Extensions map[string]string

	// TrustedRoot names the policy's trusted root the certificate chains to.
	TrustedRoot string
	Line        int
}

// AnchoredRegexp returns re as it is matched: anchored at both ends.
func AnchoredRegexp(re string) string { return `^(?:` + re + `)$` }

// String describes the identity in one line, for reports and lints.
func (id *Identity) String() string {
	var b strings.Builder
	if id.Subject != "" {
		b.WriteString(id.Subject)
	} else {
		fmt.Fprintf(&b, "subject matching %s", AnchoredRegexp(id.SubjectRegexp))
	}
	if id.Issuer != "" {
		fmt.Fprintf(&b, " from %s", id.Issuer)
	} else {
		fmt.Fprintf(&b, " from an issuer matching %s", AnchoredRegexp(id.IssuerRegexp))
	}
	for _, e := range CertificateExtensions {
		if v, ok := id.Extensions[e.Name]; ok {
			fmt.Fprintf(&b, ", %s %s", e.Name, v)
		}
	}
	return b.String()
}

// exact reports whether the identity names one (issuer, subject) pair.
func (id *Identity) exact() bool { return id.Subject != "" && id.Issuer != "" }

// TrustedRoot returns the trusted root called name, or nil.
func (p *Policy) TrustedRoot(name string) *TrustedRoot {
	for _, r := range p.TrustedRoots {
		if r.Name == name {
			return r
		}
	}
	return nil
}

// CertificateExtension is a Fulcio certificate extension an identity may
// constrain.
type CertificateExtension struct {
	// Name is its key in a policy: the name of sigstore-go's
	// certificate.Extensions field for it, in snake_case.
	Name string
	// OID is the extension's object identifier
	// (https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md).
	OID string
}

// CertificateExtensions are the Fulcio extensions an identity may require,
// in OID order: the GitHub workflow ones (deprecated by Fulcio, the values
// cosign's --certificate-github-workflow-* flags check) and the CI ones
// that replace them. The issuer (1.3.6.1.4.1.57264.1.1 and .8) is the
// identity's issuer, not an extension here.
var CertificateExtensions = []CertificateExtension{
	{"github_workflow_trigger", "1.3.6.1.4.1.57264.1.2"},
	{"github_workflow_sha", "1.3.6.1.4.1.57264.1.3"},
	{"github_workflow_name", "1.3.6.1.4.1.57264.1.4"},
	{"github_workflow_repository", "1.3.6.1.4.1.57264.1.5"},
	{"github_workflow_ref", "1.3.6.1.4.1.57264.1.6"},
	{"build_signer_uri", "1.3.6.1.4.1.57264.1.9"},
	{"build_signer_digest", "1.3.6.1.4.1.57264.1.10"},
	{"runner_environment", "1.3.6.1.4.1.57264.1.11"},
	{"source_repository_uri", "1.3.6.1.4.1.57264.1.12"},
	{"source_repository_digest", "1.3.6.1.4.1.57264.1.13"},
	{"source_repository_ref", "1.3.6.1.4.1.57264.1.14"},
	{"source_repository_identifier", "1.3.6.1.4.1.57264.1.15"},
	{"source_repository_owner_uri", "1.3.6.1.4.1.57264.1.16"},
	{"source_repository_owner_identifier", "1.3.6.1.4.1.57264.1.17"},
	{"build_config_uri", "1.3.6.1.4.1.57264.1.18"},
	{"build_config_digest", "1.3.6.1.4.1.57264.1.19"},
	{"build_trigger", "1.3.6.1.4.1.57264.1.20"},
	{"run_invocation_uri", "1.3.6.1.4.1.57264.1.21"},
	{"source_repository_visibility_at_signing", "1.3.6.1.4.1.57264.1.22"},
}

// identityFields are the fields of one identity in YAML, in order.
var identityFields = func() []string {
	f := []string{"issuer", "issuer_regexp", "subject", "subject_regexp"}
	for _, e := range CertificateExtensions {
		f = append(f, e.Name)
	}
	return append(f, "trusted_root")
}()

func (ps *parser) trustedRoots(n *yaml.Node, p *Policy) {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		ps.errorf(n, "trusted_roots must be a non-empty mapping of names to trusted roots")
		return
	}
	if len(n.Content)/2 > MaxTrustedRoots {
		ps.errorf(n, "more than %d trusted roots", MaxTrustedRoots)
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		name, ok := ps.entryName(kn, "trusted root")
		if !ok {
			continue
		}
		if p.TrustedRoot(name) != nil {
			ps.errorf(kn, "trusted root %q is defined twice", name)
			continue
		}
		r := &TrustedRoot{Name: name, Line: kn.Line}
		p.TrustedRoots = append(p.TrustedRoots, r)
		f := ps.mapping(vn, "trusted root "+strconv.Quote(name), "root", "sha256")
		if f == nil {
			continue
		}
		if f["root"] == nil && f["sha256"] == nil {
			ps.errorf(vn, "trusted root %q needs root (a trusted_root.json file, or the JSON itself) or sha256 (the digest of the file given at verification)", name)
			continue
		}
		if sn := f["sha256"]; sn != nil {
			if v, ok := ps.str(sn, "sha256"); ok {
				if len(v) != 64 || strings.Trim(v, "0123456789abcdef") != "" {
					ps.errorf(sn, "trusted root %q: sha256 must be 64 lowercase hex digits", name)
				}
				r.SHA256 = v
			}
		}
		if rn := f["root"]; rn != nil {
			ps.trustedRootJSON(rn, r)
		}
	}
}

// trustedRootJSON reads a trusted root given inline (JSON) or, in an
// unsigned policy, as a file name, and checks it against a digest given.
func (ps *parser) trustedRootJSON(n *yaml.Node, r *TrustedRoot) {
	v, ok := ps.str(n, "root")
	if !ok {
		return
	}
	data := []byte(v)
	if !strings.HasPrefix(strings.TrimSpace(v), "{") {
		if ps.opts.Dir == "" {
			ps.fail(n, fmt.Errorf("%w: trusted root %q names the file %q", ErrKeyFile, r.Name, v))
			return
		}
		path := v
		if !filepath.IsAbs(path) {
			path = filepath.Join(ps.opts.Dir, filepath.FromSlash(v))
		}
		b, err := limits.ReadFile(path, MaxTrustedRootSize)
		if err != nil {
			ps.errorf(n, "trusted root %q: reading %q: %v", r.Name, v, unwrapPathError(err))
			return
		}
		data, r.File = b, v
	}
	if len(data) > MaxTrustedRootSize {
		ps.errorf(n, "trusted root %q is over %d bytes", r.Name, MaxTrustedRootSize)
		return
	}
	var probe struct {
		MediaType string `json:"mediaType"`
	}
	if err := json.Unmarshal(data, &probe); err != nil || !strings.HasPrefix(probe.MediaType, "application/vnd.dev.sigstore.trustedroot") {
		ps.errorf(n, "trusted root %q is not a Sigstore trusted_root.json (JSON with mediaType application/vnd.dev.sigstore.trustedroot…)", r.Name)
		return
	}
	sum := sha256.Sum256(data)
	got := hex.EncodeToString(sum[:])
	if r.SHA256 != "" && r.SHA256 != got {
		ps.errorf(n, "trusted root %q: its SHA-256 is %s, the policy's sha256 says %s", r.Name, got, r.SHA256)
		return
	}
	r.SHA256, r.JSON = got, data
	if r.File != "" {
		ps.edits = append(ps.edits, edit{node: n, with: strconv.Quote(string(data))})
	}
}

// entryName is the name of a mapping entry (a functionary, a trusted
// root), when it may name one; otherwise it records why not.
func (ps *parser) entryName(kn *yaml.Node, what string) (string, bool) {
	if !namePattern().MatchString(kn.Value) {
		ps.errorf(kn, "%s name %q must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", what, kn.Value)
		return "", false
	}
	return kn.Value, true
}

// identities reads a functionary's keyless identities.
func (ps *parser) identities(n *yaml.Node, fn *Functionary) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		ps.errorf(n, "identities of %q must be a non-empty list of {issuer, subject} identities", fn.Name)
		return
	}
	for _, in := range n.Content {
		f := ps.mapping(in, "an identity of "+strconv.Quote(fn.Name), identityFields...)
		if f == nil {
			continue
		}
		id := &Identity{Line: in.Line}
		fields := map[string]*string{"issuer": &id.Issuer, "issuer_regexp": &id.IssuerRegexp,
			"subject": &id.Subject, "subject_regexp": &id.SubjectRegexp, "trusted_root": &id.TrustedRoot}
		for _, key := range identityFields {
			vn := f[key]
			if vn == nil {
				continue
			}
			v, ok := ps.str(vn, key)
			if !ok {
				continue
			}
			if v == "" {
				// An empty value never means "any" (security case 22f in docs/security.md).
				ps.errorf(vn, "identity of %q: %s is empty; leave it out or give a value", fn.Name, key)
				continue
			}
			if dst := fields[key]; dst != nil {
				*dst = v
				continue
			}
			if id.Extensions == nil {
				id.Extensions = map[string]string{}
			}
			id.Extensions[key] = v
		}
		ps.exactlyOne(in, f, fn.Name, "issuer", id.Issuer, id.IssuerRegexp)
		ps.exactlyOne(in, f, fn.Name, "subject", id.Subject, id.SubjectRegexp)
		fn.Identities = append(fn.Identities, id)
	}
}

func (ps *parser) exactlyOne(n *yaml.Node, f map[string]*yaml.Node, who, what, value, re string) {
	switch {
	case value == "" && re == "":
		ps.errorf(n, "identity of %q needs %s or %s_regexp", who, what, what)
	case value != "" && re != "":
		ps.errorf(n, "identity of %q: give %s or %s_regexp, not both", who, what, what)
	case re != "":
		if _, err := regexp.Compile(AnchoredRegexp(re)); err != nil {
			ps.errorf(f[what+"_regexp"], "identity of %q: %s_regexp %q: %v", who, what, re, err)
		} else if strings.HasPrefix(re, "^") || strings.HasSuffix(re, "$") {
			ps.warnf(f[what+"_regexp"], "identity of %q: %s_regexp is always anchored at both ends; '^' and '$' are not needed", who, what)
		}
	}
}

// resolveIdentities gives each identity its trusted root, once the whole
// policy is read.
func (ps *parser) resolveIdentities(p *Policy) {
	for _, f := range p.Functionaries {
		for _, id := range f.Identities {
			switch {
			case id.TrustedRoot != "":
				if p.TrustedRoot(id.TrustedRoot) == nil {
					ps.add(&yaml.Node{Line: id.Line}, SeverityError, fmt.Sprintf("identity of %q names the unknown trusted root %q", f.Name, id.TrustedRoot))
				}
			case len(p.TrustedRoots) == 1:
				id.TrustedRoot = p.TrustedRoots[0].Name
			case len(p.TrustedRoots) == 0:
				ps.add(&yaml.Node{Line: id.Line}, SeverityError, fmt.Sprintf("identity of %q: a keyless identity needs a trusted root; add trusted_roots to the policy", f.Name))
			default:
				ps.add(&yaml.Node{Line: id.Line}, SeverityError, fmt.Sprintf("identity of %q: the policy has %d trusted roots; name one with trusted_root", f.Name, len(p.TrustedRoots)))
			}
		}
	}
}

// StageSigners counts the distinct signers the functionaries of s can
// muster: their distinct keys and their distinct exact identities (one per
// issuer and subject). bounded is false when an identity is a regular
// expression, which any number of subjects may match.
func (p *Policy) StageSigners(s *Stage) (n int, bounded bool) {
	n, bounded = len(p.StageKeys(s)), true
	seen := map[[2]string]bool{}
	for _, name := range s.By {
		f := p.functionaries[name]
		if f == nil {
			continue
		}
		for _, id := range f.Identities {
			if !id.exact() {
				bounded = false
				continue
			}
			k := [2]string{id.Issuer, id.Subject}
			if !seen[k] {
				seen[k] = true
				n++
			}
		}
	}
	return n, bounded
}
