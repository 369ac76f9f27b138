package sbomdoc

// consign validates CycloneDX XML against the official XSDs with a
// validator of its own. The only complete XSD validators for Go bind
// libxml2 or Xerces through cgo, and the README promises that consign
// builds with the Go toolchain alone; the pure-Go XSD packages found are
// unmaintained or skip content models. The CycloneDX schemas use a small
// part of XSD 1.0, and this file compiles exactly that part; any other
// construct makes compiling the schema fail, so a schema is never
// checked only in part without saying so:
//
//   - global and local element declarations, element refs, named and
//     anonymous complex and simple types;
//   - complexType with sequence, choice and all, minOccurs and maxOccurs,
//     simpleContent and complexContent extension, attributes (use
//     required), attribute groups, anyAttribute and xs:any wildcards
//     (processed laxly: an element the schemas do not declare is skipped);
//   - simpleType restriction (enumeration, pattern, length, minLength,
//     maxLength, minInclusive, maxInclusive), union and list over the
//     built-in types the schemas use;
//   - xs:unique with the selector ".//*" and one attribute field, which is
//     how the schemas make bom-ref values unique.
//
// Content models become Glushkov automata (one position per element
// particle), run on each element's children as they stream past: memory
// grows with the depth of the document, not its size.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"regexp"
	"strconv"
	"strings"
)

const xsdNS = "http://www.w3.org/2001/XMLSchema"

// xsdNode is one element of a schema document, with the namespace
// prefixes in scope for the QNames in its attribute values.
type xsdNode struct {
	local  string
	attrs  map[string]string
	prefix map[string]string
	kids   []*xsdNode
	target string // the target namespace of its schema document
}

func (n *xsdNode) attr(name string) string { return n.attrs[name] }

// qname resolves a QName attribute value.
func (n *xsdNode) qname(v string) (xml.Name, error) {
	p, local, ok := strings.Cut(v, ":")
	if !ok {
		return xml.Name{Space: n.prefix[""], Local: v}, nil
	}
	ns, known := n.prefix[p]
	if !known {
		return xml.Name{}, fmt.Errorf("unknown prefix %q in %q", p, v)
	}
	return xml.Name{Space: ns, Local: local}, nil
}

// parseXSD reads a schema document into xsdNodes, dropping annotations.
func parseXSD(b []byte) (*xsdNode, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var stack []*xsdNode
	var root *xsdNode
	skip := 0
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 || t.Name.Local == "annotation" {
				skip++
				continue
			}
			n := &xsdNode{local: t.Name.Local, attrs: map[string]string{}, prefix: map[string]string{}}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				for k, v := range parent.prefix {
					n.prefix[k] = v
				}
				n.target = parent.target
				parent.kids = append(parent.kids, n)
			}
			for _, a := range t.Attr {
				switch {
				case a.Name.Space == "xmlns":
					n.prefix[a.Name.Local] = a.Value
				case a.Name.Space == "" && a.Name.Local == "xmlns":
					n.prefix[""] = a.Value
				case a.Name.Space == "":
					n.attrs[a.Name.Local] = a.Value
				}
			}
			if len(stack) == 0 {
				n.target = n.attrs["targetNamespace"]
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			stack = stack[:len(stack)-1]
		}
	}
	if root == nil || root.local != "schema" {
		return nil, errors.New("not an XML Schema")
	}
	return root, nil
}

// xsdSet is the compiled form of a set of schema documents.
type xsdSet struct {
	elemNodes, typeNodes, groupNodes map[xml.Name]*xsdNode
	elems                            map[xml.Name]*xElem
	complex                          map[xml.Name]*xComplex
	simple                           map[xml.Name]*xSimple
	allComplex                       []*xComplex // named and anonymous
}

// xElem is an element declaration.
type xElem struct {
	name    xml.Name
	complex *xComplex // exactly one of complex and simple is set
	simple  *xSimple
	unique  []xUnique
}

