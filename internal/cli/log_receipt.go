package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/receipt"
	"github.com/consign-dev/consign/internal/tlog"
)

// receiptResult is one line of verify-receipt's report.
type receiptResult struct {
	Source  string   `json:"source"`
	OK      bool     `json:"verified"`
	Index   uint64   `json:"index,omitempty"`
	Time    string   `json:"time,omitempty"`
	Size    uint64   `json:"checkpointSize,omitempty"`
	Signers []string `json:"signers,omitempty"`
	Reason  string   `json:"reason,omitempty"`
	err     error
}

func newCmdLogVerifyReceipt(deps *Deps) *cobra.Command {
	var attestations, output string
	var lk logKeyFlags
	var wf witnessFlags
	cmd := &cobra.Command{
		Use:   "verify-receipt --log-key log.vkey RECEIPT [--attestations FILE]",
		Short: "Verify receipts offline: inclusion in a checkpoint signed by the log",
		Long: `Verify each receipt in RECEIPT (one receipt, or a .receipts.jsonl with one per line)
offline, with nothing but the log's public key: the checkpoint is signed by the log's key
and names its origin, the index is inside it, and the inclusion proof leads from the
receipt's leaf to the checkpoint's root.

With --attestations FILE (the .intoto.jsonl the receipts were made for), receipt N must
also record envelope N of FILE: the same statement, and every one of its signatures.

Exit codes: 0 every receipt verified; 3 one did not; 1 unreadable input; 2 usage.`,
		Example: `  consign log verify-receipt --log-key log.vkey build.receipts.jsonl --attestations build.intoto.jsonl`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("name one receipt file")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if lk.path == "" {
				return withHint(usageErr(errors.New("--log-key is required")), "the log's key comes from its operator or your policy, never from the receipt")
			}
			key, err := lk.load()
			if err != nil {
				return err
			}
			opts, err := wf.options()
			if err != nil {
				return err
			}
			lines, err := readReceiptFile(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("reading receipts: %w", err)
			}
			if len(lines) > 0 && isAttestationFile(lines[0].Data) {
				receipts := "NAME.receipts.jsonl"
				if base, ok := strings.CutSuffix(args[0], ".intoto.jsonl"); ok {
					receipts = base + ".receipts.jsonl"
				}
				return withHint(fmt.Errorf("%s holds attestations (DSSE envelopes), not receipts", args[0]),
					fmt.Sprintf("give the receipts file publish or fetch wrote beside it (%s), and this file with --attestations %s", receipts, args[0]))
			}
			var envs []*attest.Envelope
			if attestations != "" {
				if envs, err = readEnvelopes(cmd.Context(), attestations); err != nil {
					return err
				}
				if len(envs) != len(lines) {
					return fmt.Errorf("%w: %d receipts for %d attestations in %s", tlog.ErrBinding, len(lines), len(envs), attestations)
				}
			}
			results := make([]receiptResult, len(lines))
			for i, l := range lines {
				results[i] = verifyReceiptLine(fmt.Sprintf("%s:%d", args[0], l.N), l.Data, key, opts, envs, i)
			}
			return printReceiptResults(cmd.OutOrStdout(), output, results)
		},
	}
	lk.add(cmd, "the log's public key (log.vkey, or log.pub with --log-origin)")
	cmd.Flags().StringVar(&attestations, "attestations", "", "the .intoto.jsonl the receipts are for; each receipt must record its envelope")
	wf.add(cmd)
	addOutputFlag(cmd, &output)
	return cmd
}

func verifyReceiptLine(source string, line []byte, key *tlog.Verifier, opts tlog.CheckpointOptions, envs []*attest.Envelope, i int) receiptResult {
	r := receiptResult{Source: source}
	rc, err := tlog.ParseReceipt(line)
	if err != nil {
		r.Reason, r.err = err.Error(), err
		return r
	}
	var v *tlog.VerifiedReceipt
	if envs != nil {
		v, err = receipt.VerifyFor(rc, key, opts, envs[i])
	} else {
		v, err = tlog.VerifyReceipt(rc, key, opts)
	}
	if err != nil {
		r.Reason, r.err = err.Error(), err
		return r
	}
	r.OK, r.Index, r.Time, r.Size = true, v.Index, v.Time().Format(time.RFC3339Nano), v.Checkpoint.Size
	for _, s := range v.Leaf.Signatures {
		r.Signers = append(r.Signers, s.KeyID)
	}
	return r
}

func printReceiptResults(w io.Writer, output string, results []receiptResult) error {
	failed := 0
	var first error
	for _, r := range results {
		if !r.OK {
			failed++
			if first == nil {
				first = r.err
			}
		}
	}
	if output == "json" {
		if err := json.NewEncoder(w).Encode(struct {
			Verified bool            `json:"verified"`
			Results  []receiptResult `json:"results"`
		}{failed == 0, results}); err != nil {
			return err
		}
	} else {
		for _, r := range results {
			if r.OK {
				fmt.Fprintf(w, "PASS %s  index %d, logged %s, in a checkpoint of %d entries, signed by %s\n", r.Source, r.Index, r.Time, r.Size, shortIDs(r.Signers))
			} else {
				fmt.Fprintf(w, "FAIL %s\n     %s\n", r.Source, r.Reason)
			}
		}
		fmt.Fprintf(w, "%d verified, %d failed\n", len(results)-failed, failed)
	}
	if failed > 0 {
		if errors.Is(first, tlog.ErrMalformed) {
			return fmt.Errorf("%d receipt(s) could not be verified: %w", failed, first)
		}
		return checksFailed(failed, first)
	}
	return nil
}

// readReceiptFile reads the receipts of the file at path as a stream.
func readReceiptFile(ctx context.Context, path string) ([]jsonl.Line, error) {
	return readStream(ctx, path, receipt.Read)
}
