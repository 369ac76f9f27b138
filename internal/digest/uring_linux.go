package digest

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A worker hashes a batch of a directory's files through an io_uring: one
// io_uring_enter opens them all (openat relative to the directory, with
// hashAt's flags), an fstat each checks that each is still a regular file,
// one io_uring_enter reads each small one whole into a slot of a per-worker
// buffer (at offset 0, so the descriptor's position stays at the start) and
// one closes them all: three system calls and 64 fstats for 64 files, where
// hashAt makes 256. The type check stays an fstat of the open descriptor:
// the ring's statx is always handed to a kernel worker thread, which costs
// more than it saves, and a check by name would not be of the file opened.
// Anything out of the ordinary takes hashAt's path, with hashAt's errors: a
// failed open is made again by hashAt; a large file, or one whose read
// does not yield exactly the size the fstat gave (it changed; a procfs
// file; a read error; EAGAIN, which a read of an O_NONBLOCK descriptor may
// give rather than wait for the disk), is read from its start by hashFrom.
//
// The ring code is written here rather than taken from a library: it is
// the kernel ABI for three operations, each batch submitted and awaited in
// turn, in some 150 lines; the Go io_uring libraries are event loops many
// times that size. When io_uring is unavailable (a kernel without it,
// io_uring_disabled, EPERM from a container's seccomp profile) or the
// descriptor limit is too low for the batches' open files, the worker uses
// hashAt.

// ringEntries is the size of a worker's submission queue: one batch.
const ringEntries = filesPerTask

// ringReadMax bounds the files read through the ring; larger ones are read
// by hashFrom.
const ringReadMax = 64 << 10

// openFlags opens a file for hashing. O_NOFOLLOW refuses a name that has
// become a link since the listing, and O_NONBLOCK keeps one that has become
// a named pipe from blocking the open.
const openFlags = syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NOFOLLOW | syscall.O_NONBLOCK | syscall.O_NOCTTY

// namedFlags opens a file named by a caller ([Files]) as [File] does:
// links followed, O_NONBLOCK keeping a named pipe from blocking the open.
const namedFlags = openFlags &^ syscall.O_NOFOLLOW

func (w *worker) openFlags() uint32 {
	if w.named {
		return namedFlags
	}
	return openFlags
}

// again hashes a file the ring could not open (or, out of descriptors,
// did not try): with hashAt, which opens it again or says why not; for a
// named file, errAgain, on which [Files] leaves it to [File].
func (w *worker) again(ctx context.Context, dirfd int, name string) error {
	if w.named {
		return errAgain
	}
	return w.hashAt(ctx, dirfd, name)
}

// ringWorker is a worker's io_uring state, made on its first batch: the
// ring, a buffer of read slots (one of bufPool's) and per-file results.
type ringWorker struct {
	setup func(entries uint32) (*ring, error) // newRing; a test's failure
	r     *ring
	tried bool
	buf   *[]byte
	names []byte // the batch's names, each NUL-terminated
	fds   [ringEntries]int32
	read  [ringEntries]int32 // read results
	slot  [ringEntries]int32 // offset in buf, or -1 if not read through the ring
	st    [ringEntries]syscall.Stat_t
	sterr [ringEntries]error
}

func (rw *ringWorker) free() {
	if rw.r != nil {
		rw.r.close()
		rw.r = nil
	}
	if rw.buf != nil {
		bufPool.Put(rw.buf)
		rw.buf = nil
	}
}

// get returns the worker's ring, or nil if io_uring is unavailable or
// the descriptor limit leaves no room for the batches of the workers
// hashing at once (workers; 0 counts as 1).
func (rw *ringWorker) get(workers int) *ring {
	if rw.tried {
		return rw.r
	}
	rw.tried = true
	if !ringFits(workers) {
		return nil
	}
	setup := rw.setup
	if setup == nil {
		setup = newRing
	}
	r, err := setup(ringEntries)
	if err != nil {
		return nil
	}
	rw.r = r
	rw.buf = bufPool.Get().(*[]byte)
	return r
}

// ringFits reports whether the batches of workers rings, every file of
// each open at once, take at most half of the descriptor limit (the soft
// RLIMIT_NOFILE, which the Go runtime raises to the hard one at start), the
// rest being left to the directories the walk holds open and to the
// program. hashAt holds one file a worker; under a limit the batches
// would exhaust (ulimit -n 64, or 1024 with 16 workers), hashAt keeps working.
func ringFits(workers int) bool {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return false
	}
	return uint64(max(workers, 1))*ringEntries <= lim.Cur/2
}

