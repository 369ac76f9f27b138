package main

import (
	"bufio"
	"errors"
	"fmt"
	"go/build"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// installAs puts this test binary at path, as testscript.Main does: run
// by the name consign it is consign, by consign-sbom consign-sbom.
func installAs(t *testing.T, path string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if os.Link(exe, path) == nil {
		return
	}
	in, err := os.Open(exe)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// runIn runs bin with args in dir, with PATH holding path alone and no
// handshake inherited, and returns its exit code, stdout and stderr.
func runIn(t *testing.T, dir, path, bin string, args ...string) (int, string, string) {
	t.Helper()
	return runInEnv(t, dir, path, nil, bin, args...)
}

// runInEnv is runIn with env added to the environment.
func runInEnv(t *testing.T, dir, path string, env []string, bin string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "CONSIGN_SBOM_FOR=") && !strings.HasPrefix(kv, messageLogEnv+"=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PATH="+path, "HOME="+dir)
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	code := 0
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %s: %v", bin, err)
	}
	return code, stdout.String(), stderr.String()
}

// TestSBOMToolLookup: 'consign sbom TARGET' runs consign-sbom from next to
// consign's executable (its links resolved), else from PATH, with consign's
// arguments and its version line, and ends with its exit status; without
// one anywhere it fails with how to install it, writing nothing, while the
// rest of 'consign sbom' (help, check) needs none.
func TestSBOMToolLookup(t *testing.T) {
	t.Parallel()
	bin, elsewhere, onPath, work := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	consign := filepath.Join(bin, "consign")
	installAs(t, consign)
	if err := os.WriteFile(filepath.Join(work, "go.mod"), []byte("module example.com/m\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runIn(t, work, onPath, consign, "sbom", "-o", "spdx-json=out.json", ".")
	if code != 1 || stdout != "" {
		t.Errorf("consign sbom without consign-sbom: exit %d, stdout %q; want 1 and nothing", code, stdout)
	}
	for _, want := range []string{
		"consign: error: cannot run consign-sbom: 'consign sbom' runs consign-sbom, which is neither in " + bin + " nor on PATH\n",
		"consign: hint: build it from the checkout consign was built from: go build -o " + bin + " ./cmd/consign-sbom",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("consign sbom without consign-sbom: stderr\n%s\nwant %q", stderr, want)
		}
	}
	if _, err := os.Stat(filepath.Join(work, "out.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("out.json: %v; want it never written", err)
	}
	if code, stdout, stderr := runIn(t, work, onPath, consign, "sbom", "--help"); code != 0 || !strings.Contains(stdout, "--go-mod-cache DIR") {
		t.Errorf("consign sbom --help without consign-sbom: exit %d, stderr %q; want 0 and the help", code, stderr)
	}
	if code, _, stderr := runIn(t, work, onPath, consign, "sbom", "check", "go.mod"); code != 1 || strings.Contains(stderr, "consign-sbom") {
		t.Errorf("consign sbom check of a non-SBOM without consign-sbom: exit %d, stderr %q; want 1, about the file", code, stderr)
	}

	// A consign-sbom on PATH: it gets consign's arguments and version
	// line, and its exit status is consign's.
	fake := "#!/bin/sh\necho \"$CONSIGN_SBOM_FOR|$*\"\nexit 7\n"
	if err := os.WriteFile(filepath.Join(onPath, "consign-sbom"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	_, version, _ := runIn(t, work, onPath, consign, "version")
	code, stdout, stderr = runIn(t, work, onPath, consign, "sbom", "-o", "spdx-json=out.json", ".")
	if want := strings.TrimSpace(version) + "|sbom -o spdx-json=out.json .\n"; code != 7 || stdout != want || stderr != "" {
		t.Errorf("consign sbom with consign-sbom on PATH: exit %d, stdout %q, stderr %q; want 7, %q and nothing", code, stdout, stderr, want)
	}

	// The real one next to consign comes first, also when consign is run
	// through a symbolic link from elsewhere.
	installAs(t, filepath.Join(bin, "consign-sbom"))
	link := filepath.Join(elsewhere, "consign")
	if err := os.Symlink(consign, link); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runIn(t, work, onPath, link, "sbom", "--no-go-mod-cache", "-o", "spdx-json=out.json", ".")
	if code != 0 {
		t.Fatalf("consign sbom with consign-sbom next to it: exit %d, stderr:\n%s", code, stderr)
	}
	if b, err := os.ReadFile(filepath.Join(work, "out.json")); err != nil || !strings.Contains(string(b), `"spdxVersion"`) {
		t.Errorf("out.json: %.100q, %v; want an SPDX document", b, err)
	}
}

// TestSBOMCtrlC: a Ctrl-C on a terminal signals the foreground process
// group, consign and the consign-sbom it runs alike, and consign passes its
// own signal on too: consign-sbom stops once, writing nothing, and says so
// once; consign ends with its 130 and adds nothing. (That consign-sbom run
// by consign ignores the second SIGINT rather than die of it is
// internal/cli's TestWithSignalsRepeat.)
func TestSBOMCtrlC(t *testing.T) {
	t.Parallel()
	consign, err := exec.LookPath("consign") // as testscript.Main installs it, consign-sbom beside it
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	cmd := exec.Command(consign, "sbom", filepath.Join(build.Default.GOROOT, "src"), "-o", "cyclonedx-json=out.json")
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "HOME="+work)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a job of its own, as a shell starts one
	var stderr strings.Builder
	cmd.Stderr = &stderr
	// Both processes' start-up, so that the signal finds consign-sbom's
	// handler in place (see interruptCmd).
	wait := 300*time.Millisecond + 2*startupTime(consign, cmd.Env) + 2*startupTime(filepath.Join(filepath.Dir(consign), "consign-sbom"), cmd.Env)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(wait)
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	killed := time.AfterFunc(30*time.Second, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err = cmd.Wait()
	if !killed.Stop() {
		t.Fatalf("consign sbom was still running 30s after SIGINT")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("consign sbom after a Ctrl-C: %v, want exit status 130; stderr:\n%s", err, stderr.String())
	}
	if want := "consign: error: interrupted by SIGINT; nothing more was written\n"; stderr.String() != want {
		t.Errorf("stderr %q, want consign-sbom's own %q alone", stderr.String(), want)
	}
	if entries, err := os.ReadDir(work); err != nil || len(entries) != 0 {
		t.Errorf("the work directory holds %v (%v), want nothing", entries, err)
	}
}

// TestSBOMToolDiesWithConsign: consign-sbom does not outlive the consign
// that runs it, whether consign is killed by SIGKILL or ends at a second
// signal (the first it passes on, and consign-sbom run by consign ignores
// repeats; at the second consign kills it): left running, it would
// write its SBOMs after the shell had moved on. The consign-sbom here is a
// script that says its pid and each SIGTERM it gets, and ignores them; it
// holds consign's standard output, which therefore ends when it does.
func TestSBOMToolDiesWithConsign(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"SIGKILL", "second SIGTERM"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			bin, work := t.TempDir(), t.TempDir()
			consign := filepath.Join(bin, "consign")
			installAs(t, consign)
			tool := "#!/bin/sh\ntrap 'echo TERM' TERM\necho $$\nwhile :; do sleep 1 >/dev/null & wait $!; done\n"
			if err := os.WriteFile(filepath.Join(bin, "consign-sbom"), []byte(tool), 0o755); err != nil {
				t.Fatal(err)
			}
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cmd := exec.Command(consign, "sbom", ".")
			cmd.Dir, cmd.Stdout = work, w
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "CONSIGN_SBOM_FOR=") && !strings.HasPrefix(kv, messageLogEnv+"=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			out := bufio.NewScanner(r)
			if !out.Scan() {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("consign-sbom said nothing: %v", out.Err())
			}
			pid, err := strconv.Atoi(out.Text())
			if err != nil {
				t.Fatalf("consign-sbom's pid: %v", err)
			}
			// Not to hang on a consign-sbom left running: the test fails.
			stray := time.AfterFunc(30*time.Second, func() { syscall.Kill(pid, syscall.SIGKILL) })
			defer stray.Stop()

			if name == "SIGKILL" {
				cmd.Process.Kill()
				cmd.Wait()
			} else {
				cmd.Process.Signal(syscall.SIGTERM)
				if !out.Scan() || out.Text() != "TERM" {
					t.Fatalf("consign-sbom got %q (%v), want consign's SIGTERM passed on", out.Text(), out.Err())
				}
				// Repeat until one ends it (the second one consign gets).
				exited := make(chan struct{})
				go func() {
					for {
						select {
						case <-exited:
							return
						case <-time.After(time.Millisecond):
							cmd.Process.Signal(syscall.SIGTERM)
						}
					}
				}()
				cmd.Wait()
				close(exited)
			}
			for out.Scan() { // until consign-sbom's end closes the pipe
			}
			if !stray.Stop() {
				t.Errorf("consign-sbom (pid %d) ran on after consign ended by %s", pid, name)
			}
		})
	}
}

// TestSBOMToolKilled: a consign-sbom killed by a signal consign did not
// pass on (the OOM killer's SIGKILL, a crash) ends consign with 128 plus
// the signal, as a shell reports it, and consign names the signal; except
// SIGPIPE, a reader of its output gone, which ends consign as quietly as
// consign's own writes to a closed pipe end it.
func TestSBOMToolKilled(t *testing.T) {
	t.Parallel()
	bin, work := t.TempDir(), t.TempDir()
	consign := filepath.Join(bin, "consign")
	installAs(t, consign)
	for _, tt := range []struct {
		sig  string
		code int
		want string
	}{
		{"KILL", 137, "SIGKILL"},
		{"SEGV", 139, "signal 11 (segmentation fault)"},
		{"PIPE", 141, ""},
	} {
		if err := os.WriteFile(filepath.Join(bin, "consign-sbom"), []byte("#!/bin/sh\nkill -"+tt.sig+" $$\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runIn(t, work, "/usr/bin:/bin", consign, "sbom", ".")
		want := ""
		if tt.want != "" {
			want = "consign: error: consign-sbom was killed by " + tt.want + "\n"
		}
		if code != tt.code || stdout != "" || stderr != want {
			t.Errorf("consign sbom, consign-sbom killed by SIG%s: exit %d, stdout %q, stderr %q; want %d, nothing, %q", tt.sig, code, stdout, stderr, tt.code, want)
		}
	}
}

// TestSBOMToolRelativePath: a consign-sbom that PATH finds only through a
// relative entry ("." or an empty one) is not run, being whatever the
// current directory holds, and the error says so rather than that there is
// none on PATH; also where GODEBUG=execerrdot=0 has exec.LookPath answer
// with the relative name instead of refusing it.
func TestSBOMToolRelativePath(t *testing.T) {
	t.Parallel()
	bin, work := t.TempDir(), t.TempDir()
	consign := filepath.Join(bin, "consign")
	installAs(t, consign)
	if err := os.WriteFile(filepath.Join(work, "consign-sbom"), []byte("#!/bin/sh\ntouch ran\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, env := range [][]string{nil, {"GODEBUG=execerrdot=0"}} {
		for _, path := range []string{".:/usr/bin:/bin", "/usr/bin::/bin"} {
			code, stdout, stderr := runInEnv(t, work, path, env, consign, "sbom", ".")
			want := "consign: error: cannot run consign-sbom: PATH finds consign-sbom as \"consign-sbom\", by a relative entry (such as \".\"), which consign does not run\n"
			if code != 1 || stdout != "" || !strings.HasPrefix(stderr, want) {
				t.Errorf("consign sbom, PATH %q, env %q: exit %d, stdout %q, stderr %q; want 1, nothing, %q", path, env, code, stdout, stderr, want)
			}
			if _, err := os.Stat(filepath.Join(work, "ran")); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("PATH %q, env %q: the consign-sbom of the current directory ran", path, env)
			}
		}
	}
}

// TestSBOMToolUnusable: a consign-sbom next to consign that cannot be run
// (not executable, a directory) is not run, and, with none on PATH, the
// error says what is wrong with it rather than that there is none.
func TestSBOMToolUnusable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		make func(path string) error
		mode string
	}{
		{"not executable", func(p string) error { return os.WriteFile(p, []byte("#!/bin/sh\ntouch ran\n"), 0o644) }, "-rw-r--r--"},
		{"a directory", func(p string) error { return os.Mkdir(p, 0o755) }, "drwxr-xr-x"},
	} {
		bin, work := t.TempDir(), t.TempDir()
		consign := filepath.Join(bin, "consign")
		installAs(t, consign)
		tool := filepath.Join(bin, "consign-sbom")
		if err := tt.make(tool); err != nil {
			t.Fatal(err)
		}
		code, stdout, stderr := runIn(t, work, "/usr/bin:/bin", consign, "sbom", ".")
		want := "consign: error: cannot run consign-sbom: " + tool + " is not an executable file (" + tt.mode + "), and there is none on PATH\n"
		if code != 1 || stdout != "" || !strings.HasPrefix(stderr, want) {
			t.Errorf("consign sbom, consign-sbom %s: exit %d, stdout %q, stderr %q; want 1, nothing, %q", tt.name, code, stdout, stderr, want)
		}
	}
}

// TestSBOMSecondCtrlCLeavesNoPin: a second Ctrl-C while consign-sbom scans
// a file stops it at once, and the private directory the file was pinned
// in beside it (.consign-sbom-*) goes with it: consign removes what
// consign-sbom said it made and had not removed. It used to stay beside
// the target, holding a hard link to it (or a copy), once the second
// signal's default action had ended consign and the kernel killed
// consign-sbom with it. The target is a large sparse tar, which
// consign-sbom hashes before it looks at its context again.
//
// Started with SIGINT ignored (in the background of a non-interactive
// shell), consign keeps its handler after the first signal and used to
// end at the second with os.Exit: the pin stayed there too.
func TestSBOMSecondCtrlCLeavesNoPin(t *testing.T) {
	t.Parallel()
	for _, ignored := range []bool{false, true} {
		t.Run(fmt.Sprintf("SIGINT ignored at start %v", ignored), func(t *testing.T) {
			t.Parallel()
			secondCtrlC(t, ignored)
		})
	}
}

func secondCtrlC(t *testing.T, ignored bool) {
	consign, err := exec.LookPath("consign") // as testscript.Main installs it, consign-sbom beside it
	if err != nil {
		t.Fatal(err)
	}
	dir, work, tmp := t.TempDir(), t.TempDir(), t.TempDir()
	target := filepath.Join(dir, "big.tar")
	f, err := os.Create(target)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(64 << 30); err != nil { // sparse: no disk spent
		t.Fatal(err)
	}
	f.Close()
	cmd := exec.Command(consign, "sbom", target, "-o", "cyclonedx-json=out.json")
	if ignored {
		cmd = exec.Command("/bin/sh", "-c", `trap "" INT; exec "$0" "$@"`, consign, "sbom", target, "-o", "cyclonedx-json=out.json")
	}
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "HOME="+work, "TMPDIR="+tmp)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // a job of its own, as a shell starts one
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := time.AfterFunc(60*time.Second, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	defer killed.Stop()
	pinned := func() []string {
		var pins []string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".consign-sbom-") {
				pins = append(pins, e.Name())
			}
		}
		return pins
	}
	for deadline := time.Now().Add(30 * time.Second); len(pinned()) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no .consign-sbom-* beside the target 30s after the start; stderr:\n%s", stderr.String())
		}
	}
	for range 2 { // Ctrl-C, and again
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	err = cmd.Wait()
	if !killed.Stop() {
		t.Fatal("consign sbom was still running 60s after it started")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Errorf("consign sbom after two Ctrl-C: %v, want exit status 130; stderr:\n%s", err, stderr.String())
	}
	if want := "consign: error: interrupted by SIGINT, and again by SIGINT: consign-sbom was stopped at once\n"; !strings.HasSuffix(stderr.String(), want) {
		t.Errorf("stderr %q, want it to end with %q", stderr.String(), want)
	}
	if pins := pinned(); len(pins) != 0 {
		t.Errorf("%s holds %v after the run, want only the target", dir, pins)
	}
	for _, d := range []string{work, tmp} {
		if entries, err := os.ReadDir(d); err != nil || len(entries) != 0 {
			t.Errorf("%s holds %v (%v), want nothing", d, entries, err)
		}
	}
}

