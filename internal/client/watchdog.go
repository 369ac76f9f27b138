package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/limits"
)

// The phases of a request, as its [watchdog] sees them.
const (
	phaseSending  = iota // the body is being sent
	phaseAwaiting        // the body is sent; the answer has not begun
	phaseReading         // the answer is being read
)

// watchdog cancels a request once no byte has moved for longer than its
// phase allows: idle while the body is sent and while the answer is read;
// idle plus the server's checks of the body ([limits.PublishCheckRate])
// between the body's end and the answer's start. Each byte that moves
// starts the wait again; but while the body is sent or the answer read,
// after a first idle of grace the bytes must also keep to an average of
// [limits.PublishBodyRate] a second (the pace the server asks of a
// publish body), bytes ahead of that pace counting for no more than idle,
// so that a server taking or sending a byte now and then cannot hold the
// client for as long as the capped sizes allow at that pace (years, for a
// byte a minute).
type watchdog struct {
	what   string // the request, for the error: method and redacted URL
	idle   time.Duration
	cancel context.CancelCauseFunc

	mu    sync.Mutex
	t     *time.Timer
	phase int
	size  int64 // the body's bytes
	sent  int64
	read  int64
	wait  time.Duration // what the current phase allows
	// start is when the current phase began, last when a byte last
	// moved, and due when the phase's bytes so far would have moved at
	// the rate after a first idle of grace, never later than idle after
	// the last.
	start, last, due time.Time
}

func newWatchdog(what string, idle time.Duration, size int64, cancel context.CancelCauseFunc) *watchdog {
	w := &watchdog{what: what, idle: idle, size: size, cancel: cancel}
	w.start = time.Now()
	w.last, w.due = w.start, w.start.Add(idle)
	w.mu.Lock()
	defer w.mu.Unlock()
	if size == 0 {
		w.phase, w.wait = phaseAwaiting, idle
	} else {
		w.phase, w.wait = phaseSending, idle
	}
	w.t = time.AfterFunc(w.wait, w.fire)
	return w
}

// fire cancels the request with an error that says where it stalled.
func (w *watchdog) fire() {
	w.mu.Lock()
	defer w.mu.Unlock()
	var err error
	// Cut off by the rate, not the idle time, if bytes kept moving.
	slow := w.phase != phaseAwaiting && time.Since(w.last) < w.wait
	switch {
	case slow && w.phase == phaseSending:
		err = fmt.Errorf("%w: %s: the server took the request at less than %d bytes a second (%d of %d bytes sent in %s)", ErrStalled, w.what, int64(limits.PublishBodyRate), w.sent, w.size, time.Since(w.start).Round(time.Millisecond))
	case slow:
		err = fmt.Errorf("%w: %s: the server sent its answer at less than %d bytes a second (%d bytes read in %s)", ErrStalled, w.what, int64(limits.PublishBodyRate), w.read, time.Since(w.start).Round(time.Millisecond))
	case w.phase == phaseSending:
		err = fmt.Errorf("%w: %s: the server took no byte of the request for %s (%d of %d bytes sent)", ErrStalled, w.what, w.wait, w.sent, w.size)
	case w.phase == phaseAwaiting:
		err = fmt.Errorf("%w: %s: no answer within %s of sending the request (%d bytes)", ErrStalled, w.what, w.wait, w.size)
	default:
		err = fmt.Errorf("%w: %s: the server sent no byte of its answer for %s (%d bytes read)", ErrStalled, w.what, w.wait, w.read)
	}
	w.cancel(err)
}

// moved starts the wait again, with what phase allows; a phase never goes
// back (the transport may still send the body after the answer began).
func (w *watchdog) moved(phase int, sent, read int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if phase < w.phase {
		return
	}
	now := time.Now()
	if phase > w.phase {
		w.phase, w.start, w.due = phase, now, now.Add(w.idle)
		w.wait = w.idle
		if phase == phaseAwaiting {
			w.wait += limits.AtRate(w.size, limits.PublishCheckRate)
		}
	}
	w.sent += int64(sent)
	w.read += int64(read)
	if sent+read > 0 {
		w.last = now
	}
	wait := w.wait
	if w.phase != phaseAwaiting {
		w.due = w.due.Add(limits.AtRate(int64(sent+read), limits.PublishBodyRate))
		if limit := now.Add(w.idle); limit.Before(w.due) {
			w.due = limit
		}
		wait = min(wait, max(w.due.Sub(now), 0))
	}
	w.t.Reset(wait)
}

// answered marks the answer's start.
func (w *watchdog) answered() { w.moved(phaseReading, 0, 0) }

func (w *watchdog) stop() { w.t.Stop() }

// err is why ctx ended, if it did: the watchdog's error wrapping
// [ErrStalled], or the caller's cancellation (an interrupt) as it is.
func (w *watchdog) err(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	cause := context.Cause(ctx)
	if errors.Is(cause, ErrStalled) {
		return cause
	}
	return fmt.Errorf("%s: %w", w.what, cause)
}

// sending is a request body that tells its watchdog of each byte sent.
type sending struct {
	r  io.Reader
	wd *watchdog
}

func (s *sending) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	switch {
	case err == io.EOF:
		s.wd.moved(phaseAwaiting, n, 0)
	case n > 0:
		s.wd.moved(phaseSending, n, 0)
	}
	return n, err
}

// reading is an answer's body that tells its watchdog of each byte read.
type reading struct {
	r  io.Reader
	wd *watchdog
}

func (r *reading) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.wd.moved(phaseReading, 0, n)
	}
	return n, err
}
