package sbomgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/mholt/archives"

	"github.com/consign-dev/consign/internal/limits"
)

// archiveLimits bound the extraction of one archive target: the bytes written, whatever the entries declare, and
// the number of entries.
type archiveLimits struct {
	bytes   int64
	entries int
}

// extractArchive unpacks the archive at src into the empty directory dst.
// Every write goes through an [os.Root] at dst, so
// nothing lands outside it; besides, an entry whose name is absolute,
// climbs out with "..", or appears twice makes the whole archive an
// [ErrArchive] error, as does going over lim. Symbolic and hard links,
// devices and pipes are not created: what a link points to is in the
// archive already, or outside it and none of the scan's business. It
// returns the number of entries skipped that way.
func extractArchive(ctx context.Context, src, dst string, lim archiveLimits) (skipped int, err error) {
	ex, ok := archiveFormat(path.Base(src))
	if !ok {
		return 0, fmt.Errorf("%w: %q is not an archive consign can unpack", ErrArchive, path.Base(src))
	}
	f, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	root, err := os.OpenRoot(dst)
	if err != nil {
		return 0, err
	}
	defer root.Close()
	var (
		written int64
		entries int
		seen    = map[string]bool{}
		ioErr   error // a local I/O failure, reported as such, not as a bad archive
	)
	handle := func(ctx context.Context, fi archives.FileInfo) error {
		entries++
		if entries > lim.entries {
			return fmt.Errorf("%w: more than %d entries", limits.ErrTooLarge, lim.entries)
		}
		name, err := safeEntryName(fi.NameInArchive)
		if err != nil {
			return err
		}
		if name == "." {
			return nil
		}
		mode := fi.Mode()
		switch {
		case mode.IsDir():
			if err := root.MkdirAll(name, 0o755); err != nil {
				ioErr = err
				return err
			}
			return nil
		case !mode.IsRegular() || fi.LinkTarget != "":
			skipped++
			return nil
		}
		if seen[name] {
			return fmt.Errorf("entry %q appears twice", name)
		}
		seen[name] = true
		remaining := lim.bytes - written
		if fi.Size() > remaining {
			return fmt.Errorf("%w: entry %q declares %d bytes, over the extraction limit of %d bytes", limits.ErrTooLarge, name, fi.Size(), lim.bytes)
		}
		if dir := path.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o755); err != nil {
				ioErr = err
				return err
			}
		}
		rc, err := fi.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode.Perm()&0o755|0o600)
		if err != nil {
			ioErr = err
			return err
		}
		n, err := copyFile(ctx, out, io.LimitReader(rc, remaining+1))
		written += n
		if cerr := out.Close(); err == nil && cerr != nil {
			ioErr = cerr
			return cerr
		}
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				ioErr = err
			}
			return err
		}
		if written > lim.bytes {
			return fmt.Errorf("%w: the entries expand to more than the extraction limit of %d bytes", limits.ErrTooLarge, lim.bytes)
		}
		return nil
	}
	err = ex.Extract(ctx, f, handle)
	switch {
	case err == nil:
		return skipped, nil
	case ctx.Err() != nil:
		return skipped, ctx.Err()
	case ioErr != nil:
		return skipped, fmt.Errorf("unpacking %s: %w", path.Base(src), ioErr)
	}
	return skipped, fmt.Errorf("%w: %s: %w", ErrArchive, path.Base(src), err)
}

// safeEntryName cleans an archive entry name (backslashes are separators
// too, as Windows zip tools write them) and refuses one that is absolute or
// climbs out of the archive.
func safeEntryName(name string) (string, error) {
	n := strings.ReplaceAll(name, `\`, "/")
	if n == "" || strings.HasPrefix(n, "/") || len(n) >= 2 && n[1] == ':' || strings.ContainsRune(n, 0) {
		return "", fmt.Errorf("entry %q has an absolute or invalid name", name)
	}
	for _, el := range strings.Split(n, "/") {
		if el == ".." {
			return "", fmt.Errorf("entry %q climbs out of the archive", name)
		}
	}
	return path.Clean(n), nil
}
