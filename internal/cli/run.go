package cli

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/step"
)

// NewCmdRun is 'consign run'.
func NewCmdRun(deps *Deps) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run --key KEY --name STEP [--materials P]... --products P... [--out FILE] -- CMD [ARGS...]",
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
exits with the command's status.

With -o json, standard output is a JSON report of what was recorded, and the command's
own standard output goes to standard error.`,
		Example: `  consign run --key ci.key --name build --materials src --products dist --slsa \
      --out build.intoto.jsonl -- make dist
  consign run --key qa.key --name test --materials dist --products report.xml -- ./run-tests.sh`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runStep(cmd, deps, &f, args)
		},
	}
	f.add(cmd)
	return cmd
}

// runStep runs and records one step, then signs and writes what happened.
func runStep(cmd *cobra.Command, deps *Deps, f *runFlags, args []string) error {
	if err := f.check(cmd, args); err != nil {
		return err
	}
	signer, err := loadSigner(deps, f.keyPath)
	if err != nil {
		return err
	}
	defer loosenGC(deps.LookupEnv, gcHeadroom)()
	if f.noRedact {
		fmt.Fprintln(deps.Stderr, "consign: warning: --no-redact: the command is recorded and signed verbatim, secrets and all")
	}
	cmdStdout := deps.Stdout
	if f.output == "json" {
		cmdStdout = deps.Stderr
	}
	rec, runErr := step.Run(cmd.Context(), step.Config{
		Name: f.name, Dir: f.dir, Materials: f.materials, Products: f.products, Exclude: f.exclude,
		Command: args, Stdout: cmdStdout, Stderr: deps.Stderr, Now: deps.Now,
		KeepSecretsUnsafe: f.noRedact,
	})
	if rec == nil {
		if errors.Is(runErr, step.ErrCommand) {
			return withHint(runErr, "the command failed before it made its products; fix it (its output is above) and run the step again")
		}
		return runErr
	}
	if len(rec.Redacted) > 0 {
		fmt.Fprintf(deps.Stderr, "consign: secrets redacted from %d argument(s) of the recorded command (--no-redact keeps them)\n", len(rec.Redacted))
	}
	if err := recordStep(cmd, deps, f, rec, signer); err != nil {
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
}

// recordStep signs what the step did (its link, and SLSA provenance with
// --slsa), appends it to --out, and writes the in-toto v0.9 link with
// --legacy-link.
func recordStep(cmd *cobra.Command, deps *Deps, f *runFlags, rec *step.Record, signer *sign.Signer) error {
	// The link's payload is written straight from the recorded files: a
	// step of a million files builds no Statement of them.
	payload, err := rec.LinkPayload()
	switch {
	case errors.Is(err, step.ErrNoProducts):
		return withHint(err, "check --products: none of the paths named a file")
	case errors.Is(err, attest.ErrInvalid) && len(rec.Products) > limits.Subjects:
		return withHint(err, fmt.Sprintf("a statement holds at most %d subjects: leave files out with --exclude, or split the step", limits.Subjects))
	case err != nil:
		return err
	}
	env, err := attest.SignPayload(attest.PayloadType, payload, signer)
	if err != nil {
		return err
	}
	envs := []*attest.Envelope{env}
	if f.slsa {
		st, err := rec.ProvenanceStatement(f.builderID)
		if err != nil {
			return err
		}
		env, err := attest.SignStatement(st, signer)
		if err != nil {
			return err
		}
		envs = append(envs, env)
	}
	if err := writeEnvelopes(cmd, f.out, envs...); err != nil {
		return err
	}
	link := ""
	if f.legacy {
		data, fname, err := rec.LegacyLink(signer)
		if err != nil {
			return err
		}
		link = filepath.Join(f.linkDir, fname)
		if err := notCancelled(cmd.Context()); err != nil {
			return err
		}
		if err := fsutil.WriteFile(link, data, 0o644, true); err != nil {
			return err
		}
	}
	for _, s := range rec.Skipped {
		fmt.Fprintf(deps.Stderr, "consign: warning: not recorded: %s (%s)\n", s.Path, s.Reason)
	}
	if f.output == "json" {
		return printJSON(cmd, runReport{f.name, rec.ExitCode, len(rec.Materials), len(rec.Products), f.out, len(envs), link, rec.Skipped})
	}
	fmt.Fprintf(deps.Stderr, "Recorded step %q: %d material(s), %d product(s), exit code %d; %d attestation(s) appended to %s\n",
		f.name, len(rec.Materials), len(rec.Products), rec.ExitCode, len(envs), f.out)
	if link != "" {
		fmt.Fprintf(deps.Stderr, "in-toto v0.9 link written to %s\n", link)
	}
	return nil
}

// runReport is what 'consign run -o json' prints.
type runReport struct {
	Name         string           `json:"name"`
	ExitCode     int              `json:"exitCode"`
	Materials    int              `json:"materials"`
	Products     int              `json:"products"`
	Out          string           `json:"out"`
	Attestations int              `json:"attestations"`
	LegacyLink   string           `json:"legacyLink,omitempty"`
	Skipped      []digest.Skipped `json:"skipped,omitempty"`
}