// xUnique makes the values of one attribute unique among an element's
// descendants (xs:unique with the selector ".//*").
type xUnique struct {
	name string
	attr xml.Name
}

// xComplex is a complex type.
type xComplex struct {
	name     string
	simple   *xSimple  // simple content
	model    *particle // element content, nil when none
	mixed    bool
	attrs    map[xml.Name]*xAttr
	anyAttr  *wildcard
	compiled *glushkov
	filling  bool // being compiled
}

type xAttr struct {
	name     xml.Name
	typ      *xSimple
	required bool
}

// wildcard is the namespace constraint of xs:any or xs:anyAttribute.
type wildcard struct {
	any    bool
	not    string   // ##other: any namespace but this one, nor none
	allow  []string // a list; "" stands for ##local
	target string
}

func (w *wildcard) allows(ns string) bool {
	switch {
	case w.any:
		return true
	case w.not != "" || len(w.allow) == 0:
		return ns != "" && ns != w.not
	}
	for _, a := range w.allow {
		if a == ns {
			return true
		}
	}
	return false
}

const (
	pElem = iota
	pAny
	pSeq
	pChoice
	pAll
)

// unbounded is maxOccurs="unbounded".
const unbounded = -1

// maxExpandedOccurs bounds a particle's minOccurs and finite maxOccurs,
// which the automaton spells out one position per occurrence.
const maxExpandedOccurs = 64

type particle struct {
	kind     int
	min, max int
	elem     *xElem
	any      *wildcard
	kids     []*particle
}

func compileXSD(docs ...[]byte) (*xsdSet, error) {
	s := &xsdSet{
		elemNodes: map[xml.Name]*xsdNode{}, typeNodes: map[xml.Name]*xsdNode{}, groupNodes: map[xml.Name]*xsdNode{},
		elems: map[xml.Name]*xElem{}, complex: map[xml.Name]*xComplex{}, simple: map[xml.Name]*xSimple{},
	}
	var roots []*xsdNode
	for _, b := range docs {
		root, err := parseXSD(b)
		if err != nil {
			return nil, err
		}
		roots = append(roots, root)
		if v := root.attr("elementFormDefault"); v != "qualified" {
			return nil, fmt.Errorf("schema %s: elementFormDefault %q is not supported", root.target, v)
		}
		for _, k := range root.kids {
			name := xml.Name{Space: root.target, Local: k.attr("name")}
			switch k.local {
			case "element":
				s.elemNodes[name] = k
			case "complexType", "simpleType":
				s.typeNodes[name] = k
			case "attributeGroup":
				s.groupNodes[name] = k
			case "import":
				// the imported schema is one of docs
			default:
				return nil, fmt.Errorf("schema %s: top-level xs:%s is not supported", root.target, k.local)
			}
		}
	}
	for name := range s.elemNodes {
		if _, err := s.globalElem(name); err != nil {
			return nil, fmt.Errorf("element %s: %w", name.Local, err)
		}
	}
	for name := range s.typeNodes {
		if _, _, err := s.typeNamed(name); err != nil {
			return nil, fmt.Errorf("type %s: %w", name.Local, err)
		}
	}
	for _, c := range s.allComplex {
		if c.model != nil {
			g, err := newGlushkov(c.model)
			if err != nil {
				return nil, fmt.Errorf("type %s: %w", c.name, err)
			}
			c.compiled = g
		}
	}
	s.elemNodes, s.typeNodes, s.groupNodes, s.allComplex = nil, nil, nil, nil
	return s, nil
}

func (s *xsdSet) globalElem(name xml.Name) (*xElem, error) {
	if e := s.elems[name]; e != nil {
		return e, nil
	}
	n := s.elemNodes[name]
	if n == nil {
		return nil, fmt.Errorf("no element %s in the schema", name.Local)
	}
	e := &xElem{name: name}
	s.elems[name] = e
	return e, s.fillElem(e, n)
}

