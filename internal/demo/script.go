package demo

import (
	"fmt"
	sh "github.com/consign-dev/consign/internal/shell"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// scriptName is the file, in the project directory, that holds the
// walkthrough's command lines.
const scriptName = "steps.sh"

// scriptHead starts steps.sh: it resets the project to the sample's files
// (%s is the list of everything the walkthrough made), then runs the steps.
const scriptHead = `#!/bin/sh
# consign demo's walkthrough, command by command. Run it in the demo's
# directory, with consign on PATH:  sh steps.sh
# It first removes what the walkthrough made, then runs every step again;
# it exits 0 exactly when every step gives the verdict the demo expects.
# Nothing here tampers with the project itself: tampering is on copies.
set -u
cd "$(dirname "$0")" || exit 1
fail() { echo "steps.sh: a step did not give the expected verdict" >&2; exit 1; }
export CONSIGN_PASSWORD=%s
# consign's state (the versions verified, per product) stays here too.
export XDG_CONFIG_HOME="$PWD/%s"
rm -rf --%s
`

// listTree lists every file and directory under dir, relative to it.
func listTree(dir string) (map[string]bool, error) {
	paths := map[string]bool{}
	err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		paths[filepath.ToSlash(rel)] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo: listing %s: %w", dir, err)
	}
	return paths, nil
}

// made lists the outermost paths under the project that the walkthrough
// made: those absent from initial, whose parent was there.
func (d *demo) made(initial map[string]bool) ([]string, error) {
	now, err := listTree(d.root)
	if err != nil {
		return nil, err
	}
	var out []string
	for p := range now {
		if !initial[p] && initial[filepath.ToSlash(filepath.Dir(p))] && p != scriptName {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out, nil
}

// writeScript writes steps.sh to the project directory.
func (d *demo) writeScript(initial map[string]bool) error {
	made, err := d.made(initial)
	if err != nil {
		return err
	}
	var rm strings.Builder
	globbed := map[string]bool{}
	for _, p := range made {
		if path.Ext(p) == ".link" { // named after the signing key: a glob, for a key made again
			p = path.Join(path.Dir(p), "*.link")
			if globbed[p] {
				continue
			}
			globbed[p] = true
			rm.WriteString(" \\\n  " + p)
			continue
		}
		rm.WriteString(" \\\n  " + sh.Quote(p))
	}
	body := fmt.Sprintf(scriptHead, password, stateDir, rm.String()) + strings.Join(d.script, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(d.root, scriptName), []byte(body), 0o755); err != nil {
		return fmt.Errorf("demo: writing %s: %w", scriptName, err)
	}
	return nil
}
