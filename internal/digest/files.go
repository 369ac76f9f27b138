package digest

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
)

// errAgain is what the ring's path gives a file it leaves to [File], and
// errOpen one it leaves to File's usual path (openFile), having seen what
// smallFile would see.
var (
	errAgain = errors.New("hash with File")
	errOpen  = errors.New("hash with openFile")
)

// Files hashes each of paths as [File] does, with the same digests and
// the same errors: sets[i] and errs[i] are what File(paths[i], algs...)
// returns. A release names thousands of small files on a command line;
// on Linux they are opened, read and closed through an io_uring in
// batches (see [Record]), three system calls and an fstat each for up to
// 64 files where File makes four system calls a file, on every core.
// Whatever the batch cannot hash as File would (a failed open, a file
// that is not regular or is larger than one read buffer, io_uring
// unavailable, out of descriptors) is hashed by File itself.
func Files(paths []string, algs ...string) (sets []Set, errs []error) {
	sets, errs = make([]Set, len(paths)), make([]error, len(paths))
	algs, err := normaliseAlgorithms(algs)
	if err != nil {
		for i := range errs {
			errs[i] = err
		}
		return sets, errs
	}
	workers := min(runtime.GOMAXPROCS(0), len(paths))
	if workers == 0 {
		return sets, errs
	}
	// Batches of at most one ring's worth, and small enough that every
	// worker gets one: two large files named alone are hashed at once.
	size := min(filesPerTask, (len(paths)+workers-1)/workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			w := newWorker(algs)
			w.named, w.workers = true, workers
			defer w.free()
			for {
				start := int(next.Add(int64(size))) - size
				if start >= len(paths) {
					return
				}
				end := min(start+size, len(paths))
				w.hashNamed(paths[start:end], sets[start:end], errs[start:end])
			}
		})
	}
	wg.Wait()
	// A file opened while another worker's batch held its descriptors may
	// have found none left (EMFILE, ENFILE) where File alone would not: it
	// is hashed again now that no batch holds any, and gets what File
	// gives it.
	for i, err := range errs {
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			sets[i], errs[i] = File(paths[i], algs...)
		}
	}
	return sets, errs
}
