package sbomdoc

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

// maxXMLDepth bounds the nesting of an XML document the validator reads,
// as limits.JSONDepth does JSON's.
const maxXMLDepth = 200

// xmlFrame is one open element.
type xmlFrame struct {
	decl    *xElem
	path    string
	line    int
	states  []int        // the automaton's current states
	seen    map[int]bool // the children of an xs:all seen so far
	counts  map[string]int
	text    strings.Builder
	hasKid  bool
	hasText bool   // text in element-only content
	skip    bool   // matched laxly by a wildcard and not declared
	alg     string // the alg attribute of a <hash>
}

// uniqueScope gathers the values of one xs:unique.
type uniqueScope struct {
	u     xUnique
	depth int
	first map[string]int // value → line it first appeared on
}

type xmlValidator struct {
	set     *xsdSet
	dec     *xml.Decoder
	stack   []*xmlFrame
	uniques []*uniqueScope
	out     []Violation
}

func (v *xmlValidator) add(f *xmlFrame, line int, rule, msg string) {
	if msg != "" && len(v.out) < maxViolations {
		path := "/"
		if f != nil {
			path = f.path
		}
		v.out = append(v.out, Violation{Where: path, Line: line, Rule: rule, Message: msg})
	}
}

// validateXMLSchema checks the XML document b against set, streaming.
// The error is not nil when b is not well-formed XML.
func validateXMLSchema(set *xsdSet, b []byte) ([]Violation, error) {
	v := &xmlValidator{set: set, dec: xml.NewDecoder(bytes.NewReader(b))}
	v.dec.Strict = true
	for {
		// A token starts where the one before it ended: its first line.
		line, _ := v.dec.InputPos()
		tok, err := v.dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(v.stack) >= maxXMLDepth {
				return nil, fmt.Errorf("%w: XML nested deeper than %d elements", ErrMalformed, maxXMLDepth)
			}
			v.start(t, line)
		case xml.EndElement:
			v.end(line)
		case xml.CharData:
			if n := len(v.stack); n > 0 {
				f := v.stack[n-1]
				switch c := f.decl; {
				case f.skip:
				case c.complex == nil || c.complex.simple != nil:
					f.text.Write(t) // a value, checked at the end tag
				case !c.complex.mixed && len(bytes.TrimSpace(t)) > 0:
					f.hasText = true // only whether there is text counts
				}
			}
		}
	}
	return v.out, nil
}

func (v *xmlValidator) start(t xml.StartElement, line int) {
	var parent *xmlFrame
	f := &xmlFrame{line: line}
	if n := len(v.stack); n > 0 {
		parent = v.stack[n-1]
		parent.hasKid = true
		if parent.counts == nil {
			parent.counts = map[string]int{}
		}
		parent.counts[t.Name.Local]++
		f.path = parent.path + "/" + t.Name.Local + "[" + strconv.Itoa(parent.counts[t.Name.Local]) + "]"
	} else {
		f.path = "/" + t.Name.Local
	}
	for _, u := range v.uniques {
		for _, a := range t.Attr {
			if a.Name == u.u.attr {
				if at, dup := u.first[a.Value]; dup {
					v.add(f, line, RuleSchema, fmt.Sprintf("%s %q is not unique: it is also on line %d", a.Name.Local, a.Value, at))
				} else {
					u.first[a.Value] = line
				}
			}
		}
	}
	if t.Name.Local == "hash" {
		for _, a := range t.Attr {
			if a.Name.Local == "alg" && a.Name.Space == "" {
				f.alg = a.Value
			}
		}
	}
	v.stack = append(v.stack, f)
	switch {
	case parent == nil:
		f.decl = v.set.elems[t.Name]
		if f.decl == nil {
			v.add(f, line, RuleSchema, fmt.Sprintf("the root element <%s> in namespace %q is not declared by the schema", t.Name.Local, t.Name.Space))
			f.skip = true
			return
		}
	case parent.skip:
		f.skip = true
		return
	default:
		f.decl, f.skip = v.child(parent, t.Name, line)
		if f.decl == nil {
			f.skip = true
			return
		}
	}
	for _, u := range f.decl.unique {
		v.uniques = append(v.uniques, &uniqueScope{u: u, depth: len(v.stack), first: map[string]int{}})
	}
	v.attrs(f, t.Attr, line)
	if c := f.decl.complex; c != nil && c.compiled != nil {
		f.states = []int{0}
	}
}

