package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadmeFirstCommands holds README.md's first two commands, the ones a
// newcomer runs on a fresh machine, to what works: the first builds every
// executable under cmd/ into one directory and runs the demo from there
// (the demo's SBOM step runs consign-sbom, which 'go run ./cmd/consign'
// would not build: the demo failed that way), and the second is the test
// command .ci/run runs.
func TestReadmeFirstCommands(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "```sh\n")
	if !ok {
		t.Fatal("README.md has no sh block")
	}
	block, _, _ = strings.Cut(block, "```")
	var cmds []string
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		cmds = append(cmds, strings.TrimSpace(cmd))
	}
	if len(cmds) != 2 {
		t.Fatalf("README.md starts with %d commands, want 2: %q", len(cmds), cmds)
	}

	// The first: go build -o DIR/ ./cmd/... && DIR/consign demo.
	build, run, ok := strings.Cut(cmds[0], " && ")
	if !ok || !strings.HasPrefix(build, "go build -o ") || !strings.HasSuffix(build, "/ ./cmd/...") {
		t.Fatalf("README.md's first command %q does not build ./cmd/... into a directory", cmds[0])
	}
	dir := strings.TrimSuffix(strings.TrimPrefix(build, "go build -o "), "/ ./cmd/...")
	if run != dir+"/consign demo" {
		t.Errorf("README.md's first command runs %q, want %q", run, dir+"/consign demo")
	}
	// ./cmd/... must be consign and the consign-sbom it runs, both built.
	out, err := exec.Command("go", "list", "-f", "{{.Name}} {{.ImportPath}}", "../../cmd/...").Output()
	if err != nil {
		t.Fatalf("go list ../../cmd/...: %v", err)
	}
	var mains []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, path, _ := strings.Cut(l, " ")
		if name == "main" {
			mains = append(mains, filepath.Base(path))
		}
	}
	slices.Sort(mains)
	if !slices.Equal(mains, []string{"consign", "consign-sbom"}) {
		t.Errorf("./cmd/... builds %q, want consign and consign-sbom", mains)
	}

	// The second: what .ci/run runs.
	ci, err := os.ReadFile("../../.ci/run")
	if err != nil {
		t.Fatal(err)
	}
	var ciTest string
	for _, l := range strings.Split(string(ci), "\n") {
		if strings.HasPrefix(l, "go test ") {
			ciTest = l
		}
	}
	if want := strings.Replace(ciTest, " -timeout 20m", "", 1); cmds[1] != want {
		t.Errorf("README.md's second command is %q, .ci/run runs %q", cmds[1], ciTest)
	}
}
