package cli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/receipt"
	"github.com/consign-dev/consign/internal/tlog"
)

// NewCmdFetch is 'consign fetch'.
func NewCmdFetch(deps *Deps) *cobra.Command {
	var serverURL, token, subject, out, output string
	var lk logKeyFlags
	var force bool
	cmd := &cobra.Command{
		Use:   "fetch --server URL --subject FILE|sha256:HEX [--out FILE] [--log-key log.vkey]",
		Short: "Fetch every attestation about an artifact from a server, with receipts",
		Long: `Ask the server for every attestation whose subjects include the artifact's SHA-256
digest, and write them as a .intoto.jsonl (--out; default FILE.intoto.jsonl beside the
artifact, or sha256-HEX.intoto.jsonl) with their receipts beside it (NAME.receipts.jsonl,
one per line, same order).

With --log-key (the log's public key, from your policy or the log's operator; never from
the server itself), every receipt is verified offline against a checkpoint signed by that
key and bound to its envelope before anything is written; one that fails writes nothing
and exits 3.`,
		Example: `  consign fetch --server http://127.0.0.1:8080 --subject dist/app --log-key log.vkey
  consign fetch --server https://log.example.com --subject sha256:4be8...a744 --out app.intoto.jsonl`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if serverURL == "" || subject == "" {
				return usagef("--server and --subject are required")
			}
			d, err := subjectDigest(subject)
			if err != nil {
				return err
			}
			sum, err := hex.DecodeString(d[digest.SHA256])
			if err != nil || len(sum) != 32 {
				return usagef("--subject needs a sha256 digest")
			}
			if out == "" {
				if _, serr := os.Stat(subject); serr == nil {
					out = subject + ".intoto.jsonl"
				} else {
					out = "sha256-" + d[digest.SHA256] + ".intoto.jsonl"
				}
			}
			logKey, err := lk.load()
			if err != nil {
				return err
			}
			c, err := newClient(deps, serverURL, tokenFrom(deps, token))
			if err != nil {
				return err // client.ErrURL: a usage error, with its hint
			}
			rpath := receipt.PathFor(out)
			n, err := fetchTo(cmd.Context(), c, tlog.Hash(sum), logKey, out, rpath, force)
			if err != nil {
				return err
			}
			return printFetched(cmd.OutOrStdout(), output, fetchedFiles{"sha256:" + d[digest.SHA256], n, out, rpath, logKey != nil})
		},
	}
	cmd.Flags().StringVar(&serverURL, "server", "", "the server's URL")
	cmd.Flags().StringVar(&token, "token", "", "reading token, for servers that require one (default: $CONSIGN_TOKEN)")
	cmd.Flags().StringVar(&subject, "subject", "", "the artifact: a FILE, or sha256:HEX")
	cmd.Flags().StringVar(&out, "out", "", "the .intoto.jsonl to write")
	lk.add(cmd, "the log's public key (log.vkey, or log.pub with --log-origin): verify every receipt first")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite --out and its receipts file")
	addOutputFlag(cmd, &output)
	return cmd
}

// fetchTo asks the server for every attestation about the digest sum and
// writes the envelopes to out and their receipts to rpath, one per line,
// as the pages arrive ([client.Fetch]: every entry checked, and with
// logKey every receipt verified offline and bound to its envelope; nothing
// the server says is trusted without the key). Both files appear only
// when every entry checked, or neither does.
func fetchTo(ctx context.Context, c *client.Client, sum tlog.Hash, logKey *tlog.Verifier, out, rpath string, force bool) (int, error) {
	var n int
	err := fsutil.WriteStreams([]fsutil.Stream{{Path: out, Perm: 0o644}, {Path: rpath, Perm: 0o644}}, force, func(ws []io.Writer) error {
		envs, recs := json.NewEncoder(ws[0]), json.NewEncoder(ws[1])
		var err error
		n, err = c.Fetch(ctx, client.FetchConfig{Subject: sum, LogKey: logKey, Write: func(env *attest.Envelope, r *tlog.Receipt) error {
			if err := envs.Encode(env); err != nil {
				return err
			}
			return recs.Encode(r)
		}})
		if err == nil && n == 0 {
			err = withHint(fmt.Errorf("%w: no attestations about sha256:%s on the server", api.ErrNotFound, hex.EncodeToString(sum[:])),
				"check the artifact; with a read token, check its products ('consign admin token list')")
		}
		return err
	})
	if errors.Is(err, fsutil.ErrExists) {
		return 0, withHint(err, "pass --force to replace it, or --out another name")
	}
	return n, err
}

// fetchedFiles is what fetch wrote.
type fetchedFiles struct {
	Subject      string `json:"subject"`
	Attestations int    `json:"attestations"`
	File         string `json:"file"`
	Receipts     string `json:"receipts"`
	Verified     bool   `json:"verified"`
}

func printFetched(w io.Writer, output string, f fetchedFiles) error {
	if output == "json" {
		return json.NewEncoder(w).Encode(f)
	}
	verified := "receipts verified with the log key"
	if !f.Verified {
		verified = "receipts not verified: pass --log-key to check them"
	}
	fmt.Fprintf(w, "%d attestation(s) about %s\nwrote %s and %s (%s)\n", f.Attestations, f.Subject, f.File, f.Receipts, verified)
	return nil
}
