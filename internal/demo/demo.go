// Package demo is consign's built-in walkthrough: a sample project taken
// through the whole flow (keys, a recorded build, SBOMs, attestations, a
// transparency log, a signed release policy, an evidence pack a customer
// verifies offline) and through tampered variants that must fail.
//
// Every step is printed as the command line that does it and run as
// exactly that: consign steps as the consign executable in a child
// process, the few others (copying, tampering) with sh, in the directory
// the walkthrough says it is in. The walkthrough never changes the
// process's working directory, and tampers only with copies, so the
// project it leaves re-verifies. The same command lines, in order, are
// written to steps.sh in the project directory.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	sh "github.com/consign-dev/consign/internal/shell"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// password protects the demo's throw-away keys.
const password = "demo-only-password"

// stateDir, in the project directory, is the configuration directory its
// steps run with: consign keeps its state there, not in the user's.
const stateDir = ".config"

// exitVerifyNo is consign's exit code for a verification whose answer is no.
const exitVerifyNo = 3

// Config configures [Run].
type Config struct {
	// Dir is the project directory, which must be absent or empty; empty
	// means a temporary directory, removed afterwards.
	Dir string
	// Out receives the walkthrough: each command line and its verdict.
	Out io.Writer
	// Verbose also shows everything each step printed.
	Verbose bool
	// Consign is the consign executable each step runs; empty means this
	// process's own executable.
	Consign string
	// Env is the environment of each step; nil means this process's.
	Env []string
	// UI, after the walkthrough, serves the inspection portal over the
	// demo's log with the release published, prints its URL and a one-time
	// inspector token, and serves until ctx is cancelled; Run then returns
	// ctx's error.
	UI bool
}

// DirNotEmptyError is returned for a Config.Dir that holds files, or that
// is not a directory at all (File).
type DirNotEmptyError struct {
	Dir  string
	File bool
}

func (e *DirNotEmptyError) Error() string {
	if e.File {
		return fmt.Sprintf("demo directory %q is a file, not a directory", e.Dir)
	}
	return fmt.Sprintf("demo directory %q is not empty", e.Dir)
}

// Run writes the sample project to cfg.Dir and walks it through consign's
// flow. Any step that exits otherwise than the walkthrough expects is an
// error naming it.
func Run(ctx context.Context, cfg Config) error {
	keep := cfg.Dir != ""
	if !keep {
		tmp, err := os.MkdirTemp("", "consign-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		cfg.Dir = tmp
	} else if fi, err := os.Stat(cfg.Dir); err == nil && !fi.IsDir() {
		return &DirNotEmptyError{Dir: cfg.Dir, File: true}
	} else if entries, err := os.ReadDir(cfg.Dir); err == nil && len(entries) > 0 {
		return &DirNotEmptyError{Dir: cfg.Dir}
	}
	if cfg.Consign == "" {
		self, err := os.Executable()
		if err != nil {
			return fmt.Errorf("demo: finding the consign executable: %w", err)
		}
		cfg.Consign = self
	}
	if cfg.Env == nil {
		cfg.Env = os.Environ()
	}
	// What consign remembers between runs (verify's rollback state, the
	// log monitor's) stays in the project: the demo's policies and packs
	// must never mark the user's own.
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return err
	}
	cfg.Env = append(append([]string{}, cfg.Env...), "XDG_CONFIG_HOME="+filepath.Join(abs, stateDir))
	if err := writeProject(cfg.Dir); err != nil {
		return err
	}
	initial, err := listTree(cfg.Dir)
	if err != nil {
		return err
	}
	d := &demo{ctx: ctx, cfg: cfg, root: cfg.Dir, w: cfg.Out}
	if err := d.walk(); err != nil {
		return err
	}
	if err := d.writeScript(initial); err != nil {
		return err
	}
	fmt.Fprintln(d.w)
	if keep {
		fmt.Fprintf(d.w, "Demo complete: every step behaved as expected. The project and its files are in %s;\n", cfg.Dir)
		fmt.Fprintf(d.w, "'sh steps.sh' there runs every step again and exits 0 when each verdict is the same.\n")
	} else {
		fmt.Fprintln(d.w, "Demo complete: every step behaved as expected. Run 'consign demo --dir DIR' to keep the files.")
	}
	if cfg.UI {
		return d.portal()
	}
	return nil
}

func writeProject(dir string) error {
	all := map[string]string{}
	for name, body := range projectFiles {
		all[name] = body
	}
	for name, body := range chainFiles {
		all[name] = policyDates(body, time.Now())
	}
	for name, src := range intakeProject {
		b, err := intakeFiles.ReadFile(src)
		if err != nil {
			return err
		}
		all[name] = string(b)
	}
	for _, d := range []string{"keys", "release/keys", "release/att", "release/tampered"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o700); err != nil {
			return err
		}
	}
	for name, body := range all {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			return err
		}
	}
	return nil
}

// policyDates fills in the sample policy's dates from now: it expires in
// ten years and alice's key in five, so the demo never goes stale.
func policyDates(body string, now time.Time) string {
	day := now.UTC().Truncate(24 * time.Hour)
	return strings.NewReplacer(
		"{{expires}}", day.AddDate(10, 0, 0).Format(time.RFC3339),
		"{{alice_until}}", day.AddDate(5, 0, 0).Format(time.RFC3339),
	).Replace(body)
}

// step is one command of the walkthrough: consign with args, or a shell
// command line.
type step struct {
	title string
	args  []string // consign's arguments
	sh    string   // a shell command line, instead of args
	want  int      // the exit code expected
	// stdout, when set, receives the step's standard output instead of the
	// walkthrough.
	stdout *bytes.Buffer
	// capture names the shell variable steps.sh keeps stdout in.
	capture string
}

