// Package cli is consign's command tree. Each command parses its flags into
// one library call and prints the result; no domain logic lives here.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// Deps is what commands take from the outside world, so tests can replace it.
type Deps struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	LookupEnv      func(string) (string, bool)
	Now            func() time.Time
	// StdinIsTerminal reports whether a password can be prompted for.
	StdinIsTerminal func() bool
	// ReadPassword reads a password from the terminal without echo.
	ReadPassword func() ([]byte, error)
	// SBOM makes SBOMs: consign-sbom's generator, over syft; nil in the
	// consign binary, whose 'consign sbom TARGET' runs consign-sbom.
	SBOM SBOMGenerator

	args []string // the command line, for consign-sbom
}

// Main runs consign with args and returns the process exit code. SIGINT
// and SIGTERM cancel ctx (see [withSignals]); the command then ends with
// 130 or 143, as a shell reports a process the signal killed. It has no
// SBOM generator: 'consign sbom TARGET' runs consign-sbom.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return MainWith(ctx, nil, args, stdin, stdout, stderr)
}

// MainWith is [Main] with gen making the SBOMs of 'consign sbom TARGET':
// consign-sbom's main.
func MainWith(ctx context.Context, gen SBOMGenerator, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// consign-sbom run by consign: the signal of a Ctrl-C reaches both
	// processes, and consign passes on what it receives, so a second one
	// is the same signal again, not the user's second request.
	ctx, stop := withSignals(ctx, gen != nil && os.Getenv(sbomToolEnv) != "")
	defer stop()
	deps := &Deps{
		SBOM:  gen,
		Stdin: stdin, Stdout: stdout, Stderr: stderr,
		LookupEnv: os.LookupEnv,
		Now:       time.Now,
		StdinIsTerminal: func() bool {
			f, ok := stdin.(*os.File)
			return ok && term.IsTerminal(int(f.Fd()))
		},
		ReadPassword: func() ([]byte, error) {
			f, ok := stdin.(*os.File)
			if !ok {
				return nil, errors.New("standard input is not a terminal")
			}
			return readPassword(ctx, int(f.Fd()), stderr)
		},
	}
	if t := os.Getenv("CONSIGN_TEST_NOW"); t != "" {
		if now, err := time.Parse(time.RFC3339, t); err == nil {
			deps.Now = func() time.Time { return now }
		}
	}
	return Run(ctx, deps, args)
}

// Run executes the command tree with deps and returns the exit code.
func Run(ctx context.Context, deps *Deps, args []string) (code int) {
	defer func() {
		// A panic anywhere below is a failure with a message, never exit 0
		// and never a crash dump the user must read.
		if r := recover(); r != nil {
			fmt.Fprintf(deps.Stderr, "consign: error: internal error: %v\n", r)
			fmt.Fprintf(deps.Stderr, "consign: hint: this is a bug in consign; please report it with the command you ran\n")
			code = ExitError
		}
	}()
	if err := checkSBOMTool(deps); err != nil {
		return report(deps.Stderr, err, nil)
	}
	d := *deps
	d.args = args
	deps = &d
	root := NewRootCmd(deps)
	root.SetArgs(args)
	root.SetIn(deps.Stdin)
	root.SetOut(deps.Stdout)
	root.SetErr(deps.Stderr)
	if err := singleDashFlag(root, args); err != nil {
		cmd, _, _ := root.Find(args)
		return report(deps.Stderr, err, cmd)
	}
	cmd, err := root.ExecuteContextC(ctx)
	var tool *toolExit
	if errors.As(err, &tool) {
		// consign-sbom ran, and said what it had to.
		if tool.err != nil {
			fmt.Fprintf(deps.Stderr, "consign: error: %v\n", tool.err)
		}
		return tool.code
	}
	if code, ok := interruptedCode(ctx); ok && !stopsOnSignal(cmd) {
		// Whatever the command made of its cancelled context (an error, or
		// a result it should not have claimed), the signal decides.
		fmt.Fprintf(deps.Stderr, "consign: error: %v; nothing more was written\n", context.Cause(ctx))
		return code
	}
	if err == nil {
		return ExitOK
	}
	return report(deps.Stderr, err, cmd)
}

