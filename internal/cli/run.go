package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/step"
)

// NewCmdRun is 'consign run'.
func NewCmdRun(deps *Deps) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run --key KEY --name STEP [--materials P]... [--products P]... [--out FILE] -- CMD [ARGS...]",
		Short: "Run a step, record its materials and products, and sign what happened",
		Long: `Run one step of the supply chain and record it as a signed in-toto link attestation:

  1. hash the materials (files and directories given with --materials);
  2. run CMD, streaming its output and keeping its exit code;
  3. hash the products (--products).

The link (in-toto link predicate v0.3: name, command, materials, byproducts with the
exit code and stdout/stderr digests) has the products as its subjects. With --slsa a
SLSA Provenance v1 attestation for the products is written too; with --legacy-link an
in-toto v0.9 .link file that in-toto's verifiers accept (NAME.KEYID.link, in --link-dir).

Paths are recorded relative to --dir, with forward slashes, cleaned, never with '..'.
Symlinks are followed only while they stay inside --dir; others are listed as skipped.
--exclude takes gitignore-style patterns; the patterns in force are written into the
attestation. No file in the working directory changes what is recorded.

Secrets in the command are not recorded: URL userinfo, credential query parameters,
Authorization header values, the values of --password/--token-style flags and
NAME_TOKEN=-style assignments, and tokens by their shape (GitHub, GitLab, AWS, Slack,
JWTs, PEM private keys) are replaced with [REDACTED], and the attestation lists the
indexes of the arguments changed. The command runs as given. --no-redact records it
verbatim. No environment variable is recorded.

A command that fails is still recorded (its exit code is in the link), and consign then
exits with the command's status.`,
		Example: `  consign run --key ci.key --name build --materials src --products dist --slsa \
      --out build.intoto.jsonl -- make dist
  consign run --key qa.key --name test --materials dist --products report.xml -- ./run-tests.sh`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.name == "" {
				return usagef("--name is required: the step's name, as the policy calls it")
			}
			if len(f.products) == 0 {
				return withHint(usagef("--products is required: the attestation's subjects are the step's products"), "name the files or directories the step makes, e.g. --products dist")
			}
			if cmd.ArgsLenAtDash() < 0 && len(args) > 0 {
				return usagef("put the command after '--': consign run ... -- %s", args[0])
			}
			if err := policy.CheckName(f.name); err != nil {
				return &Error{Code: ExitUsage, Err: fmt.Errorf("--name: %v", err), Hint: "a policy names its steps the same way; use that name, e.g. --name build"}
			}
			if f.out == "" {
				f.out = f.name + ".intoto.jsonl"
			}
			if err := f.checkOutputs(); err != nil {
				return err
			}
			signer, err := loadSigner(deps, f.keyPath)
			if err != nil {
				return err
			}
			if f.noRedact {
				fmt.Fprintln(deps.Stderr, "consign: warning: --no-redact: the command is recorded and signed verbatim, secrets and all")
			}
			rec, runErr := step.Run(cmd.Context(), step.Config{
				Name: f.name, Dir: f.dir, Materials: f.materials, Products: f.products, Exclude: f.exclude,
				Command: args, Stdout: deps.Stdout, Stderr: deps.Stderr, Now: deps.Now,
				KeepSecretsUnsafe: f.noRedact,
			})
			if rec == nil {
				return runErr
			}
			if len(rec.Redacted) > 0 {
				fmt.Fprintf(deps.Stderr, "consign: secrets redacted from %d argument(s) of the recorded command (--no-redact keeps them)\n", len(rec.Redacted))
			}
			if err := recordStep(cmd, deps, &f, rec, signer); err != nil {
				return err
			}
			if errors.Is(runErr, step.ErrCommand) {
				code := rec.ExitCode
				if code == 0 {
					code = ExitError
				}
				return &Error{Code: code, Err: fmt.Errorf("%w (the failure is recorded in %s)", runErr, f.out)}
			}
			return runErr
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.keyPath, "key", "", "private key to sign with")
	fs.StringVar(&f.name, "name", "", "the step's name (required)")
	fs.StringVar(&f.dir, "dir", ".", "directory the command runs in and paths are relative to")
	fs.StringArrayVar(&f.materials, "materials", nil, "file or directory the step reads (repeatable)")
	fs.StringArrayVar(&f.products, "products", nil, "file or directory the step makes (repeatable; required)")
	fs.StringArrayVar(&f.exclude, "exclude", nil, "gitignore-style pattern of paths to leave out (repeatable)")
	fs.StringVar(&f.out, "out", "", "append the attestations to this .intoto.jsonl (default NAME.intoto.jsonl)")
	fs.BoolVar(&f.slsa, "slsa", false, "also write a SLSA Provenance v1 attestation for the products")
	fs.StringVar(&f.builderID, "builder-id", step.DefaultBuilderID, "builder id for --slsa provenance")
	fs.BoolVar(&f.legacy, "legacy-link", false, "also write an in-toto v0.9 .link file")
	fs.StringVar(&f.linkDir, "link-dir", ".", "directory for the --legacy-link file")
	fs.BoolVar(&f.noRedact, "no-redact", false, "record the command verbatim, secrets and all (unsafe)")
	return cmd
}

