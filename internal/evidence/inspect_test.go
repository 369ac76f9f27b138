package evidence

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/digest"
)

func TestInspector(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "in.txt"), []byte("input"))
	materials, products, err := Inspector{Dir: dir}.Inspect(context.Background(), "scan", []string{"sh", "-c", "cp in.txt out.txt"})
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := digest.Reader(strings.NewReader("input"), digest.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if len(materials) != 1 || !digest.Matches(materials["in.txt"], want) {
		t.Errorf("materials = %v, want in.txt only", materials)
	}
	if len(products) != 2 || !digest.Matches(products["out.txt"], want) || !digest.Matches(products["in.txt"], want) {
		t.Errorf("products = %v, want in.txt and out.txt", products)
	}

	_, _, err = Inspector{Dir: dir}.Inspect(context.Background(), "fails", []string{"false"})
	if err == nil || !strings.Contains(err.Error(), `the inspection command "false" failed`) {
		t.Errorf("Inspect(false) = %v, want the command named", err)
	}
	_, _, err = Inspector{Dir: filepath.Join(dir, "missing")}.Inspect(context.Background(), "nodir", []string{"true"})
	if err == nil || !strings.Contains(err.Error(), "running the inspection") {
		t.Errorf("Inspect in a missing directory = %v, want an error", err)
	}
}
