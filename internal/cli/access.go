package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/store"
)

// newCmdAccess is 'consign admin access': the vendor's view of the access
// record the inspection portal writes.
func newCmdAccess(deps *Deps) *cobra.Command {
	var (
		db, output string
		products   []string
		limit      int
	)
	cmd := &cobra.Command{
		Use:   "access --db DB [--product NAME...] [--limit N]",
		Short: "Show the access record: which inspector looked at what, and when (newest first)",
		Long: `Every page an inspector opens in the inspection portal ('consign serve --ui'), and every
download, is appended to the access record before the page is sent. Inspectors read the
record of their products in the portal; this command shows it to the vendor.`,
		Example: `  consign admin access --db sqlite:consign.db --product acme-router --limit 50`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if limit <= 0 || limit > 100000 {
				return usagef("--limit %d: give 1 to 100000", limit)
			}
			st, err := openExistingStore(cmd.Context(), db)
			if err != nil {
				return err
			}
			defer st.Close()
			q := store.AccessQuery{Limit: limit}
			if len(products) > 0 {
				q.Products = products
			}
			records, err := st.Accesses(cmd.Context(), q)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if output == "json" {
				type record struct {
					Time      string `json:"time"`
					TokenID   string `json:"tokenId"`
					TokenName string `json:"tokenName,omitempty"`
					Product   string `json:"product,omitempty"`
					Action    string `json:"action"`
					Path      string `json:"path"`
				}
				out := make([]record, 0, len(records))
				for _, a := range records {
					out = append(out, record{a.Time.Format("2006-01-02T15:04:05.000Z"), a.TokenID, a.TokenName, a.Product, a.Action, a.Path})
				}
				return json.NewEncoder(w).Encode(out)
			}
			if len(records) == 0 {
				fmt.Fprintln(w, "no access recorded")
				return nil
			}
			for _, a := range records {
				product := a.Product
				if product == "" {
					product = "-"
				}
				fmt.Fprintf(w, "%s  %s %q  %s  %s  %s\n", a.Time.Format("2006-01-02T15:04:05Z"), a.TokenID, a.TokenName, product, a.Action, a.Path)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER@HOST:PORT/DB")
	cmd.Flags().StringArrayVar(&products, "product", nil, "only this product's record (repeatable)")
	cmd.Flags().IntVar(&limit, "limit", 100, "the most records shown")
	addOutputFlag(cmd, &output)
	return cmd
}
