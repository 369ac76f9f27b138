package pack

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/tlog"
)

// Limits bound what reading a pack may cost (security case 43 in docs/security.md). A zero
// field takes its default.
type Limits struct {
	// MaxBytes bounds the uncompressed archive (default 64 GiB).
	MaxBytes int64
	// MaxEntries bounds the number of entries (default 100,000).
	MaxEntries int
	// MaxMetadata bounds the files held in memory: everything but the
	// artifacts, which are streamed (default 1 GiB).
	MaxMetadata int64
	// MaxRatio bounds uncompressed bytes per compressed byte, once the
	// archive passes 64 MiB (default 1,000).
	MaxRatio int64
}

// Defaults of [Limits].
const (
	DefaultMaxBytes    = 64 << 30
	DefaultMaxEntries  = 100_000
	DefaultMaxMetadata = 1 << 30
	DefaultMaxRatio    = 1000
	ratioFloor         = 64 << 20
)

func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxMetadata <= 0 {
		l.MaxMetadata = DefaultMaxMetadata
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	return l
}

// Options of [Read].
type Options struct {
	Limits Limits
	// ExtractTo, when set, names a directory that must not exist yet: the
	// pack's files are written, as they are read and hashed, into a
	// temporary directory beside it, which [Pack.Commit] renames to
	// ExtractTo and [Pack.Close] removes. Setuid, setgid and sticky bits
	// never reach the filesystem.
	ExtractTo string
}

// Pack is a pack read and checked against its manifest: every file was
// there, of the listed type, mode, size and SHA-256, and nothing else was.
// Nothing in it is verified beyond that; see [Verify].
type Pack struct {
	Manifest *Manifest
	// ManifestBytes is manifest.json as read.
	ManifestBytes []byte
	// Compression is "gzip" or "none".
	Compression string
	// Size is the uncompressed archive's size in bytes.
	Size int64

	data map[string][]byte       // contents of every file but the artifacts and the JSON Lines
	docs map[string][]jsonl.Line // attestations and receipts, read as streams

	tmp, dest string   // extraction
	root      *os.Root // tmp, where every write goes
}

// Data returns the contents of a file of the pack that is not an artifact
// (artifacts are streamed, not kept), resolving a symbolic link, or nil.
// Attestations and receipts are kept as their documents ([Pack.Documents]):
// for them, Data is the documents joined, one a line, without the blank
// lines and white space around them.
func (p *Pack) Data(name string) []byte {
	name = p.resolve(name)
	if docs, ok := p.docs[name]; ok {
		var b bytes.Buffer
		for _, d := range docs {
			b.Write(d.Bytes())
			b.WriteByte('\n')
		}
		return b.Bytes()
	}
	return p.data[name]
}

// Documents returns the documents of an attestations or receipts file of
// the pack (as [jsonl.Documents] reads them), resolving a symbolic link,
// or nil.
func (p *Pack) Documents(name string) []jsonl.Line {
	return p.docs[p.resolve(name)]
}

func (p *Pack) resolve(name string) string {
	if f := p.Manifest.File(name); f != nil && f.Type == TypeSymlink {
		name, _ = resolveLink(f.Path, f.Target)
	}
	return name
}

// streamed reports whether files of role are JSON Lines, read as
// streams into their documents rather than held whole.
func streamed(role string) bool {
	return role == RoleAttestations || role == RoleReceipts
}

// maxHeld bounds one file of role held whole: each is one document, and
// no larger than what a verification reads of it anyway (an SBOM is the
// predicate of an envelope, a VSA an envelope, a checkpoint a note).
func maxHeld(role string) int64 {
	switch role {
	case RolePolicy, RoleConsistency:
		return limits.JSONFile
	case RoleCheckpoint:
		return tlog.MaxCheckpointSize
	}
	return limits.Envelope
}

// Files returns the manifest's entries with role, in path order.
func (p *Pack) Files(role string) []File {
	var out []File
	for _, f := range p.Manifest.Files {
		if f.Role == role {
			out = append(out, f)
		}
	}
	return out
}

