package pack

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/consign-dev/consign/internal/jsonl"
)

// Content is one file to put in a pack: its bytes, or a file on disk that
// is streamed (an artifact may be larger than memory).
type Content struct {
	File
	Data []byte
	// Lines, when set, are the file's lines, each followed by a newline:
	// a line read as it streamed (a jsonl.Line's Streamed) is written
	// a piece at a time as its [io.WriterTo] writes it, never held whole.
	// They are written twice, to hash them and to write them.
	Lines []jsonl.Line
	// Disk, when set, is read twice: once to hash it (unless File.SHA256
	// and File.Size are set), once to write it; bytes that differ from the
	// hash fail the write.
	Disk string
}

// WriteOptions of [Write].
type WriteOptions struct {
	// Gzip compresses the archive.
	Gzip bool
	// ModTime is every entry's time (default: the Unix epoch), so that the
	// same inputs give the same bytes.
	ModTime time.Time
}

// Write writes a pack: manifest.json, made from m with Files filled in
// from files, then every file in path order. m.Files is replaced.
func Write(w io.Writer, m *Manifest, files []Content, opts WriteOptions) error {
	files = slices.Clone(files)
	slices.SortFunc(files, func(a, b Content) int { return strings.Compare(a.Path, b.Path) })
	m.Format = FormatV1
	m.Files = make([]File, len(files))
	for i := range files {
		f := &files[i]
		if f.Type == "" {
			f.Type = TypeFile
		}
		if f.Mode == "" {
			f.Mode = ModeString(0o644)
		}
		if f.Type == TypeFile {
			if err := f.hash(); err != nil {
				return err
			}
		}
		m.Files[i] = f.File
	}
	for i, a := range m.Artifacts {
		if a.Path == "" {
			continue
		}
		if f := m.File(a.Path); f != nil {
			m.Artifacts[i].Size = f.Size
		}
	}
	if err := m.validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrManifest, err)
	}
	mb, err := m.Marshal()
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	var out io.Writer = bw
	var gz *gzip.Writer
	if opts.Gzip {
		gz = gzip.NewWriter(bw)
		out = gz
	}
	tw := tar.NewWriter(out)
	mtime := opts.ModTime
	if mtime.IsZero() {
		mtime = time.Unix(0, 0)
	}
	mtime = mtime.UTC().Truncate(time.Second)
	header := func(name string, typ byte, mode fs.FileMode, size int64, target string) *tar.Header {
		return &tar.Header{
			Typeflag: typ, Name: name, Linkname: target, Size: size, Mode: int64(mode.Perm()),
			ModTime: mtime, Format: tar.FormatPAX,
		}
	}
	if err := tw.WriteHeader(header(ManifestName, tar.TypeReg, 0o644, int64(len(mb)), "")); err != nil {
		return err
	}
	if _, err := tw.Write(mb); err != nil {
		return err
	}
	for _, f := range files {
		if f.Type == TypeSymlink {
			if err := tw.WriteHeader(header(f.Path, tar.TypeSymlink, 0o777, 0, f.Target)); err != nil {
				return err
			}
			continue
		}
		if err := tw.WriteHeader(header(f.Path, tar.TypeReg, f.Perm(), f.Size, "")); err != nil {
			return err
		}
		if err := f.copyTo(tw); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if gz != nil {
		if err := gz.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func (c *Content) hash() error {
	if c.Disk != "" && c.SHA256 != "" {
		// Known already (the artifact was hashed to name it): copyTo
		// checks the bytes it writes against it.
		return nil
	}
	if c.Lines != nil {
		h := sha256.New()
		n, err := writeLines(h, c.Lines)
		if err != nil {
			return err
		}
		c.SHA256, c.Size = hex.EncodeToString(h.Sum(nil)), n
		return nil
	}
	if c.Disk == "" {
		sum := sha256.Sum256(c.Data)
		c.SHA256, c.Size = hex.EncodeToString(sum[:]), int64(len(c.Data))
		return nil
	}
	f, err := os.Open(c.Disk)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("reading %s: %w", c.Disk, err)
	}
	c.SHA256, c.Size = hex.EncodeToString(h.Sum(nil)), n
	return nil
}

var errChanged = errors.New("the file changed while the pack was written")

func (c *Content) copyTo(w io.Writer) error {
	if c.Lines != nil {
		h := sha256.New()
		n, err := writeLines(io.MultiWriter(w, h), c.Lines)
		if err != nil {
			return err
		}
		if n != c.Size || hex.EncodeToString(h.Sum(nil)) != c.SHA256 {
			return fmt.Errorf("%s: %w", c.Path, errChanged)
		}
		return nil
	}
	if c.Disk == "" {
		_, err := io.Copy(w, bytes.NewReader(c.Data))
		return err
	}
	f, err := os.Open(c.Disk)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(f, c.Size))
	if err != nil {
		return fmt.Errorf("reading %s: %w", c.Disk, err)
	}
	if n != c.Size || hex.EncodeToString(h.Sum(nil)) != c.SHA256 {
		return fmt.Errorf("%s: %w", c.Disk, errChanged)
	}
	return nil
}

// writeLines writes lines to w, each followed by a newline, and returns
// the bytes written.
func writeLines(w io.Writer, lines []jsonl.Line) (int64, error) {
	var n int64
	for _, l := range lines {
		var k int64
		var err error
		switch v := l.Streamed.(type) {
		case nil:
			k, err = writeBytes(w, l.Data)
		case io.WriterTo:
			k, err = v.WriteTo(w)
		default:
			k, err = writeBytes(w, v.AppendLine(nil))
		}
		if n += k; err != nil {
			return n, err
		}
		if k, err = writeBytes(w, []byte{'\n'}); err != nil {
			return n + k, err
		}
		n += k
	}
	return n, nil
}

func writeBytes(w io.Writer, b []byte) (int64, error) {
	n, err := w.Write(b)
	return int64(n), err
}
