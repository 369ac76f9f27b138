//go:build !linux

package digest

// openSysDir opens directories for Record: through an [os.Root] on systems
// other than Linux.
var openSysDir dirOpener = openRootDir

// fdReader is used on Linux only.
type fdReader struct{}

// ringWorker is a worker's io_uring state, on Linux only.
type ringWorker struct{}

func (*ringWorker) free() {}

// smallFile is [File]'s path for small regular files on Linux; elsewhere
// File always takes its usual path.
func smallFile(string, []string) (Set, bool, error) { return nil, false, nil }

// hashNamed hashes paths into sets and errs for [Files], with File: the
// ring's batches are Linux's.
func (w *worker) hashNamed(paths []string, sets []Set, errs []error) {
	for i, p := range paths {
		sets[i], errs[i] = File(p, w.algs...)
	}
}
