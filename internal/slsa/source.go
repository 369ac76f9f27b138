package slsa

import (
	"fmt"
	"strings"
)

// normalizeGitURI gives a source URI the form provenance uses:
// github.com/org/repo and https://github.com/org/repo become
// git+https://github.com/org/repo.
func normalizeGitURI(s string) string {
	switch {
	case strings.HasPrefix(s, "git+"):
		return s
	case strings.Contains(s, "://"):
		return "git+" + s
	default:
		return "git+https://" + s
	}
}

// splitGitURI splits git+https://host/repo@ref at its first "@".
func splitGitURI(uri string) (repo, ref string, err error) {
	if !strings.HasPrefix(uri, "git+") {
		return "", "", fmt.Errorf("%w: not a git URI: %q", ErrMalformedURI, uri)
	}
	repo, ref, _ = strings.Cut(uri, "@")
	return repo, ref, nil
}

// checkCertSource compares the repository the certificate was issued to
// (org/repo) with the one asked for, exactly.
func checkCertSource(id workflowIdentity, want string) error {
	w := strings.TrimPrefix(want, "git+https://")
	w = strings.TrimPrefix(w, "github.com/")
	if id.sourceRepository != w {
		return fmt.Errorf("%w: expected source %q, got %q", ErrMismatchSource, w, id.sourceRepository)
	}
	return nil
}

// checkSource requires the provenance's trigger (the workflow's
// repository and ref) and its source (the first material) to be the
// repository asked for, exactly, and to agree with each other.
func checkSource(p provenance, want string) error {
	source := normalizeGitURI(want)
	if !strings.HasPrefix(source, "git+https://github.com/") {
		return fmt.Errorf("%w: expected a github.com repository, got %q", ErrMalformedURI, source)
	}
	trigger, err := p.triggerURI()
	if err != nil {
		return err
	}
	repo, ref, err := splitGitURI(trigger)
	if err != nil {
		return err
	}
	if repo != source {
		return fmt.Errorf("%w: expected trigger %q to match source-uri %q", ErrMismatchSource, trigger, source)
	}
	if ref == "" {
		return fmt.Errorf("%w: missing ref: %q", ErrMalformedURI, trigger)
	}
	src, err := p.sourceURI()
	if err != nil {
		return err
	}
	if repo, ref, err = splitGitURI(src); err != nil {
		return err
	}
	if repo != source {
		return fmt.Errorf("%w: expected source %q to match source-uri %q", ErrMismatchSource, src, source)
	}
	if ref == "" {
		// npm CLI provenance from before npm's GA, and BYOB builders
		// (which may build another commit than the one that triggered),
		// name the source without a ref, as slsa-verifier allows.
		if o, ok := p.(interface{ sourceRefOptional() bool }); ok && o.sourceRefOptional() {
			return nil
		}
		return fmt.Errorf("%w: missing ref: %q", ErrMalformedURI, src)
	}
	if trigger != src {
		return fmt.Errorf("%w: source and trigger URIs differ: %q != %q", ErrInvalidProvenance, trigger, src)
	}
	return nil
}
