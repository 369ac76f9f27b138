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
// malformed digest one wrapping [digest.ErrInvalid].
func Artifacts(args []string) ([]verify.Artifact, error) {
	var out []verify.Artifact
	for _, a := range args {
		if _, err := os.Stat(a); err == nil {
			d, err := digest.File(a, digest.SHA256)
			if err != nil {
				return nil, fmt.Errorf("artifact %q: %w", a, err)
			}
			out = append(out, verify.Artifact{Name: filepath.ToSlash(a), Digest: d})
			continue
		}
		name, d, ok := strings.Cut(a, "=")
		if !ok {
			name, d = a, a
		}
		if !strings.Contains(d, ":") {
			return nil, fmt.Errorf("artifact %q: %w", a, fs.ErrNotExist)
		}
		set, err := digest.Parse(d)
		if err != nil {
			return nil, fmt.Errorf("artifact %q: %w", a, err)
		}
		out = append(out, verify.Artifact{Name: name, Digest: set})
	}
	return out, nil
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