// hashRing hashes files, named in the directory open as dirfd, as
// hashFiles does, through the worker's ring r. Once the worker has put its
// ring away (out of descriptors), the rest are hashed with hashAt.
func (w *worker) hashRing(ctx context.Context, r *ring, dirfd int, files []fileItem, each func(fileItem, error) bool) error {
	for len(files) > 0 {
		if w.ring.r == nil {
			for _, it := range files {
				if !each(it, w.again(ctx, dirfd, it.name)) {
					return nil
				}
			}
			return nil
		}
		n := min(len(files), ringEntries)
		more, err := w.ringChunk(ctx, r, dirfd, files[:n], each)
		if err != nil {
			return fmt.Errorf("hashing %q and the %d files after it: %w", files[0].key, n-1, err)
		}
		if !more {
			return nil
		}
		files = files[n:]
	}
	return nil
}

// ringChunk hashes at most ringEntries files; more is false once each has
// returned false. err is a failure of the ring itself.
func (w *worker) ringChunk(ctx context.Context, r *ring, dirfd int, files []fileItem, each func(fileItem, error) bool) (more bool, err error) {
	rw := &w.ring
	names := rw.names[:0]
	for _, it := range files {
		names = append(names, it.name...)
		names = append(names, 0)
	}
	rw.names = names
	at := 0
	for i, it := range files {
		rw.fds[i] = -1
		r.push(sqe{opcode: opOpenat, fd: int32(dirfd), addr: uint64(uintptr(unsafe.Pointer(&names[at]))), opFlags: w.openFlags(), userData: uint64(i)})
		at += len(it.name) + 1
	}
	err = r.run(len(files), func(i uint64, res int32) { rw.fds[i] = res })
	runtime.KeepAlive(names)
	defer func() {
		if cerr := w.ringClose(r, len(files)); cerr != nil && err == nil {
			more, err = false, cerr
		}
	}()
	if err != nil {
		r.broken(rw)
		return false, err
	}
	if outOfFiles(rw.fds[:len(files)]) {
		// The process or the system is out of descriptors, and hashAt,
		// opening again a file the ring could not, would be too while this
		// batch holds the others open: they are closed, the ring is put
		// away for good, and each file is opened alone by hashAt.
		if err := w.ringClose(r, len(files)); err != nil {
			return false, err
		}
		rw.free()
		for _, it := range files {
			if !each(it, w.again(ctx, dirfd, it.name)) {
				return false, nil
			}
		}
		return true, nil
	}

	// The type checks, and the reads of the small regular files.
	buf := *rw.buf
	used, reads := 0, 0
	for i := range files {
		rw.slot[i], rw.sterr[i] = -1, nil
		if rw.fds[i] < 0 {
			continue
		}
		st := &rw.st[i]
		if err := syscall.Fstat(int(rw.fds[i]), st); err != nil {
			rw.sterr[i] = err
			continue
		}
		if statType(st.Mode) != 0 || st.Size >= ringReadMax || used+int(st.Size)+1 > len(buf) {
			continue
		}
		// One byte more than the size: a file that has grown reads more.
		rw.slot[i] = int32(used)
		r.push(sqe{opcode: opRead, fd: rw.fds[i], addr: uint64(uintptr(unsafe.Pointer(&buf[used]))), len: uint32(st.Size) + 1, userData: uint64(i)})
		used += int(st.Size) + 1
		reads++
	}
	if reads > 0 {
		err := r.run(reads, func(i uint64, res int32) { rw.read[i] = res })
		runtime.KeepAlive(buf)
		if err != nil {
			r.broken(rw)
			return false, err
		}
	}

	for i, it := range files {
		fd, st := int(rw.fds[i]), &rw.st[i]
		var err error
		switch {
		case fd < 0:
			err = w.again(ctx, dirfd, it.name) // opens it again, or says why not
		case w.named && rw.sterr[i] != nil:
			err = errAgain // File's checks and errors
		case w.named && statType(st.Mode) != 0 && !namedReadable(statType(st.Mode)):
			// As smallFile refuses it, unread.
			err = &NotRegularError{Path: it.name, Type: statType(st.Mode)}
		case w.named && statType(st.Mode) == fs.ModeNamedPipe:
			// Read from this descriptor, not opened again
			// (pipeReader says why).
			err = w.hashFrom(ctx, &pipeReader{fdReader: fdReader{fd: fd, name: it.name}}, -1)
		case w.named && (statType(st.Mode) != 0 || st.Size > bufSize):
			// A directory, a large file: File's usual path.
			err = errOpen
		case rw.sterr[i] != nil:
			err = &fs.PathError{Op: "fstat", Path: it.name, Err: rw.sterr[i]}
		case statType(st.Mode) != 0:
			err = &NotRegularError{Path: it.name, Type: statType(st.Mode)}
		case rw.slot[i] >= 0 && int64(rw.read[i]) == st.Size:
			data := buf[rw.slot[i] : int64(rw.slot[i])+st.Size]
			for _, h := range w.hs {
				h.Reset()
				h.Write(data)
			}
		default:
			w.fdr = fdReader{fd: fd, name: it.name}
			err = w.hashFrom(ctx, &w.fdr, st.Size)
		}
		if !each(it, err) {
			return false, nil
		}
	}
	return true, nil
}

