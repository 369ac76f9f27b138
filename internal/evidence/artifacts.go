package evidence

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

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
	// A release ships thousands of small files: digest.Files hashes them
	// in batches on every core, each as digest.File would. The result,
	// and the error reported (the first argument's), do not depend on the
	// order.
	sets, errs := digest.Files(args, digest.SHA256)
	out := make([]verify.Artifact, len(args))
	for i, a := range args {
		var err error
		if out[i], err = artifact(a, sets[i], errs[i]); err != nil {
			return nil, err
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// artifact reads one argument of [Artifacts], given what digest.File
// returned for it. It was hashed first, and is stat'ed only if that failed
// (one system call less per file of a release): a path that exists is a
// file, whatever the error.
func artifact(a string, d digest.Set, err error) (verify.Artifact, error) {
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