// ReadFile reads the pack at name; see [Read].
func ReadFile(ctx context.Context, name string, opts Options) (*Pack, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("%w: %s is a directory", limits.ErrNotFile, name)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s", limits.ErrNotFile, name)
	}
	return Read(ctx, f, opts)
}

// Read reads a pack from r, once, and checks it against its manifest, as
// the package documentation describes. On error nothing stays extracted.
// Once ctx has ended, Read stops within a read of r and returns the
// context's cause, having extracted nothing.
func Read(ctx context.Context, r io.Reader, opts Options) (_ *Pack, err error) {
	defer func() {
		if err != nil && ctx.Err() != nil {
			// Whatever the cut-off read made of it (a short file, a
			// broken gzip stream), the context ended it.
			err = context.Cause(ctx)
		}
	}()
	lim := opts.Limits.withDefaults()
	st, err := openStream(jsonl.CancelReader(ctx, r), lim)
	if err != nil {
		return nil, err
	}
	p := &Pack{Compression: st.compression, data: map[string][]byte{}, docs: map[string][]jsonl.Line{}}
	budget := st.budget
	if opts.ExtractTo != "" {
		if err := p.prepareExtract(opts.ExtractTo); err != nil {
			return nil, err
		}
		defer func() {
			if err != nil {
				p.Close()
			}
		}()
	}
	rd := &reader{ctx: ctx, p: p, lim: lim, names: newNameSet(), seen: map[string]*seenFile{}, dirs: map[string]bool{}}
	if err := rd.readAll(tar.NewReader(budget)); err != nil {
		return nil, err
	}
	// What follows the end of the archive must be padding: a second archive
	// or gzip member could show another tool different bytes.
	if err := onlyZeros(budget); err != nil {
		return nil, err
	}
	if st.gz != nil {
		if _, err := st.br.Peek(1); err != io.EOF {
			return nil, fmt.Errorf("%w: data after the gzip stream", ErrFormat)
		}
	}
	p.Size = budget.n
	if err := rd.finish(); err != nil {
		return nil, err
	}
	return p, nil
}

// stream is a pack's uncompressed tar stream, bounded by the limits.
type stream struct {
	br          *bufio.Reader // the file
	gz          *gzip.Reader  // nil when not compressed
	compression string        // "gzip" or "none"
	budget      *budgetReader // the tar stream
}

// looksLikePack reports whether head, a file's first bytes, starts a
// gzip stream or a tar archive.
func looksLikePack(head []byte) bool {
	return bytes.HasPrefix(head, []byte{0x1f, 0x8b}) || len(head) >= 512 && bytes.HasPrefix(head[257:], []byte("ustar"))
}

// IsPackFile reports whether the file at name looks like a pack (a tar
// archive or a gzip stream), without reading more than its first block.
func IsPackFile(name string) bool {
	f, err := os.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	return looksLikePack(head[:n])
}

// openStream recognises a tar archive, plain or gzip (one member), and
// refuses other formats by name.
func openStream(r io.Reader, lim Limits) (*stream, error) {
	in := &countReader{r: r}
	st := &stream{br: bufio.NewReaderSize(in, 64<<10), compression: "none"}
	head, _ := st.br.Peek(512)
	var tarStream io.Reader = st.br
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		gz, err := gzip.NewReader(st.br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrFormat, err)
		}
		gz.Multistream(false)
		st.gz, st.compression, tarStream = gz, "gzip", gz
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return nil, fmt.Errorf("%w: this is a zip archive; a pack is a tar archive (consign pack writes one)", ErrFormat)
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, fmt.Errorf("%w: this is zstd-compressed; a pack is a tar archive, plain or gzip", ErrFormat)
	case !looksLikePack(head):
		return nil, fmt.Errorf("%w: not a tar archive", ErrFormat)
	}
	st.budget = &budgetReader{r: tarStream, in: in, lim: lim}
	return st, nil
}

func onlyZeros(r io.Reader) error {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b != 0 {
				return fmt.Errorf("%w: data after the end of the tar archive", ErrFormat)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return readErr(err)
		}
	}
}

