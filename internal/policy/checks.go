package policy

import (
	"encoding/json"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/sbomdoc"
)

func (ps *parser) checks(n *yaml.Node, st *Stage, label string) {
	if n.Kind != yaml.SequenceNode {
		ps.errorf(n, "%s: checks must be a list", label)
		return
	}
	for _, cn := range n.Content {
		if cn.Kind != yaml.MappingNode || len(cn.Content) != 2 {
			ps.errorf(cn, "%s: a check is a mapping with one of sbom, slsa, tests, audit or rego", label)
			continue
		}
		f := ps.mapping(cn, label+" check", CheckSBOM, CheckSLSA, CheckTests, CheckAudit, CheckRego)
		for kind, v := range f {
			c := Check{Kind: kind, Line: cn.Line}
			var needs []string
			switch kind {
			case CheckSBOM:
				c.SBOM = ps.sbomCheck(v, label)
				needs = []string{attest.PredicateCycloneDX, attest.PredicateSPDX}
			case CheckSLSA:
				c.SLSA = ps.slsaCheck(v, label)
				needs = []string{attest.PredicateSLSAProvenance}
			case CheckTests:
				c.Tests = ps.testsCheck(v, label)
				needs = []string{attest.PredicateTestResult}
			case CheckAudit:
				c.Audit = ps.auditCheck(v, label)
				needs = []string{attest.PredicateAudit}
			case CheckRego:
				c.Rego = ps.regoCheck(v, label)
			}
			if needs != nil && !containsAny(st.Require, needs) {
				// A check with nothing to look at would pass vacuously (security case 7 in docs/security.md).
				ps.errorf(cn, "%s: the %s check needs the stage to require %s", label, kind, strings.Join(shortNames(needs), " or "))
			}
			st.Checks = append(st.Checks, c)
		}
	}
}

func containsAny(have, want []string) bool {
	for _, w := range want {
		if contains(have, w) {
			return true
		}
	}
	return false
}

func shortNames(uris []string) []string {
	out := make([]string, len(uris))
	for i, u := range uris {
		out[i] = attest.ShortName(u)
	}
	return out
}

func (ps *parser) sbomCheck(n *yaml.Node, label string) *SBOMCheck {
	f := ps.mapping(n, label+" sbom check", "minimum_elements", "min_coverage", "deny_licenses", "profile", "schema")
	if f == nil {
		return nil
	}
	c := &SBOMCheck{MinCoverage: map[string]float64{}}
	if me := f["minimum_elements"]; me != nil {
		if me.Kind != yaml.ScalarNode || me.Tag != "!!bool" {
			ps.errorf(me, "minimum_elements must be true or false")
		} else if me.Value == "true" {
			for _, e := range NTIAElements {
				c.MinCoverage[e] = 100
			}
		}
	}
	if mc := f["min_coverage"]; mc != nil {
		cov := ps.mapping(mc, "min_coverage", SBOMElements...)
		for i := 0; i+1 < len(mc.Content); i += 2 {
			k := mc.Content[i].Value
			v := cov[k]
			if v == nil {
				continue
			}
			pct, ok := ps.number(v, "min_coverage "+k)
			if !ok {
				continue
			}
			if pct < 0 || pct > 100 {
				ps.errorf(v, "min_coverage %s must be a percentage from 0 to 100, got %v", k, pct)
				continue
			}
			if have, set := c.MinCoverage[k]; !set || pct > have {
				c.MinCoverage[k] = pct
			}
		}
	}
	if dl := f["deny_licenses"]; dl != nil {
		for i, l := range ps.strList(dl, "deny_licenses") {
			if l == "" || strings.ContainsAny(l, " ()") {
				ps.errorf(dl.Content[i], "deny_licenses entries are SPDX license ids such as AGPL-3.0-only, got %q", l)
				continue
			}
			c.DenyLicenses = append(c.DenyLicenses, l)
		}
	}
	if pn := f["profile"]; pn != nil {
		c.Profiles = ps.sbomProfiles(pn)
	}
	if sn := f["schema"]; sn != nil {
		if sn.Kind != yaml.ScalarNode || sn.Tag != "!!bool" {
			ps.errorf(sn, "schema must be true or false")
		} else {
			c.Schema = sn.Value == "true"
		}
	}
	if len(c.MinCoverage) == 0 && len(c.DenyLicenses) == 0 && len(c.Profiles) == 0 && !c.Schema {
		ps.errorf(n, "%s: the sbom check sets no requirement (minimum_elements, min_coverage, deny_licenses, profile or schema)", label)
	}
	return c
}

