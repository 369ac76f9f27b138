package slsa

import (
	"fmt"
	"maps"
	"slices"
)

// checkInputs requires a workflow_dispatch build whose inputs include
// each of want with the same value (as a string).
func checkInputs(p provenance, want map[string]string) error {
	got, err := p.workflowInputs()
	if err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		v, ok := got[k].(string)
		if !ok {
			return fmt.Errorf("%w: no input %q", ErrMismatchWorkflowInputs, k)
		}
		if v != want[k] {
			return fmt.Errorf("%w: expected %s=%q, got %s=%q", ErrMismatchWorkflowInputs, k, want[k], k, v)
		}
	}
	return nil
}