func readErr(err error) error {
	var pe *packError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrFormat, err)
}

type seenFile struct {
	sha  string
	size int64
}

type reader struct {
	ctx   context.Context
	p     *Pack
	lim   Limits
	names *nameSet
	seen  map[string]*seenFile // files and links read, by name
	dirs  map[string]bool
	links []File
	meta  int64
	n     int
}

func (rd *reader) readAll(tr *tar.Reader) error {
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			if rd.p.Manifest == nil {
				return fmt.Errorf("%w: the archive is empty", ErrManifest)
			}
			return nil
		}
		if err != nil {
			return readErr(err)
		}
		if rd.n++; rd.n > rd.lim.MaxEntries {
			return fmt.Errorf("%w: more than %d entries", ErrTooLarge, rd.lim.MaxEntries)
		}
		if err := rd.entry(hdr, tr); err != nil {
			return err
		}
	}
}

func (rd *reader) entry(hdr *tar.Header, tr *tar.Reader) error {
	if err := allowedType(hdr); err != nil {
		return err
	}
	name, err := entryName(hdr.Name, hdr.Typeflag == tar.TypeDir)
	if err != nil {
		return err
	}
	if hdr.Typeflag == tar.TypeDir {
		if name == "" {
			return nil // the root, "./"
		}
		if err := rd.names.add(name); err != nil {
			return err
		}
		rd.dirs[name] = true
		return nil
	}
	if rd.p.Manifest == nil {
		if name != ManifestName || hdr.Typeflag != tar.TypeReg {
			return fmt.Errorf("%w: the first entry is %q, not %s", ErrManifest, hdr.Name, ManifestName)
		}
		if hdr.Size > MaxManifestSize {
			return fmt.Errorf("%w: %s of %d bytes", ErrManifest, ManifestName, hdr.Size)
		}
		data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil {
			return readErr(err)
		}
		m, err := ParseManifest(data)
		if err != nil {
			return err
		}
		rd.p.Manifest, rd.p.ManifestBytes = m, data
		if rd.p.root != nil {
			if err := rd.p.writeFile(ManifestName, data, 0o644); err != nil {
				return err
			}
		}
		return rd.names.add(name)
	}
	if err := rd.names.add(name); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		if _, err := resolveLink(name, hdr.Linkname); err != nil {
			return err
		}
	case tar.TypeLink:
		if _, err := entryName(hdr.Linkname, false); err != nil {
			return fmt.Errorf("%w: %s links to %q: %v", ErrUnsafeLink, name, hdr.Linkname, err)
		}
	}
	f := rd.p.Manifest.File(name)
	if f == nil {
		return fmt.Errorf("%w: %s", ErrUnlisted, name)
	}
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		if f.Type != TypeSymlink {
			return fmt.Errorf("%w: %s is a symbolic link in the archive, a %s in the manifest", ErrMismatch, name, f.Type)
		}
		if hdr.Linkname != f.Target {
			return fmt.Errorf("%w: %s points to %q in the archive, %q in the manifest", ErrMismatch, name, hdr.Linkname, f.Target)
		}
		rd.seen[name] = &seenFile{}
		rd.links = append(rd.links, *f)
		return nil
	case tar.TypeLink:
		return rd.hardlink(name, hdr, f)
	}
	if f.Type != TypeFile {
		return fmt.Errorf("%w: %s is a file in the archive, a %s in the manifest", ErrMismatch, name, f.Type)
	}
	if err := checkMode(hdr, f); err != nil {
		return err
	}
	if hdr.Size > rd.lim.MaxBytes {
		return fmt.Errorf("%w: %s claims %d bytes", ErrTooLarge, name, hdr.Size)
	}
	if hdr.Size != f.Size {
		return fmt.Errorf("%w: %s has %d bytes in the archive, %d in the manifest", ErrMismatch, name, hdr.Size, f.Size)
	}
	h := sha256.New()
	var dst io.Writer = h
	var buf *bytes.Buffer
	if f.Role != RoleArtifact {
		if rd.meta += f.Size; rd.meta > rd.lim.MaxMetadata {
			return fmt.Errorf("%w: more than %d bytes of attestations, receipts and other evidence", ErrTooLarge, rd.lim.MaxMetadata)
		}
		if !streamed(f.Role) {
			if max := maxHeld(f.Role); f.Size > max {
				return fmt.Errorf("%w: %s (%s) is %d bytes, the limit is %d", ErrTooLarge, name, f.Role, f.Size, max)
			}
			buf = bytes.NewBuffer(make([]byte, 0, f.Size))
			dst = io.MultiWriter(h, buf)
		}
	}
	var out *os.File
	if rd.p.tmp != "" {
		if out, err = rd.p.create(name, f.Perm()); err != nil {
			return err
		}
		defer out.Close()
		dst = io.MultiWriter(dst, out)
	}
	var n int64
	if streamed(f.Role) {
		// JSON Lines are read as they stream, one line held at a time:
		// never the whole file and its split (security case 43).
		cr := &countReader{r: io.TeeReader(tr, dst)}
		// An envelope line is decoded as it streams, never held whole
		// beside its payload.
		var sink jsonl.Sink
		if f.Role == RoleAttestations {
			sink = &attest.EnvelopeSink{Bound: int(min(f.Size, int64(limits.Envelope)))}
		}
		docs, err := jsonl.StreamDocuments(rd.ctx, cr, name, jsonl.Limits{}, sink)
		if errors.Is(err, limits.ErrTooLarge) {
			return fmt.Errorf("%w: %v", ErrTooLarge, err)
		} else if err != nil {
			return readErr(err)
		}
		if docs == nil {
			docs = []jsonl.Line{}
		}
		rd.p.docs[name], n = docs, cr.n
	} else if n, err = io.Copy(dst, tr); err != nil {
		return readErr(err)
	}
	if n != f.Size {
		return fmt.Errorf("%w: %s ends after %d of %d bytes", ErrFormat, name, n, f.Size)
	}
	if out != nil {
		if err := closeSynced(out); err != nil {
			return err
		}
	}
	if sum := hex.EncodeToString(h.Sum(nil)); sum != f.SHA256 {
		return fmt.Errorf("%w: %s has sha256 %s, the manifest says %s", ErrMismatch, name, sum, f.SHA256)
	}
	if buf != nil {
		rd.p.data[name] = buf.Bytes()
	}
	rd.seen[name] = &seenFile{sha: f.SHA256, size: f.Size}
	return nil
}

