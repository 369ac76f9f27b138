package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/consign-dev/consign/internal/shell"
)

// sbomTool is the program that makes SBOMs for the consign binary: the
// same command tree with syft linked. consign runs it for 'consign sbom
// TARGET' and nothing else, so that the verifier a customer runs, and every
// other command, links no syft and pays neither its start-up nor its size.
const sbomTool = "consign-sbom"

// sbomToolEnv is how consign tells consign-sbom which consign runs it: the
// version line 'consign version' prints. consign-sbom refuses to run for
// another (see [checkSBOMTool]): its flags, formats and outputs are those
// of its own version, and consign's help promised this one's.
const sbomToolEnv = "CONSIGN_SBOM_FOR"

// sbomWorkEnv names the descriptor on which the consign-sbom consign runs
// tells it of the directories its scan makes and removes
// ([sbomspec.Config.WorkDir]): once consign-sbom has ended, however it
// ended (a second Ctrl-C stops it at once), consign removes those left.
const sbomWorkEnv = "CONSIGN_SBOM_WORK_FD"

// errSBOMTool is the root of the errors about finding or running consign-sbom.
var errSBOMTool = errors.New("cannot run " + sbomTool)

// toolExit is consign-sbom's exit status, which consign ends with: the
// tool printed its own result and errors. err, when set, is what consign
// has to add: that a signal killed the tool.
type toolExit struct {
	code int
	err  error
}

func (e *toolExit) Error() string {
	if e.err != nil {
		return e.err.Error()
	}
	return fmt.Sprintf("%s exited with status %d", sbomTool, e.code)
}

