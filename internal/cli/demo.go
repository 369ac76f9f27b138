package cli

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/demo"
)

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

Each step is printed as the consign command line that does it, and run as exactly that,
so you can re-run any of them by hand. With --dir the project is made in DIR (which must
be empty or absent) and kept, so you can look at every file; otherwise a temporary
directory is used and removed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			err := demo.Run(cmd.Context(), demo.Config{Dir: dir, Out: cmd.OutOrStdout()})
			if _, ok := errors.AsType[*demo.DirNotEmptyError](err); ok {
				return withHint(err, "give --dir a new or empty directory")
			}
			return err
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "make the sample project here and keep it")
	return cmd
}
