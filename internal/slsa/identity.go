package slsa

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/consign-dev/consign/internal/sigstore"
)

// GitHubIssuer is the OIDC issuer of GitHub Actions tokens: the only
// issuer whose certificates the GitHub builders' provenance is signed
// with.
const GitHubIssuer = "https://token.actions.githubusercontent.com"

const githubURL = "https://github.com/"

// workflowIdentity is what a Fulcio certificate for a GitHub Actions run
// says: the reusable workflow that signed (name@ref) and the repository
// whose workflow called it.
type workflowIdentity struct {
	workflow         BuilderID
	sourceRepository string // org/repo
	sourceSHA        string
}

// identityOf reads a verified certificate's subject (the signing
// workflow's URL@ref) and extensions. The deprecated and current
// extensions must agree where both are present.
func identityOf(subject string, ext sigstore.Extensions) (workflowIdentity, error) {
	var id workflowIdentity
	u, err := url.Parse(subject)
	if err != nil || u.Scheme != "https" || u.Host != "github.com" {
		return id, fmt.Errorf("%w: certificate subject %q is not a github.com workflow", ErrMalformedURI, subject)
	}
	i := strings.LastIndex(subject, "@")
	if i < 0 || i == len(subject)-1 {
		return id, fmt.Errorf("%w: certificate subject %q has no ref", ErrMalformedURI, subject)
	}
	id.workflow = BuilderID{Name: subject[:i], Version: subject[i+1:]}
	repo := strings.TrimPrefix(ext.SourceRepositoryURI, githubURL)
	old := ext.WorkflowRepository
	switch {
	case ext.SourceRepositoryURI != "" && old != "" && githubURL+old != ext.SourceRepositoryURI:
		return id, fmt.Errorf("%w: certificate repositories disagree: %q and %q", ErrInvalidProvenance, old, ext.SourceRepositoryURI)
	case repo == "":
		repo = old
	}
	if repo == "" {
		return id, fmt.Errorf("%w: certificate names no source repository", ErrInvalidProvenance)
	}
	id.sourceRepository = repo
	id.sourceSHA = ext.SourceRepositoryDigest
	if id.sourceSHA == "" {
		id.sourceSHA = ext.WorkflowSHA
	}
	return id, nil
}
