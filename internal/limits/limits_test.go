package limits_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/consign-dev/consign/internal/limits"
)

// TestOpen: a file to stream is refused before a byte is read when it is
// a directory or a regular file over the cap.
func TestOpen(t *testing.T) {
	dir := t.TempDir()
	small, big := filepath.Join(dir, "small"), filepath.Join(dir, "big")
	os.WriteFile(small, []byte("1234"), 0o600)
	os.WriteFile(big, []byte("12345"), 0o600)
	f, err := limits.Open(small, 4)
	if err != nil {
		t.Fatalf("Open(a file at the cap) = %v", err)
	}
	f.Close()
	if _, err := limits.Open(big, 4); !errors.Is(err, limits.ErrTooLarge) {
		t.Errorf("Open(a file over the cap) = %v, want ErrTooLarge", err)
	}
	if _, err := limits.Open(dir, 4); !errors.Is(err, limits.ErrNotFile) {
		t.Errorf("Open(a directory) = %v, want ErrNotFile", err)
	}
	// A device is refused, unread: /dev/zero never ends.
	if _, err := os.Stat("/dev/zero"); err == nil {
		if _, err := limits.Open("/dev/zero", 4); !errors.Is(err, limits.ErrNotFile) {
			t.Errorf("Open(/dev/zero) = %v, want ErrNotFile", err)
		}
	}
	if _, err := limits.Open(filepath.Join(dir, "missing"), 4); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open(missing) = %v, want ErrNotExist", err)
	}
}
