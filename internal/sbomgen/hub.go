package sbomgen

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anchore/go-logger"
	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/event"
	"github.com/anchore/syft/syft/event/monitor"
	"github.com/anchore/syft/syft/event/parsers"
	"github.com/wagoodman/go-partybus"
	"github.com/wagoodman/go-progress"

	"github.com/consign-dev/consign/internal/sbomspec"
)

// syft reports progress on a process-wide event bus and logs through a
// process-wide logger. consign installs both once, before its first scan,
// and routes what they carry to the scans running at the time: log lines
// naming a path go to the scans whose root holds it, and the package
// count goes to the one scan that asked for progress first (a second scan
// asking for progress at the same time gets file counts and elapsed time
// only). Nothing is written anywhere: the logger keeps only the few lines
// consign reports, and drops the rest.
var hub = &scanHub{scans: map[*scanState]bool{}}

var installHub = sync.OnceFunc(func() {
	bus := partybus.NewBus()
	sub := bus.Subscribe(event.CatalogerTaskStarted)
	syft.SetBus(bus)
	syft.SetLogger(hubLogger{})
	go func() {
		for e := range sub.Events() {
			hub.event(e)
		}
	}()
})

type scanHub struct {
	mu    sync.Mutex
	scans map[*scanState]bool
	owner *scanState // the scan that receives the package count
}

// scanState is what the hub knows of one running scan.
type scanState struct {
	root     string // absolute directory syft indexes; "" for images
	files    atomic.Int64
	mu       sync.Mutex
	packages progress.Stager // the package cataloging task, once it starts
	warnings []string
	phase    sbomspec.Phase
	step     stepCounter

	emitMu sync.Mutex // one call of fn at a time
	fn     func(sbomspec.Progress)
	start  time.Time
}

// stepCounter counts a phase's work done and to do; a nil one counts
// nothing.
type stepCounter struct{ done, total atomic.Int64 }

func (c *stepCounter) add(done, total int64) {
	if c != nil {
		c.done.Add(done)
		c.total.Add(total)
	}
}

// setPhase starts phase p, with nothing of its work counted yet, and
// reports it at once, so that no phase goes unseen however short.
func (s *scanState) setPhase(p sbomspec.Phase) {
	s.mu.Lock()
	s.phase = p
	s.step.done.Store(0)
	s.step.total.Store(0)
	s.mu.Unlock()
	s.emit(false)
}

// emit calls the scan's progress function, if any, with where it is.
func (s *scanState) emit(done bool) {
	if s.fn == nil {
		return
	}
	s.mu.Lock()
	p := sbomspec.Progress{Phase: s.phase, Step: s.step.done.Load(), Steps: s.step.total.Load(), Done: done}
	s.mu.Unlock()
	p.Files, p.Packages, p.Elapsed = s.files.Load(), s.packageCount(), time.Since(s.start)
	s.emitMu.Lock()
	defer s.emitMu.Unlock()
	s.fn(p)
}

func (h *scanHub) add(s *scanState, wantsProgress bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.scans[s] = true
	if wantsProgress && h.owner == nil {
		h.owner = s
	}
}

func (h *scanHub) remove(s *scanState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.scans, s)
	if h.owner == s {
		h.owner = nil
	}
}

func (h *scanHub) event(e partybus.Event) {
	prog, task, err := parsers.ParseCatalogerTaskStarted(e)
	if err != nil || task == nil || task.ID != monitor.PackageCatalogingTaskID {
		return
	}
	h.mu.Lock()
	owner := h.owner
	h.mu.Unlock()
	if owner != nil {
		owner.mu.Lock()
		owner.packages = prog
		owner.mu.Unlock()
	}
}

// warn records a log line about path with every scan whose root holds it,
// with the path made relative to that root.
func (h *scanHub) warn(path, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.scans {
		if s.root == "" {
			continue
		}
		rel, err := filepath.Rel(s.root, path)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		s.mu.Lock()
		s.warnings = append(s.warnings, fmt.Sprintf("%s: %s", filepath.ToSlash(rel), strings.ReplaceAll(msg, s.root, ".")))
		s.mu.Unlock()
	}
}

func (s *scanState) packageCount() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.packages == nil {
		return 0
	}
	// The stage reads "1,234 packages", or nothing before the first count.
	count, _, _ := strings.Cut(strings.TrimSpace(s.packages.Stage()), " ")
	n, _ := strconv.ParseInt(strings.ReplaceAll(count, ",", ""), 10, 64)
	return n
}

func (s *scanState) takeWarnings() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.warnings...)
}

// countFiles walks root, counting the files in it, until ctx is done. It
// only runs when progress is shown; syft's own indexer counts nothing.
func (s *scanState) countFiles(ctx context.Context) {
	filepath.WalkDir(s.root, func(_ string, d fs.DirEntry, err error) error {
		if ctx.Err() != nil {
			return fs.SkipAll
		}
		if err == nil && !d.IsDir() {
			s.files.Add(1)
		}
		return nil
	})
}

// report reports the scan's progress every tenth of a second until ctx is
// done, then returns.
func (s *scanState) report(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.emit(false)
		}
	}
}

// hubLogger receives syft's log lines. It keeps the warnings about paths
// the directory indexer could not read, and drops everything else.
type hubLogger struct{}

var _ logger.Logger = hubLogger{}

// accessWarning is the format of syft's directory indexer's warning
// about a path it cannot read (syft/internal/fileresolver).
const accessWarning = "unable to access path=%q: %+v"

func (hubLogger) Warnf(format string, args ...any) {
	if format != accessWarning || len(args) != 2 {
		return
	}
	path, ok := args[0].(string)
	if !ok {
		return
	}
	msg := "cannot be read"
	if err, ok := args[1].(error); ok {
		msg = "cannot be read: " + err.Error()
	}
	hub.warn(path, msg)
}

func (hubLogger) Errorf(string, ...any)                    {}
func (hubLogger) Error(...any)                             {}
func (hubLogger) Warn(...any)                              {}
func (hubLogger) Infof(string, ...any)                     {}
func (hubLogger) Info(...any)                              {}
func (hubLogger) Debugf(string, ...any)                    {}
func (hubLogger) Debug(...any)                             {}
func (hubLogger) Tracef(string, ...any)                    {}
func (hubLogger) Trace(...any)                             {}
func (l hubLogger) WithFields(...any) logger.MessageLogger { return l }
func (l hubLogger) Nested(...any) logger.Logger            { return l }
