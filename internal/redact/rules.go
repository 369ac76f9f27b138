package redact

import (
	"regexp"
	"strings"
	"sync"
)

// rule replaces the secret parts of what re matches.
type rule struct {
	re *regexp.Regexp
	// replace is the replacement of one match, given its submatches; nil
	// replaces the whole match with the placeholder.
	replace func(m []string) string
}

func (r rule) apply(s string) string {
	if r.replace == nil {
		return r.re.ReplaceAllLiteralString(s, Placeholder)
	}
	return r.re.ReplaceAllStringFunc(s, func(match string) string {
		return r.replace(r.re.FindStringSubmatch(match))
	})
}

// keep1 keeps the first submatch (a prefix such as a flag name) and
// replaces the rest.
func keep1(m []string) string { return m[1] + Placeholder }

// rules are compiled when first used, not at every command's start-up.
var rules = sync.OnceValue(func() []rule {
	return []rule{
		// PEM private keys first: their base64 could look like anything.
		{re: regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`)},
		// URL userinfo: scheme://userinfo@; a bare ssh user name is not secret.
		{re: regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@\s]+)@`), replace: func(m []string) string {
			if userOnlySSH(m[1], m[2]) || m[2] == Placeholder {
				return m[0]
			}
			return m[1] + Placeholder + "@"
		}},
		{re: regexp.MustCompile(`(?i)([?&](?:x-amz-signature|x-amz-credential|x-amz-security-token|sig|signature|token|access_token|api_key|apikey|password|client_secret)=)[^&#\s"']+`), replace: keep1},
		{re: regexp.MustCompile(`(?i)(authorization\s*:\s*(?:(?:bearer|basic|token|digest|negotiate)\s+)?)[^\s"']+`), replace: keep1},
		{re: regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{16,}`), replace: keep1},
		{re: regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`)},
		{re: regexp.MustCompile(`\bglpat-[A-Za-z0-9_-]{20,}`)},
		{re: regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`)},
		{re: regexp.MustCompile(`\bxox[aboprs]-[A-Za-z0-9-]{10,}`)},
		{re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+`)},
		// NAME=value and --name=value where the name is a secret's.
		{re: regexp.MustCompile(`(-{0,2}([A-Za-z0-9_.-]+)=)([^\s;&|"'\x60]+)`), replace: func(m []string) string {
			if !secretName(m[2]) || m[3] == Placeholder {
				return m[0]
			}
			return m[1] + Placeholder
		}},
	}
})

// userOnlySSH reports whether userinfo is a bare user name (no password)
// in an ssh URL, as in ssh://git@host/repo.
func userOnlySSH(scheme, userinfo string) bool {
	switch strings.ToLower(scheme) {
	case "ssh://", "git+ssh://", "ssh+git://":
		return !strings.Contains(userinfo, ":")
	}
	return false
}
