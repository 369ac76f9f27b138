package policy

import (
	"fmt"
	"path"
	"strings"

	"github.com/in-toto/in-toto-golang/in_toto"
)

// RuleType is the verb of an artifact rule.
type RuleType string

// The artifact rules of the in-toto specification (v0.9, section 4.3.3).
const (
	RuleMatch    RuleType = "MATCH"
	RuleCreate   RuleType = "CREATE"
	RuleDelete   RuleType = "DELETE"
	RuleModify   RuleType = "MODIFY"
	RuleAllow    RuleType = "ALLOW"
	RuleDisallow RuleType = "DISALLOW"
	RuleRequire  RuleType = "REQUIRE"
)

// Rule is one artifact rule:
//
//	MATCH <pattern> [IN <source-prefix>] WITH (MATERIALS|PRODUCTS) [IN <destination-prefix>] FROM <stage>
//	CREATE <pattern> | DELETE <pattern> | MODIFY <pattern>
//	ALLOW <pattern> | DISALLOW <pattern> | REQUIRE <name>
//
// Keywords are case-insensitive, as in-toto reads them; patterns, prefixes
// and stage names are not.
type Rule struct {
	Type    RuleType
	Pattern Pattern
	// Name is REQUIRE's artifact name (a literal, not a pattern), cleaned.
	Name string
	// SrcPrefix and DstPrefix are MATCH's optional prefixes, cleaned and
	// ending in "/" ("" when absent).
	SrcPrefix, DstPrefix string
	// DstType is "materials" or "products", DstStage the stage MATCH looks at.
	DstType, DstStage string
	// Text is the rule as written, for reports.
	Text string
	Line int
}

// ParseRule reads one rule given as its words, in in-toto's grammar (parsed
// with in-toto-golang's UnpackRule) and compiles its pattern. It returns an
// error wrapping [ErrRule] or [ErrPattern].
func ParseRule(words []string) (Rule, error) {
	text := strings.Join(words, " ")
	if len(words) == 0 {
		return Rule{}, fmt.Errorf("%w: empty rule", ErrRule)
	}
	for _, w := range words {
		if w == "" {
			return Rule{}, fmt.Errorf("%w: %q has an empty word", ErrRule, text)
		}
	}
	data, err := in_toto.UnpackRule(words)
	if err != nil {
		return Rule{}, fmt.Errorf("%w: %q: want MATCH <pattern> [IN <prefix>] WITH (MATERIALS|PRODUCTS) [IN <prefix>] FROM <stage>, or CREATE, DELETE, MODIFY, ALLOW, DISALLOW or REQUIRE followed by one pattern", ErrRule, text)
	}
	r := Rule{Type: RuleType(strings.ToUpper(data["type"])), Text: text}
	if r.Type == RuleRequire {
		if data["pattern"] == "" || strings.ContainsAny(data["pattern"], "\\\x00") {
			return Rule{}, fmt.Errorf("%w: %q: REQUIRE needs an artifact name", ErrRule, text)
		}
		r.Name = path.Clean(data["pattern"])
		return r, nil
	}
	if r.Pattern, err = CompilePattern(data["pattern"]); err != nil {
		return Rule{}, fmt.Errorf("rule %s: %w", text, err)
	}
	if r.Type == RuleMatch {
		r.DstType, r.DstStage = data["dstType"], data["dstName"]
		if r.DstType != "materials" && r.DstType != "products" {
			return Rule{}, fmt.Errorf("%w: %q: MATCH ... WITH must name MATERIALS or PRODUCTS", ErrRule, text)
		}
		if r.SrcPrefix, err = prefix(data["srcPrefix"], text); err != nil {
			return Rule{}, err
		}
		if r.DstPrefix, err = prefix(data["dstPrefix"], text); err != nil {
			return Rule{}, err
		}
	}
	return r, nil
}

// prefix cleans a MATCH prefix and ends it with "/". Prefixes are literal
// paths: the in-toto specification does not glob them.
func prefix(p, text string) (string, error) {
	if p == "" {
		return "", nil
	}
	if strings.ContainsAny(p, "*?[\\\x00") {
		return "", fmt.Errorf("%w: %q: the prefix %q must be a plain path, without wildcards", ErrRule, text, p)
	}
	c := path.Clean(p)
	if c == "." || c == "/" {
		return "", fmt.Errorf("%w: %q: the prefix %q names no directory", ErrRule, text, p)
	}
	return c + "/", nil
}

// ParseRuleText reads a rule written as one string, its words separated by
// white space ("MATCH dist/* WITH PRODUCTS FROM build"). A word may be
// quoted with double or single quotes (`DISALLOW "*"`), which hold white
// space and are removed; there are no escapes.
func ParseRuleText(s string) (Rule, error) {
	words, err := splitWords(s)
	if err != nil {
		return Rule{}, err
	}
	r, err := ParseRule(words)
	if err == nil {
		r.Text = s
	}
	return r, err
}

func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\'':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("%w: %q has an unclosed quote", ErrRule, s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
