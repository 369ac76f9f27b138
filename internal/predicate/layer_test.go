package predicate_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLayer: predicate sits above attest and below every package that
// writes or reads predicates (step, verify, pack, the CLI), so that each
// of those can use it; it imports none of them.
func TestLayer(t *testing.T) {
	const mod = "github.com/consign-dev/consign/"
	allowed := []string{"attestations", "internal/predicate", "internal/attest", "internal/strictjson", "internal/digest", "internal/sign", "internal/limits", "internal/jsonl"}
	out, err := exec.Command("go", "list", "-deps", mod+"internal/predicate").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(dep, mod); ok && !slices.Contains(allowed, rest) {
			t.Errorf("internal/predicate imports %s; it may import only %v", dep, allowed)
		}
	}
}
