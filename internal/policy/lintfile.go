package policy

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/consign-dev/consign/internal/attest"
)

// LintResult is what [LintFile] found in a policy file.
type LintResult struct {
	// Signed reports whether the file was a signed policy (a DSSE envelope).
	Signed bool
	// SignatureChecked reports whether its signature was verified.
	SignatureChecked bool
	// SignedBy is the key id of the trust root that signed it, when
	// SignatureChecked.
	SignedBy string
	// Findings are [Lint]'s, of the policy itself.
	Findings []Finding
}

// LintFile lints data, a policy's YAML or a signed policy: a signed one is
// linted as what it signs, and, when roots are given, its signature is
// verified with them first ([Open]; its expiry and problems are left to
// the findings). dir is where the YAML's key files and modules are found.
//
// It returns an error wrapping [ErrNotSigned] when roots are given for a
// policy that is not signed, [ErrPayloadType] or attest.ErrInvalid for an
// envelope that holds no policy, and [Open]'s [ErrSignature] or [ErrOwner]
// for one whose signature does not verify. Lint's errors are findings,
// not an error.
func LintFile(data []byte, dir string, roots []crypto.PublicKey, now time.Time) (*LintResult, error) {
	t := bytes.TrimSpace(data)
	if !looksSigned(t) {
		if len(roots) > 0 {
			return nil, ErrNotSigned
		}
		return &LintResult{Findings: Lint(data, ParseOptions{Dir: dir}, now)}, nil
	}
	env, _, err := attest.ParseEnvelope(t)
	if err != nil {
		return nil, err
	}
	if env.PayloadType != PayloadType {
		return nil, fmt.Errorf("%w: payloadType %q", ErrPayloadType, env.PayloadType)
	}
	c := &LintResult{Signed: true}
	if len(roots) > 0 {
		signed, err := Open(t, roots, now)
		if err != nil && !errors.Is(err, ErrExpired) && !errors.Is(err, ErrInvalid) {
			return nil, err
		}
		c.SignatureChecked = true
		if signed != nil {
			c.SignedBy = signed.SignedBy
		} else if kr, err := attest.NewKeyring(roots...); err == nil {
			// Expired or not a valid policy: the signature was verified
			// all the same; say whose it is.
			sigs := make([][]byte, len(env.Signatures))
			for i, s := range env.Signatures {
				sigs[i] = s.Sig
			}
			if by := kr.SignedBy(attest.PAE(env.PayloadType, env.Payload), sigs); len(by) > 0 {
				c.SignedBy = by[0].KeyID()
			}
		}
	}
	c.Findings = Lint(env.Payload, ParseOptions{}, now)
	return c, nil
}

// ErrorCount is the number of errors among findings.
func ErrorCount(findings []Finding) int {
	n := 0
	for _, f := range findings {
		if f.Severity == SeverityError {
			n++
		}
	}
	return n
}

// looksSigned reports whether t (trimmed) has the shape of a DSSE envelope.
func looksSigned(t []byte) bool {
	return len(t) > 0 && t[0] == '{' && bytes.Contains(t, []byte(`"payloadType"`))
}

// Unsigned reports whether data is a policy's YAML rather than a signed
// policy: not shaped as an envelope, and a YAML mapping with a product or
// stages key. Verifiers use it to tell someone who passed the policy they
// wrote from someone who passed a damaged signed policy.
func Unsigned(data []byte) bool {
	if looksSigned(bytes.TrimSpace(data)) {
		return false
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return false
	}
	_, product := m["product"]
	_, stages := m["stages"]
	return product || stages
}