// TestSBOMToolHintQuoted: the command the hint suggests for installing
// consign-sbom next to consign names consign's directory as one word of a
// shell, whatever its name holds: run by sh, it builds into that directory
// and runs nothing its name spells.
func TestSBOMToolHintQuoted(t *testing.T) {
	t.Parallel()
	bin, work := filepath.Join(t.TempDir(), "my $(touch pwned) 'bin'"), t.TempDir()
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	installAs(t, filepath.Join(bin, "consign"))
	code, _, stderr := runIn(t, work, "/usr/bin:/bin", filepath.Join(bin, "consign"), "sbom", ".")
	const from, to = "consign: hint: build it from the checkout consign was built from: ", " (or go install"
	_, hint, ok := strings.Cut(stderr, from)
	if ok {
		hint, _, ok = strings.Cut(hint, to)
	}
	if code != 1 || !ok {
		t.Fatalf("consign sbom without consign-sbom: exit %d, stderr %q; want 1 and a hint %q...%q", code, stderr, from, to)
	}
	// sh runs the command with a go that prints its arguments.
	cmd := exec.Command("sh", "-c", `go() { printf '%s\n' "$@"; }; `+hint)
	cmd.Dir = work
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("sh -c %q: %v", hint, err)
	}
	if got, want := string(out), "build\n-o\n"+bin+"\n./cmd/consign-sbom\n"; got != want {
		t.Errorf("sh ran the hint %q with the arguments %q, want %q", hint, got, want)
	}
	if _, err := os.Stat(filepath.Join(work, "pwned")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("sh running the hint %q ran the command in the directory's name", hint)
	}
}

