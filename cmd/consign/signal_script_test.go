package main

import (
	"errors"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

// interruptCmd is the script command
//
//	interrupt SIGNAL AFTER CODE consign ARGS...
//
// It starts consign in the script's directory, sends it SIGNAL (INT or
// TERM) the duration AFTER past consign's start-up (see [startupTime];
// for 'consign sbom', consign-sbom's too), and fails unless consign then exits with
// status CODE and says on stderr that it was interrupted. @GOSRC@ in ARGS
// is a directory large enough that scanning it outlasts AFTER.
func interruptCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 4 {
		ts.Fatalf("usage: interrupt INT|TERM after code program [args...]")
	}
	sig := map[string]syscall.Signal{"INT": syscall.SIGINT, "TERM": syscall.SIGTERM}[args[0]]
	if sig == 0 {
		ts.Fatalf("interrupt: unknown signal %q", args[0])
	}
	after, err := time.ParseDuration(args[1])
	ts.Check(err)
	want, err := strconv.Atoi(args[2])
	ts.Check(err)
	prog, err := lookPath(ts.Getenv("PATH"), args[3])
	ts.Check(err)
	cargs := args[4:]
	for i, a := range cargs {
		cargs[i] = strings.ReplaceAll(a, "@GOSRC@", filepath.Join(build.Default.GOROOT, "src"))
	}
	cmd := exec.Command(prog, cargs...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = append(os.Environ(), "PATH="+ts.Getenv("PATH"))
	for _, v := range []string{"HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME"} {
		cmd.Env = append(cmd.Env, v+"="+ts.Getenv(v))
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	wait := after + 2*startupTime(prog, cmd.Env)
	if len(cargs) > 0 && cargs[0] == "sbom" {
		// consign sbom runs consign-sbom, which starts after consign and
		// has its own start-up (syft's initialisers) before its handler.
		if tool, err := lookPath(ts.Getenv("PATH"), "consign-sbom"); err == nil {
			wait += 2 * startupTime(tool, cmd.Env)
		}
	}
	ts.Check(cmd.Start())
	time.Sleep(wait)
	ts.Check(cmd.Process.Signal(sig))
	// A guard, far beyond any clean exit, so that a consign that ignores
	// the signal fails the script rather than hangs it: it measures nothing.
	killed := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() })
	err = cmd.Wait()
	if !killed.Stop() {
		ts.Fatalf("%s was still running 30s after SIG%s", args[3], args[0])
	}
	ts.Logf("[stderr]\n%s", stderr.String())
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("interrupt: %v", err)
	}
	if got != want {
		ts.Fatalf("%s exited with status %d after SIG%s, want %d", args[3], got, args[0], want)
	}
	if !strings.Contains(stderr.String(), "consign: error: interrupted by SIG"+args[0]) {
		ts.Fatalf("%s did not say it was interrupted", args[3])
	}
}

// startupTime is how long prog takes to start and end doing next to nothing
// ('consign version'): some 40 ms for a plain build, a second for a
// -race one. interrupt waits twice that before its AFTER, so that the
// signal finds consign's handler in place and its work under way on any
// build and machine, rather than killing consign before the handler (a
// race build) or coming after the work is done (a plain build, where the
// scan of AFTER's example takes about a second).
func startupTime(prog string, env []string) time.Duration {
	c := exec.Command(prog, "version")
	c.Env = env
	start := time.Now()
	c.Run()
	return time.Since(start)
}

func lookPath(path, name string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", errors.New("interrupt: " + name + " not in $PATH")
}

// fifoCmd is the script command
//
//	fifo NAME FILE
//
// It makes NAME a named pipe whose writer sends FILE's bytes and then
// holds the pipe open, sending nothing more, until the script ends: a
// reader of NAME waits for more.
func fifoCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: fifo name file")
	}
	name := ts.MkAbs(args[0])
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	ts.Check(syscall.Mkfifo(name, 0o600))
	done := make(chan struct{})
	go func() {
		w, err := os.OpenFile(name, os.O_WRONLY, 0) // waits for a reader
		if err != nil {
			return
		}
		defer w.Close()
		w.Write(data)
		<-done
	}()
	ts.Defer(func() {
		close(done)
		// A writer still waiting for a reader is let go.
		if r, err := os.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			r.Close()
		}
	})
}