// outOfFiles reports whether an open of fds failed with EMFILE or ENFILE.
func outOfFiles(fds []int32) bool {
	for _, fd := range fds {
		if fd == -int32(syscall.EMFILE) || fd == -int32(syscall.ENFILE) {
			return true
		}
	}
	return false
}

// ringClose closes the descriptors of the first n files through r, or
// one by one if r is broken, and marks them closed (-1).
func (w *worker) ringClose(r *ring, n int) error {
	rw := &w.ring
	closes := 0
	for i, fd := range rw.fds[:n] {
		switch {
		case fd >= 0 && rw.r == nil:
			syscall.Close(int(fd))
		case fd >= 0:
			r.push(sqe{opcode: opClose, fd: fd})
			closes++
		}
		rw.fds[i] = -1
	}
	if closes == 0 {
		return nil
	}
	if err := r.run(closes, func(uint64, int32) {}); err != nil {
		r.broken(rw)
		return err
	}
	return nil
}

// brokenRings keeps the rings whose io_uring_enter failed, with their
// buffers: operations may still be in flight, so the kernel may yet write
// to the buffers, which must never be reused. It has never been seen to
// happen (the errors io_uring_enter can return once a ring is set up are
// for misuse); the recording fails with the error.
var brokenRings struct {
	sync.Mutex
	held []ringWorker
}

// broken retires r, which rw owns, for good.
func (r *ring) broken(rw *ringWorker) {
	brokenRings.Lock()
	brokenRings.held = append(brokenRings.held, ringWorker{r: r, buf: rw.buf, names: rw.names})
	brokenRings.Unlock()
	rw.r, rw.buf, rw.names = nil, nil, nil
}

// io_uring's ABI (include/uapi/linux/io_uring.h).
const (
	opOpenat = 18
	opClose  = 19
	opRead   = 22

	offSQRing = 0
	offCQRing = 0x8000000
	offSQEs   = 0x10000000

	featSingleMmap = 1 << 0
	featRWCurPos   = 1 << 3 // Linux 5.6, with IORING_OP_OPENAT, _CLOSE and _READ
	enterGetEvents = 1 << 0
)

// sqe is struct io_uring_sqe, with the fields the three operations use.
type sqe struct {
	opcode   uint8
	flags    uint8
	ioprio   uint16
	fd       int32
	off      uint64
	addr     uint64
	len      uint32
	opFlags  uint32
	userData uint64
	_        [3]uint64
}

// cqe is struct io_uring_cqe.
type cqe struct {
	userData uint64
	res      int32
	flags    uint32
}

// ringParams is struct io_uring_params.
type ringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	_                                                                      [3]uint32
	sqOff                                                                  sqOffsets
	cqOff                                                                  cqOffsets
}

// sqOffsets is struct io_sqring_offsets.
type sqOffsets struct {
	head, tail, ringMask, ringEntries, flags, dropped, array, _ uint32
	_                                                           uint64
}

// cqOffsets is struct io_cqring_offsets.
type cqOffsets struct {
	head, tail, ringMask, ringEntries, overflow, cqes, flags, _ uint32
	_                                                           uint64
}

