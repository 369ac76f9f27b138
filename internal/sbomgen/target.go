package sbomgen

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/anchore/stereoscope/pkg/image"
	"github.com/mholt/archives"
)

// Target kinds, as [Result.Kind] reports them and as a target's scheme
// names them ("registry:HOST/REPO:TAG", "oci-dir:PATH", ...).
const (
	KindDir           = "dir"
	KindFile          = "file"
	KindArchive       = "archive" // a tar or zip file (compressed or not), scanned as its contents
	KindOCIDir        = "oci-dir"
	KindOCIArchive    = "oci-archive"
	KindDockerArchive = "docker-archive"
	KindRegistry      = "registry"
)

// schemes are the target prefixes consign accepts.
var schemes = []string{KindDir, KindFile, KindArchive, KindOCIDir, KindOCIArchive, KindDockerArchive, KindRegistry}

// target is a resolved scan target.
type target struct {
	kind string
	// path is the file or directory; for a registry image, the reference
	// with any credentials removed.
	path string
	// display is what SBOMs, errors and logs may show: the target as given,
	// with credentials removed.
	display string
	// creds are credentials given inside a registry reference
	// (registry:USER:PASSWORD@HOST/REPO:TAG); nil if none.
	creds *image.RegistryCredentials
	// file is a file target, opened and checked to be a regular file
	// ([openTarget]); nil for a directory or a registry image.
	file *os.File
	// open is the name the file is read by once pinned ([pinTarget]).
	open string
}

// readPath is the name to read the target by: the pinned file's
// ([pinTarget]) for a file, else the path as given.
func (t *target) readPath() string {
	if t.open != "" {
		return t.open
	}
	return t.path
}

// close closes the target's file, if it has one.
func (t *target) close() {
	if t.file != nil {
		t.file.Close()
	}
}

// resolveTarget turns what the user typed into a target: an explicit
// scheme is obeyed; a bare path is inspected (an OCI layout directory, a
// tar holding an image, a tar or zip archive, any other file or directory).
func resolveTarget(s string) (target, error) {
	if s == "" {
		return target{}, fmt.Errorf("%w: empty target", ErrNoTarget)
	}
	for _, sch := range schemes {
		rest, ok := strings.CutPrefix(s, sch+":")
		if !ok {
			continue
		}
		if sch == KindRegistry {
			return registryTarget(rest)
		}
		t := target{kind: sch, path: rest, display: rest}
		f, fi, err := openTarget(rest)
		if err != nil {
			return target{}, err
		}
		if want := sch == KindDir || sch == KindOCIDir; fi.IsDir() != want {
			f.Close()
			return target{}, fmt.Errorf("%w: %q is not a %s", ErrNoTarget, rest, map[bool]string{true: "directory", false: "file"}[want])
		}
		if fi.IsDir() {
			f.Close()
			if sch == KindOCIDir {
				if missing := notOCILayout(rest); missing != "" {
					return target{}, fmt.Errorf("%w: %q has no %s, which an OCI image layout has: to scan the files of the directory, give it as dir:%s", ErrNotLayout, rest, missing, rest)
				}
			}
		} else {
			t.file = f
		}
		return t, nil
	}
	f, fi, err := openTarget(s)
	if err != nil {
		return target{}, err
	}
	t := target{path: s, display: s}
	if fi.IsDir() {
		f.Close()
		t.kind = KindDir
		if isOCILayout(s) {
			t.kind = KindOCIDir
		}
		return t, nil
	}
	t.file = f
	t.kind = sniffFile(f, fi.Size(), s)
	return t, nil
}

// notRegular refuses a target that is neither a regular file nor a
// directory, saying what it is.
func notRegular(p string, mode fs.FileMode) error {
	what := "special file"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		what = "named pipe"
	case mode&fs.ModeSocket != 0:
		what = "socket"
	case mode&fs.ModeCharDevice != 0:
		what = "character device"
	case mode&fs.ModeDevice != 0:
		what = "device"
	}
	return fmt.Errorf("%w: %q is a %s", ErrNotFile, p, what)
}

func notFound(p string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		if to, lerr := os.Readlink(p); lerr == nil {
			return fmt.Errorf("%w: %q is a symbolic link to %q, which does not exist", ErrNoTarget, p, to)
		}
		return fmt.Errorf("%w: %q does not exist (an image in a registry is written registry:HOST/REPO:TAG)", ErrNoTarget, p)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("%w: %q: %w", ErrNoTarget, p, err)
}

