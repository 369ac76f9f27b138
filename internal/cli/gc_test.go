package cli

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// gcPercent is the GC percentage in force.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestLoosenGC: without GOGC, the percentage is raised to give the heap its
// headroom, set again after a collection (even when something else set it
// meanwhile), and put back to Go's default by stop; with GOGC, nothing
// changes.
func TestLoosenGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	unset := func(string) (string, bool) { return "", false }
	stop := loosenGC(unset, 1<<40)
	if p := gcPercent(); p <= defaultGCPercent {
		t.Errorf("GC percentage %d after loosenGC, want more than %d", p, defaultGCPercent)
	}
	debug.SetGCPercent(100)
	for i := 0; i < 50 && gcPercent() == 100; i++ {
		runtime.GC() // the cleanup runs on its own goroutine after a collection
		runtime.Gosched()
	}
	if p := gcPercent(); p <= defaultGCPercent {
		t.Errorf("GC percentage %d after a collection, want it set again above %d", p, defaultGCPercent)
	}
	stop()
	if p := gcPercent(); p != defaultGCPercent {
		t.Errorf("GC percentage %d after stop, want %d", p, defaultGCPercent)
	}
	runtime.GC()
	if p := gcPercent(); p != defaultGCPercent {
		t.Errorf("GC percentage %d after stop and a collection, want %d", p, defaultGCPercent)
	}

	debug.SetGCPercent(250)
	stop = loosenGC(func(k string) (string, bool) { return "250", k == "GOGC" }, 1<<40)
	runtime.GC()
	if p := gcPercent(); p != 250 {
		t.Errorf("GC percentage %d with GOGC set, want it left at 250", p)
	}
	stop()
}

// TestTightenGC: without GOGC, a small live heap keeps Go's default, a
// large one gets a percentage that gives it the headroom but never less
// than the floor, set again after a collection; stop puts the default
// back; with GOGC, nothing changes.
func TestTightenGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	unset := func(string) (string, bool) { return "", false }
	stop := tightenGC(unset, 1<<40, 25)
	if p := gcPercent(); p != defaultGCPercent {
		t.Errorf("GC percentage %d after tightenGC with a huge headroom, want %d", p, defaultGCPercent)
	}
	stop()
	stop = tightenGC(unset, 1, 25) // any heap is large next to one byte
	if p := gcPercent(); p != 25 {
		t.Errorf("GC percentage %d after tightenGC with a one-byte headroom, want the floor 25", p)
	}
	debug.SetGCPercent(100)
	for i := 0; i < 50 && gcPercent() == 100; i++ {
		runtime.GC()
		runtime.Gosched()
	}
	if p := gcPercent(); p != 25 {
		t.Errorf("GC percentage %d after a collection, want it set again to 25", p)
	}
	stop()
	runtime.GC()
	if p := gcPercent(); p != defaultGCPercent {
		t.Errorf("GC percentage %d after stop and a collection, want %d", p, defaultGCPercent)
	}
	debug.SetGCPercent(250)
	stop = tightenGC(func(k string) (string, bool) { return "250", k == "GOGC" }, 1, 25)
	runtime.GC()
	if p := gcPercent(); p != 250 {
		t.Errorf("GC percentage %d with GOGC set, want it left at 250", p)
	}
	stop()
}