// TestSBOMToolForeignOwner: a consign-sbom next to consign that anyone may
// write, or that another user owns (or a link another user owns), is not
// run: consign in a directory others may add files to (/tmp) would run
// whatever they put beside it. The error says whose it is.
func TestSBOMToolForeignOwner(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		make func(t *testing.T, tool, work string)
		want string
	}{
		{"writable by anyone", func(t *testing.T, tool, _ string) {
			if err := os.WriteFile(tool, []byte("#!/bin/sh\ntouch ran\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(tool, 0o777); err != nil {
				t.Fatal(err)
			}
		}, " may be written by anyone (-rwxrwxrwx), and there is none on PATH\n"},
		{"another user's", func(t *testing.T, tool, _ string) {
			if err := os.WriteFile(tool, []byte("#!/bin/sh\ntouch ran\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			chownOther(t, tool, os.Chown)
		}, " belongs to user 54321, who is neither you, root, nor the owner of consign, and there is none on PATH\n"},
		{"another user's link", func(t *testing.T, tool, work string) {
			real := filepath.Join(work, "real-tool")
			if err := os.WriteFile(real, []byte("#!/bin/sh\ntouch ran\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(real, tool); err != nil {
				t.Fatal(err)
			}
			chownOther(t, tool, os.Lchown)
		}, " belongs to user 54321, who is neither you, root, nor the owner of consign, and there is none on PATH\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			bin, work := t.TempDir(), t.TempDir()
			consign := filepath.Join(bin, "consign")
			installAs(t, consign)
			tool := filepath.Join(bin, "consign-sbom")
			tt.make(t, tool, work)
			code, stdout, stderr := runIn(t, work, "/usr/bin:/bin", consign, "sbom", ".")
			want := "consign: error: cannot run consign-sbom: " + tool + tt.want
			if code != 1 || stdout != "" || !strings.HasPrefix(stderr, want) {
				t.Errorf("consign sbom, consign-sbom %s: exit %d, stdout %q, stderr %q; want 1, nothing, %q", tt.name, code, stdout, stderr, want)
			}
			if _, err := os.Stat(filepath.Join(work, "ran")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the consign-sbom %s ran", tt.name)
			}
		})
	}
}

// chownOther gives path to user 54321, which only root may do.
func chownOther(t *testing.T, path string, chown func(string, int, int) error) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("giving a file to another user needs root, and this test runs as uid", os.Geteuid())
	}
	if err := chown(path, 54321, 54321); err != nil {
		t.Fatal(err)
	}
}
