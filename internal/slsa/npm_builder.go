package slsa

import (
	"fmt"
	"strings"

	"github.com/consign-dev/consign/internal/sigstore"
)

// verifyNpmBuilder is slsa-verifier's rules for who built an npm package:
// the certificate's workflow is a trusted BYOB delegator at a release
// (whose provenance names the builder, cfg.BuilderID) or any workflow
// running the npm CLI (cfg.BuilderID names the runner, which the
// certificate's runner environment must be, and every claim of the
// provenance is checked against the certificate). It then checks the
// provenance as verify-artifact does, with the tarball's SHA-512. It
// returns the builder to report and the commit built.
func verifyNpmBuilder(res *sigstore.Result, cfg NpmConfig) (BuilderID, string, error) {
	id, err := identityOf(res.Subject, res.Extensions)
	if err != nil {
		return BuilderID{}, "", err
	}
	cert, err := certClaimsOf(id, res.Subject, res.Extensions)
	if err != nil {
		return BuilderID{}, "", err
	}
	trusted := isDelegator(id.workflow.Name)
	if trusted {
		if err := checkBuilderRef(id.workflow.Version); err != nil {
			return BuilderID{}, "", err
		}
	}
	if err := checkCertSource(id, cfg.SourceURI); err != nil {
		return BuilderID{}, "", err
	}
	if cfg.BuilderID == nil || *cfg.BuilderID == "" {
		return BuilderID{}, "", fmt.Errorf("%w: --builder-id is required for npm packages", ErrInvalidBuilderID)
	}
	want := *cfg.BuilderID
	builder, reader := id.workflow, id.workflow.Name
	if trusted {
		if cert.hosted != "" && cert.hosted != hostedGitHub {
			return BuilderID{}, "", fmt.Errorf("%w: the delegator ran on a %s runner", ErrMismatchBuilderID, cert.hosted)
		}
	} else {
		if err := checkNpmRunner(want, cert.hosted); err != nil {
			return BuilderID{}, "", err
		}
		if builder, err = ParseBuilderID(want, false); err != nil {
			return BuilderID{}, "", err
		}
		reader = builder.Name
	}
	p, buildType, err := readBuilderProvenance(res.Payload, reader)
	if err != nil {
		return BuilderID{}, "", err
	}
	if err := matchNpmBuilderID(p.builderID(), want); err != nil {
		return BuilderID{}, "", err
	}
	if err := checkSource(p, cfg.SourceURI); err != nil {
		return BuilderID{}, "", err
	}
	if err := checkSHA512Subject(p.subjects(), cfg.TarballSHA512); err != nil {
		return BuilderID{}, "", err
	}
	refs := ArtifactConfig{Branch: cfg.Branch, Tag: cfg.Tag, VersionedTag: cfg.VersionedTag, Inputs: cfg.Inputs}
	if err := checkRefs(p, refs); err != nil {
		return BuilderID{}, "", err
	}
	if !trusted {
		if err := checkClaimsAgainstCert(res.Payload, buildType, cert); err != nil {
			return BuilderID{}, "", err
		}
	}
	return builder, id.sourceSHA, nil
}

// checkNpmRunner requires --builder-id to name a runner of the npm CLI
// whose kind the certificate's runner environment confirms.
func checkNpmRunner(want, hosted string) error {
	if hosted == "" {
		return fmt.Errorf("%w: the certificate does not say whether the runner was hosted", ErrNotSupported)
	}
	switch want {
	case NpmCLILegacyBuilder, NpmCLIHostedBuilder:
		if hosted != hostedGitHub {
			return fmt.Errorf("%w: the workflow ran on a %s runner", ErrMismatchBuilderID, hosted)
		}
	case NpmCLISelfHostedBuilder:
		if hosted != hostedSelf {
			return fmt.Errorf("%w: the workflow ran on a %s runner", ErrMismatchBuilderID, hosted)
		}
	default:
		return fmt.Errorf("%w: builder %s; want %s or %s (or a builder of a BYOB delegator)",
			ErrNotSupported, want, NpmCLIHostedBuilder, NpmCLISelfHostedBuilder)
	}
	return nil
}

