//go:build unix

package fsutil

import (
	"errors"
	"os"
	"syscall"
)

// syncDirectory makes a directory's entries durable: after a rename or a
// link, the new name is on disk only once the directory is synced.
// Filesystems that cannot sync a directory (EINVAL, ENOTSUP) are let be.
func syncDirectory(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}

// lockFile takes an exclusive advisory lock (flock) on f, waiting for it;
// closing f releases it.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