// child advances parent's content model by the element name; it returns
// the declaration to validate the child against, or nil (with skip) when
// the child matched a lax wildcard and is not declared, or was refused.
func (v *xmlValidator) child(parent *xmlFrame, name xml.Name, line int) (*xElem, bool) {
	c := parent.decl.complex
	if c == nil || c.compiled == nil {
		if c != nil && c.simple == nil && !c.mixed || c == nil {
			v.add(parent, line, RuleSchema, fmt.Sprintf("<%s> may not hold elements; <%s> is not allowed", parent.decl.name.Local, name.Local))
		} else {
			v.add(parent, line, RuleSchema, fmt.Sprintf("<%s> holds text only; <%s> is not allowed", parent.decl.name.Local, name.Local))
		}
		return nil, true
	}
	g := c.compiled
	if g.all != nil {
		for i, k := range g.all.kids {
			if k.elem.name == name {
				if parent.seen == nil {
					parent.seen = map[int]bool{}
				}
				if parent.seen[i] {
					v.add(parent, line, RuleSchema, fmt.Sprintf("<%s> may appear only once in <%s>", name.Local, parent.decl.name.Local))
				}
				parent.seen[i] = true
				return k.elem, false
			}
		}
		v.add(parent, line, RuleSchema, fmt.Sprintf("<%s> is not allowed in <%s>; the schema wants %s", name.Local, parent.decl.name.Local, expectedAll(g.all, parent.seen)))
		return nil, true
	}
	if parent.states == nil { // content already refused: do not report each later child
		return v.lax(name)
	}
	var next []int
	var decl *xElem
	wild := false
	for _, s := range parent.states {
		for _, pos := range g.follow[s] {
			leaf := g.leaves[pos-1]
			switch {
			case leaf.kind == pElem && leaf.elem.name == name:
				decl = leaf.elem
			case leaf.kind == pAny && leaf.any.allows(name.Space):
				wild = true
			default:
				continue
			}
			next = appendPos(next, pos)
		}
	}
	if len(next) == 0 {
		v.add(parent, line, RuleSchema, fmt.Sprintf("<%s> is not allowed here in <%s>; the schema wants %s", name.Local, parent.decl.name.Local, expected(g, parent.states)))
		parent.states = nil
		return v.lax(name)
	}
	parent.states = next
	if decl != nil {
		return decl, false
	}
	if wild {
		return v.lax(name)
	}
	return nil, true
}

// lax returns the global declaration of name, if the schemas have one,
// for an element matched by a lax wildcard.
func (v *xmlValidator) lax(name xml.Name) (*xElem, bool) {
	if e := v.set.elems[name]; e != nil {
		return e, false
	}
	return nil, true
}

func (v *xmlValidator) attrs(f *xmlFrame, attrs []xml.Attr, line int) {
	c := f.decl.complex
	seen := map[xml.Name]bool{}
	for _, a := range attrs {
		switch {
		case a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns":
			continue
		case a.Name.Space == xsiNS:
			if a.Name.Local != "schemaLocation" && a.Name.Local != "noNamespaceSchemaLocation" {
				v.add(f, line, RuleSchema, fmt.Sprintf("xsi:%s is not supported by consign's validator", a.Name.Local))
			}
			continue
		}
		var decl *xAttr
		if c != nil {
			decl = c.attrs[a.Name]
		}
		switch {
		case decl != nil:
			seen[a.Name] = true
			if msg := decl.typ.check(a.Value); msg != "" {
				v.add(f, line, RuleSchema, "attribute "+a.Name.Local+": "+msg)
			}
		case c != nil && c.anyAttr != nil && c.anyAttr.allows(a.Name.Space):
		default:
			v.add(f, line, RuleSchema, fmt.Sprintf("attribute %s is not allowed on <%s>", attrName(a.Name), f.decl.name.Local))
		}
	}
	if c == nil {
		return
	}
	var missing []string
	for name, a := range c.attrs {
		if a.required && !seen[name] {
			missing = append(missing, name.Local)
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		v.add(f, line, RuleSchema, fmt.Sprintf("<%s> is missing the required attribute %s", f.decl.name.Local, m))
	}
}

func attrName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return "{" + n.Space + "}" + n.Local
}

