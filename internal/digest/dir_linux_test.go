package digest

import (
	"io/fs"
	"os"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTypeUnknowns covers file systems whose listings give DT_UNKNOWN.
func TestTypeUnknowns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fixture{files: map[string]string{"sub/f": ""}, links: map[string]string{"sub/l": "f"}, dirs: []string{"sub/d"}}.build(t, dir)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	ents := []dirEntry{{"sub/f", "f", typeUnknown}, {"sub/l", "l", typeUnknown}, {"sub/d", "d", typeUnknown}, {"sub/gone", "gone", typeUnknown}, {"sub/known", "known", fs.ModeDir}}
	got, err := typeUnknowns(root, "sub", ents)
	if err != nil {
		t.Fatal(err)
	}
	want := []dirEntry{{"sub/f", "f", 0}, {"sub/l", "l", fs.ModeSymlink}, {"sub/d", "d", fs.ModeDir}, {"sub/known", "known", fs.ModeDir}}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(dirEntry{})); diff != "" {
		t.Errorf("typeUnknowns mismatch (-want +got):\n%s", diff)
	}
}

// TestDirentType covers the d_type mapping.
func TestDirentType(t *testing.T) {
	for dt, want := range map[uint8]fs.FileMode{
		8: 0, 4: fs.ModeDir, 10: fs.ModeSymlink, 1: fs.ModeNamedPipe, 12: fs.ModeSocket,
		2: fs.ModeDevice | fs.ModeCharDevice, 6: fs.ModeDevice, 0: typeUnknown, 14: fs.ModeIrregular,
	} {
		if got := direntType(dt); got != want {
			t.Errorf("direntType(%d) = %v, want %v", dt, got, want)
		}
	}
}

// TestStatType covers the st_mode mapping.
func TestStatType(t *testing.T) {
	for mode, want := range map[uint32]fs.FileMode{
		syscall.S_IFREG | 0o644: 0, syscall.S_IFDIR: fs.ModeDir, syscall.S_IFLNK: fs.ModeSymlink,
		syscall.S_IFIFO: fs.ModeNamedPipe, syscall.S_IFSOCK: fs.ModeSocket,
		syscall.S_IFCHR: fs.ModeDevice | fs.ModeCharDevice, syscall.S_IFBLK: fs.ModeDevice, 0: fs.ModeIrregular,
	} {
		if got := statType(mode); got != want {
			t.Errorf("statType(%o) = %v, want %v", mode, got, want)
		}
	}
}