// ring is an io_uring whose operations are submitted and awaited in turn,
// by one goroutine at a time.
type ring struct {
	fd             int
	sqMem, cqMem   []byte // cqMem is nil when one mapping holds both rings
	sqeMem         []byte
	sqHead, sqTail *uint32
	sqMask         uint32
	sqArray        []uint32
	sqes           []sqe
	cqHead, cqTail *uint32
	cqMask         uint32
	cqes           []cqe
	tail           uint32 // the SQ tail, counting what was pushed since run
}

// newRing sets up an io_uring of the given number of entries.
func newRing(entries uint32) (*ring, error) {
	var p ringParams
	fd, _, errno := syscall.Syscall(unix.SYS_IO_URING_SETUP, uintptr(entries), uintptr(unsafe.Pointer(&p)), 0)
	if errno != 0 {
		return nil, os.NewSyscallError("io_uring_setup", errno)
	}
	r := &ring{fd: int(fd)}
	if p.features&featRWCurPos == 0 {
		r.close()
		return nil, fmt.Errorf("io_uring_setup: kernel older than Linux 5.6")
	}
	const prot, flags = syscall.PROT_READ | syscall.PROT_WRITE, syscall.MAP_SHARED | syscall.MAP_POPULATE
	sqSize := int(p.sqOff.array + p.sqEntries*4)
	cqSize := int(p.cqOff.cqes + p.cqEntries*uint32(unsafe.Sizeof(cqe{})))
	single := p.features&featSingleMmap != 0
	if single {
		sqSize = max(sqSize, cqSize)
	}
	var err error
	if r.sqMem, err = syscall.Mmap(r.fd, offSQRing, sqSize, prot, flags); err != nil {
		r.close()
		return nil, err
	}
	cqMem := r.sqMem
	if !single {
		if r.cqMem, err = syscall.Mmap(r.fd, offCQRing, cqSize, prot, flags); err != nil {
			r.close()
			return nil, err
		}
		cqMem = r.cqMem
	}
	if r.sqeMem, err = syscall.Mmap(r.fd, offSQEs, int(p.sqEntries)*int(unsafe.Sizeof(sqe{})), prot, flags); err != nil {
		r.close()
		return nil, err
	}
	u32 := func(m []byte, off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&m[off])) }
	r.sqHead, r.sqTail = u32(r.sqMem, p.sqOff.head), u32(r.sqMem, p.sqOff.tail)
	r.sqMask = *u32(r.sqMem, p.sqOff.ringMask)
	r.sqArray = unsafe.Slice(u32(r.sqMem, p.sqOff.array), p.sqEntries)
	r.sqes = unsafe.Slice((*sqe)(unsafe.Pointer(&r.sqeMem[0])), p.sqEntries)
	r.cqHead, r.cqTail = u32(cqMem, p.cqOff.head), u32(cqMem, p.cqOff.tail)
	r.cqMask = *u32(cqMem, p.cqOff.ringMask)
	r.cqes = unsafe.Slice((*cqe)(unsafe.Pointer(&cqMem[p.cqOff.cqes])), p.cqEntries)
	r.tail = atomic.LoadUint32(r.sqTail)
	return r, nil
}

func (r *ring) close() {
	for _, m := range [][]byte{r.sqeMem, r.cqMem, r.sqMem} {
		if m != nil {
			syscall.Munmap(m)
		}
	}
	syscall.Close(r.fd)
}

// push queues e; at most ringEntries may be queued before run.
func (r *ring) push(e sqe) {
	i := r.tail & r.sqMask
	r.sqes[i] = e
	r.sqArray[i] = i
	r.tail++
}

// run submits what was pushed and waits for n completions, calling done
// with the user data and result of each. A signal interrupting the wait
// (the Go runtime preempts with SIGURG) only makes it wait again.
func (r *ring) run(n int, done func(userData uint64, res int32)) error {
	atomic.StoreUint32(r.sqTail, r.tail)
	for {
		head := atomic.LoadUint32(r.cqHead)
		for ; n > 0 && head != atomic.LoadUint32(r.cqTail); head++ {
			c := &r.cqes[head&r.cqMask]
			done(c.userData, c.res)
			n--
		}
		atomic.StoreUint32(r.cqHead, head)
		if n == 0 {
			return nil
		}
		submit := r.tail - atomic.LoadUint32(r.sqHead)
		_, _, errno := syscall.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(submit), uintptr(n), enterGetEvents, 0, 0)
		switch errno {
		case 0, syscall.EINTR, syscall.EAGAIN, syscall.EBUSY:
		default:
			return os.NewSyscallError("io_uring_enter", errno)
		}
	}
}
