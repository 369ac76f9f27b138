package sbomgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// openTarget opens the target at p without blocking (the open of a named
// pipe that nobody writes to would wait for ever) and tells what it is by
// the open file, not by its name: a name checked with stat and opened
// afterwards may have been swapped in between. Anything but a regular file
// or a directory is refused, unread. The caller closes the file.
func openTarget(p string) (*os.File, fs.FileInfo, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		// A socket cannot be opened at all: say what it is.
		if fi, serr := os.Stat(p); serr == nil && !fi.IsDir() && !fi.Mode().IsRegular() {
			return nil, nil, notRegular(p, fi.Mode())
		}
		return nil, nil, notFound(p, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, notFound(p, err)
	}
	if !fi.IsDir() && !fi.Mode().IsRegular() {
		// A device would be read forever, a pipe read more than once.
		f.Close()
		return nil, nil, notRegular(p, fi.Mode())
	}
	return f, fi, nil
}

// pinDir makes the private directory (mode 0700) a file target is pinned
// in ([pinTarget]); the caller removes it. It is made beside the target
// first, in the directory that holds the file (symbolic links followed), so
// that the hard link works (one file system) and a copy, where a link
// cannot be made, goes to the target's disk: a copy into os.TempDir, often
// a tmpfs, costs the target's size in memory. That directory is used only
// where nobody else can rename what consign makes in it (see
// [privateParent]); else, and where it cannot be written, the directory
// is made in os.TempDir, as it always was. Where neither can be made,
// pinDir returns an error wrapping [ErrWorkDir] that names both.
func pinDir(target string) (string, error) {
	// The directory's real name, from the root and without links: the
	// directories above it are the ones [privateParent] looks at.
	abs, err := filepath.Abs(target)
	var real string
	if err == nil {
		real, err = filepath.EvalSymlinks(abs)
	}
	beside := filepath.Dir(real)
	var besideErr error
	switch {
	case err != nil:
		besideErr = err
	case privateParent(beside):
		dir, err := os.MkdirTemp(beside, ".consign-sbom-")
		if err == nil {
			return dir, nil
		}
		besideErr = err
	default:
		besideErr = fmt.Errorf("%s: another user owns it or a directory above it, or may write in one of them", beside)
	}
	dir, err := os.MkdirTemp("", "consign-sbom-target-")
	if err == nil {
		return dir, nil
	}
	return "", fmt.Errorf("%w %s: beside it: %v; in TMPDIR: %v", ErrWorkDir, target, besideErr, err)
}

// pinTarget makes the regular file t.file, opened and checked by
// [openTarget], reachable by a name in dir, a private directory of the
// scan, under the target's own base name; everything that reads the
// target by name (syft, stereoscope, the archive extractor) is given that
// name, which nobody else can swap for a pipe or another file. It is a
// hard link to the open file where the file system allows one (no copy),
// else a copy of the open file's bytes.
//
// The copy stops, with the context's cause, once ctx has ended: a copy of
// a target of many gigabytes (to a temporary directory on another file
// system) is cut within a chunk, not carried on to its end after a Ctrl-C.
func pinTarget(ctx context.Context, t *target, dir string) error {
	name := filepath.Join(dir, filepath.Base(t.path))
	if !testOnlyNoLink && linkOpenFile(t.file, name) == nil {
		t.open = name
		return nil
	}
	dst, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	err = copyChunks(ctx, dst, t.file)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	if err != nil {
		return fmt.Errorf("%w: %s: copying it for the scan: %v", ErrNoTarget, t.display, err)
	}
	t.open = name
	return nil
}

// pinChunk is the most pinTarget copies between looks at its context.
const pinChunk = 64 << 20

// copyChunks copies src to dst, pinChunk bytes at a time, until src ends
// or ctx does. Each chunk is copied within the kernel (copy_file_range:
// File.ReadFrom of an io.LimitedReader of a file).
func copyChunks(ctx context.Context, dst, src *os.File) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := dst.ReadFrom(io.LimitReader(src, pinChunk))
		if err != nil {
			return err
		}
		if n < pinChunk {
			return nil
		}
	}
}

// testOnlyNoLink, set by tests only, makes pinTarget copy the target as
// it does where a link fails.
var testOnlyNoLink bool

// errNoLink is linkOpenFile's answer where an open file cannot be linked.
var errNoLink = errors.New("cannot link an open file here")