// fillElem reads an element declaration's type and identity constraints.
func (s *xsdSet) fillElem(e *xElem, n *xsdNode) error {
	if t := n.attr("type"); t != "" {
		qn, err := n.qname(t)
		if err != nil {
			return err
		}
		if e.complex, e.simple, err = s.typeNamed(qn); err != nil {
			return err
		}
	}
	for _, k := range n.kids {
		var err error
		switch k.local {
		case "complexType":
			e.complex, err = s.complexType(k, "<"+e.name.Local+">")
		case "simpleType":
			e.simple, err = s.simpleType(k)
		case "unique":
			var u xUnique
			u, err = uniqueOf(k)
			e.unique = append(e.unique, u)
		default:
			err = fmt.Errorf("xs:%s in an element is not supported", k.local)
		}
		if err != nil {
			return err
		}
	}
	if e.complex == nil && e.simple == nil {
		e.simple = builtinTypes["anySimpleType"] // xs:anyType, as far as these schemas go
	}
	return nil
}

func uniqueOf(n *xsdNode) (xUnique, error) {
	u := xUnique{name: n.attr("name")}
	var sel, field []string
	for _, k := range n.kids {
		switch k.local {
		case "selector":
			sel = append(sel, k.attr("xpath"))
		case "field":
			field = append(field, k.attr("xpath"))
		}
	}
	if len(sel) != 1 || sel[0] != ".//*" || len(field) != 1 || !strings.HasPrefix(field[0], "@") || strings.Contains(field[0], ":") {
		return u, fmt.Errorf("xs:unique %q: only the selector .//* with one unprefixed attribute field is supported", u.name)
	}
	u.attr = xml.Name{Local: field[0][1:]}
	return u, nil
}

// typeNamed returns the named type: a built-in simple type or one of the
// schemas'.
func (s *xsdSet) typeNamed(name xml.Name) (*xComplex, *xSimple, error) {
	if name.Space == xsdNS {
		if b := builtinTypes[name.Local]; b != nil {
			return nil, b, nil
		}
		return nil, nil, fmt.Errorf("built-in type xs:%s is not supported", name.Local)
	}
	if c := s.complex[name]; c != nil {
		return c, nil, nil
	}
	if t := s.simple[name]; t != nil {
		return nil, t, nil
	}
	n := s.typeNodes[name]
	if n == nil {
		return nil, nil, fmt.Errorf("no type %s in the schema", name.Local)
	}
	if n.local == "simpleType" {
		t := &xSimple{}
		s.simple[name] = t // before compiling: a union may name itself through another type
		if err := s.fillSimple(t, n); err != nil {
			return nil, nil, err
		}
		t.name = name.Local
		return nil, t, nil
	}
	c := &xComplex{name: name.Local, attrs: map[xml.Name]*xAttr{}}
	s.complex[name] = c // before compiling: content models are recursive
	s.allComplex = append(s.allComplex, c)
	return c, nil, s.fillComplex(c, n)
}

func (s *xsdSet) complexType(n *xsdNode, name string) (*xComplex, error) {
	c := &xComplex{name: name, attrs: map[xml.Name]*xAttr{}}
	s.allComplex = append(s.allComplex, c)
	return c, s.fillComplex(c, n)
}

func (s *xsdSet) fillComplex(c *xComplex, n *xsdNode) error {
	c.filling = true
	defer func() { c.filling = false }()
	c.mixed = n.attr("mixed") == "true"
	for _, k := range n.kids {
		switch k.local {
		case "sequence", "choice", "all":
			p, err := s.particle(k)
			if err != nil {
				return err
			}
			c.model = p
		case "attribute", "attributeGroup", "anyAttribute":
			if err := s.addAttr(c, k); err != nil {
				return err
			}
		case "simpleContent", "complexContent":
			if err := s.content(c, k); err != nil {
				return err
			}
		default:
			return fmt.Errorf("xs:%s in a complexType is not supported", k.local)
		}
	}
	return nil
}

