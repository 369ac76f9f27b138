package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestSecurityDocNamesRealTests keeps docs/security.md honest: every test it
// names as covering an attack exists in the repository, and every attack it
// lists names at least one test.
func TestSecurityDocNamesRealTests(t *testing.T) {
	root := filepath.Join("..", "..")
	doc, err := os.ReadFile(filepath.Join(root, "docs", "security.md"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	funcRE := regexp.MustCompile(`(?m)^func ((?:Test|Fuzz)\w+)\(`)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range funcRE.FindAllSubmatch(b, -1) {
			defined[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	nameRE := regexp.MustCompile("`((?:Test|Fuzz)\\w+)`")
	rowRE := regexp.MustCompile(`^\| (\d+) \|`)
	rows := 0
	for _, line := range strings.Split(string(doc), "\n") {
		m := rowRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rows++
		names := nameRE.FindAllStringSubmatch(line, -1)
		if len(names) == 0 {
			t.Errorf("docs/security.md case %s names no test", m[1])
		}
		for _, n := range names {
			if !defined[n[1]] {
				t.Errorf("docs/security.md case %s names %s, which no test file defines", m[1], n[1])
			}
		}
	}
	if rows < 50 {
		t.Errorf("docs/security.md has %d case rows; the table format may have changed", rows)
	}
	t.Logf("%d cases, %d tests and fuzz targets in the repository", rows, len(defined))
}
