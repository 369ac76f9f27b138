package sbomdoc

import (
	"errors"
	"strings"
	"testing"
)

func TestXSDRegexp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pattern      string
		match, nomat []string
	}{
		{`[a-z]{2}`, []string{"en"}, []string{"e", "eng", "xen", "en\n"}},             // anchored at both ends
		{`a$b^c`, []string{"a$b^c"}, []string{"ab", "abc"}},                           // ^ and $ are literal
		{`a.c`, []string{"abc", "a-c"}, []string{"a\nc", "a\rc"}},                     // . matches neither CR nor LF
		{`\d+`, []string{"42", "٤٢"}, []string{"4a", ""}},                             // \d is any decimal digit
		{`(x)|(y)z`, []string{"x", "yz"}, []string{"xz"}},                             // alternation at the top
		{`[\-+]\s\c+`, []string{"- a.b", "+\tx"}, []string{"* a", "-  "}},             // escapes in and out of classes
		{`[^a-c]`, []string{"d"}, []string{"a", "c"}},                                 // negated class
		{`\p{Lu}\P{Lu}`, []string{"Ab"}, []string{"AB"}},                              // categories
		{`#$$%&amp;'\(\)`, []string{"#$$%&amp;'()"}, []string{"#%"}},                  // the CPE pattern's literals
		{`\i\c*`, []string{"_a1", "x:y"}, []string{"1a"}},                             // name characters
		{`[\d\s]+`, []string{"1 2"}, []string{"a"}},                                   // \d and \s inside a class
		{`\{[0-9a-f]{2}\}`, []string{"{0a}"}, []string{"0a"}},                         // escaped braces
		{`urn:cdx:[0-9a-f]{8}/[1-9][0-9]*#.+`, []string{"urn:cdx:0123abcd/1#x"}, nil}, // a CycloneDX pattern
	}
	for _, tt := range tests {
		re, err := xsdRegexp(tt.pattern)
		if err != nil {
			t.Errorf("xsdRegexp(%q) = %v", tt.pattern, err)
			continue
		}
		for _, s := range tt.match {
			if !re.MatchString(s) {
				t.Errorf("xsdRegexp(%q) does not match %q (as %s)", tt.pattern, s, re)
			}
		}
		for _, s := range tt.nomat {
			if re.MatchString(s) {
				t.Errorf("xsdRegexp(%q) matches %q (as %s)", tt.pattern, s, re)
			}
		}
	}
	for _, bad := range []string{`[a-z-[aeiou]]`, `\p{IsBasicLatin}`, `a\`, `[ab`, `\q`, `[\w]`} {
		if re, err := xsdRegexp(bad); err == nil {
			t.Errorf("xsdRegexp(%q) = %s, want an error", bad, re)
		}
	}
}

func TestBuiltinCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		typ       string
		ok, notOK []string
	}{
		{"dateTime", []string{"2020-04-07T07:01:00Z", "2020-02-29T23:59:59.5+14:00", "2021-12-31T24:00:00"},
			[]string{"2020-04-07", "2021-02-29T00:00:00Z", "2020-04-07T25:00:00Z", "2020-13-01T00:00:00Z", "2020-04-07T07:01:00+15:00", "0000-01-01T00:00:00"}},
		{"date", []string{"2020-04-07", "2020-04-07Z"}, []string{"2020-4-7", "2020-04-31"}},
		{"boolean", []string{"true", "false", "1", "0"}, []string{"yes", "TRUE"}},
		{"decimal", []string{"1", "-1.5", ".5", "+2."}, []string{"1e3", "", "."}},
		{"integer", []string{"-3", "+0"}, []string{"1.0"}},
		{"nonNegativeInteger", []string{"0", "+7"}, []string{"-1"}},
		{"positiveInteger", []string{"1"}, []string{"0", "-0"}},
	}
	for _, tt := range tests {
		for _, v := range tt.ok {
			if msg := builtinCheck(tt.typ, v); msg != "" {
				t.Errorf("builtinCheck(%s, %q) = %q, want valid", tt.typ, v, msg)
			}
		}
		for _, v := range tt.notOK {
			if msg := builtinCheck(tt.typ, v); msg == "" {
				t.Errorf("builtinCheck(%s, %q) is valid, want a violation", tt.typ, v)
			}
		}
	}
}

// testSchema exercises the constructs the CycloneDX schemas do not use:
// element refs, complexContent extension, xs:all, occurrence counts
// other than 0, 1 and unbounded, lists, unions and length facets.
const testSchema = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">
  <xs:element name="root">
    <xs:complexType>
      <xs:sequence>
        <xs:element ref="t:item" minOccurs="2" maxOccurs="3"/>
        <xs:element name="ext" type="t:extended" minOccurs="0"/>
        <xs:element name="bag" minOccurs="0">
          <xs:complexType>
            <xs:all>
              <xs:element name="a" type="xs:string"/>
              <xs:element name="b" type="xs:string" minOccurs="0"/>
            </xs:all>
          </xs:complexType>
        </xs:element>
        <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
  <xs:element name="item">
    <xs:simpleType>
      <xs:union>
        <xs:simpleType><xs:restriction base="xs:integer"><xs:minInclusive value="1"/><xs:maxInclusive value="9"/></xs:restriction></xs:simpleType>
        <xs:simpleType><xs:list><xs:simpleType><xs:restriction base="xs:token"><xs:length value="2"/></xs:restriction></xs:simpleType></xs:list></xs:simpleType>
      </xs:union>
    </xs:simpleType>
  </xs:element>
  <xs:complexType name="base">
    <xs:sequence><xs:element name="first" type="xs:boolean"/></xs:sequence>
    <xs:attribute name="id" type="xs:token" use="required"/>
  </xs:complexType>
  <xs:complexType name="extended">
    <xs:complexContent>
      <xs:extension base="t:base">
        <xs:sequence><xs:element name="second" type="xs:date"/></xs:sequence>
        <xs:attribute name="note"><xs:simpleType><xs:restriction base="xs:string"><xs:maxLength value="3"/></xs:restriction></xs:simpleType></xs:attribute>
      </xs:extension>
    </xs:complexContent>
  </xs:complexType>
</xs:schema>`

func TestXSDConstructs(t *testing.T) {
	t.Parallel()
	set, err := compileXSD([]byte(testSchema))
	if err != nil {
		t.Fatalf("compileXSD = %v", err)
	}
	tests := []struct {
		name, doc string
		want      []string // messages, in order; none for a valid document
	}{
		{"valid", `<root xmlns="urn:t"><item>3</item><item>ab cd</item><ext id="x" note="abc"><first>true</first><second>2020-01-02</second></ext><bag><b/><a/></bag><o:x xmlns:o="urn:o"><anything/></o:x></root>`, nil},
		{"too few", `<root xmlns="urn:t"><item>3</item></root>`, []string{"<root> is incomplete; the schema wants <item>"}},
		{"too many", `<root xmlns="urn:t"><item>1</item><item>2</item><item>3</item><item>4</item></root>`, []string{"<item> is not allowed here in <root>"}},
		{"union", `<root xmlns="urn:t"><item>100</item><item>ab cde</item></root>`, []string{`100 is more than 9, nor is it valid for the other type of the union`, `"ab cde" is not a valid xs:integer`}},
		{"extension", `<root xmlns="urn:t"><item>1</item><item>2</item><ext note="abcd"><second>2020-01-02</second></ext></root>`,
			[]string{`attribute note: "abcd" has 4 characters, the schema wants at most 3`, `<ext> is missing the required attribute id`, `<second> is not allowed here in <ext>; the schema wants <first>`}},
		{"all", `<root xmlns="urn:t"><item>1</item><item>2</item><bag><b/><b/></bag></root>`, []string{"<b> may appear only once in <bag>", "<bag> is incomplete; the schema wants one of <a>"}},
		{"own namespace is not other", `<root xmlns="urn:t"><item>1</item><item>2</item><first/></root>`, []string{"<first> is not allowed here in <root>"}},
		{"text", `<root xmlns="urn:t">hello<item>1</item><item>2</item></root>`, []string{"<root> holds elements only, not text"}},
		{"attribute", `<root xmlns="urn:t" other="1"><item>1</item><item>2</item></root>`, []string{"attribute other is not allowed on <root>"}},
		{"root", `<item xmlns="urn:u">1</item>`, []string{`the root element <item> in namespace "urn:u" is not declared`}},
	}
	for _, tt := range tests {
		got, err := validateXMLSchema(set, []byte(tt.doc))
		if err != nil {
			t.Errorf("%s: validateXMLSchema = %v", tt.name, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: validateXMLSchema = %v, want %d violations %q", tt.name, got, len(tt.want), tt.want)
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i].Message, w) || got[i].Line != 1 || got[i].Rule != RuleSchema {
				t.Errorf("%s: violation %d = %+v, want %q on line 1", tt.name, i, got[i], w)
			}
		}
	}
}

func TestXSDRefusesWhatItCannotCheck(t *testing.T) {
	t.Parallel()
	head := `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t" elementFormDefault="qualified">`
	for name, body := range map[string]string{
		"restriction of a complex type": `<xs:complexType name="a"><xs:complexContent><xs:restriction base="t:b"/></xs:complexContent></xs:complexType><xs:complexType name="b"/>`,
		"strict wildcard":               `<xs:complexType name="a"><xs:sequence><xs:any processContents="strict"/></xs:sequence></xs:complexType>`,
		"unknown built-in":              `<xs:element name="a" type="xs:duration"/>`,
		"unqualified elements":          ``,
		"another selector":              `<xs:element name="a"><xs:unique name="u"><xs:selector xpath="t:b"/><xs:field xpath="@id"/></xs:unique></xs:element>`,
		"a group":                       `<xs:group name="g"><xs:sequence/></xs:group>`,
		"a huge count":                  `<xs:complexType name="a"><xs:sequence><xs:element name="b" maxOccurs="1000"/></xs:sequence></xs:complexType>`,
	} {
		doc := head + body + `</xs:schema>`
		if name == "unqualified elements" {
			doc = strings.Replace(doc, ` elementFormDefault="qualified"`, "", 1)
		}
		if _, err := compileXSD([]byte(doc)); err == nil {
			t.Errorf("compileXSD(%s) compiled, want an error", name)
		}
	}
}

func TestValidateXMLBounds(t *testing.T) {
	t.Parallel()
	deep := `<bom xmlns="http://cyclonedx.org/schema/bom/1.6">` + strings.Repeat("<x>", maxXMLDepth+1) + strings.Repeat("</x>", maxXMLDepth+1) + `</bom>`
	if _, err := Validate([]byte(deep)); !errors.Is(err, ErrMalformed) {
		t.Errorf("Validate(%d levels deep) = %v, want ErrMalformed", maxXMLDepth+2, err)
	}
	truncated := `<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components>`
	if _, err := Validate([]byte(truncated)); !errors.Is(err, ErrMalformed) {
		t.Errorf("Validate(truncated) = %v, want ErrMalformed", err)
	}
	v, err := Validate([]byte(`<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><unknown/></bom>`))
	if err != nil || len(v.Violations) != 1 || v.Violations[0].Where != "/bom" || v.Violations[0].Line != 1 {
		t.Errorf("Validate(unknown element) = %+v, %v, want one violation at /bom", v, err)
	}
}
