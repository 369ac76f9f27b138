package digest

import (
	"context"
	"strings"

	"golang.org/x/sys/unix"
)

// testOnlyFilesRing, set by tests, sets up the rings of [Files]' workers
// in place of newRing (which nil means).
var testOnlyFilesRing func(entries uint32) (*ring, error)

// hashNamed hashes paths into sets and errs for [Files], through the
// worker's ring when it has one, and File for every file the ring leaves
// to it.
func (w *worker) hashNamed(paths []string, sets []Set, errs []error) {
	if w.ring.setup == nil {
		w.ring.setup = testOnlyFilesRing
	}
	done := 0 // files the ring has given a result, in order
	if r := w.ring.get(w.workers); r != nil && len(paths) > 1 {
		items := make([]fileItem, 0, len(paths))
		for _, p := range paths {
			if strings.IndexByte(p, 0) >= 0 {
				// A NUL would end the name the ring opens early; File
				// refuses it.
				items = nil
				break
			}
			items = append(items, fileItem{key: p, name: p})
		}
		if items != nil {
			// A failure of the ring itself leaves the files after the
			// last result to File.
			_ = w.hashRing(context.Background(), r, unix.AT_FDCWD, items, func(_ fileItem, err error) bool {
				if err == nil {
					sets[done] = sums(w.algs, w.hs, &w.scratch)
				}
				errs[done] = err
				done++
				return true
			})
		}
	}
	for i := range paths {
		switch {
		case i >= done || errs[i] == errAgain:
			sets[i], errs[i] = File(paths[i], w.algs...)
		case errs[i] == errOpen:
			sets[i], errs[i] = openFile(paths[i], w.algs)
		}
	}
}
