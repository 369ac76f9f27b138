// Package startup makes the consign binary's start-up cheaper.
//
// The packages linked into consign (syft, OPA, sigstore-go, the cloud and
// container clients syft brings) allocate some 12 MB in their package
// initialisers, which run whatever command is asked for. With the default
// GOGC the garbage collector runs several times during them, over a heap
// that is almost all live. This package, imported first by the consign
// command, lets the heap grow further before the first collections, and
// [Done], called once the initialisers have run, restores the setting the
// environment asked for (GOGC, default 100) a moment later: a command that
// is done by then (verify-attestation, verify-image, discover and the other
// short ones) never pays for a collection, and a long one (serve, a scan)
// runs with the usual setting from then on. Restoring at once would cost
// a collection straight away, as the heap is already past the usual goal.
//
// Only cmd/consign imports it; a test binary that links cmd/consign calls
// [Restore] in its TestMain.
package startup

import (
	"runtime/debug"
	"sync"
	"time"
)

// initPercent is the GC percentage while the package initialisers run
// (and for [Grace] after): 800 lets the initialisers' 12 MB fit before a
// collection.
const initPercent = 800

// Grace is how long after [Done] the usual GC setting comes back.
const Grace = 200 * time.Millisecond

var (
	mu      sync.Mutex
	restore = -2 // the GOGC setting to restore; -2 when nothing was changed
)

func init() {
	prev := debug.SetGCPercent(initPercent)
	if prev < 0 {
		// GOGC=off: leave it off.
		debug.SetGCPercent(prev)
		return
	}
	restore = prev
}

// Done schedules the GC setting the environment asked for to come back
// after [Grace]. It is called once, when the initialisers have run.
func Done() {
	time.AfterFunc(Grace, Restore)
}

// Restore puts the GC setting the environment asked for back now. It is
// safe to call more than once, and from any goroutine.
func Restore() {
	mu.Lock()
	defer mu.Unlock()
	if restore != -2 {
		debug.SetGCPercent(restore)
		restore = -2
	}
}
