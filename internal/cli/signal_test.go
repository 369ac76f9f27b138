package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
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

// signalHelperEnv makes the test binary run [signalHelper] instead of its
// tests.
const signalHelperEnv = "CONSIGN_TEST_SIGNAL_HELPER"

// TestSecondSignalWithSIGINTIgnored: consign started with SIGINT ignored,
// as a non-interactive shell starts a background job, is cancelled by a
// first SIGINT and ended at once, with status 130, by a second. The second
// used to be lost: the first took the handler away (signal.Stop), which
// gave SIGINT back the disposition consign started with, ignored.
func TestSecondSignalWithSIGINTIgnored(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGINT to send on Windows")
	}
	if os.Getenv(signalHelperEnv) != "" {
		signalHelper()
		return
	}
	// The shell ignores SIGINT and the exec keeps it ignored, as for
	// 'consign ... &' in a script.
	cmd := exec.Command("/bin/sh", "-c", `trap '' INT; exec "$0" -test.run='^TestSecondSignalWithSIGINTIgnored$'`, os.Args[0])
	cmd.Env = append(os.Environ(), signalHelperEnv+"=1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("helper = %v, want exit status 130\n%s", err, out)
	}
	if got, want := ee.ExitCode(), 130; got != want {
		t.Fatalf("helper exit status = %d, want %d\n%s", got, want, out)
	}
}

// signalHelper is the process [TestSecondSignalWithSIGINTIgnored] starts.
// It exits 130 when the second SIGINT ends it, and with another status,
// saying why, otherwise.
func signalHelper() {
	if !signal.Ignored(syscall.SIGINT) {
		fmt.Println("SIGINT is not ignored at start")
		os.Exit(2)
	}
	ctx, stop := withSignals(context.Background(), false)
	defer stop()
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	<-ctx.Done()
	if code, ok := interruptedCode(ctx); !ok || code != 130 {
		fmt.Printf("first SIGINT: interruptedCode = %d, %v; want 130, true\n", code, ok)
		os.Exit(2)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		fmt.Println(err)
		os.Exit(2)
	}
	// A guard, far beyond the delivery of a signal to its own process, so
	// that a second SIGINT that is lost fails the test rather than hangs
	// it: it measures nothing.
	time.Sleep(30 * time.Second)
	fmt.Println("the second SIGINT was lost")
	os.Exit(1)
}
