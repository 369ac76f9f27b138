package sigstore

import (
	"crypto/x509"
	"fmt"
	"maps"
	"regexp"
	"slices"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// Identity is who must have signed a keyless bundle: the subject of the
// Fulcio certificate (its SubjectAlternativeName: an email, a URI such as a
// GitHub workflow's) and the OIDC issuer that vouched for it, each given
// exactly or as a regular expression, and optionally the other extensions
// Fulcio records in the certificate (the GitHub workflow ones and the CI
// ones that replace them), each compared exactly.
//
// Regular expressions are anchored: "https://github.com/acme/.*" matches
// the whole subject, never a subject that merely contains it. Go's RE2
// syntax applies.
type Identity struct {
	Subject       string // exact SubjectAlternativeName
	SubjectRegexp string // anchored regular expression for the SubjectAlternativeName
	Issuer        string // exact OIDC issuer (Fulcio extension 1.3.6.1.4.1.57264.1.1 or .1.8)
	IssuerRegexp  string // anchored regular expression for the OIDC issuer

	// The GitHub workflow extensions, compared exactly when set. These are
	// the values cosign's --certificate-github-workflow-* flags check.
	WorkflowTrigger    string // 1.3.6.1.4.1.57264.1.2, e.g. "push"
	WorkflowSHA        string // 1.3.6.1.4.1.57264.1.3, the commit
	WorkflowName       string // 1.3.6.1.4.1.57264.1.4
	WorkflowRepository string // 1.3.6.1.4.1.57264.1.5, e.g. "acme/app"
	WorkflowRef        string // 1.3.6.1.4.1.57264.1.6, e.g. "refs/tags/v1.2.3"

	// Extensions are more Fulcio extensions the certificate must carry,
	// each compared exactly, by the names a policy gives them
	// (policy.CertificateExtensions: sigstore-go's certificate.Extensions
	// fields in snake_case, such as "source_repository_ref"). A name here
	// and a Workflow field above for the same extension must agree.
	Extensions map[string]string
}

// extensionFields maps each name of policy.CertificateExtensions to its
// field of sigstore-go's certificate.Extensions.
var extensionFields = map[string]func(*certificate.Extensions) *string{
	"github_workflow_trigger":                 func(e *certificate.Extensions) *string { return &e.GithubWorkflowTrigger },
	"github_workflow_sha":                     func(e *certificate.Extensions) *string { return &e.GithubWorkflowSHA },
	"github_workflow_name":                    func(e *certificate.Extensions) *string { return &e.GithubWorkflowName },
	"github_workflow_repository":              func(e *certificate.Extensions) *string { return &e.GithubWorkflowRepository },
	"github_workflow_ref":                     func(e *certificate.Extensions) *string { return &e.GithubWorkflowRef },
	"build_signer_uri":                        func(e *certificate.Extensions) *string { return &e.BuildSignerURI },
	"build_signer_digest":                     func(e *certificate.Extensions) *string { return &e.BuildSignerDigest },
	"runner_environment":                      func(e *certificate.Extensions) *string { return &e.RunnerEnvironment },
	"source_repository_uri":                   func(e *certificate.Extensions) *string { return &e.SourceRepositoryURI },
	"source_repository_digest":                func(e *certificate.Extensions) *string { return &e.SourceRepositoryDigest },
	"source_repository_ref":                   func(e *certificate.Extensions) *string { return &e.SourceRepositoryRef },
	"source_repository_identifier":            func(e *certificate.Extensions) *string { return &e.SourceRepositoryIdentifier },
	"source_repository_owner_uri":             func(e *certificate.Extensions) *string { return &e.SourceRepositoryOwnerURI },
	"source_repository_owner_identifier":      func(e *certificate.Extensions) *string { return &e.SourceRepositoryOwnerIdentifier },
	"build_config_uri":                        func(e *certificate.Extensions) *string { return &e.BuildConfigURI },
	"build_config_digest":                     func(e *certificate.Extensions) *string { return &e.BuildConfigDigest },
	"build_trigger":                           func(e *certificate.Extensions) *string { return &e.BuildTrigger },
	"run_invocation_uri":                      func(e *certificate.Extensions) *string { return &e.RunInvocationURI },
	"source_repository_visibility_at_signing": func(e *certificate.Extensions) *string { return &e.SourceRepositoryVisibilityAtSigning },
}

// extensions returns the extensions id requires, as sigstore-go compares
// them (an empty field is not compared).
func (id Identity) extensions() (certificate.Extensions, error) {
	ext := certificate.Extensions{
		GithubWorkflowTrigger:    id.WorkflowTrigger,
		GithubWorkflowSHA:        id.WorkflowSHA,
		GithubWorkflowName:       id.WorkflowName,
		GithubWorkflowRepository: id.WorkflowRepository,
		GithubWorkflowRef:        id.WorkflowRef,
	}
	for _, name := range slices.Sorted(maps.Keys(id.Extensions)) {
		v := id.Extensions[name]
		field := extensionFields[name]
		switch {
		case field == nil:
			return ext, fmt.Errorf("%w: %q is not a Fulcio certificate extension consign knows", ErrConfig, name)
		case v == "":
			// An empty value would match any certificate.
			return ext, fmt.Errorf("%w: the certificate extension %s is empty", ErrConfig, name)
		case *field(&ext) != "" && *field(&ext) != v:
			return ext, fmt.Errorf("%w: the certificate extension %s is required to be both %q and %q", ErrConfig, name, *field(&ext), v)
		}
		*field(&ext) = v
	}
	return ext, nil
}

// Validate reports an [ErrConfig] unless exactly one of Subject and
// SubjectRegexp and exactly one of Issuer and IssuerRegexp are set, and the
// regular expressions compile.
func (id Identity) Validate() error {
	_, err := id.matcher()
	return err
}

// anchor makes re match whole strings only.
func anchor(re string) string {
	if re == "" {
		return ""
	}
	return `^(?:` + re + `)$`
}

func exactlyOne(name, value, re string) error {
	switch {
	case value == "" && re == "":
		return fmt.Errorf("%w: the certificate %s is required, exactly or as a regular expression", ErrConfig, name)
	case value != "" && re != "":
		return fmt.Errorf("%w: give the certificate %s exactly or as a regular expression, not both", ErrConfig, name)
	}
	if re != "" {
		if _, err := regexp.Compile(anchor(re)); err != nil {
			return fmt.Errorf("%w: the certificate %s regular expression %q: %v", ErrConfig, name, re, err)
		}
	}
	return nil
}

// matcher converts id to sigstore-go's identity matcher.
func (id Identity) matcher() (sgverify.CertificateIdentity, error) {
	if err := exactlyOne("identity", id.Subject, id.SubjectRegexp); err != nil {
		return sgverify.CertificateIdentity{}, err
	}
	if err := exactlyOne("OIDC issuer", id.Issuer, id.IssuerRegexp); err != nil {
		return sgverify.CertificateIdentity{}, err
	}
	san, err := sgverify.NewSANMatcher(id.Subject, anchor(id.SubjectRegexp))
	if err != nil {
		return sgverify.CertificateIdentity{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	iss, err := sgverify.NewIssuerMatcher(id.Issuer, anchor(id.IssuerRegexp))
	if err != nil {
		return sgverify.CertificateIdentity{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	ext, err := id.extensions()
	if err != nil {
		return sgverify.CertificateIdentity{}, err
	}
	m, err := sgverify.NewCertificateIdentity(san, iss, ext)
	if err != nil {
		return sgverify.CertificateIdentity{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return m, nil
}

// CertificateIdentity is the identity a Fulcio certificate (DER) names:
// its SubjectAlternativeName and the OIDC issuer of its Fulcio extension
// (1.3.6.1.4.1.57264.1.8, or the older .1.1). It only reads the
// certificate: nothing says a trusted CA issued it or that it made any
// signature, which [Verify] checks. It returns an error when der is not a
// certificate, or names no identity.
func CertificateIdentity(der []byte) (subject, issuer string, err error) {
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return "", "", fmt.Errorf("not an X.509 certificate: %v", err)
	}
	s, err := certificate.SummarizeCertificate(cert)
	if err != nil {
		return "", "", fmt.Errorf("not a Fulcio certificate: %v", err)
	}
	return s.SubjectAlternativeName, s.Extensions.Issuer, nil
}
