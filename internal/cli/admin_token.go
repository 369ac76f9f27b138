package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

func newCmdTokenList(deps *Deps) *cobra.Command {
	var db, output string
	cmd := &cobra.Command{
		Use:   "list --db DB",
		Short: "List tokens (ids, scopes, state; never the tokens themselves)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			st, err := openExistingStore(cmd.Context(), db)
			if err != nil {
				return err
			}
			defer st.Close()
			ts, err := st.ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			infos := make([]*tokenInfo, 0, len(ts))
			for _, t := range ts {
				infos = append(infos, describeToken(t))
			}
			w := cmd.OutOrStdout()
			if output == "json" {
				return json.NewEncoder(w).Encode(infos)
			}
			if len(infos) == 0 {
				fmt.Fprintln(w, "no tokens")
				return nil
			}
			for _, i := range infos {
				state := "active"
				if i.Revoked != "" {
					state = "revoked " + i.Revoked
				}
				keys := "read-only"
				if len(i.Keys) > 0 {
					keys = "keys " + shortIDs(i.Keys)
				}
				if i.Role != "" {
					keys = i.Role
				}
				if i.Expires != "" {
					keys += "  expires " + i.Expires
				}
				fmt.Fprintf(w, "%s  %s  products %s  %s  created %s", i.ID, state, strings.Join(i.Products, ","), keys, i.Created)
				if i.Name != "" {
					fmt.Fprintf(w, "  %q", i.Name)
				}
				fmt.Fprintln(w)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER@HOST:PORT/DB")
	addOutputFlag(cmd, &output)
	return cmd
}

func newCmdTokenRevoke(deps *Deps) *cobra.Command {
	var db, output string
	cmd := &cobra.Command{
		Use:   "revoke --db DB ID",
		Short: "Revoke a token by its id (as 'list' shows it); servers refuse it from the next request",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("name the id of the token to revoke ('consign admin token list' shows ids)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			st, err := openExistingStore(cmd.Context(), db)
			if err != nil {
				return err
			}
			defer st.Close()
			now := deps.Now()
			if err := st.RevokeToken(cmd.Context(), args[0], now); err != nil {
				return withHint(err, "'consign admin token list --db DB' shows the ids")
			}
			if output == "json" {
				return printJSON(cmd, struct {
					ID      string `json:"id"`
					Revoked string `json:"revoked"`
				}{args[0], now.UTC().Format(time.RFC3339)})
			}
			fmt.Fprintf(deps.Stderr, "consign: token %s revoked\n", args[0])
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER@HOST:PORT/DB")
	addOutputFlag(cmd, &output)
	return cmd
}