// content reads simpleContent or complexContent, extensions only.
func (s *xsdSet) content(c *xComplex, n *xsdNode) error {
	if len(n.kids) != 1 || n.kids[0].local != "extension" {
		return fmt.Errorf("xs:%s other than by xs:extension is not supported", n.local)
	}
	ext := n.kids[0]
	qn, err := ext.qname(ext.attr("base"))
	if err != nil {
		return err
	}
	bc, bs, err := s.typeNamed(qn)
	if err != nil {
		return err
	}
	if bc != nil && bc.filling {
		// The base's compilation led here: its content is not known yet.
		return fmt.Errorf("type %s extends %s, which contains it", c.name, bc.name)
	}
	if bc != nil {
		for k, v := range bc.attrs {
			c.attrs[k] = v
		}
		c.anyAttr = bc.anyAttr
		c.simple = bc.simple
		c.mixed = c.mixed || bc.mixed
	}
	if n.local == "simpleContent" {
		if bs != nil {
			c.simple = bs
		}
		if c.simple == nil {
			return fmt.Errorf("simpleContent of %s extends a type without simple content", c.name)
		}
	}
	var model *particle
	for _, k := range ext.kids {
		switch k.local {
		case "sequence", "choice", "all":
			if n.local == "simpleContent" {
				return fmt.Errorf("simpleContent of %s has a content model", c.name)
			}
			if model, err = s.particle(k); err != nil {
				return err
			}
		case "attribute", "attributeGroup", "anyAttribute":
			if err := s.addAttr(c, k); err != nil {
				return err
			}
		default:
			return fmt.Errorf("xs:%s in an extension is not supported", k.local)
		}
	}
	if n.local == "complexContent" {
		if bs != nil {
			return fmt.Errorf("complexContent of %s extends a simple type", c.name)
		}
		switch {
		case bc != nil && bc.model != nil && model != nil:
			c.model = &particle{kind: pSeq, min: 1, max: 1, kids: []*particle{bc.model, model}}
		case model != nil:
			c.model = model
		case bc != nil:
			c.model = bc.model
		}
	}
	return nil
}

func (s *xsdSet) addAttr(c *xComplex, n *xsdNode) error {
	switch n.local {
	case "anyAttribute":
		w, err := wildcardOf(n)
		if err != nil {
			return err
		}
		c.anyAttr = w
		return nil
	case "attributeGroup":
		qn, err := n.qname(n.attr("ref"))
		if err != nil {
			return err
		}
		g := s.groupNodes[qn]
		if g == nil {
			return fmt.Errorf("no attribute group %s in the schema", qn.Local)
		}
		for _, k := range g.kids {
			if err := s.addAttr(c, k); err != nil {
				return err
			}
		}
		return nil
	}
	if n.attr("ref") != "" {
		return fmt.Errorf("attribute refs are not supported")
	}
	a := &xAttr{name: xml.Name{Local: n.attr("name")}, required: n.attr("use") == "required"}
	if n.attr("form") == "qualified" {
		return fmt.Errorf("qualified attribute %s is not supported", a.name.Local)
	}
	if t := n.attr("type"); t != "" {
		qn, err := n.qname(t)
		if err != nil {
			return err
		}
		tc, ts, err := s.typeNamed(qn)
		if err != nil {
			return err
		}
		if tc != nil {
			return fmt.Errorf("attribute %s has a complex type", a.name.Local)
		}
		a.typ = ts
	}
	for _, k := range n.kids {
		if k.local != "simpleType" {
			return fmt.Errorf("xs:%s in an attribute is not supported", k.local)
		}
		t, err := s.simpleType(k)
		if err != nil {
			return err
		}
		a.typ = t
	}
	if a.typ == nil {
		a.typ = builtinTypes["anySimpleType"]
	}
	c.attrs[a.name] = a
	return nil
}

