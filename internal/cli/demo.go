package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/demo"
)

// NewCmdDemo is 'consign demo'.
func NewCmdDemo(deps *Deps) *cobra.Command {
	var (
		dir     string
		verbose bool
		ui      bool
	)
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR]",
		Short: "Walk through the whole flow on a built-in sample project",
		Long: `Build a small sample project with throw-away keys and take it through consign's flow:
make keys, record the build with 'consign run' (link + SLSA provenance + in-toto v0.9 link),
make and check SBOMs, sign a test result, publish to a transparency log, verify a whole
release chain under a signed policy, pack the evidence for a customer who verifies it
offline; and show tampered artifacts, wrong keys and an altered pack being rejected.

Each step is printed as the command line that does it, with its verdict, and run as
exactly that (--verbose also shows what each printed). With --dir the project is made in
DIR (which must be empty or absent) and kept, so you can look at every file; tampering is
done on copies, so everything there still verifies, and DIR/steps.sh holds every command
in order: 'sh steps.sh' in DIR runs them all again and exits 0 exactly when every verdict
is the expected one. Without --dir a temporary directory is used and removed.

With --ui the demo ends by serving the inspection portal over its log on 127.0.0.1 (a free
port), with the release's verification summary published; it prints the URL and a one-time
inspector token to sign in with, and serves until interrupted (Ctrl-C exits 130).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := demo.Run(cmd.Context(), demo.Config{Dir: dir, Out: cmd.OutOrStdout(), Verbose: verbose, UI: ui})
			if _, ok := errors.AsType[*demo.DirNotEmptyError](err); ok {
				return withHint(err, "give --dir a new or empty directory")
			}
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "make the sample project here and keep it")
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "show everything each step printed")
	cmd.Flags().BoolVar(&ui, "ui", false, "end by serving the inspection portal on 127.0.0.1 with an inspector token, until interrupted")
	return cmd
}
