package cli

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/step"
)

// add registers 'consign run's flags.
func (f *runFlags) add(cmd *cobra.Command) {
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
	addOutputFlag(cmd, &f.output)
}

// runFlags are 'consign run's flags.
type runFlags struct {
	keyPath, name, dir, out, linkDir, builderID string
	output                                      string
	materials, products, exclude                []string
	slsa, legacy, noRedact                      bool
}

// checkOutputs checks, before the command runs, that what the step will
// write can be written: --out appendable, --link-dir a directory.
func (f *runFlags) checkOutputs(ctx context.Context) error {
	if err := checkAppendable(ctx, f.out); err != nil {
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

// check rejects flags and arguments that cannot be meant, before anything
// runs, and fills in the default --out.
func (f *runFlags) check(cmd *cobra.Command, args []string) error {
	if err := checkOutput(f.output); err != nil {
		return err
	}
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
	if err := f.checkOutputs(cmd.Context()); err != nil {
		return err
	}
	return nil
}