func wildcardOf(n *xsdNode) (*wildcard, error) {
	if pc := n.attr("processContents"); pc != "lax" && pc != "skip" {
		// strict would need the declarations of foreign namespaces,
		// which consign does not hold
		return nil, fmt.Errorf("xs:%s processContents %q is not supported", n.local, pc)
	}
	w := &wildcard{target: n.target}
	switch ns := n.attr("namespace"); ns {
	case "", "##any":
		w.any = true
	case "##other":
		w.not = n.target
	default:
		for _, f := range strings.Fields(ns) {
			switch f {
			case "##local":
				w.allow = append(w.allow, "")
			case "##targetNamespace":
				w.allow = append(w.allow, n.target)
			default:
				w.allow = append(w.allow, f)
			}
		}
	}
	return w, nil
}

func occurs(n *xsdNode) (lo, hi int, err error) {
	lo, hi = 1, 1
	if v := n.attr("minOccurs"); v != "" {
		if lo, err = strconv.Atoi(v); err != nil || lo < 0 || lo > maxExpandedOccurs {
			return 0, 0, fmt.Errorf("minOccurs %q is not supported", v)
		}
	}
	switch v := n.attr("maxOccurs"); v {
	case "":
	case "unbounded":
		hi = unbounded
	default:
		if hi, err = strconv.Atoi(v); err != nil || hi < lo || hi > maxExpandedOccurs {
			return 0, 0, fmt.Errorf("maxOccurs %q is not supported", v)
		}
	}
	return lo, hi, nil
}

func (s *xsdSet) particle(n *xsdNode) (*particle, error) {
	lo, hi, err := occurs(n)
	if err != nil {
		return nil, err
	}
	p := &particle{min: lo, max: hi}
	switch n.local {
	case "element":
		p.kind = pElem
		if ref := n.attr("ref"); ref != "" {
			qn, err := n.qname(ref)
			if err != nil {
				return nil, err
			}
			if p.elem, err = s.globalElem(qn); err != nil {
				return nil, err
			}
			return p, nil
		}
		p.elem = &xElem{name: xml.Name{Space: n.target, Local: n.attr("name")}}
		return p, s.fillElem(p.elem, n)
	case "any":
		p.kind = pAny
		p.any, err = wildcardOf(n)
		return p, err
	case "sequence":
		p.kind = pSeq
	case "choice":
		p.kind = pChoice
	case "all":
		p.kind = pAll
		if hi != 1 {
			return nil, fmt.Errorf("xs:all with maxOccurs %d", hi)
		}
	default:
		return nil, fmt.Errorf("xs:%s in a content model is not supported", n.local)
	}
	for _, k := range n.kids {
		kp, err := s.particle(k)
		if err != nil {
			return nil, err
		}
		if p.kind == pAll && (kp.kind != pElem || kp.max != 1) {
			return nil, errors.New("xs:all may hold only elements that occur at most once")
		}
		if kp.kind == pAll {
			return nil, errors.New("xs:all inside another model group")
		}
		p.kids = append(p.kids, kp)
	}
	return p, nil
}

// glushkov is the position automaton of a content model: state 0 is the
// start, state i > 0 is having just matched leaf i-1.
type glushkov struct {
	leaves []*particle // pElem or pAny
	follow [][]int     // follow[state] lists the next possible positions (states)
	final  []bool
	all    *particle // set instead when the model is an xs:all
}

// maxPositions bounds the positions of one content model.
const maxPositions = 1 << 14

func newGlushkov(p *particle) (*glushkov, error) {
	if p.kind == pAll {
		return &glushkov{all: p}, nil
	}
	g := &glushkov{follow: [][]int{nil}}
	first, last, nullable, err := g.build(p)
	if err != nil {
		return nil, err
	}
	g.follow[0] = first
	g.final = make([]bool, len(g.follow))
	g.final[0] = nullable
	for _, l := range last {
		g.final[l] = true
	}
	return g, nil
}

