package strictjson

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLeaf: the strict JSON reader is a leaf every layer may use, the
// transparency log's maths included, so it imports nothing of consign's
// but the limits it applies.
func TestLeaf(t *testing.T) {
	const mod = "github.com/consign-dev/consign/"
	out, err := exec.Command("go", "list", "-deps", mod+"internal/strictjson").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, mod) && dep != mod+"internal/strictjson" && dep != mod+"internal/limits" {
			t.Errorf("internal/strictjson imports %s; it must stay a leaf", dep)
		}
	}
}
