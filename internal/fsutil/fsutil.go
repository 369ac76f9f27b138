// Package fsutil writes files so that a reader never sees half of one: every
// write goes to a temporary file in the same directory, is synced, and is
// renamed over the destination only when complete; the directory is then
// synced, so that the new name survives a crash too. A failure leaves the
// destination as it was and removes the temporary file. Appends to one file
// are serialised with an advisory lock (flock), so none is lost.
package fsutil

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// syncDir and syncFile are variables so that tests can see each sync.
var (
	syncDir  = syncDirectory
	syncFile = (*os.File).Sync
)

// SyncDir syncs the directory dir, so that names just created, renamed or
// removed in it are durable.
func SyncDir(dir string) error { return syncDir(dir) }

var (
	// ErrExists is returned when a file exists and overwriting was not asked for.
	ErrExists = errors.New("file exists")
	// ErrNotRegular is returned when a destination exists and is not a regular file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrSymlink is returned when a destination is a symbolic link, overwrite
	// or not: a write replaces the name, so it would neither write the file
	// the link points to nor keep the link, and no write goes through a link.
	ErrSymlink = errors.New("the destination is a symbolic link")
)

// File is one file for [WriteFiles].
type File struct {
	Path string
	Data []byte
	Perm fs.FileMode
}

// WriteFiles writes several files as one unit: every destination is checked
// first (it must be absent, or a regular file when overwrite is set), every
// temporary file is written and synced, and only then are they renamed into
// place, so that a failure before the renames changes nothing.
func WriteFiles(files []File, overwrite bool) error {
	paths := make([]Stream, len(files))
	for i, f := range files {
		paths[i] = Stream{Path: f.Path, Perm: f.Perm}
	}
	return WriteStreams(paths, overwrite, func(ws []io.Writer) error {
		for i, f := range files {
			if _, err := ws[i].Write(f.Data); err != nil {
				return err
			}
		}
		return nil
	})
}

// Stream is one file for [WriteStreams].
type Stream struct {
	Path string
	Perm fs.FileMode
}

// WriteStreams is [WriteFiles] for files whose contents arrive as a
// stream: fill writes them, all at once, through ws (one writer per file,
// in order), into temporary files beside the destinations. Only when fill
// returns nil are they synced and renamed into place; an error of fill, or
// of writing, leaves every destination as it was and no temporary file.
func WriteStreams(files []Stream, overwrite bool, fill func(ws []io.Writer) error) (err error) {
	for _, f := range files {
		if err := checkDest(f.Path, overwrite); err != nil {
			return err
		}
	}
	tmps := make([]*os.File, 0, len(files))
	defer func() {
		if err != nil {
			for _, t := range tmps {
				t.Close()
				os.Remove(t.Name())
			}
		}
	}()
	ws := make([]io.Writer, len(files))
	bufs := make([]*bufio.Writer, len(files))
	for i, f := range files {
		t, err := os.CreateTemp(filepath.Dir(f.Path), "."+filepath.Base(f.Path)+".tmp-*")
		if err != nil {
			return destError(f.Path, "", err)
		}
		tmps = append(tmps, t)
		if err := t.Chmod(f.Perm); err != nil {
			return destError(f.Path, t.Name(), err)
		}
		bufs[i] = bufio.NewWriterSize(t, 64<<10)
		ws[i] = bufs[i]
	}
	if err := fill(ws); err != nil {
		return err
	}
	for i, t := range tmps {
		if err := bufs[i].Flush(); err != nil {
			return destError(files[i].Path, t.Name(), err)
		}
		if err := syncFile(t); err != nil {
			return destError(files[i].Path, t.Name(), err)
		}
		if err := t.Close(); err != nil {
			return destError(files[i].Path, t.Name(), err)
		}
	}
	dirs := map[string]bool{}
	for i, f := range files {
		if err := os.Rename(tmps[i].Name(), f.Path); err != nil {
			return destError(f.Path, tmps[i].Name(), err)
		}
		dirs[filepath.Dir(f.Path)] = true
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return fmt.Errorf("syncing directory %s: %w", d, err)
		}
	}
	return nil
}

