// Package demo is consign's built-in walkthrough: a sample project taken
// through the whole flow (keys, a recorded build, SBOMs, attestations, a
// transparency log, a signed release policy, an evidence pack a customer
// verifies offline) and through tampered variants that must fail.
//
// Every step is printed as the consign command line that does it and run
// as exactly that: the consign executable in a child process, in the
// directory the walkthrough says it is in. The walkthrough itself never
// changes the process's working directory; it names every file it touches
// by its path under the project directory.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// password protects the demo's throw-away keys.
const password = "demo-only-password"

// exitVerifyNo is consign's exit code for a verification whose answer is no.
const exitVerifyNo = 3

// Config configures [Run].
type Config struct {
	// Dir is the project directory, which must be absent or empty; empty
	// means a temporary directory, removed afterwards.
	Dir string
	// Out receives the walkthrough: each command line and what it printed.
	Out io.Writer
	// Consign is the consign executable each step runs; empty means this
	// process's own executable.
	Consign string
	// Env is the environment of each step; nil means this process's.
	Env []string
}

// DirNotEmptyError is returned for a Config.Dir that holds files.
type DirNotEmptyError struct{ Dir string }

func (e *DirNotEmptyError) Error() string {
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
	} else if entries, err := os.ReadDir(cfg.Dir); err == nil && len(entries) > 0 {
		return &DirNotEmptyError{cfg.Dir}
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
	if err := writeProject(cfg.Dir); err != nil {
		return err
	}
	d := &demo{ctx: ctx, cfg: cfg, root: cfg.Dir, w: cfg.Out}
	if err := d.walk(); err != nil {
		return err
	}
	fmt.Fprintln(d.w)
	if keep {
		fmt.Fprintf(d.w, "Demo complete: every step behaved as expected. The project and its files are in %s\n", cfg.Dir)
	} else {
		fmt.Fprintln(d.w, "Demo complete: every step behaved as expected. Run 'consign demo --dir DIR' to keep the files.")
	}
	return nil
}

func writeProject(dir string) error {
	all := map[string]string{}
	for name, body := range projectFiles {
		all[name] = body
	}
	for name, body := range chainFiles {
		all[name] = body
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

// step is one consign command of the walkthrough.
type step struct {
	title string
	args  []string
	want  int // the exit code expected
	// stdout, when set, receives the step's standard output instead of the
	// walkthrough.
	stdout *bytes.Buffer
	// secret is replaced by $TOKEN where the command line is printed.
	secret string
}

// demo is the walkthrough's state.
type demo struct {
	ctx  context.Context
	cfg  Config
	root string // the project directory
	cwd  string // where the walkthrough is, relative to root ("", "release", "customer")
	w    io.Writer
	n    int // the last step number printed
}

// path is the file the walkthrough calls name where it is now.
func (d *demo) path(name string) string {
	return filepath.Join(d.root, d.cwd, filepath.FromSlash(name))
}

// section prints a numbered heading.
func (d *demo) section(format string, args ...any) {
	d.n++
	fmt.Fprintf(d.w, "\n# %d. %s\n", d.n, fmt.Sprintf(format, args...))
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
		line := "consign " + strings.Join(quoteArgs(s.args), " ")
		if s.secret != "" {
			line = strings.ReplaceAll(line, s.secret, "$TOKEN")
		}
		if s.args[0] == "keygen" {
			line = "CONSIGN_PASSWORD=" + password + " " + line
		}
		if s.stdout != nil && s.args[0] == "admin" {
			line = "TOKEN=$(" + line + ")"
		}
		fmt.Fprintf(d.w, "$ %s\n", line)
		code, err := d.exec(s)
		if err != nil {
			return fmt.Errorf("demo step %q: %w", line, err)
		}
		switch {
		case s.stdout != nil && s.args[0] == "admin":
			fmt.Fprintf(d.w, "(a secret: %d characters, shown once)\n", len(strings.TrimSpace(s.stdout.String())))
		case s.stdout != nil:
			fmt.Fprintf(d.w, "(%d bytes of JSON report: every stage passed, each signature backed by a receipt)\n", s.stdout.Len())
		}
		if code != s.want {
			return fmt.Errorf("demo step %q exited %d, expected %d", line, code, s.want)
		}
		if s.want != 0 {
			fmt.Fprintf(d.w, "(exit %d, as expected)\n", code)
		}
	}
	return nil
}

// exec runs s and returns its exit code.
func (d *demo) exec(s step) (int, error) {
	cmd := d.command(s.args...)
	cmd.Stdout, cmd.Stderr = d.w, d.w // one readable stream
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

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t\"'$*?") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}