func (v *xmlValidator) end(line int) {
	n := len(v.stack)
	f := v.stack[n-1]
	v.stack = v.stack[:n-1]
	for len(v.uniques) > 0 && v.uniques[len(v.uniques)-1].depth == n {
		v.uniques = v.uniques[:len(v.uniques)-1]
	}
	if f.skip || f.decl == nil {
		return
	}
	text := f.text.String()
	var simple *xSimple
	c := f.decl.complex
	switch {
	case c == nil:
		simple = f.decl.simple
	case c.simple != nil:
		simple = c.simple
	case f.hasText:
		v.add(f, f.line, RuleSchema, fmt.Sprintf("<%s> holds elements only, not text", f.decl.name.Local))
	}
	if simple != nil && !f.hasKid {
		if msg := simple.check(text); msg != "" {
			v.add(f, f.line, RuleSchema, msg)
		}
	}
	if c != nil && c.compiled != nil {
		g := c.compiled
		switch {
		case g.all != nil:
			if want := expectedAll(g.all, f.seen); want != "" && missingAll(g.all, f.seen) {
				v.add(f, line, RuleSchema, fmt.Sprintf("<%s> is incomplete; the schema wants %s", f.decl.name.Local, want))
			}
		case f.states != nil && !anyFinal(g, f.states):
			v.add(f, line, RuleSchema, fmt.Sprintf("<%s> is incomplete; the schema wants %s", f.decl.name.Local, expected(g, f.states)))
		}
	}
	v.grammar(f, text)
}

// grammar applies the checks JSON documents get beyond their schema to
// the corresponding elements of a component: purl, cpe, hash and
// licence expression.
func (v *xmlValidator) grammar(f *xmlFrame, text string) {
	n := len(v.stack)
	if n == 0 || !strings.HasPrefix(f.decl.name.Space, cycloneDXNamespace) {
		return
	}
	parent := v.stack[n-1].decl
	if parent == nil {
		return
	}
	text = strings.TrimSpace(text)
	switch f.decl.name.Local + "<" + parent.name.Local {
	case "purl<component":
		v.add(f, f.line, RulePURL, checkPURL(text))
	case "cpe<component":
		v.add(f, f.line, RuleCPE, checkCPE(text, ""))
	case "hash<hashes":
		if f.alg != "" {
			v.add(f, f.line, RuleHash, checkHash(f.alg, text))
		}
	case "expression<licenses":
		v.add(f, f.line, RuleLicense, checkLicenseExpression(text))
	}
}

func anyFinal(g *glushkov, states []int) bool {
	for _, s := range states {
		if g.final[s] {
			return true
		}
	}
	return false
}

// expected names what may come next after states.
func expected(g *glushkov, states []int) string {
	var names []string
	for _, s := range states {
		for _, pos := range g.follow[s] {
			leaf := g.leaves[pos-1]
			if leaf.kind == pElem {
				names = appendString(names, "<"+leaf.elem.name.Local+">")
			} else {
				names = appendString(names, "an element of another namespace")
			}
		}
	}
	end := anyFinal(g, states)
	switch {
	case len(names) == 0:
		return "no more elements"
	case end:
		return "one of " + strings.Join(names, ", ") + " or the end of the element"
	case len(names) == 1:
		return names[0]
	}
	return "one of " + strings.Join(names, ", ")
}

func expectedAll(all *particle, seen map[int]bool) string {
	var names []string
	for i, k := range all.kids {
		if !seen[i] {
			names = append(names, "<"+k.elem.name.Local+">")
		}
	}
	if len(names) == 0 {
		return ""
	}
	return "one of " + strings.Join(names, ", ")
}

func missingAll(all *particle, seen map[int]bool) bool {
	if all.min == 0 && len(seen) == 0 {
		return false
	}
	for i, k := range all.kids {
		if k.min > 0 && !seen[i] {
			return true
		}
	}
	return false
}

func appendString(list []string, s string) []string {
	if contains(list, s) {
		return list
	}
	return append(list, s)
}