// matchNpmBuilderID matches the provenance's builder id against want by
// name (and version, if want has one). The npm CLI wrote the hosted
// runner's id without its "/github-hosted" suffix before, so want matches
// with the suffix added or removed too.
func matchNpmBuilderID(got, want string) error {
	prov, err := ParseBuilderID(got, false)
	if err != nil {
		return err
	}
	err = prov.MatchesLoose(want, true)
	if err == nil {
		return nil
	}
	alt, had := strings.CutSuffix(want, "/"+hostedGitHub)
	if !had {
		alt = want + "/" + hostedGitHub
	}
	if prov.MatchesLoose(alt, true) == nil {
		return nil
	}
	return err
}

// certClaims are what a Fulcio certificate for a GitHub Actions run
// vouches for, in the form provenance repeats them. Absent claims are "".
type certClaims struct {
	workflowPath    string // org/repo/path@ref, the certificate's subject without its host
	sourceRepo      string // org/repo
	sourceSHA       string
	sourceRef       string
	sourceID        string
	sourceOwnerID   string
	signerSHA       string
	trigger         string
	buildConfigPath string // the calling workflow's path in its repository
	runID           string // RUN/attempts/ATTEMPT
	hosted          string
}

// certClaimsOf reads the claims, with slsa-verifier's consistency rules:
// a deprecated extension and its successor agree where both are present,
// and one of them is.
func certClaimsOf(id workflowIdentity, subject string, ext sigstore.Extensions) (certClaims, error) {
	c := certClaims{sourceRepo: id.sourceRepository, sourceRef: ext.SourceRepositoryRef,
		sourceID: ext.SourceRepositoryID, sourceOwnerID: ext.SourceRepositoryOwnerID,
		signerSHA: ext.BuildSignerDigest, hosted: ext.RunnerEnvironment}
	var err error
	if c.trigger, err = eitherClaim(ext.WorkflowTrigger, ext.BuildTrigger, "trigger"); err != nil {
		return c, err
	}
	if c.sourceSHA, err = eitherClaim(ext.WorkflowSHA, ext.SourceRepositoryDigest, "source commit"); err != nil {
		return c, err
	}
	if ext.BuildConfigDigest != "" && ext.BuildConfigDigest != c.sourceSHA {
		return c, fmt.Errorf("%w: certificate build config commit %q is not the source commit %q", ErrInvalidProvenance, ext.BuildConfigDigest, c.sourceSHA)
	}
	repoURL := githubURL + c.sourceRepo + "/"
	if ext.BuildConfigURI != "" {
		path, _, ok := strings.Cut(ext.BuildConfigURI, "@")
		if !ok || strings.Count(ext.BuildConfigURI, "@") != 1 || !strings.HasPrefix(path, repoURL) {
			return c, fmt.Errorf("%w: certificate build config %q", ErrInvalidProvenance, ext.BuildConfigURI)
		}
		c.buildConfigPath = strings.TrimPrefix(path, repoURL)
	}
	c.runID = strings.TrimPrefix(ext.RunInvocationURI, repoURL+"actions/runs/")
	c.workflowPath = strings.TrimPrefix(subject, "https://github.com/")
	return c, nil
}

// eitherClaim is a claim with a deprecated and a current extension.
func eitherClaim(deprecated, current, what string) (string, error) {
	switch {
	case deprecated != "" && current != "" && deprecated != current:
		return "", fmt.Errorf("%w: certificate %s claims disagree: %q and %q", ErrInvalidProvenance, what, deprecated, current)
	case current != "":
		return current, nil
	case deprecated != "":
		return deprecated, nil
	}
	return "", fmt.Errorf("%w: certificate has no %s claim", ErrInvalidProvenance, what)
}
