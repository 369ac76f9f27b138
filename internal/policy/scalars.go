package policy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// mapping reads n as a mapping with only the allowed keys, each once.
func (ps *parser) mapping(n *yaml.Node, what string, allowed ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		ps.errorf(n, "%s must be a mapping", what)
		return nil
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			ps.errorf(k, "%s has a key that is not a plain name", what)
			continue
		}
		if _, dup := out[k.Value]; dup {
			ps.errorf(k, "%s has the key %q twice", what, k.Value)
			continue
		}
		if !contains(allowed, k.Value) {
			ps.errorf(k, "unknown field %q in %s%s", k.Value, what, suggest(k.Value, allowed))
			continue
		}
		out[k.Value] = v
		v.Line = max(v.Line, k.Line)
	}
	return out
}

// keyNodes returns the key nodes of a mapping, to report lines for names.
func keyNode(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return n
}

func suggest(got string, allowed []string) string {
	norm := func(s string) string { return strings.ToLower(strings.NewReplacer("_", "", "-", "").Replace(s)) }
	for _, a := range allowed {
		if distance(norm(a), norm(got)) <= 2 {
			return fmt.Sprintf(" (did you mean %q?)", a)
		}
	}
	return fmt.Sprintf(" (known: %s)", strings.Join(allowed, ", "))
}

func (ps *parser) required(parent *yaml.Node, fields map[string]*yaml.Node, key string) *yaml.Node {
	n := fields[key]
	if n == nil {
		ps.errorf(parent, "%s is required", key)
	}
	return n
}

func (ps *parser) str(n *yaml.Node, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || n.Tag == "!!binary" {
		ps.errorf(n, "%s must be a string", what)
		return "", false
	}
	return n.Value, true
}

// integer reads an exact integer: "1.0", "1e0" and "0x1" are refused, as in
// signed JSON (security case 60 in docs/security.md).
func (ps *parser) integer(n *yaml.Node, what string) (int, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
		ps.errorf(n, "%s must be an integer, got %q", what, n.Value)
		return 0, false
	}
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if err != nil || v > math.MaxInt32 || v < math.MinInt32 {
		ps.errorf(n, "%s must be a decimal integer, got %q", what, n.Value)
		return 0, false
	}
	return int(v), true
}

func (ps *parser) number(n *yaml.Node, what string) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		ps.errorf(n, "%s must be a number, got %q", what, n.Value)
		return 0, false
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		ps.errorf(n, "%s must be a number, got %q", what, n.Value)
		return 0, false
	}
	return v, true
}

func (ps *parser) time(n *yaml.Node, what string) (time.Time, bool) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!timestamp") {
		ps.errorf(n, "%s must be a time such as 2027-06-30T00:00:00Z", what)
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, n.Value)
	if err != nil {
		ps.errorf(n, "%s must be an RFC 3339 time such as 2027-06-30T00:00:00Z, got %q", what, n.Value)
		return time.Time{}, false
	}
	return t.UTC(), true
}

func (ps *parser) strList(n *yaml.Node, what string) []string {
	if n.Kind != yaml.SequenceNode {
		ps.errorf(n, "%s must be a list", what)
		return nil
	}
	var out []string
	for _, c := range n.Content {
		if s, ok := ps.str(c, what+" entry"); ok {
			out = append(out, s)
		}
	}
	return out
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