// CheckDest reports whether a write to path may go ahead: nil when path
// does not exist, or is a regular file and overwrite is set. Otherwise the
// error wraps [ErrSymlink] for a symbolic link and [ErrNotRegular] for a
// directory or special file, whether or not overwrite is set (no overwrite
// would help), else [ErrExists].
func CheckDest(path string, overwrite bool) error { return checkDest(path, overwrite) }

func checkDest(path string, overwrite bool) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode().Type() == fs.ModeSymlink:
		return symlinkError(path)
	case Special(fi):
		// Said first: no --force would make a directory writable.
		return fmt.Errorf("%w: %s", ErrNotRegular, path)
	case !overwrite:
		return fmt.Errorf("%w: %s", ErrExists, path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%w: %s", ErrNotRegular, path)
	}
	return nil
}

func symlinkError(path string) error {
	if target, err := os.Readlink(path); err == nil {
		return fmt.Errorf("%w: %s -> %s; consign does not write through links", ErrSymlink, path, target)
	}
	return fmt.Errorf("%w: %s; consign does not write through links", ErrSymlink, path)
}

// Special reports whether fi (from Lstat) is neither a regular file nor a
// symbolic link: a directory, device, pipe or socket, which no write of
// this package replaces, overwrite or not.
func Special(fi fs.FileInfo) bool {
	return fi.Mode().Type()&^fs.ModeSymlink != 0
}

