package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/receipt"
	"github.com/consign-dev/consign/internal/tlog"
)

// published is the outcome of publishing one file.
type published struct {
	File     string         `json:"file"`
	Receipts string         `json:"receipts"`
	Entries  []publishedOne `json:"entries"`
	Verified bool           `json:"verified"`
}

type publishedOne struct {
	Index     int64 `json:"index"`
	Duplicate bool  `json:"duplicate"`
}

// publishFile publishes the envelopes of file for product and writes their
// receipts beside it (receipt.PathFor). With logKey, every receipt is
// verified first, offline, and bound to its envelope; nothing is written if
// one fails.
func publishFile(ctx context.Context, c *client.Client, file, product string, logKey *tlog.Verifier) (*published, error) {
	envs, err := readEnvelopes(ctx, file)
	if err != nil {
		return nil, err
	}
	out := &published{File: file, Receipts: receipt.PathFor(file), Verified: logKey != nil}
	var receipts []*tlog.Receipt
	for start := 0; start < len(envs); start += limits.PublishBatch {
		batch := envs[start:min(start+limits.PublishBatch, len(envs))]
		lines := make([][]byte, len(batch))
		for i, env := range batch {
			if lines[i], err = json.Marshal(env); err != nil {
				return nil, err
			}
		}
		res, err := c.Publish(ctx, product, lines)
		if err != nil {
			return nil, fmt.Errorf("publishing %s: %w", file, err)
		}
		for i, r := range res.Results {
			if logKey != nil {
				env := batch[i]
				if _, err := receipt.VerifyFor(r.Receipt, logKey, tlog.CheckpointOptions{}, env); err != nil {
					return nil, fmt.Errorf("the server's receipt for %s envelope %d: %w", file, start+i+1, err)
				}
			}
			receipts = append(receipts, r.Receipt)
			out.Entries = append(out.Entries, publishedOne{Index: r.Index, Duplicate: r.Duplicate})
		}
	}
	data, err := marshalLines(receipts)
	if err != nil {
		return nil, err
	}
	if err := fsutil.WriteFile(out.Receipts, data, 0o644, true); err != nil {
		return nil, fmt.Errorf("writing receipts: %w", err)
	}
	return out, nil
}

// NewCmdPublish is 'consign publish'.
func NewCmdPublish(deps *Deps) *cobra.Command {
	var serverURL, token, product, output string
	var lk logKeyFlags
	cmd := &cobra.Command{
		Use:   "publish --server URL [--token T | CONSIGN_TOKEN] [--log-key log.vkey] FILE...",
		Short: "Publish attestations to a server's log and keep the receipts",
		Long: `Send the DSSE envelopes of each FILE (.intoto.jsonl, one envelope per line) to the server,
which checks every signature against the keys the token is scoped to, logs them, and
answers with one receipt per envelope. The receipts are written beside each file, one per
line in the same order: NAME.intoto.jsonl or NAME.jsonl -> NAME.receipts.jsonl, any other
FILE -> FILE.receipts.jsonl (as 'consign fetch' names them).

Publishing the same attestation twice logs it once: the second time returns the first
entry's receipt. So a request the server answers 429 (the token over its rate, or with
too much in flight) or 503 (the log busy) is sent again after the wait the server asks
for, up to 5 minutes of waiting in all, with a line on stderr each time. With --log-key (the log's public key, as pinned from the server's
operator: log.vkey, or log.pub with --log-origin), every receipt is verified offline,
and bound to its envelope, before it is written.

The token comes from --token or CONSIGN_TOKEN (prefer the variable: a flag shows in
process lists). --product is needed only when the token is for several products.`,
		Example: `  CONSIGN_TOKEN=consign_... consign publish --server http://127.0.0.1:8080 --log-key log.vkey build.intoto.jsonl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("name at least one attestation file to publish")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if serverURL == "" {
				return usagef("--server is required: the server's URL")
			}
			if err := checkReceiptPaths(files); err != nil {
				return err
			}
			tok := tokenFrom(deps, token)
			if tok == "" {
				return withHint(usageErr(fmt.Errorf("no token: pass --token or set CONSIGN_TOKEN")), "'consign admin token create --product P --key PUB' makes one")
			}
			logKey, err := lk.load()
			if err != nil {
				return err
			}
			c, err := newClient(deps, serverURL, tok)
			if err != nil {
				return err // client.ErrURL: a usage error, with its hint
			}
			var all []*published
			for _, f := range files {
				p, err := publishFile(cmd.Context(), c, f, product, logKey)
				if err != nil {
					return err
				}
				all = append(all, p)
			}
			return printPublished(cmd.OutOrStdout(), deps.Stderr, output, all)
		},
	}
	cmd.Flags().StringVar(&serverURL, "server", "", "the server's URL, e.g. http://127.0.0.1:8080")
	cmd.Flags().StringVar(&token, "token", "", "publishing token (default: $CONSIGN_TOKEN)")
	cmd.Flags().StringVar(&product, "product", "", "product to publish for (needed if the token has several)")
	lk.add(cmd, "the log's public key (log.vkey, or log.pub with --log-origin): verify every receipt before writing it")
	addOutputFlag(cmd, &output)
	return cmd
}

func printPublished(w, stderr io.Writer, output string, all []*published) error {
	if output == "json" {
		return json.NewEncoder(w).Encode(all)
	}
	for _, p := range all {
		for i, e := range p.Entries {
			state := "logged"
			if e.Duplicate {
				state = "already logged"
			}
			fmt.Fprintf(w, "%s:%d  index %d  %s\n", p.File, i+1, e.Index, state)
		}
		verified := "verified with the log key"
		if !p.Verified {
			verified = "not verified: pass --log-key to check them"
		}
		fmt.Fprintf(w, "wrote %s (%d receipt(s), %s)\n", p.Receipts, len(p.Entries), verified)
	}
	return nil
}

// checkReceiptPaths refuses files of which two would keep their receipts
// in one file (NAME.intoto.jsonl and NAME.jsonl), or one would write its
// receipts over another it publishes (NAME.jsonl and NAME.receipts.jsonl),
// however their paths are spelt (f.jsonl, ./f.jsonl, DIR/../f.jsonl, from
// the root): each receipts file is written whole, over what was there.
func checkReceiptPaths(files []string) error {
	abs := func(p string) string {
		if a, err := filepath.Abs(p); err == nil {
			return a
		}
		return filepath.Clean(p)
	}
	inputs := map[string]string{}
	for _, f := range files {
		inputs[abs(f)] = f
	}
	receiptsOf := map[string]string{}
	for _, f := range files {
		r := receipt.PathFor(f)
		if in, ok := inputs[abs(r)]; ok {
			return withHint(usagef("%s would keep its receipts in %s, which is a file it publishes too", f, in),
				"rename "+in+": receipts are written over whatever the file held")
		}
		if other, ok := receiptsOf[abs(r)]; ok && abs(other) != abs(f) {
			return withHint(usagef("%s and %s would both keep their receipts in %s", other, f, r), "rename one of them: the receipts of NAME.intoto.jsonl and NAME.jsonl are both NAME.receipts.jsonl")
		}
		receiptsOf[abs(r)] = f
	}
	return nil
}
