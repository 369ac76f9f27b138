// Package redact removes secrets from text that consign records and signs:
// the command line of a step ('consign run') and what it says about the
// step's environment. A signed attestation is published and kept, so a
// token that reaches one is leaked for good.
//
// What is removed, each replaced with [Placeholder]:
//
//   - the userinfo of a URL (https://user:TOKEN@host/ keeps only the host);
//     a bare user name in an ssh URL (ssh://git@host/) is kept;
//   - the values of URL query parameters that carry credentials
//     (X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token, sig,
//     signature, token, access_token, api_key, apikey, password,
//     client_secret);
//   - tokens by their shape: GitHub (ghp_, gho_, ghu_, ghs_, ghr_,
//     github_pat_), GitLab (glpat-), AWS access key ids (AKIA, ASIA), Slack
//     (xoxa-, xoxb-, xoxp-, xoxo-, xoxr-, xoxs-), JSON Web Tokens, and PEM
//     private key blocks;
//   - the value of an Authorization header ("Authorization: Bearer ...");
//   - the value of a secret-named flag or variable: --password=X,
//     --token X, GITHUB_TOKEN=X, where the name contains password, passwd,
//     token, secret, api key, access key, private key or credential (but not
//     names of where a secret is, such as --token-file or --password-stdin).
//
// Redaction is by shape, so it can miss a secret that has none (a bare
// password argument) and can hide a harmless value that looks like one.
package redact

import (
	"regexp"
	"strings"
	"sync"
)

// Placeholder replaces each secret, as cosign writes it.
const Placeholder = "[REDACTED]"

// String returns s with every secret it recognises replaced by
// [Placeholder], and whether it replaced any.
func String(s string) (string, bool) {
	out := s
	for _, r := range rules() {
		out = r.apply(out)
	}
	return out, out != s
}

// Args returns a copy of argv with secrets replaced by [Placeholder], and
// the indexes of the arguments that changed, in order. Besides what [String]
// finds in each argument, the argument after a secret-named flag given on
// its own (--token VALUE) is replaced whole.
func Args(argv []string) ([]string, []int) {
	out := make([]string, len(argv))
	var changed []int
	for i, a := range argv {
		red, ok := String(a)
		if i > 0 && secretFlag(argv[i-1]) && red != Placeholder {
			red, ok = Placeholder, true
		}
		out[i] = red
		if ok {
			changed = append(changed, i)
		}
	}
	return out, changed
}

// secretFlag reports whether arg is a flag, with no value attached, whose
// name says its value is a secret: --password, -token, --api-key.
func secretFlag(arg string) bool {
	name, ok := strings.CutPrefix(arg, "-")
	if !ok || strings.Contains(name, "=") {
		return false
	}
	name = strings.TrimPrefix(name, "-")
	return flagName().MatchString(name) && secretName(name)
}

var flagName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`) })

// secretWords are what a secret's name contains; holderWords end the names
// of where a secret is, not of the secret.
var (
	secretWords = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)pass(word|wd)|token|secret|api[_-]?key|access[_-]?key|private[_-]?key|credential`)
	})
	holderWords = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)[_.-](file|path|dir|stdin|env|var|name|type|url|id|helper|command|cmd|length|ttl|expiry|expires)$`)
	})
)

func secretName(name string) bool {
	return secretWords().MatchString(name) && !holderWords().MatchString(name)
}
