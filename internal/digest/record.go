package digest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Reasons given in [Skipped]. Compare a Skipped.Reason with these
// constants, never with a literal.
const (
	// ReasonLinkOutsideRoot is for a symbolic link whose target is outside
	// the root.
	ReasonLinkOutsideRoot = "symbolic link leaves the root"
	// ReasonLinkDangling is for a symbolic link whose target does not exist.
	ReasonLinkDangling = "dangling symbolic link"
	// ReasonLinkLoop is for a symbolic link whose resolution took more than
	// 40 links.
	ReasonLinkLoop = "symbolic link loop"
	// ReasonLinkCycle is for a link to a directory the walk is already
	// inside.
	ReasonLinkCycle = "symbolic link to an enclosing directory"
	// ReasonLinkDepth is for a link to a directory found after following
	// 40 links to directories nested in each other.
	ReasonLinkDepth = "too many nested symbolic links to directories"
)

const (
	// maxLinks bounds the symbolic links followed to resolve one path,
	// as Linux does (ELOOP).
	maxLinks = 40
	// maxLinkDepth bounds how many linked directories one walk descends
	// through, so that links forming a deep DAG stop.
	maxLinkDepth = 40
	// filesPerTask is how many files of a directory one task hashes.
	filesPerTask = 64
	// ctxCheckBytes is how often, in bytes, hashing a large file checks for
	// cancellation.
	ctxCheckBytes = 16 << 20
)

// RecordOptions configures [Record]. The zero value is usable.
type RecordOptions struct {
	// Algorithms to compute for every file; default [SHA256]. Only the
	// SHA-2 and SHA-3 families are supported.
	Algorithms []string
	// Exclude holds gitignore-style patterns matched against the
	// normalised relative path of every file and directory (see "Exclude
	// patterns" in the package documentation). Excluded directories are not
	// descended into.
	Exclude []string
	// Workers is how many files are hashed at once; default
	// 2 × runtime.GOMAXPROCS(0), since a worker waiting for an open or a
	// read leaves the CPU to another.
	Workers int
}

// Validate reports whether o can be used: every algorithm is supported,
// every exclude pattern compiles and Workers is not negative. Errors wrap
// [ErrInvalidOptions], and [ErrInvalidPattern] or [ErrUnsupportedAlgorithm]
// where they apply.
func (o RecordOptions) Validate() error {
	_, err := o.compile()
	return err
}

type recordConfig struct {
	algs    []string
	exclude *excluder
	workers int
}

func (o RecordOptions) compile() (recordConfig, error) {
	var c recordConfig
	var err error
	if c.algs, err = normaliseAlgorithms(o.Algorithms); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if c.exclude, err = compileExcludes(o.Exclude); err != nil {
		return c, err
	}
	switch {
	case o.Workers < 0:
		return c, fmt.Errorf("%w: negative worker count %d", ErrInvalidOptions, o.Workers)
	case o.Workers == 0:
		c.workers = 2 * runtime.GOMAXPROCS(0)
	default:
		c.workers = o.Workers
	}
	return c, nil
}

// Skipped is a path that was deliberately not recorded, and why: one of
// the Reason constants.
type Skipped struct{ Path, Reason string }

// Result of a recording.
type Result struct {
	// Artifacts maps the normalised relative path of every recorded file
	// to its digests.
	Artifacts map[string]Set
	// Skipped lists what was found but not recorded, sorted by Path.
	Skipped []Skipped
}