// runFlags are 'consign run's flags.
type runFlags struct {
	keyPath, name, dir, out, linkDir, builderID string
	materials, products, exclude                []string
	slsa, legacy, noRedact                      bool
}

// checkOutputs checks, before the command runs, that what the step will
// write can be written: --out appendable, --link-dir a directory.
func (f *runFlags) checkOutputs() error {
	if err := checkAppendable(f.out); err != nil {
		return err
	}
	if !f.legacy {
		return nil
	}
	if fi, err := os.Stat(f.linkDir); err != nil {
		return withHint(fmt.Errorf("--link-dir: %w", err), "create the directory first, or leave out --link-dir for the current one")
	} else if !fi.IsDir() {
		return usagef("--link-dir %q is not a directory", f.linkDir)
	}
	return nil
}

// recordStep signs what the step did (its link, and SLSA provenance with
// --slsa), appends it to --out, and writes the in-toto v0.9 link with
// --legacy-link.
func recordStep(cmd *cobra.Command, deps *Deps, f *runFlags, rec *step.Record, signer *sign.Signer) error {
	st, err := rec.LinkStatement()
	if err != nil {
		return withHint(err, "check --products: none of the paths named a file")
	}
	sts := []*attest.Statement{st}
	if f.slsa {
		st, err := rec.ProvenanceStatement(f.builderID)
		if err != nil {
			return err
		}
		sts = append(sts, st)
	}
	var envs []*attest.Envelope
	for _, st := range sts {
		env, err := attest.SignStatement(st, signer)
		if err != nil {
			return err
		}
		envs = append(envs, env)
	}
	if err := writeEnvelopes(cmd, f.out, envs...); err != nil {
		return err
	}
	fmt.Fprintf(deps.Stderr, "Recorded step %q: %d material(s), %d product(s), exit code %d; %d attestation(s) appended to %s\n",
		f.name, len(rec.Materials), len(rec.Products), rec.ExitCode, len(envs), f.out)
	for _, s := range rec.Skipped {
		fmt.Fprintf(deps.Stderr, "consign: warning: not recorded: %s (%s)\n", s.Path, s.Reason)
	}
	if !f.legacy {
		return nil
	}
	data, fname, err := rec.LegacyLink(signer)
	if err != nil {
		return err
	}
	p := filepath.Join(f.linkDir, fname)
	if err := notCancelled(cmd.Context()); err != nil {
		return err
	}
	if err := fsutil.WriteFile(p, data, 0o644, true); err != nil {
		return err
	}
	fmt.Fprintf(deps.Stderr, "in-toto v0.9 link written to %s\n", p)
	return nil
}