// NewRootCmd builds the whole command tree.
func NewRootCmd(deps *Deps) *cobra.Command {
	root := &cobra.Command{
		Use:   "consign",
		Short: "Supply-chain provenance: SBOMs, signed in-toto attestations, and their verification",
		Long: `consign records what happened to a product at every stage of its supply chain as
signed in-toto attestations (DSSE envelopes, JSON Lines files), and verifies them.

Start with 'consign demo' to see the whole flow on a sample project.

Exit codes: 0 success, 1 error (bad input, I/O), 2 usage, 3 verification failed.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version(),
	}
	root.SetVersionTemplate(readBuildInfo().String() + "\n")
	// Cobra's own complaints about the call are usage errors: the flags'
	// through FlagErrorFunc, the arguments' through each Args validator.
	// The root takes no arguments itself, so an unknown command is its
	// argument error, and with no command it prints the help.
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		// 'consign verify-blob --key K': a word naming no subcommand came
		// first; that, not the flag a group lacks, is what is wrong.
		// A command like sbom takes arguments of its own: its validator
		// says whether the word is one.
		if args := cmd.Flags().Args(); cmd.HasSubCommands() && len(args) > 0 {
			if aerr := cmd.ValidateArgs(args); aerr != nil {
				return aerr
			}
		}
		if hint := flagHint(cmd, err); hint != "" {
			return &Error{Code: ExitUsage, Err: err, Hint: hint}
		}
		return usageErr(err)
	})
	root.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) > 0 {
			return unknownCommand(cmd, args[0])
		}
		return nil
	}
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	root.AddCommand(
		NewCmdKeygen(deps),
		NewCmdAttest(deps),
		NewCmdRun(deps),
		NewCmdVerifyAttestation(deps),
		NewCmdVerifyBundle(deps),
		NewCmdSLSA(deps),
		NewCmdTrustRoot(deps),
		NewCmdInspect(deps),
		NewCmdDemo(deps),
		NewCmdServe(deps),
		NewCmdAdmin(deps),
		NewCmdPublish(deps),
		NewCmdFetch(deps),
		NewCmdLog(deps),
		NewCmdPolicy(deps), NewCmdVerify(deps),
		NewCmdPack(deps), NewCmdVerifyPack(deps),
		NewCmdSBOM(deps),
		NewCmdSign(deps), NewCmdVerifyImage(deps), NewCmdAttach(deps), NewCmdDiscover(deps), NewCmdDownload(deps),
		NewCmdRegistry(deps),
		NewCmdVersion(deps),
	)
	plainBoolFlags(root)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	usageArgsTree(root)
	return root
}

func (d *Deps) getenv(name string) string {
	v, _ := d.LookupEnv(name)
	return v
}

// usageArgsTree makes every command's argument errors usage errors.
func usageArgsTree(cmd *cobra.Command) {
	if cmd.Args != nil {
		cmd.Args = usageArgs(cmd.Args)
	}
	for _, c := range cmd.Commands() {
		usageArgsTree(c)
	}
}

// unknownCommand is the usage error for a word that names no subcommand
// of cmd, with cobra's "did you mean" suggestions as the hint.
func unknownCommand(cmd *cobra.Command, arg string) error {
	err := fmt.Errorf("unknown command %q for %q", arg, cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if !cmd.HasParent() {
		if hint, ok := otherToolsCommands[arg]; ok {
			return &Error{Code: ExitUsage, Err: err, Hint: hint}
		}
	}
	if s := cmd.SuggestionsFor(arg); len(s) > 0 {
		return &Error{Code: ExitUsage, Err: err, Hint: fmt.Sprintf("did you mean '%s %s'?", cmd.CommandPath(), strings.Join(s, "' or '"+cmd.CommandPath()+" "))}
	}
	return &Error{Code: ExitUsage, Err: err, Hint: fmt.Sprintf("'%s --help' lists its commands", cmd.CommandPath())}
}

// otherToolsCommands answers cosign's, syft's, slsa-verifier's and in-toto's command
// names, typed by habit, with consign's command for the same job.
var otherToolsCommands = map[string]string{
	"verify-blob":               "cosign's verify-blob is 'consign verify-bundle' for a Sigstore bundle, or 'consign verify-attestation' for a signature or attestation file",
	"verify-blob-attestation":   "cosign's verify-blob-attestation is 'consign verify-attestation', or 'consign verify-bundle' for a Sigstore bundle",
	"attest-blob":               "cosign's attest-blob is 'consign attest'",
	"sign-blob":                 "consign signs statements about files, not bare blobs: 'consign attest' (any predicate) or 'consign run' (a build step)",
	"generate-key-pair":         "cosign's generate-key-pair is 'consign keygen'",
	"scan":                      "syft's scan is 'consign sbom'",
	"packages":                  "syft's packages is 'consign sbom'",
	"verify-artifact":           "slsa-verifier's verify-artifact is 'consign slsa verify-artifact'",
	"verify-npm-package":        "slsa-verifier's verify-npm-package is 'consign slsa verify-npm-package'",
	"verify-github-attestation": "slsa-verifier's verify-github-attestation is 'consign slsa verify-github-attestation'",
	"verify-vsa":                "slsa-verifier's verify-vsa is 'consign slsa verify-vsa'",
	"in-toto-run":               "in-toto-run is 'consign run --key KEY --name STEP --materials P --products P -- CMD'",
	"in-toto-verify":            "in-toto-verify is 'consign verify --layout LAYOUT --layout-key KEY --links DIR ARTIFACT'",
}

// plainBoolFlags makes help show a bool flag as --flag, not pflag's
// --flag[=true|false]: the usage template formats flags with
// [flagUsages].
func plainBoolFlags(root *cobra.Command) {
	addFlagUsages()
	t := root.UsageTemplate()
	t = strings.ReplaceAll(t, ".LocalFlags.FlagUsages", "flagUsages .LocalFlags")
	t = strings.ReplaceAll(t, ".InheritedFlags.FlagUsages", "flagUsages .InheritedFlags")
	root.SetUsageTemplate(t)
}

// addFlagUsages adds flagUsages to cobra's template functions, once:
// they are one map for the whole process, which concurrent runs of
// [Run] (a program that embeds consign's CLI, or parallel tests) would
// otherwise write at the same time.
var addFlagUsages = sync.OnceFunc(func() { cobra.AddTemplateFunc("flagUsages", flagUsages) })

// flagUsages is fs.FlagUsages with bool flags shown as --flag.
func flagUsages(fs *pflag.FlagSet) string {
	shown := pflag.NewFlagSet("", pflag.ContinueOnError)
	shown.SortFlags = fs.SortFlags
	fs.VisitAll(func(f *pflag.Flag) {
		c := *f
		if f.Value.Type() == "bool" {
			c.Value = plainBool{f.Value}
		}
		shown.AddFlag(&c)
	})
	return shown.FlagUsages()
}

// plainBool hides a bool value's IsBoolFlag from pflag's usage formatter,
// which is what adds "[=true|false]"; it is only ever printed, never set.
type plainBool struct{ pflag.Value }
