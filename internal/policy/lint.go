package policy

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Lint parses the policy and reports everything wrong with it, errors and
// warnings, sorted by line:
//
//   - every error [Parse] reports (unknown fields, a threshold below 1 or
//     above the number of distinct keys, rules or patterns that do not
//     parse, unknown stages and functionaries, ...);
//   - an expiry that is not after now (error);
//   - one key listed under two functionary names (error: a verifier counts
//     the key once, whatever the names, security case 13 (docs/security.md));
//   - a stage that no MATCH rule connects to another stage (warning);
//   - a rule list that does not end with DISALLOW, so that unexpected
//     artifacts pass (warning);
//   - "[^" in a pattern, which is not a negation (warning, security case 33 (docs/security.md));
//   - a functionary no stage names (warning).
func Lint(src []byte, opts ParseOptions, now time.Time) []Finding {
	p, ps := parse(src, opts)
	out := ps.findings
	add := func(line int, sev Severity, format string, a ...any) {
		out = append(out, Finding{Line: line, Severity: sev, Message: fmt.Sprintf(format, a...)})
	}
	if !p.Expires.IsZero() && !p.Expires.After(now) {
		add(lineOf(ps, "expires"), SeverityError, "the policy expired at %s (it is now %s)", p.Expires.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	holders := map[string][]string{}
	for _, kh := range p.Keys() {
		holders[kh.Key.ID] = kh.Functionaries
	}
	firstHolder := map[string]string{}
	for _, f := range p.Functionaries {
		for _, k := range f.Keys {
			first, seen := firstHolder[k.ID]
			if !seen {
				firstHolder[k.ID] = f.Name
				continue
			}
			if first != f.Name {
				add(k.Line, SeverityError, "the same key (key id %s) is listed under %d names: %s; a key belongs to one functionary", short(k.ID), len(holders[k.ID]), strings.Join(holders[k.ID], ", "))
				firstHolder[k.ID] = f.Name
			}
		}
	}
	used := map[string]bool{}
	linked := map[string]bool{}
	for _, st := range p.Stages {
		for _, name := range st.By {
			used[name] = true
		}
		for _, rules := range [][]Rule{st.Materials, st.Products} {
			for _, r := range rules {
				if r.Type == RuleMatch && r.DstStage != st.Name && p.Stage(r.DstStage) != nil {
					linked[st.Name], linked[r.DstStage] = true, true
				}
			}
		}
	}
	for _, st := range p.Stages {
		if len(p.Stages) > 1 && !linked[st.Name] {
			add(st.Line, SeverityWarning, "stage %q is not connected to any other stage: no MATCH rule leads to or from it, so nothing ties its artifacts to the rest of the chain", st.Name)
		}
		for _, side := range []struct {
			name  string
			rules []Rule
		}{{"materials", st.Materials}, {"products", st.Products}} {
			if n := len(side.rules); n > 0 && side.rules[n-1].Type != RuleDisallow {
				add(side.rules[n-1].Line, SeverityWarning, "stage %q: the %s rules do not end with DISALLOW, so artifacts no rule expects pass (end with DISALLOW \"*\")", st.Name, side.name)
			}
		}
	}
	for _, f := range p.Functionaries {
		if !used[f.Name] {
			add(f.Line, SeverityWarning, "functionary %q signs for no stage", f.Name)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Line < out[j].Line })
	return out
}

// lineOf returns the line of a top-level key, or 0.
func lineOf(ps *parser, key string) int {
	if ps.doc == nil || len(ps.doc.Content) == 0 {
		return 0
	}
	n := keyNode(ps.doc.Content[0], key)
	return n.Line
}

// HasErrors reports whether findings hold an error.
func HasErrors(findings []Finding) bool {
	for _, f := range findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}
