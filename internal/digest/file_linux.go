package digest

import (
	"context"
	"io/fs"
	"slices"
	"sync"
	"syscall"
)

// smallFile hashes the file at path (links followed) as [File] does when
// it is a regular file of at most one read buffer, the usual artifact of a
// release: with openat, fstat, one read and close on a raw descriptor,
// where an *os.File adds the runtime poller's epoll_ctl and a second read,
// and [Reader]'s pipeline a goroutine, two channels and three buffers. ok
// is false, with nothing read, for a larger regular file or a directory,
// or when the open or fstat fails: [File] then takes its usual path, and
// reports its usual errors. A device, socket or other file is refused
// here, with a [*NotRegularError] and nothing read, by the type of the
// fstat every file gets. O_NONBLOCK keeps a named pipe from blocking the
// open; the pipe is then read to its end from that descriptor
// ([pipeReader] says why not from another).
func smallFile(path string, algs []string) (s Set, ok bool, err error) {
	const flags = syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NONBLOCK | syscall.O_NOCTTY
	var fd int
	for {
		fd, err = syscall.Open(path, flags, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return nil, false, nil
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil {
		return nil, false, nil
	}
	typ := statType(st.Mode)
	switch {
	case typ == fs.ModeNamedPipe:
		w := smallWorker(algs)
		defer smallWorkers.Put(w)
		if err := w.hashFrom(context.Background(), &pipeReader{fdReader: fdReader{fd: fd, name: path}}, -1); err != nil {
			return nil, true, err
		}
		return sums(algs, w.hs, nil), true, nil
	case typ != 0 && !namedReadable(typ):
		return nil, true, &NotRegularError{Path: path, Type: typ}
	case typ != 0 || st.Size > bufSize:
		return nil, false, nil
	}
	w := smallWorker(algs)
	defer func() {
		w.fdr = fdReader{}
		smallWorkers.Put(w)
	}()
	w.fdr = fdReader{fd: fd, name: path}
	if err := w.hashFrom(context.Background(), &w.fdr, st.Size); err != nil {
		return nil, true, err
	}
	return sums(algs, w.hs, nil), true, nil
}

// smallWorkers keeps smallFile's workers, each with its hashes and read
// buffer, between calls: a worker (with the ring's per-file arrays) is
// some 11 KB, which every one of a release's files named one by one would
// otherwise allocate afresh, in new pages of a heap a short command never
// collects.
var smallWorkers sync.Pool

// smallWorker returns a worker for algs, from smallWorkers if it holds one
// for the same algorithms.
func smallWorker(algs []string) *worker {
	if w, ok := smallWorkers.Get().(*worker); ok {
		if slices.Equal(w.algs, algs) {
			return w
		}
		w.free()
	}
	return newWorker(algs)
}
