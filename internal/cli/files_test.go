package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckReplaceable: a file a server writes once it listens is checked
// before it starts, and the check leaves nothing behind.
func TestCheckReplaceable(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "old"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, wantErr string
	}{
		{"new file", filepath.Join(dir, "url"), ""},
		{"existing file", filepath.Join(dir, "old"), ""},
		{"directory", dir, "it is a directory, not a regular file"},
		{"device", os.DevNull, "it is a character device, not a regular file"},
		{"no directory", filepath.Join(dir, "nodir", "url"), "no such file or directory"},
		// procfs takes no new files, even from root.
		{"directory not writable", "/proc/consign-ready-url", "cannot write /proc/consign-ready-url: directory /proc: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.HasPrefix(tt.path, "/proc/") {
				if _, err := os.Stat("/proc/self"); err != nil {
					t.Skip("no procfs")
				}
			}
			err := checkReplaceable(tt.path)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("checkReplaceable(%q) = %v, want nil", tt.path, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("checkReplaceable(%q) = %v, want an error containing %q", tt.path, err, tt.wantErr)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "old" {
		t.Errorf("after the checks, %s holds %v, want only old", dir, entries)
	}
}