// runSBOMTool runs consign-sbom with consign's own arguments, standard
// input, output and error, and returns its exit status as a *[toolExit].
// A SIGINT or SIGTERM that reaches consign is passed on to it, and its
// exit status (130, 143: it wrote nothing) is consign's. A second one
// stops it at once (SIGKILL), and consign ends with 128 plus the first.
// Either way, the directories consign-sbom said it made for its scan
// (see [sbomWorkEnv]) and did not remove are removed once it has ended:
// a pin of a file target beside it, an archive's extraction.
func runSBOMTool(ctx context.Context, deps *Deps) error {
	if err := notCancelled(ctx); err != nil {
		return err
	}
	if by := deps.getenv(sbomToolEnv); by != "" {
		// consign run by the name consign-sbom (a copy, a link): running
		// consign-sbom again would never end. Or the variable was left in
		// the user's environment: say which, not only the first.
		return &Error{Code: ExitError,
			Err: fmt.Errorf("%w: %s is set (to %q), as consign sets it for the %s it runs, and this is consign, without the SBOM generator",
				errSBOMTool, sbomToolEnv, by, sbomTool),
			Hint: installHint("") + "; or, if " + sbomToolEnv + " was left in the environment, unset it"}
	}
	path, err := findSBOMTool()
	if err != nil {
		return err
	}
	work, err := newWorkDirs()
	if err != nil {
		return fmt.Errorf("%w %s: %w", errSBOMTool, path, err)
	}
	c := exec.Command(path, deps.args...)
	c.Stdin, c.Stdout, c.Stderr = deps.Stdin, deps.Stdout, deps.Stderr
	c.Env = append(os.Environ(), sbomToolEnv+"="+readBuildInfo().String(), sbomWorkEnv+"=3")
	c.ExtraFiles = []*os.File{work.w} // descriptor 3
	c.SysProcAttr = toolProcAttr()
	// Signals reach consign here, not its default action, also after the
	// first, which [withSignals] stops listening for: a second one stops
	// consign-sbom, and consign removes what it left before it ends.
	defer handleRepeats(ctx)()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	defer work.remove() // before signal.Stop: while signals still reach consign here
	// The parent-death signal of toolProcAttr comes when the thread that
	// started the child ends, not the process: keep that thread, which
	// the runtime ends only under a goroutine that locked it, until Wait.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err = c.Start()
	work.started()
	if err != nil {
		return fmt.Errorf("%w %s: %w", errSBOMTool, path, err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	cancelled, signals := ctx.Done(), 0
	var first, stopped syscall.Signal // the first signal; the one that stopped consign-sbom
	for waiting := true; waiting; {
		select {
		case err = <-done:
			waiting = false
		case <-cancelled:
			cancelled = nil
			sig := syscall.SIGTERM
			var ie *interruptError
			if errors.As(context.Cause(ctx), &ie) {
				sig = ie.sig
			}
			c.Process.Signal(sig) // an error here is a process already gone
		case s := <-sigs:
			sig, _ := s.(syscall.Signal)
			if signals++; signals == 1 {
				first = sig
			} else if stopped == 0 {
				c.Process.Kill() // the user insisting
				stopped = sig
			}
		}
	}
	if stopped != 0 {
		return &toolExit{code: 128 + int(first),
			err: fmt.Errorf("interrupted by %s, and again by %s: %s was stopped at once", signalName(first), signalName(stopped), sbomTool)}
	}
	var ee *exec.ExitError
	switch {
	case err == nil:
		return &toolExit{}
	case !errors.As(err, &ee):
		return fmt.Errorf("%w %s: %w", errSBOMTool, path, err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		if ws.Signal() == syscall.SIGPIPE && ctx.Err() == nil {
			// Its output's reader went away ('consign sbom . | head'):
			// consign, writing the SBOM itself, would have ended as
			// quietly, of the same signal, as every other command does.
			return &toolExit{code: 128 + int(syscall.SIGPIPE)}
		}
		// A signal passed on before its handler was in place, or anyone's.
		err := fmt.Errorf("%s was killed by %s", sbomTool, signalName(ws.Signal()))
		if ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
		}
		return &toolExit{code: 128 + int(ws.Signal()), err: err}
	}
	return &toolExit{code: ee.ExitCode()}
}

// findSBOMTool finds consign-sbom next to consign's own executable (its
// symbolic links resolved), if this user, root or consign's owner owns it
// and not anyone may write it ([toolOwnerProblem]), else on PATH.
func findSBOMTool() (string, error) {
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	dir, unusable := "", ""
	if err == nil {
		dir = filepath.Dir(exe)
		p := filepath.Join(dir, sbomTool)
		if fi, err := os.Stat(p); err == nil {
			switch {
			case !fi.Mode().IsRegular() || fi.Mode()&0o111 == 0:
				unusable = fmt.Sprintf("%s is not an executable file (%v)", p, fi.Mode())
			default:
				if unusable = toolOwnerProblem(p, exe); unusable == "" {
					return p, nil
				}
			}
		}
	}
	p, err := exec.LookPath(sbomTool)
	if err == nil && filepath.IsAbs(p) {
		return p, nil
	}
	// LookPath refuses a relative entry with ErrDot, unless GODEBUG has
	// execerrdot=0 (set for some other program's sake): then it answers
	// with the relative name, which is refused all the same.
	if err == nil || errors.Is(err, exec.ErrDot) {
		// Found by a relative PATH entry ("." or an empty one): run
		// from wherever the shell happens to be, it is refused.
		return "", &Error{Code: ExitError,
			Err:  fmt.Errorf("%w: PATH finds %s as %q, by a relative entry (such as \".\"), which consign does not run", errSBOMTool, sbomTool, p),
			Hint: "install it next to consign, or in a directory PATH names by its absolute path; " + installHint(dir)}
	}
	if unusable != "" {
		return "", &Error{Code: ExitError,
			Err:  fmt.Errorf("%w: %s, and there is none on PATH", errSBOMTool, unusable),
			Hint: installHint(dir)}
	}
	where := "next to consign"
	if dir != "" {
		where = "in " + dir
	}
	return "", &Error{Code: ExitError,
		Err:  fmt.Errorf("%w: 'consign sbom' runs %s, which is neither %s nor on PATH", errSBOMTool, sbomTool, where),
		Hint: installHint(dir)}
}

// installHint says how to install consign-sbom of consign's own version
// into dir, quoted for a shell: a directory named with a space, or with
// "$(...)", is one word of the command, not several or a command of its own.
func installHint(dir string) string {
	if dir == "" {
		dir = "DIR"
	} else {
		dir = shell.Quote(dir)
	}
	v := Version()
	if v == "devel" {
		return fmt.Sprintf("build it from the checkout consign was built from: go build -o %s ./cmd/%s (or go install ./cmd/... for both)", dir, sbomTool)
	}
	return fmt.Sprintf("install the same version next to consign: GOBIN=%s go install github.com/consign-dev/consign/cmd/%s@%s", dir, sbomTool, v)
}

// checkSBOMTool is consign-sbom's side of [sbomToolEnv]: run by consign
// of another version (or build), it refuses.
func checkSBOMTool(deps *Deps) error {
	if deps.SBOM == nil || deps.LookupEnv == nil {
		return nil
	}
	want := deps.getenv(sbomToolEnv)
	if want == "" {
		return nil
	}
	if have := readBuildInfo().String(); want != have {
		return &Error{Code: ExitError,
			Err:  fmt.Errorf("%w: it is %s, and was run by %s: the two must be the same build", errSBOMTool, have, want),
			Hint: "install both from one version: go install github.com/consign-dev/consign/cmd/...@VERSION, or go install ./cmd/... in a checkout"}
	}
	return nil
}

// workDirs are the directories the consign-sbom consign runs said it made
// for its scan and has not removed yet: it writes a line for each on
// descriptor 3 (w in consign), "+" and the quoted path once made, "-" and
// the path once removed ([announceWorkDirs]).
type workDirs struct {
	r, w *os.File
	done chan struct{} // closed once r is read to its end
	mu   sync.Mutex
	dirs map[string]bool
}

func newWorkDirs() (*workDirs, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	wd := &workDirs{r: r, w: w, done: make(chan struct{}), dirs: map[string]bool{}}
	go wd.read()
	return wd, nil
}

// started closes consign's copy of the write end, once consign-sbom has
// its own (or failed to start): r ends when consign-sbom does.
func (wd *workDirs) started() { wd.w.Close() }

func (wd *workDirs) read() {
	defer close(wd.done)
	sc := bufio.NewScanner(wd.r)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		dir, err := strconv.Unquote(line[1:])
		// Only what a scan makes, by its names: never anything else a
		// broken consign-sbom might name.
		base := filepath.Base(dir)
		if err != nil || !filepath.IsAbs(dir) || !strings.HasPrefix(strings.TrimPrefix(base, "."), "consign-sbom-") {
			continue
		}
		wd.mu.Lock()
		switch line[0] {
		case '+':
			wd.dirs[dir] = true
		case '-':
			delete(wd.dirs, dir)
		}
		wd.mu.Unlock()
	}
}

// remove removes the directories consign-sbom made and did not remove,
// once it has ended: what it wrote before is read first (for at most a
// few seconds: a process it started may hold the pipe's write end).
func (wd *workDirs) remove() {
	select {
	case <-wd.done:
	case <-time.After(3 * time.Second):
	}
	wd.r.Close()
	wd.mu.Lock()
	defer wd.mu.Unlock()
	for dir := range wd.dirs {
		os.RemoveAll(dir)
	}
}

// announceWorkDirs is consign-sbom's side of [sbomWorkEnv]: a
// [sbomspec.Config.WorkDir] that tells the consign that runs it of each
// directory its scan makes and removes; nil when no consign runs it.
func announceWorkDirs(deps *Deps) func(dir string, made bool) {
	if deps.SBOM == nil || deps.getenv(sbomToolEnv) == "" {
		return nil
	}
	fd, err := strconv.Atoi(deps.getenv(sbomWorkEnv))
	if err != nil || fd < 3 {
		return nil
	}
	closeOnExec(fd) // not for the programs the scan runs (go list)
	f := os.NewFile(uintptr(fd), "consign's work directories")
	var mu sync.Mutex
	return func(dir string, made bool) {
		op := "-"
		if made {
			op = "+"
		}
		mu.Lock()
		defer mu.Unlock()
		f.WriteString(op + strconv.Quote(dir) + "\n") // consign gone: nobody to tell
	}
}