func (g *glushkov) build(p *particle) (first, last []int, nullable bool, err error) {
	if p.max == unbounded {
		if p.min == 0 {
			first, last, nullable, err = g.once(p)
			g.loop(first, last)
			return first, last, true, err
		}
		// p{m,}: m-1 copies, then one that repeats
		f, l, n, err := g.times(p, p.min-1)
		if err != nil {
			return nil, nil, false, err
		}
		f2, l2, n2, err := g.once(p)
		g.loop(f2, l2)
		f, l, n = g.concat(f, l, n, f2, l2, n2)
		return f, l, n, err
	}
	first, last, nullable, err = g.times(p, p.min)
	for i := p.min; i < p.max && err == nil; i++ {
		var f2, l2 []int
		var n2 bool
		f2, l2, n2, err = g.once(p)
		_ = n2
		first, last, nullable = g.concat(first, last, nullable, f2, l2, true)
	}
	return first, last, nullable, err
}

// times builds n copies of p in sequence.
func (g *glushkov) times(p *particle, n int) (first, last []int, nullable bool, err error) {
	nullable = true
	for i := 0; i < n; i++ {
		f, l, nl, err := g.once(p)
		if err != nil {
			return nil, nil, false, err
		}
		first, last, nullable = g.concat(first, last, nullable, f, l, nl)
	}
	return first, last, nullable, nil
}

// loop lets p repeat: each last position is followed by the first ones.
func (g *glushkov) loop(first, last []int) {
	for _, l := range last {
		g.follow[l] = appendPos(g.follow[l], first...)
	}
}

func (g *glushkov) concat(f1, l1 []int, n1 bool, f2, l2 []int, n2 bool) (first, last []int, nullable bool) {
	for _, l := range l1 {
		g.follow[l] = appendPos(g.follow[l], f2...)
	}
	first = f1
	if n1 {
		first = appendPos(append([]int(nil), f1...), f2...)
	}
	last = l2
	if n2 {
		last = appendPos(append([]int(nil), l2...), l1...)
	}
	return first, last, n1 && n2
}

// once builds one occurrence of p, its occurrence counts aside.
func (g *glushkov) once(p *particle) (first, last []int, nullable bool, err error) {
	switch p.kind {
	case pElem, pAny:
		if len(g.follow) >= maxPositions {
			return nil, nil, false, fmt.Errorf("a content model with more than %d positions", maxPositions)
		}
		g.leaves = append(g.leaves, p)
		g.follow = append(g.follow, nil)
		pos := len(g.follow) - 1
		return []int{pos}, []int{pos}, false, nil
	case pSeq:
		nullable = true
		for _, k := range p.kids {
			f, l, n, err := g.build(k)
			if err != nil {
				return nil, nil, false, err
			}
			first, last, nullable = g.concat(first, last, nullable, f, l, n)
		}
		return first, last, nullable, nil
	case pChoice:
		nullable = len(p.kids) == 0
		for _, k := range p.kids {
			f, l, n, err := g.build(k)
			if err != nil {
				return nil, nil, false, err
			}
			first = appendPos(first, f...)
			last = appendPos(last, l...)
			nullable = nullable || n
		}
		return first, last, nullable, nil
	}
	return nil, nil, false, errors.New("xs:all inside another model group")
}

func appendPos(to []int, xs ...int) []int {
next:
	for _, x := range xs {
		for _, y := range to {
			if x == y {
				continue next
			}
		}
		to = append(to, x)
	}
	return to
}

// xSimple is a simple type: a built-in one, or one derived from another
// by restriction, union or list.
type xSimple struct {
	name    string
	builtin string   // the built-in type whose lexical rules apply
	base    *xSimple // restriction
	ws      int
	union   []*xSimple
	list    *xSimple

	enum             []string
	patterns         []*regexp.Regexp
	patternText      []string
	length           int // -1 when not set, as minLen and maxLen
	minLen, maxLen   int
	minIncl, maxIncl *big.Rat
}

