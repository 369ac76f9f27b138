package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v3"
)

// TestShippedPolicies: every policy in policies/ parses, lints clean (at a
// fixed date before it expires) and fits policies/policy.schema.json; and the
// schema refuses what the parser refuses in a few telling cases.
func TestShippedPolicies(t *testing.T) {
	schema := compileSchema(t)
	files, err := filepath.Glob("../../policies/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no policies in policies/: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			opts := ParseOptions{Dir: filepath.Dir(f)}
			if _, err := Parse(src, opts); err != nil {
				t.Fatalf("Parse(%s) = %v", f, err)
			}
			if findings := Lint(src, opts, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); len(findings) > 0 {
				t.Errorf("Lint(%s) = %v", f, findings)
			}
			if err := schema.Validate(yamlToJSON(t, src)); err != nil {
				t.Errorf("%s does not fit the schema: %v", f, err)
			}
			if _, err := Inline(src, opts); err != nil {
				t.Errorf("Inline(%s) = %v", f, err)
			}
		})
	}
	for name, bad := range map[string]string{
		"threshold 0":   "threshold: 2",
		"unknown field": "product: acme-router-firmware",
		"empty by":      "by: [alice, bob, carol]",
	} {
		src, _ := os.ReadFile("../../policies/release.yaml")
		mutated := map[string]string{
			"threshold 0":   "threshold: 0",
			"unknown field": "product: acme-router-firmware\nprodcut: x",
			"empty by":      "by: []",
		}[name]
		doc := strings.Replace(string(src), bad, mutated, 1)
		if schema.Validate(yamlToJSON(t, []byte(doc))) == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
		if _, err := Parse([]byte(doc), ParseOptions{Dir: "../../policies"}); err == nil {
			t.Errorf("%s: the parser accepts it", name)
		}
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := os.ReadFile("../../policies/policy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("policy.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("policy.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// yamlToJSON turns a policy into the JSON value the schema validates.
func yamlToJSON(t *testing.T, src []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(src, &v); err != nil {
		t.Fatal(err)
	}
	v = timesToStrings(jsonable(v))
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func timesToStrings(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = timesToStrings(e)
		}
	case []any:
		for i, e := range x {
			x[i] = timesToStrings(e)
		}
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	}
	return v
}

// ExampleLint lints a policy with one mistake.
func ExampleLint() {
	src := []byte(`product: demo
expires: 2030-01-01T00:00:00Z
owner: {keyid: 0000000000000000000000000000000000000000000000000000000000000000}
functionaries: {}
stages:
  - name: build
    by: [ci]
    threshold: 0
    require: [link]
`)
	for _, f := range Lint(src, ParseOptions{}, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		fmt.Println(f)
	}
	// Output:
	// line 4: error: functionaries is empty
	// line 7: error: stage "build": unknown functionary "ci"
	// line 8: error: stage "build": threshold 0 is invalid: it must be at least 1
}

// ExampleCompilePattern shows fnmatch semantics: "*" crosses "/", and
// "[^...]" is not a negation.
func ExampleCompilePattern() {
	p, _ := CompilePattern("src/*")
	fmt.Println(p.Match("src/a/b.c"), p.Match("src/../evil.sh"))
	neg, _ := CompilePattern("[!a-z]*")
	caret, _ := CompilePattern("[^a-z]*")
	fmt.Println(neg.Match("X.sh"), caret.Match("X.sh"))
	_, err := CompilePattern("targets/[")
	fmt.Println(err != nil)
	// Output:
	// true false
	// true false
	// true
}
