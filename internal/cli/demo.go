package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// demoPassword protects the demo's throw-away keys.
const demoPassword = "demo-only-password"

var demoFiles = map[string]string{
	"src/main.c": "#include \"util.h\"\nint main(void) { return greet(); }\n",
	"src/util.c": "#include <stdio.h>\nint greet(void) { puts(\"hello from acme\"); return 0; }\n",
	"src/util.h": "int greet(void);\n",
	"build.sh":   "#!/bin/sh\n# A stand-in for a real build: bundle the sources into one artifact.\nset -e\nmkdir -p dist\ncat src/util.h src/util.c src/main.c > dist/acme-app\necho \"built dist/acme-app\"\n",
	"README.txt": "A sample project made by 'consign demo'. Every file here was made by the commands it printed.\n",
	"test-result.json": `{
  "result": "PASSED",
  "configuration": [{"name": "tests.cfg", "digest": {"sha256": "0d5e4a2b8c7f1e9d3a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"}}],
  "passedTests": ["greets", "exits-zero"],
  "warnedTests": [],
  "failedTests": []
}
`,
}

// NewCmdDemo is 'consign demo'.
func NewCmdDemo(deps *Deps) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR]",
		Short: "Walk through the whole flow on a built-in sample project",
		Long: `Build a small sample project with throw-away keys and take it through consign's flow:
make keys, record the build with 'consign run' (link + SLSA provenance + in-toto v0.9 link),
sign a test result with 'consign attest', inspect and verify the attestations, and then
show a tampered artifact and a wrong key being rejected.

Each step is printed as the consign command line that does it, so you can re-run any of
them by hand. With --dir the project is made in DIR (which must be empty or absent) and
kept, so you can look at every file; otherwise a temporary directory is used and removed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keep := dir != ""
			if !keep {
				tmp, err := os.MkdirTemp("", "consign-demo-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				dir = tmp
			} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				return withHint(fmt.Errorf("demo directory %q is not empty", dir), "give --dir a new or empty directory")
			}
			if err := writeDemoProject(dir); err != nil {
				return err
			}
			// The demo's commands use paths relative to the project, exactly
			// as printed; the working directory is restored afterwards.
			cwd, err := os.Getwd()
			if err != nil {
				return err
			}
			if err := os.Chdir(dir); err != nil {
				return err
			}
			defer os.Chdir(cwd)
			return runDemo(cmd, deps, dir, keep)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "make the sample project here and keep it")
	return cmd
}

func writeDemoProject(dir string) error {
	for name, body := range demoFiles {
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
	return os.MkdirAll(filepath.Join(dir, "keys"), 0o700)
}

type demoStep struct {
	title string
	args  []string
	want  int // expected exit code
}

func runDemo(cmd *cobra.Command, deps *Deps, dir string, keep bool) error {
	w := cmd.OutOrStdout()
	sub := *deps
	sub.Stderr = deps.Stdout // one readable stream for the walkthrough
	sub.LookupEnv = func(name string) (string, bool) {
		if name == "CONSIGN_PASSWORD" {
			return demoPassword, true
		}
		return deps.LookupEnv(name)
	}
	steps := []demoStep{
		{"Make a key for the build system and one for the test lab", []string{"keygen", "--out", "keys/ci"}, 0},
		{"", []string{"keygen", "--out", "keys/qa"}, 0},
		{"Run the build as a recorded step: link + SLSA provenance (+ an in-toto v0.9 link)",
			[]string{"run", "--key", "keys/ci.key", "--name", "build", "--materials", "src", "--products", "dist",
				"--slsa", "--legacy-link", "--out", "build.intoto.jsonl", "--", "sh", "build.sh"}, 0},
		{"The test lab signs its result about the artifact",
			[]string{"attest", "--key", "keys/qa.key", "--type", "test", "--predicate", "test-result.json",
				"--subject", "dist/acme-app", "--out", "test.intoto.jsonl"}, 0},
		{"Look inside the build attestations (nothing verified yet)", []string{"inspect", "build.intoto.jsonl"}, 0},
		{"Verify the provenance: signed by the CI key, about this very artifact",
			[]string{"verify-attestation", "--key", "keys/ci.pub", "--type", "slsa", "--subject", "dist/acme-app", "build.intoto.jsonl"}, 0},
		{"Verify the test result with the test lab's key",
			[]string{"verify-attestation", "--key", "keys/qa.pub", "--type", "test", "--subject", "dist/acme-app", "test.intoto.jsonl"}, 0},
		{"A signature by the wrong key is rejected (exit 3)",
			[]string{"verify-attestation", "--key", "keys/qa.pub", "--type", "slsa", "build.intoto.jsonl"}, ExitVerifyNo},
	}
	n := 0
	for _, s := range steps {
		if err := demoRun(cmd.Context(), w, &sub, s, &n); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\n# Tamper with the artifact after the build: append one byte\n$ echo >> dist/acme-app\n")
	f, err := os.OpenFile("dist/acme-app", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte("\n")); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	tampered := demoStep{"The tampered artifact is rejected: its digest is no attestation's subject (exit 3)",
		[]string{"verify-attestation", "--key", "keys/ci.pub", "--type", "slsa", "--subject", "dist/acme-app", "build.intoto.jsonl"}, ExitVerifyNo}
	if err := demoRun(cmd.Context(), w, &sub, tampered, &n); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if keep {
		fmt.Fprintf(w, "Demo complete: every step behaved as expected. The project and its files are in %s\n", dir)
	} else {
		fmt.Fprintln(w, "Demo complete: every step behaved as expected. Run 'consign demo --dir DIR' to keep the files.")
	}
	return nil
}

func demoRun(ctx context.Context, w io.Writer, deps *Deps, s demoStep, n *int) error {
	if s.title != "" {
		*n++
		fmt.Fprintf(w, "\n# %d. %s\n", *n, s.title)
	}
	line := "consign " + strings.Join(quoteArgs(s.args), " ")
	if s.args[0] == "keygen" {
		line = "CONSIGN_PASSWORD=" + demoPassword + " " + line
	}
	fmt.Fprintf(w, "$ %s\n", line)
	code := Run(ctx, deps, s.args)
	if code != s.want {
		return fmt.Errorf("demo step %q exited %d, expected %d", line, code, s.want)
	}
	if s.want != 0 {
		fmt.Fprintf(w, "(exit %d, as expected)\n", code)
	}
	return nil
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
