package evidence

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/verify"
)

// Artifacts reads the artifacts a command line names: a path that exists
// is a file, hashed here with SHA-256 and named by its path; anything else
// is a digest, ALG:HEX, or NAME=ALG:HEX. An argument that is neither an
// existing file nor holds a ':' is an error wrapping [fs.ErrNotExist]; a
// malformed digest one wrapping [digest.ErrInvalid]; a device or socket,
// refused unread, one wrapping [digest.ErrNotRegular] (a named pipe is
// read to its end, as [digest.File] reads one).
func Artifacts(args []string) ([]verify.Artifact, error) {
	out := make([]verify.Artifact, len(args))
	errs := make([]error, len(args))
	// A release ships thousands of small files: each costs an open, a read
	// and a close more than its hashing, so they are read on every core,
	// at most one file per core at once. The result, and the error
	// reported (the first argument's), do not depend on the order.
	workers := min(runtime.GOMAXPROCS(0), len(args))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(args); i = int(next.Add(1) - 1) {
				out[i], errs[i] = artifact(args[i])
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// artifact reads one argument of [Artifacts].
func artifact(a string) (verify.Artifact, error) {
	// Hashed first, and stat'ed only if that fails (one system call less
	// per file of a release): a path that exists is a file, whatever the
	// error.
	d, err := digest.File(a, digest.SHA256)
	if err == nil {
		return verify.Artifact{Name: filepath.ToSlash(a), Digest: d}, nil
	}
	if _, serr := os.Stat(a); serr == nil {
		return verify.Artifact{}, fmt.Errorf("artifact %q: %w", a, err)
	}
	name, text, ok := strings.Cut(a, "=")
	if !ok {
		name, text = a, a
	}
	if !strings.Contains(text, ":") {
		return verify.Artifact{}, fmt.Errorf("artifact %q: %w", a, fs.ErrNotExist)
	}
	set, err := digest.Parse(text)
	if err != nil {
		return verify.Artifact{}, fmt.Errorf("artifact %q: %w", a, err)
	}
	return verify.Artifact{Name: name, Digest: set}, nil
}

// ErrNotDir is returned by [Links] for a path that is not a directory.
var ErrNotDir = errors.New("not a directory")

// Links opens the directory of an in-toto layout's links, for
// [verify.LayoutConfig]: its link files at the top, a sublayout's in
// sub-directories. An error wraps [fs.ErrNotExist] or [ErrNotDir].
func Links(dir string) (fs.FS, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("reading links: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("reading links %q: %w", dir, ErrNotDir)
	}
	return os.DirFS(dir), nil
}
