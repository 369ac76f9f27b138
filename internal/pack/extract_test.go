package pack_test

import (
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/pack"
)

// TestExtractSyncs: an extracted file is synced before it is closed, every
// directory of the extraction before the rename into place, and the
// destination's parent after it, so that a crash after Commit loses nothing
// Commit reported extracted.
func TestExtractSyncs(t *testing.T) {
	r := newRelease(t, 2, 2)
	r.cfg.Include = map[int]string{0: r.artifacts[0]}
	data := r.build(t, pack.WriteOptions{Gzip: true})
	parent := t.TempDir()
	dest := filepath.Join(parent, "out")
	var dirs, files []string
	restore := pack.SetSyncHooksForTest(func(d string) { dirs = append(dirs, d) }, func(f string) { files = append(files, f) })
	defer restore()
	p, err := read(t, data, pack.Options{ExtractTo: dest})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	// The temporary directory's names, as the pack lays them out.
	rel := func(names []string) []string {
		var out []string
		for _, n := range names {
			if i := strings.Index(n, ".out.partial-"); i >= 0 {
				n = n[i:]
				if j := strings.IndexByte(n, '/'); j >= 0 {
					out = append(out, n[j+1:])
				} else {
					out = append(out, ".")
				}
			}
		}
		slices.Sort(out)
		return out
	}
	var wantFiles, wantDirs []string
	err = filepath.WalkDir(dest, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name, _ := filepath.Rel(dest, path)
		switch {
		case d.IsDir():
			wantDirs = append(wantDirs, filepath.ToSlash(name))
		case d.Type().IsRegular():
			wantFiles = append(wantFiles, filepath.ToSlash(name))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(wantFiles)
	slices.Sort(wantDirs)
	if got := rel(files); !slices.Equal(got, wantFiles) {
		t.Errorf("files synced %q, want every extracted file %q", got, wantFiles)
	}
	if got := rel(dirs); !slices.Equal(got, wantDirs) {
		t.Errorf("directories synced before the rename %q, want %q", got, wantDirs)
	}
	if len(dirs) == 0 || dirs[len(dirs)-1] != parent {
		t.Errorf("last directory synced %q, want the destination's parent %s after the rename", dirs, parent)
	}
}