// sbomProfiles reads an sbom check's profile: one profile name or a list
// of them, each one sbomdoc knows.
func (ps *parser) sbomProfiles(n *yaml.Node) []string {
	nodes := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		nodes = n.Content
	}
	var out []string
	for _, pn := range nodes {
		name, ok := ps.str(pn, "profile")
		if !ok {
			continue
		}
		if _, err := sbomdoc.LookupProfile(name); err != nil {
			ps.errorf(pn, "profile: %v", err)
			continue
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func (ps *parser) slsaCheck(n *yaml.Node, label string) *SLSACheck {
	f := ps.mapping(n, label+" slsa check", "builder_ids", "source_repos", "build_types", "external_parameters")
	if f == nil {
		return nil
	}
	c := &SLSACheck{}
	if bn := ps.required(n, f, "builder_ids"); bn != nil {
		c.BuilderIDs = ps.strList(bn, "builder_ids")
		if len(c.BuilderIDs) == 0 {
			ps.errorf(bn, "%s: builder_ids is empty; list the builder ids you trust, exactly", label)
		}
		for i, id := range c.BuilderIDs {
			if id == "" {
				ps.errorf(bn.Content[i], "builder_ids has an empty entry")
			}
			if strings.Contains(id, "@refs/heads/") {
				ps.warnf(bn.Content[i], "builder id %q is a branch, which moves; pin a release tag or a commit (security case 20 in docs/security.md)", id)
			}
		}
	}
	if sn := f["source_repos"]; sn != nil {
		c.SourceRepos = ps.strList(sn, "source_repos")
		if len(c.SourceRepos) == 0 {
			ps.errorf(sn, "%s: source_repos is empty; leave it out to accept any source", label)
		}
		for i, r := range c.SourceRepos {
			u, err := url.Parse(r)
			if err != nil || u.Scheme == "" || u.Host == "" || u.Fragment != "" || u.RawQuery != "" || u.Path == "" || path.Clean(u.Path) != u.Path {
				ps.errorf(sn.Content[i], "source_repos entry %q must be a repository URI such as git+https://github.com/acme/app, without ref, query or fragment", r)
			}
		}
	}
	if tn := f["build_types"]; tn != nil {
		c.BuildTypes = ps.strList(tn, "build_types")
		if len(c.BuildTypes) == 0 {
			ps.errorf(tn, "%s: build_types is empty; leave it out to accept any build type", label)
		}
	}
	if en := f["external_parameters"]; en != nil {
		switch {
		case en.Kind == yaml.ScalarNode && en.Value == "*":
			c.AnyExternalParameters = true
		case en.Kind == yaml.MappingNode:
			c.ExternalParameters = map[string]json.RawMessage{}
			for i := 0; i+1 < len(en.Content); i += 2 {
				k, v := en.Content[i], en.Content[i+1]
				if _, dup := c.ExternalParameters[k.Value]; dup {
					ps.errorf(k, "external_parameters has the key %q twice", k.Value)
					continue
				}
				if v.Kind == yaml.ScalarNode && v.Value == "*" && v.Tag == "!!str" {
					c.ExternalParameters[k.Value] = nil
					continue
				}
				var val any
				if err := v.Decode(&val); err != nil {
					ps.errorf(v, "external_parameters %q: %s", k.Value, yamlMessage(err))
					continue
				}
				b, err := json.Marshal(jsonable(val))
				if err != nil {
					ps.errorf(v, "external_parameters %q: %v", k.Value, err)
					continue
				}
				c.ExternalParameters[k.Value] = b
			}
		default:
			ps.errorf(en, "external_parameters must be \"*\" or a mapping of allowed keys to their expected values (\"*\" for any value)")
		}
	} else {
		ps.warnf(n, "%s: the slsa check does not restrict externalParameters; list the allowed ones, or write external_parameters: \"*\" (security case 21 in docs/security.md)", label)
	}
	return c
}

// jsonable turns what yaml.v3 decodes into values encoding/json marshals the
// way a provenance's JSON would be.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[toString(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
		return x
	}
	return v
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	s := string(b)
	if len(s) >= 2 && s[0] == '"' {
		var out string
		if json.Unmarshal(b, &out) == nil {
			return out
		}
	}
	return s
}

func (ps *parser) testsCheck(n *yaml.Node, label string) *TestsCheck {
	if n.Kind != yaml.ScalarNode || n.Value != "all_passed" {
		ps.errorf(n, "%s: tests takes one value: all_passed", label)
		return nil
	}
	return &TestsCheck{AllPassed: true}
}

// auditCheck reads `audit: pass` or `audit: [pass, observation]`: the
// results an auditor's finding may have for the stage to pass.
func (ps *parser) auditCheck(n *yaml.Node, label string) *AuditCheck {
	var results []string
	switch n.Kind {
	case yaml.ScalarNode:
		results = []string{n.Value}
	case yaml.SequenceNode:
		results = ps.strList(n, "audit")
	}
	if len(results) == 0 {
		ps.errorf(n, "%s: audit takes the accepted finding results: pass, or [pass, observation]", label)
		return nil
	}
	c := &AuditCheck{}
	for _, r := range results {
		switch r {
		case "pass", "observation":
			if !contains(c.Results, r) {
				c.Results = append(c.Results, r)
			}
		case "fail":
			ps.errorf(n, "%s: audit cannot accept a failing finding; accept pass, or pass and observation", label)
			return nil
		default:
			ps.errorf(n, "%s: audit result %q is not one of pass, observation", label, r)
			return nil
		}
	}
	return c
}

func (ps *parser) regoCheck(n *yaml.Node, label string) *RegoCheck {
	var name, src, file string
	switch n.Kind {
	case yaml.ScalarNode:
		file = n.Value
		if file == "" {
			ps.errorf(n, "%s: rego needs a module file or {name, module}", label)
			return nil
		}
		var ok bool
		if src, ok = ps.readModule(n, file); !ok {
			return nil
		}
		name = path.Base(file)
	case yaml.MappingNode:
		f := ps.mapping(n, label+" rego check", "name", "module")
		if f == nil {
			return nil
		}
		if nn := f["name"]; nn != nil {
			name, _ = ps.str(nn, "rego name")
		}
		if mn := ps.required(n, f, "module"); mn != nil {
			src, _ = ps.str(mn, "rego module")
		}
		if name == "" {
			name = "inline.rego"
		}
	default:
		ps.errorf(n, "%s: rego needs a module file or {name, module}", label)
		return nil
	}
	if src == "" {
		return nil
	}
	rc, err := compileRego(name, src)
	if err != nil {
		ps.fail(n, err)
		return nil
	}
	if file != "" {
		rc.File = file
		ps.edits = append(ps.edits, edit{node: n, with: "{name: " + strconv.Quote(name) + ", module: " + strconv.Quote(src) + "}"})
	}
	return rc
}