// isOCILayout reports whether dir holds an OCI image layout.
func isOCILayout(dir string) bool { return notOCILayout(dir) == "" }

// notOCILayout names the files of an OCI image layout that dir lacks (or
// holds as something else than a regular file): "" for none.
func notOCILayout(dir string) string {
	var missing []string
	for _, f := range []string{"oci-layout", "index.json"} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || !fi.Mode().IsRegular() {
			missing = append(missing, f)
		}
	}
	return strings.Join(missing, " or ")
}

// sniffFile tells an image tarball (OCI or docker-archive) from another
// tar or zip archive (named so: .tar, .tar.gz, .tgz, .zip, ...) and from
// any other file. Like syft, it goes by the file name for archives, so
// that a .jar or .whl is cataloged as the package it is, not unpacked.
func sniffFile(f *os.File, size int64, p string) string {
	if kind := imageTarball(io.NewSectionReader(f, 0, size)); kind != "" {
		return kind
	}
	if isArchiveName(p) {
		return KindArchive
	}
	return KindFile
}

// imageTarball looks at the names at the root of an uncompressed tar:
// oci-layout and index.json make an OCI archive, manifest.json a
// docker-archive. It reads headers only (tar skips entry data by seeking).
func imageTarball(r io.Reader) string {
	tr := tar.NewReader(r)
	seen := map[string]bool{}
	for range 10_000 {
		h, err := tr.Next()
		if err != nil {
			break
		}
		seen[path.Clean(strings.TrimPrefix(h.Name, "./"))] = true
	}
	switch {
	case seen["oci-layout"] && seen["index.json"]:
		return KindOCIArchive
	case seen["manifest.json"]:
		return KindDockerArchive
	}
	return ""
}

// archiveAliases are extensions the archive library does not know by
// themselves (the same list as syft's).
var archiveAliases = map[string]string{".tgz": ".tar.gz", ".tbz2": ".tar.bz2", ".txz": ".tar.xz", ".tlz": ".tar.lz", ".tzst": ".tar.zst"}

// archiveFormat identifies an archive by its name, as syft's file source
// does; ok is false for anything that is not an archive of files.
func archiveFormat(name string) (archives.Extractor, bool) {
	ext := filepath.Ext(name)
	if alias, ok := archiveAliases[strings.ToLower(ext)]; ok {
		name = strings.TrimSuffix(name, ext) + alias
	}
	format, _, err := archives.Identify(context.Background(), name, nil)
	if err != nil {
		return nil, false
	}
	ex, ok := format.(archives.Extractor)
	return ex, ok
}

func isArchiveName(p string) bool {
	_, ok := archiveFormat(filepath.Base(p))
	return ok
}

// registryTarget parses [USER:PASSWORD@]HOST/REPO[:TAG|@DIGEST], taking
// out the credentials, which must never reach an SBOM, a log or an error.
// A password may hold any character, '@' and '/' included: everything before the last '@' of the name (a digest's '@'
// aside) is credentials. Errors never quote the input.
func registryTarget(ref string) (target, error) {
	t := target{kind: KindRegistry}
	ref = strings.TrimPrefix(ref, "//")
	name, dig := ref, ""
	if i := strings.LastIndex(ref, "@"); i >= 0 && digestRef().MatchString(ref[i+1:]) {
		name, dig = ref[:i], ref[i:]
	}
	if at := strings.LastIndex(name, "@"); at >= 0 {
		user, pass, _ := strings.Cut(name[:at], ":")
		u, err1 := url.PathUnescape(user)
		pw, err2 := url.PathUnescape(pass)
		if err1 != nil || err2 != nil || u == "" {
			return target{}, fmt.Errorf("%w: the registry reference has malformed credentials before '@'", ErrImage)
		}
		name = name[at+1:]
		host, _, _ := strings.Cut(name, "/")
		t.creds = &image.RegistryCredentials{Authority: host, Username: u, Password: pw}
	}
	ref = name + dig
	if name == "" {
		return target{}, fmt.Errorf("%w: empty image reference", ErrImage)
	}
	t.path, t.display = ref, ref
	return t, nil
}

// digestRef matches the digest part of a reference, after its '@'.
var digestRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`) })

// copyFile is io.Copy with a context check per chunk, for long copies.
func copyFile(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	buf := make([]byte, 256<<10)
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		r, err := src.Read(buf)
		if r > 0 {
			w, werr := dst.Write(buf[:r])
			n += int64(w)
			if werr != nil {
				return n, werr
			}
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
