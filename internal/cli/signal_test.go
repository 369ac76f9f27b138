package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// withSignalsChildEnv makes this test binary the child of
// TestWithSignalsRepeat: withSignals with ignoreRepeats as the variable
// says, then SIGTERM to itself twice. (SIGTERM, not SIGINT: a process
// started in the background by a shell inherits SIGINT ignored, and Go
// keeps it so once no channel is notified; tests run that way.)
const withSignalsChildEnv = "CONSIGN_TEST_WITH_SIGNALS_IGNORE_REPEATS"

// TestWithSignalsRepeat: after the first signal has cancelled the work, a
// second one ends the process at once, unless ignoreRepeats (consign-sbom
// run by consign, where a Ctrl-C arrives twice: from the terminal, and as
// consign passes it on), where it is ignored and the work ends as
// cancelled, cleaning up.
func TestWithSignalsRepeat(t *testing.T) {
	if v := os.Getenv(withSignalsChildEnv); v != "" {
		ignore, _ := strconv.ParseBool(v)
		ctx, stop := withSignals(context.Background(), ignore)
		defer stop()
		syscall.Kill(os.Getpid(), syscall.SIGTERM)
		<-ctx.Done()
		// The runtime puts the default action back a little after
		// signal.Stop returns: the repeats go on until one ends the
		// process, or 100 have not.
		for range 100 {
			syscall.Kill(os.Getpid(), syscall.SIGTERM)
			time.Sleep(time.Millisecond)
		}
		fmt.Println(context.Cause(ctx))
		return
	}
	for _, ignore := range []bool{false, true} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestWithSignalsRepeat$", "-test.count=1")
		cmd.Env = append(os.Environ(), withSignalsChildEnv+"="+strconv.FormatBool(ignore))
		out, err := cmd.Output()
		var ee *exec.ExitError
		killed := errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signaled() && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGTERM
		switch {
		case !ignore && !killed:
			t.Errorf("withSignals(ignoreRepeats=false): a second SIGTERM left the process running (%v, output %q)", err, out)
		case ignore && err != nil:
			t.Errorf("withSignals(ignoreRepeats=true): a second SIGTERM: %v, output %q; want it ignored", err, out)
		case ignore && !strings.HasPrefix(string(out), "interrupted by SIGTERM\n"):
			t.Errorf("withSignals(ignoreRepeats=true): output %q, want the first signal's cause", out)
		}
	}
}
