package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/policy"
)

// signedPolicy returns the policy a DSSE envelope of the policy payload
// type holds, unverified, or nil when data is no such envelope.
func signedPolicy(data []byte) (*policy.Policy, error) {
	env, _, err := attest.ParseEnvelope(data)
	if err != nil || env.PayloadType != policy.PayloadType {
		return nil, nil
	}
	return policy.Parse(env.Payload, policy.ParseOptions{})
}

// inspectPolicy shows what a signed policy says, without verifying its
// signature.
func inspectPolicy(w io.Writer, output, name string, p *policy.Policy) error {
	s := p.Describe()
	if output == "json" {
		return json.NewEncoder(w).Encode(struct {
			Verified bool           `json:"verified"`
			Kind     string         `json:"kind"`
			Policy   policy.Summary `json:"policy"`
		}{false, "consign policy", s})
	}
	fmt.Fprintln(w, "UNVERIFIED: nothing below has been checked; use 'consign policy check --trust-root OWNER.pub'.")
	fmt.Fprintln(w)
	fmt.Fprintf(w, "%s: consign policy for %q", name, s.Product)
	if s.Version > 0 {
		fmt.Fprintf(w, " version %d", s.Version)
	}
	fmt.Fprintf(w, ", expires %s, owner key %s\n", s.Expires.Format(time.RFC3339), shortKeyID(s.Owner))
	for _, r := range s.TrustedRoots {
		where := "named by digest (give it with --trusted-root)"
		if r.Carried {
			where = "carried in the policy"
		}
		fmt.Fprintf(w, "  trusted root %s: sha256:%s, %s\n", r.Name, r.SHA256, where)
	}
	for _, f := range s.Functionaries {
		fmt.Fprintf(w, "  functionary %s", f.Name)
		if f.Role != "" {
			fmt.Fprintf(w, " (%s)", f.Role)
		}
		fmt.Fprintln(w)
		for _, k := range f.Keys {
			fmt.Fprintf(w, "    key %s\n", shortKeyID(k))
		}
		for _, id := range f.Identities {
			fmt.Fprintf(w, "    keyless %s\n", id)
		}
	}
	for _, st := range s.Stages {
		fmt.Fprintf(w, "  stage %s: by %s, threshold %d, requires %s", st.Name, strings.Join(st.By, ", "), st.Threshold, strings.Join(st.Require, ", "))
		if len(st.AllowExitCodes) > 0 {
			fmt.Fprintf(w, "; its command may exit with %s", joinInts(st.AllowExitCodes))
		}
		fmt.Fprintln(w)
	}
	return nil
}

func shortKeyID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// joinInts writes integers as "1, 2".
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ", ")
}
