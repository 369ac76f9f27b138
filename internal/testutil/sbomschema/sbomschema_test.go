package sbomschema

import (
	"bytes"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// TestSchemasRejectInvalid is the negative control of Validate: a document
// that breaks each schema fails it.
func TestSchemasRejectInvalid(t *testing.T) {
	t.Parallel()
	m, err := Schemas()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(m), len(ids); got != want {
		t.Fatalf("compiled %d schemas, want %d", got, want)
	}
	bad := map[string]string{
		"cyclonedx-json": `{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [{"type": "no-such-type", "name": "x"}]}`,
		"spdx-json":      `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "name": "x"}`,
	}
	for f, s := range m {
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(bad[f.Name])))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(inst); err == nil {
			t.Errorf("the %s schema accepts an invalid document", f)
		}
	}
}
