package digest

import (
	"errors"
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// pipeReader reads a named pipe, opened without blocking, to its end.
//
// A second, blocking open cannot take the place of that descriptor: a
// writer waiting in its own open for a reader was let go by the first,
// and once it has written and closed, a blocking open waits for another
// writer for ever, while what it wrote went with the first descriptor
// when it was closed. So the descriptor that looked is the one read.
// Before any writer has come, a read of it finds nothing and says so as
// an end of file; so the first read (and every read after one found the
// pipe empty) waits in poll until the pipe holds data or a writer has
// hung up. The kernel reports no hang-up for a writer that left before
// the open, only for one there at the open or come since.
type pipeReader struct {
	fdReader
	waited bool
}

func (r *pipeReader) Read(p []byte) (int, error) {
	for {
		if !r.waited {
			if err := r.wait(); err != nil {
				return 0, err
			}
			r.waited = true
		}
		n, err := r.fdReader.Read(p)
		if errors.Is(err, syscall.EAGAIN) {
			r.waited = false // a writer is there, and has written nothing yet
			continue
		}
		return n, err
	}
}

// wait blocks until the pipe holds data or a writer has hung up.
func (r *pipeReader) wait() error {
	fds := []unix.PollFd{{Fd: int32(r.fd), Events: unix.POLLIN}}
	for {
		_, err := unix.Poll(fds, -1)
		switch err {
		case nil:
			return nil
		case syscall.EINTR:
			continue
		default:
			return &fs.PathError{Op: "poll", Path: r.name, Err: err}
		}
	}
}
