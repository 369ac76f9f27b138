package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/store"
)

// NewCmdAdmin is 'consign admin'.
func NewCmdAdmin(deps *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Manage a server's database: tokens, the inspectors' access record",
		Args:  noArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return usagef("name an admin command: token") },
	}
	token := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke publishing and reading tokens",
		Long: `Tokens let build systems publish to a server, and (with 'consign serve
--read-token-required') let inspectors read. A token is scoped to products and to the
public keys whose signatures it may publish; a token with no --key can only read.

These commands work on the database directly (--db, as given to 'consign serve'). The
token itself is printed once, on standard output, and only its SHA-256 is stored.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("name a token command: create, list or revoke")
		},
	}
	token.AddCommand(newCmdTokenCreate(deps), newCmdTokenList(deps), newCmdTokenRevoke(deps))
	cmd.AddCommand(token, newCmdAccess(deps))
	return cmd
}

func newCmdTokenCreate(deps *Deps) *cobra.Command {
	var (
		db, name, output, role, expires string
		products, keys                  []string
	)
	cmd := &cobra.Command{
		Use:   "create --db DB --product NAME... [--key PUB...] [--name LABEL]",
		Short: "Make a token; it is printed once on standard output",
		Example: `  consign admin token create --db sqlite:consign.db --product acme-router --key keys/ci.pub
  CONSIGN_TOKEN=$(consign admin token create --product acme-router --key ci.pub) consign publish ...
  consign admin token create --product acme-router --name "inspector: regional centre"   # read-only`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if len(products) == 0 {
				return usagef("--product is required: the product(s) the token is for")
			}
			pems, err := readPublicKeyPEMs(keys)
			if err != nil {
				return err
			}
			exp, err := parseExpiry(expires, deps.Now())
			if err != nil {
				return err
			}
			st, err := openExistingStore(cmd.Context(), db)
			if err != nil {
				return err
			}
			defer st.Close()
			secret, t, err := server.CreateToken(cmd.Context(), st, server.TokenConfig{Name: name, Products: products, Keys: pems, Role: role, Expires: exp, Now: deps.Now})
			if err != nil {
				return err
			}
			if output == "json" {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(struct {
					Token string     `json:"token"`
					Info  *tokenInfo `json:"info"`
				}{secret, describeToken(t)})
			}
			fmt.Fprintln(cmd.OutOrStdout(), secret)
			kind := "publish and read"
			if len(t.Keys) == 0 {
				kind = "read only"
			}
			if t.Role != "" {
				kind = t.Role + ", until " + t.Expires.Format(time.RFC3339)
			}
			fmt.Fprintf(deps.Stderr, "consign: token %s created (%s) for %s; it is shown only this once\n", t.ID, kind, strings.Join(t.Products, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", defaultDB, "database: sqlite:PATH or postgres://USER@HOST:PORT/DB")
	cmd.Flags().StringArrayVar(&products, "product", nil, "product the token is for (repeatable)")
	cmd.Flags().StringArrayVar(&keys, "key", nil, "public key whose signatures the token may publish (repeatable; none: read-only)")
	cmd.Flags().StringVar(&name, "name", "", "a label for people")
	cmd.Flags().StringVar(&role, "role", "", `"inspector": a token that signs in to the inspection portal (needs --expires; with --key, the inspector's own key, for signed findings)`)
	cmd.Flags().StringVar(&expires, "expires", "", "when the token stops working: an RFC 3339 time or a duration from now (72h, 30d)")
	addOutputFlag(cmd, &output)
	return cmd
}

// tokenInfo is what list shows of a token: never its secret.
type tokenInfo struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Products []string `json:"products"`
	Keys     []string `json:"keys"`
	Created  string   `json:"created"`
	Revoked  string   `json:"revoked,omitempty"`
	Role     string   `json:"role,omitempty"`
	Expires  string   `json:"expires,omitempty"`
}

func describeToken(t *store.Token) *tokenInfo {
	info := &tokenInfo{ID: t.ID, Name: t.Name, Products: t.Products, Keys: []string{}, Created: t.Created.UTC().Format("2006-01-02T15:04:05Z")}
	for _, k := range t.Keys {
		if pub, err := sign.ParsePublicKey([]byte(k)); err == nil {
			id, _ := sign.KeyID(pub)
			info.Keys = append(info.Keys, id)
		}
	}
	if !t.Revoked.IsZero() {
		info.Revoked = t.Revoked.UTC().Format("2006-01-02T15:04:05Z")
	}
	info.Role = t.Role
	if !t.Expires.IsZero() {
		info.Expires = t.Expires.UTC().Format("2006-01-02T15:04:05Z")
	}
	return info
}