// hardlink accepts a hard link to an earlier file of the pack: the same
// bytes under another name, listed as a file with those bytes' digest.
func (rd *reader) hardlink(name string, hdr *tar.Header, f *File) error {
	target, err := entryName(hdr.Linkname, false)
	if err != nil {
		return fmt.Errorf("%w: %s links to %q: %v", ErrUnsafeLink, name, hdr.Linkname, err)
	}
	src := rd.seen[target]
	tf := rd.p.Manifest.File(target)
	if src == nil || tf == nil || tf.Type != TypeFile {
		return fmt.Errorf("%w: %s is a hard link to %q, which is no file read before it", ErrUnsafeLink, name, hdr.Linkname)
	}
	if f.Type != TypeFile || f.SHA256 != src.sha || f.Size != src.size {
		return fmt.Errorf("%w: %s is a hard link to %s, whose bytes are not the ones the manifest lists for it", ErrMismatch, name, target)
	}
	if err := checkMode(hdr, f); err != nil {
		return err
	}
	if d, ok := rd.p.data[target]; ok && !streamed(f.Role) {
		rd.p.data[name] = d
	} else if d, ok := rd.p.docs[target]; ok && streamed(f.Role) {
		rd.p.docs[name] = d
	} else if f.Role != RoleArtifact {
		return fmt.Errorf("%w: %s (%s) is a hard link to %s (%s)", ErrMismatch, name, f.Role, target, tf.Role)
	}
	if rd.p.tmp != "" {
		if err := rd.p.mkdirs(path.Dir(name)); err != nil {
			return err
		}
		if err := rd.p.root.Link(target, name); err != nil {
			return fmt.Errorf("extracting %s: %w", name, err)
		}
	}
	rd.seen[name] = src
	return nil
}