func writeTemp(path string, perm fs.FileMode, fill func(io.Writer) error) (name string, err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return "", destError(path, "", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			err = destError(path, tmp.Name(), err)
		}
	}()
	if err := tmp.Chmod(perm); err != nil {
		return "", err
	}
	if err := fill(tmp); err != nil {
		return "", err
	}
	if err := syncFile(tmp); err != nil {
		return "", err
	}
	return tmp.Name(), tmp.Close()
}

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
// The mode of an existing file is kept. Concurrent appends to one path, from
// this process or others, are serialised by an exclusive flock on the file
// being replaced, so that none is lost.
func AppendFile(path string, data []byte, perm fs.FileMode) error {
	return AppendStream(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// AppendStream is [AppendFile] for a record too large to hold in memory as
// one piece: fill writes it (through a buffer) and may be called more than
// once, when another writer replaced path meanwhile. An error from fill
// leaves path as it was.
func AppendStream(path string, perm fs.FileMode, fill func(io.Writer) error) error {
	return replaceLocked(path, perm, buffered(fill), func(old *os.File, w io.Writer) error {
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
		return buffered(fill)(w)
	})
}

// buffered is fill writing through a buffer of 256 KiB.
func buffered(fill func(io.Writer) error) func(io.Writer) error {
	return func(w io.Writer) error {
		bw := bufio.NewWriterSize(w, 256<<10)
		if err := fill(bw); err != nil {
			return err
		}
		return bw.Flush()
	}
}

// UpdateFile atomically replaces the contents of path, at most max bytes,
// with what update makes of them (nil when path does not exist: it is then
// created with perm), under the same lock as [AppendFile], so that two
// read-modify-write cycles on one file never lose one's change. update may
// run more than once when another writer replaced path meanwhile; an error
// from it leaves path as it was.
func UpdateFile(path string, perm fs.FileMode, max int64, update func(old []byte) ([]byte, error)) error {
	first, err := update(nil)
	if err != nil {
		return err
	}
	create := func(w io.Writer) error {
		_, err := w.Write(first)
		return err
	}
	return replaceLocked(path, perm, create, func(old *os.File, w io.Writer) error {
		b, err := io.ReadAll(io.LimitReader(old, max+1))
		if err != nil {
			return err
		}
		if int64(len(b)) > max {
			return fmt.Errorf("%s is larger than %d bytes", path, max)
		}
		out, err := update(b)
		if err != nil {
			return err
		}
		_, err = w.Write(out)
		return err
	})
}

// replaceLocked replaces path with what fill writes from the old file,
// holding an exclusive flock on the old file, or creates it with what
// create writes. Each try either replaces path or finds that another writer
// replaced (or created) it meanwhile, and tries again on the new file.
func replaceLocked(path string, perm fs.FileMode, create func(io.Writer) error, fill func(old *os.File, w io.Writer) error) error {
	for range maxReplaceTries {
		done, err := replaceOnce(path, perm, create, fill)
		if done || err != nil {
			return err
		}
	}
	return fmt.Errorf("replacing %s: the file kept changing under %d tries", path, maxReplaceTries)
}

const maxReplaceTries = 1000

// replaceOnce is one try of [replaceLocked]; it returns false, nil when path
// changed before the lock was held.
func replaceOnce(path string, perm fs.FileMode, create func(io.Writer) error, fill func(old *os.File, w io.Writer) error) (bool, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode().Type() == fs.ModeSymlink {
		return false, symlinkError(path)
	}
	old, err := os.Open(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		err := write(path, perm, false, create)
		if errors.Is(err, ErrExists) {
			return false, nil // created meanwhile: replace that
		}
		return err == nil, err
	case err != nil:
		return false, err
	}
	defer old.Close() // releases the lock, after the rename
	fi, err := old.Stat()
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("%w: %s", ErrNotRegular, path)
	}
	if err := lockFile(old); err != nil {
		return false, fmt.Errorf("locking %s: %w", path, err)
	}
	if now, err := os.Lstat(path); err != nil || !os.SameFile(fi, now) {
		return false, nil // replaced while we waited for the lock
	}
	return true, write(path, fi.Mode().Perm(), true, func(w io.Writer) error { return fill(old, w) })
}

func write(path string, perm fs.FileMode, overwrite bool, fill func(io.Writer) error) error {
	if err := checkDest(path, overwrite); err != nil {
		return err
	}
	tmp, err := writeTemp(path, perm, fill)
	if err != nil {
		return err
	}
	if !overwrite {
		// Link fails if path appeared meanwhile; never clobber a file that
		// was not there when the caller said not to overwrite.
		if err := os.Link(tmp, path); err != nil {
			if errors.Is(err, fs.ErrExist) {
				os.Remove(tmp)
				return fmt.Errorf("%w: %s", ErrExists, path)
			}
			// A filesystem without hard links: check, then rename.
			if _, serr := os.Lstat(path); serr == nil {
				os.Remove(tmp)
				return fmt.Errorf("%w: %s", ErrExists, path)
			}
			if err := os.Rename(tmp, path); err != nil {
				return err
			}
			return syncParent(path)
		}
		if err := os.Remove(tmp); err != nil {
			return err
		}
		return syncParent(path)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return destError(path, tmp, err)
	}
	return syncParent(path)
}

func syncParent(path string) error {
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("syncing the directory of %s: %w", path, err)
	}
	return nil
}

// WriteStream atomically writes what fill writes to path with mode perm,
// for output too large to hold in memory. Unless overwrite is set, an
// existing path is an error wrapping [ErrExists]. When fill fails, path is
// left as it was and the temporary file is removed.
func WriteStream(path string, perm fs.FileMode, overwrite bool, fill func(io.Writer) error) error {
	return write(path, perm, overwrite, fill)
}

// destError names the destination path in err instead of the temporary
// file tmp (or, with tmp empty, the pattern it was to be created from),
// which the user never asked for and never sees; the cause (and so
// errors.Is) is kept. Errors about other files are left as they are.
func destError(path, tmp string, err error) error {
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe) && (tmp == "" || pe.Path == tmp):
		return &fs.PathError{Op: "writing", Path: path, Err: pe.Err}
	case errors.As(err, &le):
		return &fs.PathError{Op: "writing", Path: path, Err: le.Err}
	}
	return err
}