// consign is a step running consign with args, expected to succeed.
func consign(title string, args ...string) step { return step{title: title, args: args} }

// refused is a step running consign with args, expected to exit 3.
func refused(title string, args ...string) step {
	return step{title: title, args: args, want: exitVerifyNo}
}

// shell is a step running a shell command line, expected to succeed.
func shell(title, line string) step { return step{title: title, sh: line} }

// demo is the walkthrough's state.
type demo struct {
	ctx  context.Context
	cfg  Config
	root string // the project directory
	cwd  string // where the walkthrough is, relative to root
	w    io.Writer
	n    int // the last section number printed
	// vars are values the walkthrough learnt while running (the log's URL,
	// a token), each with the shell variable steps.sh holds it in.
	vars   map[string]string
	script []string // steps.sh's command lines so far
	tok    string   // the last publishing token made
}

// path is the file the walkthrough calls name where it is now.
func (d *demo) path(name string) string {
	return filepath.Join(d.root, d.cwd, filepath.FromSlash(name))
}

// section prints a numbered heading.
func (d *demo) section(format string, args ...any) {
	d.n++
	fmt.Fprintf(d.w, "\n# %d. %s\n", d.n, fmt.Sprintf(format, args...))
	d.script = append(d.script, "", fmt.Sprintf("# %d. %s", d.n, fmt.Sprintf(format, args...)))
}

// cd moves the walkthrough to dir, relative to where it is.
func (d *demo) cd(dir string) {
	fmt.Fprintf(d.w, "$ cd %s\n", dir)
	d.script = append(d.script, "cd "+dir+" || fail")
	d.cwd = filepath.ToSlash(filepath.Clean(filepath.Join(d.cwd, dir)))
	if d.cwd == "." {
		d.cwd = ""
	}
}

// command is consign with args, run where the walkthrough is.
func (d *demo) command(args ...string) *exec.Cmd {
	cmd := exec.CommandContext(d.ctx, d.cfg.Consign, args...)
	cmd.Dir = filepath.Join(d.root, d.cwd)
	cmd.Env = append(append([]string{}, d.cfg.Env...), "CONSIGN_PASSWORD="+password)
	return cmd
}

func (d *demo) run(steps ...step) error {
	for _, s := range steps {
		if s.title != "" {
			d.section("%s", s.title)
		}
		line := s.sh
		if s.sh == "" {
			line = "consign " + strings.Join(d.quoteArgs(s.args, false), " ")
			d.script = append(d.script, scriptLine(s, "consign "+strings.Join(d.quoteArgs(s.args, true), " ")))
		} else {
			d.script = append(d.script, scriptLine(s, s.sh))
		}
		if len(s.args) > 0 && s.args[0] == "keygen" {
			line = "CONSIGN_PASSWORD=" + password + " " + line
		}
		if s.capture != "" {
			line = s.capture + "=$(" + line + ")"
		}
		var out bytes.Buffer
		code, err := d.exec(s, &out)
		if err != nil {
			return fmt.Errorf("demo step %q: %w", line, err)
		}
		verdict := "ok"
		if s.want != 0 {
			verdict = fmt.Sprintf("exit %d, as expected", code)
		}
		switch {
		case code != s.want:
			fmt.Fprintf(d.w, "$ %s\n%s", line, out.Bytes())
			return fmt.Errorf("demo step %q exited %d, expected %d", line, code, s.want)
		case d.cfg.Verbose:
			fmt.Fprintf(d.w, "$ %s\n%s(%s)\n", line, out.Bytes(), verdict)
		default:
			fmt.Fprintf(d.w, "$ %s    # %s\n", line, verdict)
		}
	}
	return nil
}

// scriptLine is line as steps.sh runs it: failing unless it exits as the
// walkthrough expects.
func scriptLine(s step, line string) string {
	switch {
	case s.capture != "":
		return s.capture + "=$(" + line + ") || fail"
	case s.stdout != nil:
		return line + " >/dev/null || fail"
	case s.want != 0:
		return fmt.Sprintf("%s; test $? -eq %d || fail", line, s.want)
	}
	return line + " || fail"
}

// exec runs s, its output going to out, and returns its exit code.
func (d *demo) exec(s step, out *bytes.Buffer) (int, error) {
	var cmd *exec.Cmd
	if s.sh != "" {
		cmd = exec.CommandContext(d.ctx, "sh", "-c", s.sh)
		cmd.Dir = filepath.Join(d.root, d.cwd)
		cmd.Env = d.cfg.Env
	} else {
		cmd = d.command(s.args...)
	}
	cmd.Stdout, cmd.Stderr = out, out // one readable stream
	if s.stdout != nil {
		cmd.Stdout = s.stdout
	}
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return 0, err
	}
	return 0, nil
}

// quoteArgs quotes args for a shell. A value the walkthrough learnt while
// running is shown as its variable where it is secret or long (a token, an
// image's reference by digest), and, for steps.sh, always.
func (d *demo) quoteArgs(args []string, script bool) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if v, ok := d.vars[a]; ok && (script || v == "TOKEN" || v == "IMAGE") {
			out[i] = `"$` + v + `"`
			continue
		}
		// An image reference on a learnt registry address: HOST:PORT/REPO...
		if host, rest, ok := strings.Cut(a, "/"); ok && script {
			if v, ok := d.vars[host]; ok {
				out[i] = `"$` + v + `"` + sh.Quote("/"+rest)
				continue
			}
		}
		out[i] = sh.Quote(a)
	}
	return out
}