func checkMode(hdr *tar.Header, f *File) error {
	// The file-type bits (0o170000) some writers add say nothing more than
	// the entry's type; setuid, setgid and sticky are compared.
	if got := fs.FileMode(hdr.Mode & 0o7777); got != f.Perm() {
		return fmt.Errorf("%w: %s has mode %04o in the archive, %s in the manifest", ErrMismatch, f.Path, hdr.Mode, f.Mode)
	}
	return nil
}

func allowedType(hdr *tar.Header) error {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return fmt.Errorf("%w: %s is a sparse file", ErrEntryType, hdr.Name)
		}
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeDir, tar.TypeSymlink, tar.TypeLink:
		if hdr.Typeflag != tar.TypeReg && hdr.Size != 0 {
			return fmt.Errorf("%w: %s is a link or directory with %d bytes of data", ErrFormat, hdr.Name, hdr.Size)
		}
		return nil
	case tar.TypeChar, tar.TypeBlock:
		return fmt.Errorf("%w: %s is a device file", ErrEntryType, hdr.Name)
	case tar.TypeFifo:
		return fmt.Errorf("%w: %s is a FIFO", ErrEntryType, hdr.Name)
	case tar.TypeGNUSparse:
		return fmt.Errorf("%w: %s is a sparse file", ErrEntryType, hdr.Name)
	}
	return fmt.Errorf("%w: %s has tar type %q", ErrEntryType, hdr.Name, hdr.Typeflag)
}

// finish checks what only the whole archive tells: every listed file was
// there, links point at files, and directories hold listed files.
func (rd *reader) finish() error {
	var missing []string
	for _, f := range rd.p.Manifest.Files {
		if rd.seen[f.Path] == nil {
			missing = append(missing, f.Path)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s (%d listed in the manifest and not in the archive)", ErrMissing, strings.Join(head(missing, 5), ", "), len(missing))
	}
	for _, l := range rd.links {
		target, err := resolveLink(l.Path, l.Target)
		if err != nil {
			return err
		}
		tf := rd.p.Manifest.File(target)
		if tf == nil || tf.Type != TypeFile {
			return fmt.Errorf("%w: %s -> %s names no file of the pack", ErrUnsafeLink, l.Path, l.Target)
		}
		if rd.p.tmp != "" {
			rel, err := filepath.Rel(filepath.Dir(filepath.FromSlash(l.Path)), filepath.FromSlash(target))
			if err != nil {
				return err
			}
			if err := rd.p.mkdirs(path.Dir(l.Path)); err != nil {
				return err
			}
			if err := rd.p.root.Symlink(rel, l.Path); err != nil {
				return fmt.Errorf("extracting %s: %w", l.Path, err)
			}
		}
	}
	for d := range rd.dirs {
		found := false
		for _, f := range rd.p.Manifest.Files {
			if strings.HasPrefix(f.Path, d+"/") {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%w: directory %s holds no file of the manifest", ErrUnlisted, d)
		}
	}
	return nil
}

func head(s []string, n int) []string {
	sort.Strings(s)
	if len(s) > n {
		return append(s[:n:n], "...")
	}
	return s
}

// countReader counts the bytes read from the pack file.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

// budgetReader stops the uncompressed stream at the caps.
type budgetReader struct {
	r   io.Reader
	in  *countReader
	lim Limits
	n   int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.n += int64(n)
	if b.n > b.lim.MaxBytes {
		return n, fmt.Errorf("%w: more than %d bytes uncompressed", ErrTooLarge, b.lim.MaxBytes)
	}
	if b.n > ratioFloor && b.n > b.lim.MaxRatio*max(b.in.n, 1) {
		return n, fmt.Errorf("%w: %d bytes from %d compressed, a ratio over %d", ErrTooLarge, b.n, b.in.n, b.lim.MaxRatio)
	}
	return n, err
}
