package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// runnableFence opens a documentation code block that TestDocs runs.
const runnableFence = "```sh runnable"

// runnableBlocks returns the bodies of the runnable blocks of a Markdown
// file, in order, with the line each starts on.
func runnableBlocks(path string) (blocks []string, lines []int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	var cur *strings.Builder
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.TrimSpace(line) == runnableFence:
			cur = &strings.Builder{}
			lines = append(lines, n)
		case cur != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	if cur != nil {
		return nil, nil, fmt.Errorf("%s: the runnable block of line %d is not closed", path, lines[len(lines)-1])
	}
	return blocks, lines, nil
}

// docScripts writes one testscript per Markdown file with runnable blocks
// into dir, and returns how many blocks there are in all.
func docScripts(t *testing.T, dir string, docs []string) int {
	total := 0
	for _, doc := range docs {
		blocks, lines, err := runnableBlocks(doc)
		if err != nil {
			t.Fatal(err)
		}
		if len(blocks) == 0 {
			continue
		}
		var script, files strings.Builder
		for i, b := range blocks {
			name := fmt.Sprintf("block%d.sh", i+1)
			fmt.Fprintf(&script, "# %s, line %d\nexec sh -e %s\n", filepath.Base(doc), lines[i], name)
			fmt.Fprintf(&files, "-- %s --\n%s", name, b)
		}
		total += len(blocks)
		name := strings.TrimSuffix(filepath.Base(doc), ".md") + ".txtar"
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script.String()+files.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return total
}

// TestDocs runs every block of README.md and docs/*.md fenced as
// "```sh runnable", with sh -e and consign on PATH, in a fresh directory per
// file: the blocks of one file run in order and share their files (not
// their variables), so that the documentation cannot drift from what
// consign does. A runnable block must not need a network, nor a registry
// other than one it starts itself on loopback ('consign registry serve').
func TestDocs(t *testing.T) {
	t.Parallel()
	docs, err := filepath.Glob("../../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	scripts := t.TempDir()
	if docScripts(t, scripts, append([]string{"../../README.md"}, docs...)) == 0 {
		t.Fatal("no runnable block in README.md or docs/*.md: the Quickstart at least must be one")
	}
	testscript.Run(t, testscript.Params{
		Dir:                 scripts,
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			isolateHome(env)
			return checkMessages(env)
		},
	})
}

// TestRunnableBlocks: the extractor finds exactly the marked blocks and
// refuses one left open.
func TestRunnableBlocks(t *testing.T) {
	md := filepath.Join(t.TempDir(), "x.md")
	write := func(s string) {
		if err := os.WriteFile(md, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("```sh\nnot me\n```\n```sh runnable\necho one\necho two\n```\ntext\n  ```sh runnable\necho three\n  ```\n")
	blocks, lines, err := runnableBlocks(md)
	if err != nil || len(blocks) != 2 || blocks[0] != "echo one\necho two\n" || blocks[1] != "echo three\n" || lines[0] != 4 || lines[1] != 9 {
		t.Fatalf("runnableBlocks = %q %v %v", blocks, lines, err)
	}
	write("```sh runnable\necho open\n")
	if _, _, err := runnableBlocks(md); err == nil {
		t.Fatal("an unclosed runnable block was accepted")
	}
}
