package sbomgen

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
)

// redactError returns err with every secret, and its URL- and
// base64-encoded forms, replaced by "*****". The
// sentinels err wraps are kept, so callers still tell errors apart.
func redactError(err error, secrets []string) error {
	msg := err.Error()
	clean := redact(msg, secrets)
	if clean == msg {
		return err
	}
	return &redacted{msg: clean, err: err}
}

// redact replaces every secret in s, and its encoded forms.
func redact(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec == "" {
			continue
		}
		for _, form := range []string{sec, url.QueryEscape(sec), url.PathEscape(sec), base64.StdEncoding.EncodeToString([]byte(sec)), base64.RawURLEncoding.EncodeToString([]byte(sec))} {
			s = strings.ReplaceAll(s, form, "*****")
		}
	}
	return s
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }

// Is keeps errors.Is working through the redaction without exposing the
// original message through Unwrap.
func (r *redacted) Is(target error) bool { return errors.Is(r.err, target) }
