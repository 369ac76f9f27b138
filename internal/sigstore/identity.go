package sigstore

import (
	"fmt"
	"regexp"

	"github.com/sigstore/sigstore-go/pkg/fulcio/certificate"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// Identity is who must have signed a keyless bundle: the subject of the
// Fulcio certificate (its SubjectAlternativeName: an email, a URI such as a
// GitHub workflow's) and the OIDC issuer that vouched for it, each given
// exactly or as a regular expression, and optionally the GitHub workflow
// extensions Fulcio records in the certificate.
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
	ext := certificate.Extensions{
		GithubWorkflowTrigger:    id.WorkflowTrigger,
		GithubWorkflowSHA:        id.WorkflowSHA,
		GithubWorkflowName:       id.WorkflowName,
		GithubWorkflowRepository: id.WorkflowRepository,
		GithubWorkflowRef:        id.WorkflowRef,
	}
	m, err := sgverify.NewCertificateIdentity(san, iss, ext)
	if err != nil {
		return sgverify.CertificateIdentity{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return m, nil
}
