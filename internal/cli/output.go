package cli

import (
	"encoding/json"

	"github.com/spf13/cobra"
)

// printJSON writes v as one JSON document on standard output: what every
// command prints with -o json in place of its text report.
func printJSON(cmd *cobra.Command, v any) error {
	return json.NewEncoder(cmd.OutOrStdout()).Encode(v)
}