// Record hashes every regular file under each of paths. The paths are
// relative to root; "." names root itself, and a path may name a single
// file. It returns the digests keyed by normalised path.
//
// # Paths
//
// Keys use forward slashes, are cleaned with [path.Clean] and are relative
// to root: a path argument "src/../evil.sh" is recorded as "evil.sh". A path
// argument that is absolute, starts with "..", or passes through a symbolic
// link leaving root is an error wrapping [ErrOutsideRoot]. Names are
// recorded byte for byte: on Unix "\" is an ordinary character, so a file
// named `dist\app.exe` is recorded under that name and is never confused
// with `dist/app.exe` (security case 34 in docs/security.md); consumers that compare keys with
// Windows-style paths must not convert them.
//
// # Symbolic links
//
// Links are resolved inside root, one element at a time, never by asking
// the operating system to follow them; directories are opened through an
// [os.Root] and files by name within them, refusing links, so a link can
// never lead the recorder outside root. A link to a
// file inside root is recorded under the link's path with the content
// digest of its target; a link to a directory inside root is walked, its
// files recorded under the link's path. A link that leaves root, dangles,
// loops, or leads to a directory the walk is already inside is not followed
// and is listed in [Result.Skipped] with its reason (security case 35 in docs/security.md).
//
// # Other files
//
// Only regular files and directories are recorded. A named pipe, socket,
// device or other file met in the tree, or reached through a link inside
// it, or named as a path argument, is refused with a [*NotRegularError]
// (wrapping [ErrNotRegular]) naming its recorded path and type, and never
// opened: a pipe nobody writes to would block the recording and a device
// such as /dev/zero never end it. Leaving it out silently would let
// something in the tree go unrecorded; an exclude pattern
// ([RecordOptions.Exclude]) that matches it leaves it out on purpose.
//
// # Contents
//
// The digests are of the raw bytes: nothing is normalised (a CRLF file
// hashes as CRLF). Files are hashed by [RecordOptions.Workers] goroutines
// at once, but the result does not depend on their number or timing.
//
// # Errors
//
// Record returns an error wrapping [ErrInvalidOptions] for bad options
// (see [RecordOptions.Validate]), [ErrOutsideRoot] as above,
// [fs.ErrNotExist] for a path argument that does not exist,
// [*NotRegularError] as above, an error
// naming the path for a file or directory that cannot be read (wrapping
// the cause, such as [fs.ErrPermission]), and ctx.Err() once ctx is done.
// With several failures, it returns one of them.
func Record(ctx context.Context, root string, paths []string, opts RecordOptions) (*Result, error) {
	r, err := walk(ctx, root, paths, opts, openSysDir, false)
	if err != nil {
		return nil, err
	}
	return r.result(), nil
}

// record is Record with the way directories are opened chosen by the
// caller: tests run the portable way on Linux too.
func record(ctx context.Context, root string, paths []string, opts RecordOptions, open dirOpener) (*Result, error) {
	r, err := walk(ctx, root, paths, opts, open, false)
	if err != nil {
		return nil, err
	}
	return r.result(), nil
}

// walk hashes the files under paths; with files set, the workers keep
// [Artifact]s (SHA-256 alone) rather than Sets.
func walk(ctx context.Context, root string, paths []string, opts RecordOptions, open dirOpener, files bool) (*recorder, error) {
	cfg, err := opts.compile()
	if err != nil {
		return nil, err
	}
	if files && !slices.Equal(cfg.algs, []string{SHA256}) {
		return nil, fmt.Errorf("%w: files are recorded with %s alone", ErrInvalidOptions, SHA256)
	}
	keys := make([]string, 0, len(paths))
	for _, p := range paths {
		k, err := normaliseArg(p)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rt, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("opening root %q: %w", root, unwrapPath(err))
	}
	defer rt.Close()
	r := &recorder{ctx: ctx, root: rt, cfg: cfg, open: open, files: files}
	r.cond.L = &r.mu
	if r.rootPrefixes, err = rootPrefixes(root); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := r.seed(k); err != nil {
			r.drain()
			return nil, err
		}
	}
	if err := r.run(); err != nil {
		return nil, err
	}
	return r, nil
}

// normaliseArg turns a path argument into a key, rejecting any that leave
// the root.
func normaliseArg(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("%w: empty path", ErrInvalidOptions)
	}
	s := filepath.ToSlash(p)
	if filepath.IsAbs(p) || filepath.VolumeName(p) != "" || strings.HasPrefix(s, "/") {
		return "", fmt.Errorf("%w: %q is absolute", ErrOutsideRoot, p)
	}
	k := path.Clean(s)
	if k == ".." || strings.HasPrefix(k, "../") {
		return "", fmt.Errorf("%w: %q", ErrOutsideRoot, p)
	}
	return k, nil
}

// rootPrefixes returns the root's absolute path, as given and with links
// resolved, split into elements: an absolute link target inside root starts
// with one of them.
func rootPrefixes(root string) ([][]string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolving root %q: %w", root, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("resolving root %q: %w", root, unwrapPath(err))
	}
	out := [][]string{splitElems(abs)}
	if real != abs {
		out = append(out, splitElems(real))
	}
	return out, nil
}

// splitElems splits a slash- or OS-separated path into its elements,
// dropping empty and "." elements.
func splitElems(p string) []string {
	var out []string
	for _, e := range strings.Split(filepath.ToSlash(p), "/") {
		if e != "" && e != "." {
			out = append(out, e)
		}
	}
	return out
}

// unwrapPath drops the *fs.PathError around err, whose path would repeat
// the one the caller quotes.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}
