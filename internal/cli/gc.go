package cli

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// gcHeadroom is how far past the live heap the heap may grow between two
// collections while a step is recorded or a chain verified (see [loosenGC]).
const gcHeadroom = 128 << 20

// gcFloor is the least GC percentage [tightenGC] sets: a heap of a
// gigabyte live grows by a quarter between collections.
const gcFloor = 25

// loosenGC lets the heap grow by up to headroom bytes past the live heap
// between collections, or by the GOGC percentage's share if that is more,
// until stop is called, which puts the setting back. A step of 100,000
// files holds some 40 MB live and allocates it as it goes: at the default
// GOGC the collector runs nine times over a heap that is almost all live,
// about 5% of the command's CPU time, where a fixed headroom lets it run
// once or twice; a step of a million files (500 MB live) gets the default
// setting, so its peak memory stays what GOGC makes it. The GC percentage
// is set again after every collection, from the live heap it found.
//
// A GOGC in the environment (lookupEnv) is the user's choice and is left
// alone; without one, Go's default (100) is the floor. The start-up setting
// of package startup, put back a moment after the command starts, may
// override this one until the next collection, whose tuning undoes that.
func loosenGC(lookupEnv func(string) (string, bool), headroom uint64) (stop func()) {
	if _, set := lookupEnv("GOGC"); set {
		return func() {}
	}
	return tuneGC(&gcTuner{base: defaultGCPercent, headroom: headroom})
}

// tightenGC is [loosenGC] the other way: the heap may grow by headroom
// bytes past the live heap between collections, or by floor percent of
// it if that is more, and never by more than Go's default (100%). An
// evidence pack of a step of a million files holds about a gigabyte live
// (the envelope's line, its payload, their text): at the default, the
// heap doubles that before each collection, the larger part of the
// command's peak memory; with floor 25, it grows by a quarter, for a few
// more collections of a heap whose bulk (bytes) the collector does not
// scan. A small pack keeps the default.
func tightenGC(lookupEnv func(string) (string, bool), headroom uint64, floor int) (stop func()) {
	if _, set := lookupEnv("GOGC"); set {
		return func() {}
	}
	return tuneGC(&gcTuner{base: defaultGCPercent, headroom: headroom, floor: floor, tighten: true})
}

// tuneGC starts t: it sets the percentage now and after every collection
// until stop is called, which puts Go's default back.
func tuneGC(t *gcTuner) (stop func()) {
	t.sample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	t.tune()
	t.arm()
	return func() {
		t.mu.Lock()
		t.stopped = true
		debug.SetGCPercent(t.base)
		t.mu.Unlock()
	}
}

// defaultGCPercent is the GC percentage when GOGC is not set.
const defaultGCPercent = 100

// gcTuner sets the GC percentage after each collection.
type gcTuner struct {
	base     int
	headroom uint64
	// tighten makes base the most, not the least, and floor the least.
	tighten bool
	floor   int
	mu      sync.Mutex
	stopped bool
	sample  []metrics.Sample
}

// gcSentinel is an object left unreachable so that its cleanup runs after
// the next collection; the pointer keeps it out of the tiny allocator,
// whose blocks may live on after it.
type gcSentinel struct{ _ *byte }

// arm runs tune after the next collection, and again after each one until
// stopped.
func (t *gcTuner) arm() {
	runtime.AddCleanup(new(gcSentinel), func(t *gcTuner) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.stopped {
			return
		}
		t.tuneLocked()
		t.arm()
	}, t)
}

func (t *gcTuner) tune() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.tuneLocked()
}

// tuneLocked sets the percentage that lets the heap grow by t.headroom
// past the live heap the last collection found, and never less than t.base
// (with t.tighten: never more than t.base, nor less than t.floor).
func (t *gcTuner) tuneLocked() {
	metrics.Read(t.sample)
	live := uint64(4 << 20) // before the first collection: the runtime's minimum heap
	if s := t.sample[0]; s.Value.Kind() == metrics.KindUint64 && s.Value.Uint64() > live {
		live = s.Value.Uint64()
	}
	p := max(t.base, int(t.headroom*100/live))
	if t.tighten {
		p = max(t.floor, min(t.base, int(t.headroom*100/live)))
	}
	debug.SetGCPercent(p)
}
