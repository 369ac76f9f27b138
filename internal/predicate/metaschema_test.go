package predicate

import (
	"fmt"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestMetaschemaStillApplied: the jsonschema module under
// internal/thirdparty compiles the drafts' metaschemas on first use instead
// of at start-up. A schema that its draft's metaschema refuses must still
// be refused, for each draft the schemas consign validates against use.
func TestMetaschemaStillApplied(t *testing.T) {
	for _, draft := range []string{
		"http://json-schema.org/draft-04/schema#",
		"http://json-schema.org/draft-07/schema#",
		"https://json-schema.org/draft/2020-12/schema",
	} {
		for _, bad := range []string{`{"type": 5}`, `{"minLength": "x"}`, `{"required": "name"}`} {
			doc, err := jsonschema.UnmarshalJSON(strings.NewReader(`{"$schema": "` + draft + `", ` + bad[1:]))
			if err != nil {
				t.Fatal(err)
			}
			c := jsonschema.NewCompiler()
			if err := c.AddResource("urn:test:bad.json", doc); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Compile("urn:test:bad.json"); err == nil {
				t.Errorf("%s: schema %s compiled; its metaschema refuses it", draft, bad)
			}
		}
		good, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"$schema": "` + draft + `", "type": "string", "minLength": 2}`))
		c := jsonschema.NewCompiler()
		if err := c.AddResource("urn:test:good.json", good); err != nil {
			t.Fatal(err)
		}
		s, err := c.Compile("urn:test:good.json")
		if err != nil {
			t.Fatalf("%s: a valid schema: %v", draft, err)
		}
		if err := s.Validate("x"); err == nil {
			t.Errorf("%s: \"x\" passed minLength 2", draft)
		}
		if err := s.Validate("xy"); err != nil {
			t.Errorf("%s: \"xy\" failed: %v", draft, err)
		}
	}
}

// TestMetaschemaConcurrent: compilers made at once on several goroutines
// (the drafts' metaschemas compiled once, by whichever comes first) each
// refuse what the metaschema refuses and validate what they compiled; run
// with -race.
func TestMetaschemaConcurrent(t *testing.T) {
	t.Parallel()
	const n = 8
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- func() error {
				c := jsonschema.NewCompiler()
				bad, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": 5}`))
				if err := c.AddResource("urn:test:bad.json", bad); err != nil {
					return err
				}
				if _, err := c.Compile("urn:test:bad.json"); err == nil {
					return fmt.Errorf("goroutine %d: a schema its metaschema refuses compiled", i)
				}
				c = jsonschema.NewCompiler()
				good, _ := jsonschema.UnmarshalJSON(strings.NewReader(`{"$schema": "http://json-schema.org/draft-07/schema#", "type": "string", "minLength": 2}`))
				if err := c.AddResource("urn:test:good.json", good); err != nil {
					return err
				}
				s, err := c.Compile("urn:test:good.json")
				if err != nil {
					return err
				}
				if s.Validate("x") == nil {
					return fmt.Errorf("goroutine %d: \"x\" passed minLength 2", i)
				}
				return nil
			}()
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
