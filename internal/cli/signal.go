package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/spf13/cobra"
)

// interruptError is the cause of a context that a signal cancelled.
type interruptError struct{ sig syscall.Signal }

func (e *interruptError) Error() string { return fmt.Sprintf("interrupted by %s", signalName(e.sig)) }

// Is makes an interruption a [context.Canceled] too.
func (e *interruptError) Is(target error) bool { return target == context.Canceled }

func signalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGKILL:
		return "SIGKILL"
	}
	// s.String() alone is a description ("killed", "segmentation fault").
	return fmt.Sprintf("signal %d (%v)", int(s), s)
}

// withSignals is ctx, cancelled with an [interruptError] by the first
// SIGINT or SIGTERM. After that first signal the default action is back,
// so a second one ends consign at once; with ignoreRepeats, further ones
// are ignored instead, and the work ends as cancelled.
//
// A process that a non-interactive shell starts in the background starts
// with SIGINT ignored, and giving SIGINT back the disposition it started
// with (signal.Stop) would lose the second: there the handler stays, and
// the second signal ends consign with 128 plus the first's number, unless
// a caller handles it ([handleRepeats]). (Go's
// signal.Notify takes SIGINT even when it was ignored at start; a signal
// that comes before Notify, while the packages initialise, is discarded
// by the kernel.)
func withSignals(ctx context.Context, ignoreRepeats bool) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	var elsewhere atomic.Int32 // see handleRepeats
	ctx = context.WithValue(ctx, repeatsKey{}, &elsewhere)
	keep := !ignoreRepeats && signal.Ignored(os.Interrupt)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		var first syscall.Signal
		select {
		case s := <-ch:
			switch {
			case ignoreRepeats:
				signal.Ignore(os.Interrupt, syscall.SIGTERM)
			case !keep:
				signal.Stop(ch)
			}
			if sig, ok := s.(syscall.Signal); ok {
				first = sig
				cancel(&interruptError{sig: sig})
			} else {
				cancel(context.Canceled)
			}
		case <-done:
			return
		}
		if !keep {
			return
		}
		for {
			select {
			case <-ch:
				if elsewhere.Load() > 0 {
					continue // see handleRepeats
				}
				// The user insisting: as the default action would, this
				// ends the process now, whatever the work in progress.
				os.Exit(128 + int(first))
			case <-done:
				return
			}
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// repeatsKey is the context key of [withSignals]'s count of the calls
// of handleRepeats in progress.
type repeatsKey struct{}

// handleRepeats tells [withSignals] of ctx that the caller handles a
// signal after the first itself (consign running consign-sbom: it stops
// it, and removes what it left), until the returned func is called: the
// second signal does not end consign meanwhile where withSignals would
// (a process started with SIGINT ignored). Elsewhere the caller's own
// signal.Notify is what keeps the default action away.
func handleRepeats(ctx context.Context) (done func()) {
	n, ok := ctx.Value(repeatsKey{}).(*atomic.Int32)
	if !ok {
		return func() {}
	}
	n.Add(1)
	return func() { n.Add(-1) }
}

// interruptedCode is the exit code of a run whose context a signal
// cancelled: 128 plus the signal's number (130 for SIGINT, 143 for
// SIGTERM), as a shell reports it.
func interruptedCode(ctx context.Context) (int, bool) {
	var ie *interruptError
	if ctx.Err() == nil || !errors.As(context.Cause(ctx), &ie) {
		return 0, false
	}
	return 128 + int(ie.sig), true
}

// signalStops is the annotation of the commands that run until a signal
// stops them (serve, log monitor --watch): for them the signal is the
// normal end, and the command's own result stands.
const signalStops = "consign.signal-stops"

func stopsOnSignal(cmd *cobra.Command) bool {
	return cmd != nil && cmd.Annotations[signalStops] != ""
}

// notCancelled is the check every writer makes before it commits: work
// that was cancelled writes nothing.
func notCancelled(ctx context.Context) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return nil
}