const (
	wsPreserve = iota
	wsReplace
	wsCollapse
)

func (s *xsdSet) simpleType(n *xsdNode) (*xSimple, error) {
	t := &xSimple{}
	return t, s.fillSimple(t, n)
}

func (s *xsdSet) fillSimple(t *xSimple, n *xsdNode) error {
	t.length, t.minLen, t.maxLen = -1, -1, -1
	if len(n.kids) != 1 {
		return errors.New("a simpleType needs one restriction, union or list")
	}
	d := n.kids[0]
	switch d.local {
	case "restriction":
		var base *xSimple
		if b := d.attr("base"); b != "" {
			qn, err := d.qname(b)
			if err != nil {
				return err
			}
			bc, bs, err := s.typeNamed(qn)
			if err != nil {
				return err
			}
			if bc != nil {
				return errors.New("a simpleType restricts a complex type")
			}
			base = bs
		}
		for _, k := range d.kids {
			if k.local == "simpleType" {
				b, err := s.simpleType(k)
				if err != nil {
					return err
				}
				base = b
			}
		}
		if base == nil {
			return errors.New("a restriction without a base")
		}
		t.base, t.builtin, t.ws = base, base.builtin, base.ws
		return t.facets(d)
	case "union":
		for _, m := range strings.Fields(d.attr("memberTypes")) {
			qn, err := d.qname(m)
			if err != nil {
				return err
			}
			mc, ms, err := s.typeNamed(qn)
			if err != nil {
				return err
			}
			if mc != nil {
				return errors.New("a union of a complex type")
			}
			t.union = append(t.union, ms)
		}
		for _, k := range d.kids {
			m, err := s.simpleType(k)
			if err != nil {
				return err
			}
			t.union = append(t.union, m)
		}
		if len(t.union) == 0 {
			return errors.New("a union without members")
		}
		return nil
	case "list":
		if it := d.attr("itemType"); it != "" {
			qn, err := d.qname(it)
			if err != nil {
				return err
			}
			_, ms, err := s.typeNamed(qn)
			if err != nil || ms == nil {
				return fmt.Errorf("list item type %s: %v", it, err)
			}
			t.list = ms
		} else if len(d.kids) == 1 {
			m, err := s.simpleType(d.kids[0])
			if err != nil {
				return err
			}
			t.list = m
		} else {
			return errors.New("a list without an item type")
		}
		t.ws = wsCollapse
		return nil
	}
	return fmt.Errorf("xs:%s in a simpleType is not supported", d.local)
}

func (t *xSimple) facets(d *xsdNode) error {
	for _, f := range d.kids {
		v := f.attr("value")
		var err error
		switch f.local {
		case "simpleType":
		case "enumeration":
			t.enum = append(t.enum, v)
		case "pattern":
			var re *regexp.Regexp
			if re, err = xsdRegexp(v); err == nil {
				t.patterns = append(t.patterns, re)
				t.patternText = append(t.patternText, v)
			}
		case "length":
			t.length, err = strconv.Atoi(v)
		case "minLength":
			t.minLen, err = strconv.Atoi(v)
		case "maxLength":
			t.maxLen, err = strconv.Atoi(v)
		case "minInclusive", "maxInclusive":
			r, ok := new(big.Rat).SetString(v)
			if !ok {
				err = fmt.Errorf("%s %q is not a number", f.local, v)
			} else if f.local == "minInclusive" {
				t.minIncl = r
			} else {
				t.maxIncl = r
			}
		case "whiteSpace":
			switch v {
			case "preserve":
				t.ws = wsPreserve
			case "replace":
				t.ws = wsReplace
			case "collapse":
				t.ws = wsCollapse
			default:
				err = fmt.Errorf("whiteSpace %q", v)
			}
		default:
			err = fmt.Errorf("facet xs:%s is not supported", f.local)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
