package digest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
	"syscall"
)

// On Linux, the recorder lists directories with getdents64 and hashes files
// with openat, fstat, read and close on raw descriptors: four system calls
// per file, where an *os.File costs nine (the runtime poller's fcntl and
// epoll_ctl calls) and listing a directory opened in an [os.Root] costs an
// lstat per entry. Containment is unchanged: each directory is opened
// through the recorder's [os.Root], and files are opened in it by a single
// name with O_NOFOLLOW, so no link is followed. Where io_uring is
// available, a batch's opens, reads and closes go through it instead
// (uring_linux.go), leaving one fstat a file.

// openSysDir opens directories for Record: on Linux, as descriptors.
var openSysDir dirOpener = openFDDir

// fdDir is an open directory whose descriptor files are opened in.
type fdDir struct {
	f     *os.File
	rc    syscall.RawConn
	plain bool // hash with hashAt alone, never through io_uring
}

// openFDDir opens the directory real (a path with no links) in root and
// lists it, using buf for the listing, each entry's key being prefix and
// its name.
func openFDDir(root *os.Root, real, prefix string, buf []byte) (openDir, []dirEntry, error) {
	return openFD(root, real, prefix, buf, false)
}

// openPlainDir is openFDDir whose files are hashed with hashAt alone, as
// when io_uring is unavailable; for tests, which want the same results.
func openPlainDir(root *os.Root, real, prefix string, buf []byte) (openDir, []dirEntry, error) {
	return openFD(root, real, prefix, buf, true)
}

func openFD(root *os.Root, real, prefix string, buf []byte, plain bool) (openDir, []dirEntry, error) {
	f, err := root.Open(real)
	if err != nil {
		return nil, nil, err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	d := fdDir{f: f, rc: rc, plain: plain}
	var ents []dirEntry
	var lerr error
	if err := rc.Control(func(fd uintptr) { ents, lerr = readDirents(int(fd), buf, prefix) }); err != nil {
		lerr = err
	}
	if lerr != nil {
		f.Close()
		return nil, nil, lerr
	}
	if ents, err = typeUnknowns(root, real, ents); err != nil {
		f.Close()
		return nil, nil, err
	}
	return d, ents, nil
}

func (d fdDir) close() { d.f.Close() }

// typeUnknowns finds the types of the entries of directory real that the
// listing left as typeUnknown, with an lstat in root, and drops those that
// have gone since.
func typeUnknowns(root *os.Root, real string, ents []dirEntry) ([]dirEntry, error) {
	out := ents[:0]
	for _, e := range ents {
		if e.typ == typeUnknown {
			fi, err := root.Lstat(joinKey(real, e.name))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			e.typ = fi.Mode().Type()
		}
		out = append(out, e)
	}
	return out, nil
}

// readDirents lists the directory open as fd with getdents64, skipping "."
// and "..", each entry's key being prefix and its name. The keys of one
// getdents64 call are made as one string, so that listing a thousand files
// allocates a few times, not two thousand.
func readDirents(fd int, buf []byte, prefix string) ([]dirEntry, error) {
	var ents []dirEntry
	var names []direntName
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "getdents64", Err: err}
		}
		if n <= 0 {
			return ents, nil
		}
		// One walk of the listing finds the names; the keys are then made
		// as one string of the size they sum to. A record takes at least
		// 24 bytes, so the first listing's length bounds the names it and
		// the next listings hold (a directory is mostly listed at once).
		list := buf[:n]
		if names == nil {
			names = make([]direntName, 0, n/24+1)
		}
		names = names[:0]
		size := 0
		if err := eachDirent(list, func(at int, name []byte, dt uint8) {
			names = append(names, direntName{at: uint32(at), n: uint16(len(name)), dt: dt})
			size += len(prefix) + len(name)
		}); err != nil {
			return nil, err
		}
		var keys strings.Builder
		keys.Grow(size)
		for _, d := range names {
			keys.WriteString(prefix)
			keys.Write(list[d.at : d.at+uint32(d.n)])
		}
		all := keys.String()
		ents = slices.Grow(ents, len(names))
		for _, d := range names {
			key := all[:len(prefix)+int(d.n)]
			all = all[len(key):]
			ents = append(ents, dirEntry{key: key, name: key[len(prefix):], typ: direntType(d.dt)})
		}
	}
}

