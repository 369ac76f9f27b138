// Command rusage runs a command and writes its wall time, CPU time and peak
// RSS, for bench/e2e.sh. It replaces /usr/bin/time there because GNU time
// prints user and system seconds to 10 ms, and a consign verify of the 1x
// chain takes 50 ms of CPU: one 10 ms step moved a ratio by a tenth. The
// kernel keeps both to the microsecond; this prints them so.
//
// Usage: rusage -o FILE CMD [ARG...]
//
// FILE gets one line, "wall user sys maxrss_kib exit": seconds, the CPU time
// of CMD and of every descendant it waited for (wait4's accounting, as GNU
// time's), peak resident set in KiB, and CMD's exit code (128+N when killed
// by signal N). CMD's standard streams are rusage's own.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	out := flag.String("o", "", "write the measurements to `FILE`")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: rusage -o FILE CMD [ARG...]")
		os.Exit(2)
	}
	if err := run(*out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "rusage:", err)
		os.Exit(1)
	}
}

func run(out string, args []string) error {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return err
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return errors.New("no resource usage from the operating system")
	}
	code := cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	line := fmt.Sprintf("%.4f %.4f %.4f %d %d\n", wall.Seconds(),
		time.Duration(ru.Utime.Nano()).Seconds(), time.Duration(ru.Stime.Nano()).Seconds(), ru.Maxrss, code)
	return os.WriteFile(out, []byte(line), 0o644)
}
