// Package fsutil writes files so that a reader never sees half of one: every
// write goes to a temporary file in the same directory, is synced, and is
// renamed over the destination only when complete. A failure leaves the
// destination as it was and removes the temporary file.
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists is returned when a file exists and overwriting was not asked for.
var ErrExists = errors.New("file exists")

// WriteFile atomically writes data to path with mode perm. Unless overwrite
// is set, an existing path is an error wrapping [ErrExists].
func WriteFile(path string, data []byte, perm fs.FileMode, overwrite bool) error {
	return write(path, perm, overwrite, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// AppendFile atomically appends data to path (creating it with perm): the
// old contents and data are written to a temporary file that replaces path.
// The mode of an existing file is kept.
func AppendFile(path string, data []byte, perm fs.FileMode) error {
	old, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return WriteFile(path, data, perm, false)
	case err != nil:
		return err
	}
	defer old.Close()
	if fi, err := old.Stat(); err == nil {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s is not a regular file", path)
		}
		perm = fi.Mode().Perm()
	}
	return write(path, perm, true, func(w io.Writer) error {
		n, err := io.Copy(w, old)
		if err != nil {
			return err
		}
		if n > 0 {
			// Make sure the new record starts on its own line.
			var last [1]byte
			if _, err := old.ReadAt(last[:], n-1); err == nil && last[0] != '\n' {
				if _, err := w.Write([]byte{'\n'}); err != nil {
					return err
				}
			}
		}
		_, err = w.Write(data)
		return err
	})
}

func write(path string, perm fs.FileMode, overwrite bool, fill func(io.Writer) error) (err error) {
	if !overwrite {
		if _, err := os.Lstat(path); err == nil {
			return fmt.Errorf("%w: %s", ErrExists, path)
		}
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if !overwrite {
		// Link fails if path appeared meanwhile; never clobber a file that
		// was not there when the caller said not to overwrite.
		if err := os.Link(tmp.Name(), path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				os.Remove(tmp.Name())
				return fmt.Errorf("%w: %s", ErrExists, path)
			}
			// A filesystem without hard links: check, then rename.
			if _, serr := os.Lstat(path); serr == nil {
				return fmt.Errorf("%w: %s", ErrExists, path)
			}
			return os.Rename(tmp.Name(), path)
		}
		return os.Remove(tmp.Name())
	}
	return os.Rename(tmp.Name(), path)
}
