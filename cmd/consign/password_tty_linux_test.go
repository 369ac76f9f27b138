package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair: the master, which the test types
// into, and the terminal a child takes as its controlling terminal.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening /dev/ptmx: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlocking the pty: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("naming the pty: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("opening the pty's terminal: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// TestPasswordPromptInterrupt: a Ctrl-C typed at the password prompt ends
// consign at once (130, "interrupted", nothing written) and gives the
// terminal its echo back. term.ReadPassword knows no context: consign went
// on waiting for the password, with echo off, and a second Ctrl-C killed it
// with echo still off.
func TestPasswordPromptInterrupt(t *testing.T) {
	prog, err := exec.LookPath("consign") // this test binary, as testscript.Main installs it
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"keygen", "--out", "k"},
		{"attest", "--key", "plain.key", "--type", "test", "--predicate", "p.json", "--subject", "p.json", "--out", "a.intoto.jsonl"},
	} {
		t.Run(args[0], func(t *testing.T) {
			dir := t.TempDir()
			if args[0] == "attest" {
				// An encrypted key, made with a password from the environment.
				gen := exec.Command(prog, "keygen", "--out", "plain")
				gen.Dir = dir
				gen.Env = append(os.Environ(), "CONSIGN_PASSWORD=pw")
				if out, err := gen.CombinedOutput(); err != nil {
					t.Fatalf("keygen: %v\n%s", err, out)
				}
				if err := os.WriteFile(filepath.Join(dir, "p.json"), []byte(`{"result":"PASSED","configuration":[]}`), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			master, tty := openPTY(t)
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "CONSIGN_PASSWORD=") && !strings.HasPrefix(kv, "COSIGN_PASSWORD=") {
					env = append(env, kv)
				}
			}
			stderr := &lockedWriter{w: &strings.Builder{}}
			cmd := exec.Command(prog, args...)
			cmd.Dir, cmd.Env = dir, env
			cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, stderr
			// Its own session, with the pty as its controlling terminal:
			// the Ctrl-C typed below is a SIGINT to it, as in a shell.
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { // the pty's output, read so that it never blocks
				buf := make([]byte, 1024)
				for {
					if _, err := master.Read(buf); err != nil {
						return
					}
				}
			}()
			deadline := time.Now().Add(30 * time.Second)
			for !strings.Contains(stderr.String(), "Enter password") {
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatalf("no password prompt; stderr:\n%s", stderr)
				}
				time.Sleep(20 * time.Millisecond)
			}
			// The prompt is written just before the read starts; wait until
			// echo is off, as the read turns it off.
			for {
				tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
				if err != nil {
					t.Fatal(err)
				}
				if tio.Lflag&unix.ECHO == 0 {
					break
				}
				if time.Now().After(deadline) {
					cmd.Process.Kill()
					t.Fatal("echo never turned off at the prompt")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if _, err := master.Write([]byte{0x03}); err != nil { // Ctrl-C
				t.Fatal(err)
			}
			killed := time.AfterFunc(10*time.Second, func() { cmd.Process.Kill() })
			err := cmd.Wait()
			if !killed.Stop() {
				t.Fatalf("consign %s still waited for the password 10s after Ctrl-C", args[0])
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 130 {
				t.Errorf("consign %s after Ctrl-C: %v, want exit status 130", args[0], err)
			}
			if !strings.Contains(stderr.String(), "consign: error: interrupted by SIGINT") {
				t.Errorf("consign %s did not say it was interrupted; stderr:\n%s", args[0], stderr)
			}
			tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
			if err != nil {
				t.Fatal(err)
			}
			if tio.Lflag&unix.ECHO == 0 {
				t.Errorf("consign %s left the terminal with echo off", args[0])
			}
			for _, name := range []string{"k.key", "k.pub", "a.intoto.jsonl"} {
				if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
					t.Errorf("consign %s wrote %s after Ctrl-C", args[0], name)
				}
			}
		})
	}
}
