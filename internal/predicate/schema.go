package predicate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/consign-dev/consign/attestations"
	"github.com/consign-dev/consign/internal/attest"
)

// schemas compiles attestations/schemas once: predicate type URI -> schema.
var schemas = sync.OnceValues(func() (map[string]*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	var ids []string
	err := fs.WalkDir(attestations.Schemas, "schemas", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(attestations.Schemas, path)
		if err != nil {
			return err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
		if err != nil {
			return fmt.Errorf("schema %s: %w", path, err)
		}
		m, _ := doc.(map[string]any)
		id, _ := m["$id"].(string)
		if id == "" {
			return fmt.Errorf("schema %s has no $id", path)
		}
		ids = append(ids, id)
		return c.AddResource(id, doc)
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]*jsonschema.Schema, len(ids))
	for _, id := range ids {
		s, err := c.Compile(id)
		if err != nil {
			return nil, fmt.Errorf("compiling schema %s: %w", id, err)
		}
		out[id] = s
	}
	return out, nil
})

// HasSchema reports whether consign has a schema for predicateType.
func HasSchema(predicateType string) bool {
	m, err := schemas()
	return err == nil && m[predicateType] != nil
}

// Validate checks predicate against the JSON Schema of predicateType, when
// consign has one (see attestations/schemas), after [attest.CheckJSON]. A
// predicate of an unknown type only has to be a JSON object. It returns an
// error wrapping [attest.ErrMalformed], or [attest.ErrPredicate] naming the
// failing location.
func Validate(predicateType string, predicate json.RawMessage) error {
	if err := attest.CheckJSON(predicate); err != nil {
		return err
	}
	m, err := schemas()
	if err != nil {
		return fmt.Errorf("loading predicate schemas: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(predicate))
	if err != nil {
		return fmt.Errorf("%w: %v", attest.ErrMalformed, err)
	}
	if _, ok := inst.(map[string]any); !ok {
		return fmt.Errorf("%w: predicate is not a JSON object", attest.ErrPredicate)
	}
	s := m[predicateType]
	if s == nil {
		return nil
	}
	if err := s.Validate(inst); err != nil {
		var ve *jsonschema.ValidationError
		if errors.As(err, &ve) {
			return fmt.Errorf("%w (%s) %s", attest.ErrPredicate, attest.ShortName(predicateType), firstCause(ve))
		}
		return fmt.Errorf("%w (%s): %v", attest.ErrPredicate, attest.ShortName(predicateType), err)
	}
	return nil
}

// firstCause flattens a validation error to its deepest first cause, which
// names the offending field in one line.
func firstCause(ve *jsonschema.ValidationError) string {
	for len(ve.Causes) > 0 {
		ve = ve.Causes[0]
	}
	loc := "/" + strings.Join(ve.InstanceLocation, "/")
	return fmt.Sprintf("at %s: %s", loc, ve.ErrorKind.LocalizedString(message.NewPrinter(language.English)))
}