// direntName is where a name lies in a getdents64 listing, its length
// (a record's length is 16 bits) and its d_type: eight bytes, so that a
// listing's names, garbage once its entries are made, take a third of the
// listing rather than more than it.
type direntName struct {
	at uint32
	n  uint16
	dt uint8
}

// eachDirent calls f with the name, its offset in buf and the d_type of
// each record of a getdents64 listing, skipping ".", ".." and deleted
// entries.
func eachDirent(buf []byte, f func(at int, name []byte, dt uint8)) error {
	// struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
	const nameOff = 19
	for off := 0; off < len(buf); {
		if off+nameOff > len(buf) {
			return errors.New("getdents64: truncated record")
		}
		reclen := int(binary.NativeEndian.Uint16(buf[off+16:]))
		if reclen < nameOff || off+reclen > len(buf) {
			return errors.New("getdents64: bad record length")
		}
		ino := binary.NativeEndian.Uint64(buf[off:])
		dt := buf[off+18]
		at, name := off+nameOff, buf[off+nameOff:off+reclen]
		off += reclen
		if i := bytes.IndexByte(name, 0); i >= 0 {
			name = name[:i]
		}
		if ino == 0 || string(name) == "." || string(name) == ".." {
			continue
		}
		f(at, name, dt)
	}
	return nil
}

// direntType maps a d_type to a file type; DT_UNKNOWN (some file systems
// do not report types) maps to typeUnknown.
func direntType(dt uint8) fs.FileMode {
	switch dt {
	case syscall.DT_REG:
		return 0
	case syscall.DT_DIR:
		return fs.ModeDir
	case syscall.DT_LNK:
		return fs.ModeSymlink
	case syscall.DT_FIFO:
		return fs.ModeNamedPipe
	case syscall.DT_SOCK:
		return fs.ModeSocket
	case syscall.DT_CHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.DT_BLK:
		return fs.ModeDevice
	case syscall.DT_UNKNOWN:
		return typeUnknown
	}
	return fs.ModeIrregular
}

// typeUnknown marks an entry whose type the listing did not give.
const typeUnknown = ^fs.FileMode(0)

func statType(mode uint32) fs.FileMode {
	switch mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return 0
	case syscall.S_IFDIR:
		return fs.ModeDir
	case syscall.S_IFLNK:
		return fs.ModeSymlink
	case syscall.S_IFIFO:
		return fs.ModeNamedPipe
	case syscall.S_IFSOCK:
		return fs.ModeSocket
	case syscall.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFBLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular
}

func (d fdDir) hashFiles(ctx context.Context, w *worker, files []fileItem, each func(fileItem, error) bool) error {
	var rerr error
	err := d.rc.Control(func(dirfd uintptr) {
		if r := d.ring(w, len(files)); r != nil {
			rerr = w.hashRing(ctx, r, int(dirfd), files, each)
			return
		}
		for _, it := range files {
			if !each(it, w.hashAt(ctx, int(dirfd), it.name)) {
				return
			}
		}
	})
	if err != nil {
		return err
	}
	return rerr
}

// ring returns w's io_uring for a batch of n files, nil to hash them with
// hashAt: for a single file (the ring would save nothing), with the plain
// opener, when io_uring is unavailable, or when the descriptor limit
// leaves no room for every worker's batch (see ringFits).
func (d fdDir) ring(w *worker, n int) *ring {
	if n < 2 || d.plain {
		return nil
	}
	return w.ring.get(w.workers)
}

// hashAt hashes the regular file name in the directory open as dirfd, with
// openFlags.
func (w *worker) hashAt(ctx context.Context, dirfd int, name string) error {
	var fd int
	var err error
	for {
		fd, err = syscall.Openat(dirfd, name, openFlags, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err == syscall.ELOOP {
		return &NotRegularError{Path: name, Type: fs.ModeSymlink}
	}
	if err != nil {
		return &fs.PathError{Op: "openat", Path: name, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return &fs.PathError{Op: "fstat", Path: name, Err: err}
	}
	if typ := statType(st.Mode); typ != 0 {
		return &NotRegularError{Path: name, Type: typ}
	}
	w.fdr = fdReader{fd: fd, name: name}
	return w.hashFrom(ctx, &w.fdr, st.Size)
}

// fdReader reads a raw descriptor.
type fdReader struct {
	fd   int
	name string
}

func (r *fdReader) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(r.fd, p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, &fs.PathError{Op: "read", Path: r.name, Err: err}
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}
