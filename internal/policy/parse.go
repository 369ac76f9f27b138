package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/tlog"
)

// Limits on a policy, so that a hostile one costs bounded work.
const (
	MaxPolicySize    = 16 << 20
	MaxStages        = 64
	MaxFunctionaries = 4096
	MaxKeys          = 65536
	MaxRules         = 1024
	maxVersion       = math.MaxInt32
)

// ParseOptions says where a policy's files are.
type ParseOptions struct {
	// Dir is the directory relative to which key files and Rego modules are
	// read. When empty, the policy must carry every key and module inline
	// (the signed form): a file reference is an error wrapping [ErrKeyFile].
	Dir string
}

// namePattern is what functionary and stage names may be: they appear in
// reports, file names of in-toto links and Rego input, so they stay plain.
var namePattern = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`) })

// CheckName is nil when name may name a step, stage or functionary: the
// rule every policy's names follow, so that a step recorded under another
// name could never be matched. Otherwise it returns an error wrapping
// [ErrInvalid].
func CheckName(name string) error {
	if !namePattern().MatchString(name) {
		return fmt.Errorf("%w: name %q must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalid, name)
	}
	return nil
}

// Parse reads a policy from YAML (see docs/policy.md). Unknown fields,
// duplicate keys, YAML aliases, a second document, a threshold outside
// 1..(number of distinct keys), a rule or pattern that does not parse, a
// stage with no functionary or no required predicate type, a check that no
// required type feeds, and a reference to an unknown functionary or stage
// are all errors. Parse returns a *[ParseError] listing them with their
// line numbers. It does not check expiry: see [Policy.Expired] and [Lint].
func Parse(src []byte, opts ParseOptions) (*Policy, error) {
	p, ps := parse(src, opts)
	if errs := ps.errors(); len(errs) > 0 {
		return nil, &ParseError{Findings: errs, wrapped: ps.wrapped}
	}
	return p, nil
}

// parser collects findings as it walks the YAML tree, so that one run
// reports every problem.
type parser struct {
	opts     ParseOptions
	findings []Finding
	wrapped  []error
	// edits are the file references to inline when the policy is signed.
	edits []edit
	keys  int
	doc   *yaml.Node
	// parsed holds the inline keys read ahead by preparseKeys, by text.
	parsed map[string]parsedKey
}

// edit replaces the scalar naming a file with what it names, written as
// YAML on the scalar's own line.
type edit struct {
	node *yaml.Node // the scalar naming a file
	with string     // the YAML text that replaces it
}

func (ps *parser) errorf(n *yaml.Node, format string, a ...any) {
	ps.add(n, SeverityError, fmt.Sprintf(format, a...))
}

func (ps *parser) warnf(n *yaml.Node, format string, a ...any) {
	ps.add(n, SeverityWarning, fmt.Sprintf(format, a...))
}

func (ps *parser) add(n *yaml.Node, sev Severity, msg string) {
	line := 0
	if n != nil {
		line = n.Line
	}
	ps.findings = append(ps.findings, Finding{Line: line, Severity: sev, Message: msg})
}

// fail records err (keeping its sentinel for errors.Is) at n.
func (ps *parser) fail(n *yaml.Node, err error) {
	ps.errorf(n, "%s", strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "))
	for _, s := range []error{ErrKeyFile, ErrPattern, ErrRule} {
		if errors.Is(err, s) {
			ps.wrapped = append(ps.wrapped, s)
		}
	}
}

func (ps *parser) errors() []Finding {
	var out []Finding
	for _, f := range ps.findings {
		if f.Severity == SeverityError {
			out = append(out, f)
		}
	}
	return out
}

func parse(src []byte, opts ParseOptions) (*Policy, *parser) {
	ps := &parser{opts: opts}
	p := &Policy{Source: src, functionaries: map[string]*Functionary{}, stages: map[string]int{}}
	doc, ok := ps.document(src)
	if !ok {
		return p, ps
	}
	ps.doc = doc
	root := doc.Content[0]
	fields := ps.mapping(root, "the policy", "apiVersion", "product", "version", "expires", "owner", "log", "trusted_roots", "functionaries", "stages")
	if fields == nil {
		return p, ps
	}
	p.APIVersion = APIVersion
	if n := fields["apiVersion"]; n != nil {
		if v, ok := ps.str(n, "apiVersion"); ok && v != APIVersion {
			ps.errorf(n, "apiVersion is %q; consign reads %q", v, APIVersion)
		}
	}
	if n := ps.required(root, fields, "product"); n != nil {
		if v, ok := ps.str(n, "product"); ok {
			if v == "" || len(v) > 256 || strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				ps.errorf(n, "product must be a name of 1 to 256 printable characters")
			}
			p.Product = v
		}
	}
	if n := fields["version"]; n != nil {
		if v, ok := ps.integer(n, "version"); ok {
			if v < 1 || v > maxVersion {
				ps.errorf(n, "version must be between 1 and %d, got %d", maxVersion, v)
			}
			p.Version = v
		}
	}
	if n := ps.required(root, fields, "expires"); n != nil {
		p.Expires, _ = ps.time(n, "expires")
	}
	if n := ps.required(root, fields, "owner"); n != nil {
		ps.owner(n, p)
	}
	if n := fields["log"]; n != nil {
		ps.log(n, p)
	}
	if n := fields["trusted_roots"]; n != nil {
		ps.trustedRoots(n, p)
	}
	if n := ps.required(root, fields, "functionaries"); n != nil {
		ps.preparseKeys(n)
		ps.functionaries(n, p)
		ps.resolveIdentities(p)
	}
	if n := ps.required(root, fields, "stages"); n != nil {
		ps.stages(n, p)
	}
	return p, ps
}

// document decodes exactly one YAML document and rejects aliases, which
// make one node mean two things and let a small file expand without bound.
func (ps *parser) document(src []byte) (*yaml.Node, bool) {
	if len(src) > MaxPolicySize {
		ps.errorf(nil, "%v: the policy is %d bytes, the limit is %d", limits.ErrTooLarge, len(src), MaxPolicySize)
		return nil, false
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			ps.errorf(nil, "the policy is empty")
		} else {
			ps.syntaxError(err)
		}
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err != io.EOF {
		ps.errorf(&extra, "the file holds more than one YAML document; a policy is one document")
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		ps.errorf(nil, "the policy is empty")
		return nil, false
	}
	ok := true
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode || n.Anchor != "" {
			ps.errorf(n, "YAML anchors and aliases are not allowed in a policy")
			ok = false
			return
		}
		if n.Tag != "" && strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			ps.errorf(n, "YAML tag %q is not allowed in a policy", n.Tag)
			ok = false
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(doc.Content[0])
	return &doc, ok
}

// yamlLine is the line the YAML parser names in a syntax error.
var yamlLine = regexp.MustCompile(`^line ([0-9]+): `)

// syntaxError is the finding of a file that is not valid YAML, at the line
// the parser names (where it stopped, which may be after the mistake).
func (ps *parser) syntaxError(err error) {
	msg := yamlMessage(err)
	line := 0
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	ps.findings = append(ps.findings, Finding{Line: line, Severity: SeverityError, Message: "not valid YAML: " + msg, Syntax: true})
}

func yamlMessage(err error) string {
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

func (ps *parser) owner(n *yaml.Node, p *Policy) {
	f := ps.mapping(n, "owner", "key", "keyid")
	if f == nil {
		return
	}
	p.Owner.Line = n.Line
	switch {
	case f["key"] != nil && f["keyid"] != nil:
		ps.errorf(n, "owner takes key or keyid, not both")
	case f["key"] != nil:
		if k := ps.key(f["key"], "owner key"); k != nil {
			p.Owner.Key, p.Owner.KeyID = k, k.ID
		}
	case f["keyid"] != nil:
		if v, ok := ps.str(f["keyid"], "owner keyid"); ok {
			if len(v) != 64 || strings.Trim(v, "0123456789abcdef") != "" {
				ps.errorf(f["keyid"], "owner keyid must be a key id: 64 lowercase hex digits (hex SHA-256 of the key's DER SubjectPublicKeyInfo)")
			}
			p.Owner.KeyID = v
		}
	default:
		ps.errorf(n, "owner needs key (a public key file or inline PEM) or keyid")
	}
}

func (ps *parser) log(n *yaml.Node, p *Policy) {
	f := ps.mapping(n, "log", "key", "origin", "receipts")
	if f == nil {
		return
	}
	l := &Log{Line: n.Line, Receipts: ReceiptsRequired}
	if kn := ps.required(n, f, "key"); kn != nil {
		l.Key = ps.key(kn, "log key")
	}
	if on := f["origin"]; on != nil {
		if v, ok := ps.str(on, "origin"); ok {
			if !tlog.ValidOrigin(v) {
				ps.errorf(on, "log origin %q must be non-empty, with no spaces and no '+'", v)
			}
			l.Origin = v
		}
	}
	if rn := f["receipts"]; rn != nil {
		if v, ok := ps.str(rn, "receipts"); ok {
			if v != ReceiptsRequired && v != ReceiptsOptional {
				ps.errorf(rn, "receipts must be %q or %q, got %q", ReceiptsRequired, ReceiptsOptional, v)
			}
			l.Receipts = v
		}
	}
	p.Log = l
}

func (ps *parser) functionaries(n *yaml.Node, p *Policy) {
	if n.Kind != yaml.MappingNode {
		ps.errorf(n, "functionaries must be a mapping of names to functionaries")
		return
	}
	if len(n.Content) == 0 {
		ps.errorf(n, "functionaries is empty")
	}
	if len(n.Content)/2 > MaxFunctionaries {
		ps.errorf(n, "more than %d functionaries", MaxFunctionaries)
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		name, ok := ps.entryName(kn, "functionary")
		if !ok {
			continue
		}
		if p.functionaries[name] != nil {
			ps.errorf(kn, "functionary %q is defined twice", name)
			continue
		}
		fn := &Functionary{Name: name, Line: kn.Line}
		p.functionaries[name] = fn
		p.Functionaries = append(p.Functionaries, fn)
		f := ps.mapping(vn, "functionary "+strconv.Quote(name), "role", "keys", "identities", "valid_from", "valid_until", "revoked_at")
		if f == nil {
			continue
		}
		if r := f["role"]; r != nil {
			fn.Role, _ = ps.str(r, "role")
		}
		if in := f["identities"]; in != nil {
			ps.identities(in, fn)
		}
		if f["keys"] == nil && f["identities"] == nil {
			ps.errorf(vn, "functionary %q needs keys (public key files or inline PEM keys) or identities (keyless signers)", name)
		}
		if kn := f["keys"]; kn != nil {
			if kn.Kind != yaml.SequenceNode || len(kn.Content) == 0 {
				ps.errorf(kn, "keys of %q must be a non-empty list of public key files or inline PEM keys", name)
			} else {
				seen := map[string]bool{}
				for _, c := range kn.Content {
					if k := ps.key(c, "key of "+strconv.Quote(name)); k != nil {
						if seen[k.ID] {
							ps.warnf(c, "functionary %q lists the same key twice (key id %s); it counts once", name, k.ID[:12])
							continue
						}
						seen[k.ID] = true
						fn.Keys = append(fn.Keys, k)
					}
				}
			}
		}
		for _, tf := range []struct {
			key string
			dst *time.Time
		}{{"valid_from", &fn.ValidFrom}, {"valid_until", &fn.ValidUntil}, {"revoked_at", &fn.RevokedAt}} {
			if tn := f[tf.key]; tn != nil {
				*tf.dst, _ = ps.time(tn, tf.key)
			}
		}
		if !fn.ValidFrom.IsZero() && !fn.ValidUntil.IsZero() && fn.ValidUntil.Before(fn.ValidFrom) {
			ps.errorf(f["valid_until"], "functionary %q: valid_until is before valid_from", name)
		}
	}
}

func (ps *parser) stages(n *yaml.Node, p *Policy) {
	if n.Kind != yaml.SequenceNode {
		ps.errorf(n, "stages must be a list")
		return
	}
	if len(n.Content) == 0 {
		// An empty chain must never pass vacuously (security case 22a in docs/security.md).
		ps.errorf(n, "stages is empty: a policy needs at least one stage")
		return
	}
	if len(n.Content) > MaxStages {
		ps.errorf(n, "more than %d stages", MaxStages)
		return
	}
	rules := 0
	for _, sn := range n.Content {
		f := ps.mapping(sn, "a stage", "name", "by", "threshold", "require", "materials", "products", "checks", "allow_exit_codes")
		if f == nil {
			continue
		}
		st := &Stage{Line: sn.Line, Threshold: 1}
		if nn := ps.required(sn, f, "name"); nn != nil {
			if v, ok := ps.str(nn, "stage name"); ok {
				if !namePattern().MatchString(v) {
					ps.errorf(nn, "stage name %q must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", v)
				} else if _, dup := p.stages[v]; dup {
					ps.errorf(nn, "stage %q is defined twice", v)
				} else {
					p.stages[v] = len(p.Stages)
				}
				st.Name = v
			}
		}
		p.Stages = append(p.Stages, st)
		label := "stage " + strconv.Quote(st.Name)
		if bn := ps.required(sn, f, "by"); bn != nil {
			st.By = ps.strList(bn, "by")
			if bn.Kind == yaml.SequenceNode && len(bn.Content) == 0 {
				// Explicit-empty never means anyone (security case 22f in docs/security.md).
				ps.errorf(bn, "%s: by is empty; name the functionaries who sign for it", label)
			}
			seen := map[string]bool{}
			for i, name := range st.By {
				if seen[name] {
					ps.warnf(bn.Content[i], "%s names functionary %q twice", label, name)
				}
				seen[name] = true
				if p.functionaries[name] == nil {
					ps.errorf(bn.Content[i], "%s: unknown functionary %q", label, name)
				}
			}
		}
		if tn := f["threshold"]; tn != nil {
			if v, ok := ps.integer(tn, "threshold"); ok {
				st.Threshold = v
				if v < 1 {
					// A threshold of 0 would disable signature checks (security case 14 in docs/security.md).
					ps.errorf(tn, "%s: threshold %d is invalid: it must be at least 1", label, v)
				}
			} else {
				st.Threshold = 0
			}
		}
		if rn := ps.required(sn, f, "require"); rn != nil {
			for i, s := range ps.strList(rn, "require") {
				uri, err := attest.ResolveType(s)
				if err != nil {
					ps.errorf(rn.Content[i], "%s: %s", label, strings.TrimPrefix(err.Error(), attest.ErrInvalid.Error()+": "))
					continue
				}
				if contains(st.Require, uri) {
					ps.warnf(rn.Content[i], "%s requires %s twice", label, s)
					continue
				}
				st.Require = append(st.Require, uri)
			}
			if rn.Kind == yaml.SequenceNode && len(rn.Content) == 0 {
				// A stage that asks for nothing would pass with nothing (security case 22b in docs/security.md).
				ps.errorf(rn, "%s: require is empty; name the predicate types the stage must show", label)
			}
		}
		for _, side := range []struct {
			key string
			dst *[]Rule
		}{{"materials", &st.Materials}, {"products", &st.Products}} {
			rn := f[side.key]
			if rn == nil {
				continue
			}
			*side.dst = ps.rules(rn, label+" "+side.key)
			rules += len(*side.dst)
		}
		if cn := f["checks"]; cn != nil {
			ps.checks(cn, st, label)
		}
		if an := f["allow_exit_codes"]; an != nil {
			st.AllowExitCodes = ps.exitCodes(an, label)
		}
	}
	if rules > MaxRules {
		ps.errorf(n, "more than %d artifact rules", MaxRules)
	}
	ps.crossChecks(p)
}

// exitCodes reads a stage's allow_exit_codes: a non-empty list of
// distinct non-zero integers (0 is always allowed).
func (ps *parser) exitCodes(n *yaml.Node, label string) []int {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		ps.errorf(n, "%s: allow_exit_codes must be a non-empty list of exit statuses, such as [1]", label)
		return nil
	}
	var out []int
	for _, c := range n.Content {
		v, ok := ps.integer(c, label+" allow_exit_codes entry")
		switch {
		case !ok:
		case v == 0:
			ps.errorf(c, "%s: allow_exit_codes lists 0, which is always allowed; list only the non-zero statuses the step may exit with", label)
		case slices.Contains(out, v):
			ps.warnf(c, "%s: allow_exit_codes lists %d twice", label, v)
		default:
			out = append(out, v)
		}
	}
	return out
}

// crossChecks runs the checks that need the whole policy: thresholds against
// the keys, MATCH rules against the stages.
func (ps *parser) crossChecks(p *Policy) {
	for _, st := range p.Stages {
		label := "stage " + strconv.Quote(st.Name)
		if n, bounded := p.StageSigners(st); bounded && st.Threshold > n && n > 0 {
			what := "key(s)"
			if n != len(p.StageKeys(st)) {
				what = "signer(s) (keys and exact identities)"
			}
			ps.add(&yaml.Node{Line: st.Line}, SeverityError, fmt.Sprintf("%s: threshold %d is more than the %d distinct %s of its functionaries (security case 14 in docs/security.md: invalid threshold, must be 1..%d)", label, st.Threshold, n, what, n))
		}
		for _, rules := range [][]Rule{st.Materials, st.Products} {
			for _, r := range rules {
				if r.Type == RuleMatch && p.StageIndex(r.DstStage) < 0 {
					ps.add(&yaml.Node{Line: r.Line}, SeverityError, fmt.Sprintf("%s: rule %s names the unknown stage %q", label, r.Text, r.DstStage))
				}
			}
		}
	}
}

func (ps *parser) rules(n *yaml.Node, what string) []Rule {
	if n.Kind != yaml.SequenceNode {
		ps.errorf(n, "%s must be a list of artifact rules", what)
		return nil
	}
	var out []Rule
	for _, rn := range n.Content {
		var (
			r   Rule
			err error
		)
		switch rn.Kind {
		case yaml.ScalarNode:
			r, err = ParseRuleText(rn.Value)
		case yaml.SequenceNode:
			words := make([]string, 0, len(rn.Content))
			for _, w := range rn.Content {
				if w.Kind != yaml.ScalarNode {
					err = fmt.Errorf("%w: a rule given as a list must be a list of words", ErrRule)
					break
				}
				words = append(words, w.Value)
			}
			if err == nil {
				r, err = ParseRule(words)
			}
		default:
			err = fmt.Errorf("%w: a rule is a string (\"ALLOW src/*\") or a list of words", ErrRule)
		}
		if err != nil {
			ps.fail(rn, fmt.Errorf("%s: %w", what, err))
			continue
		}
		r.Line = rn.Line
		if r.Type != RuleRequire && r.Pattern.HasCaretClass() {
			ps.warnf(rn, "%s: in %s, \"[^\" is not a negation: fnmatch reads \"^\" as a member; write \"[!\" to negate (security case 33 in docs/security.md)", what, r.Text)
		}
		out = append(out, r)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
