package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/tlog"
)

// NewCmdLog is 'consign log'.
func NewCmdLog(deps *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Check a transparency log: checkpoints, consistency, receipts",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usagef("name a log command: checkpoint, monitor or verify-receipt")
		},
	}
	cmd.AddCommand(newCmdLogCheckpoint(deps), newCmdLogMonitor(deps), newCmdLogVerifyReceipt(deps))
	return cmd
}

// witnessFlags are the optional witness requirements on checkpoints.
type witnessFlags struct {
	keys      []string
	threshold int
}

func (w *witnessFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&w.keys, "witness-key", nil, "a witness's verifier key (C2SP tlog-cosignature), file or text (repeatable)")
	cmd.Flags().IntVar(&w.threshold, "witness-threshold", 0, "distinct witnesses that must have cosigned each checkpoint")
}

func (w *witnessFlags) options() (tlog.CheckpointOptions, error) {
	var opts tlog.CheckpointOptions
	for _, k := range w.keys {
		text := k
		if b, err := limits.ReadFile(k, limits.KeyFile); err == nil {
			text = string(b)
		}
		wit, err := tlog.ParseWitness(string(bytes.TrimSpace([]byte(text))))
		if err != nil {
			return opts, fmt.Errorf("--witness-key %q: %w", k, err)
		}
		opts.Witnesses = append(opts.Witnesses, wit)
	}
	if w.threshold < 0 || w.threshold > len(opts.Witnesses) {
		return opts, usagef("--witness-threshold %d with %d --witness-key", w.threshold, len(opts.Witnesses))
	}
	opts.WitnessThreshold = w.threshold
	return opts, nil
}

func newCmdLogCheckpoint(deps *Deps) *cobra.Command {
	var serverURL, token, logKeyFile string
	var wf witnessFlags
	cmd := &cobra.Command{
		Use:   "checkpoint --server URL [--log-key log.pub]",
		Short: "Print a server's signed checkpoint (verified with --log-key)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if serverURL == "" {
				return usagef("--server is required")
			}
			c, err := client.New(client.Config{URL: serverURL, Token: tokenFrom(deps, token)})
			if err != nil {
				return usageErr(err)
			}
			note, err := c.Checkpoint(cmd.Context())
			if err != nil {
				return err
			}
			if logKeyFile != "" {
				v, err := loadLogKey(logKeyFile)
				if err != nil {
					return err
				}
				opts, err := wf.options()
				if err != nil {
					return err
				}
				cp, err := tlog.OpenCheckpoint(note, v, opts)
				if err != nil {
					return err
				}
				fmt.Fprintf(deps.Stderr, "consign: checkpoint verified: %s, %d entries\n", cp.Origin, cp.Size)
			} else {
				fmt.Fprintln(deps.Stderr, "consign: warning: checkpoint NOT verified: pass --log-key to check its signature")
			}
			_, err = cmd.OutOrStdout().Write(note)
			return err
		},
	}
	cmd.Flags().StringVar(&serverURL, "server", "", "the server's URL")
	cmd.Flags().StringVar(&token, "token", "", "reading token (default: $CONSIGN_TOKEN)")
	cmd.Flags().StringVar(&logKeyFile, "log-key", "", "the log's public key (log.pub)")
	wf.add(cmd)
	return cmd
}

// monitorState is what 'consign log monitor' keeps between runs.
type monitorState struct {
	Server string `json:"server"`
	// LogKey is the log key the first run was given; later runs use it.
	LogKey string `json:"logKey"`
	// Origin is the log's origin, pinned on the first run.
	Origin string `json:"origin"`
	// Checkpoint is the last checkpoint verified and proven consistent.
	Checkpoint string `json:"checkpoint"`
	Updated    string `json:"updated"`
}

// defaultStatePath is $XDG_CONFIG_HOME/consign/monitor/<hash of server URL>.json
// (or ~/.config/...).
func defaultStatePath(deps *Deps, serverURL string) (string, error) {
	dir := deps.getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := deps.getenv("HOME")
		if home == "" {
			return "", usagef("no HOME or XDG_CONFIG_HOME for the monitor's state; pass --state FILE")
		}
		dir = filepath.Join(home, ".config")
	}
	sum := sha256.Sum256([]byte(serverURL))
	return filepath.Join(dir, "consign", "monitor", hex.EncodeToString(sum[:8])+".json"), nil
}

func newCmdLogMonitor(deps *Deps) *cobra.Command {
	var serverURL, token, statePath, logKeyFile string
	var interval time.Duration
	var wf witnessFlags
	cmd := &cobra.Command{
		Use:   "monitor --server URL [--state FILE] [--log-key log.pub]",
		Short: "Check that a log only ever grew since the last checkpoint this monitor trusted",
		Long: `Fetch the server's checkpoint, verify its signature with the log key, and prove it
consistent with the last checkpoint this monitor trusted (kept in --state, by default in
the user's config directory). A log that shrank, or shows two different trees, or cannot
prove consistency, is reported as an ALERT with exit 3, and the state keeps the last good
checkpoint as evidence.

The log key is --log-key the first time; it is kept in the state and never taken from the
server. A later --log-key must be the same key. With --interval the check repeats until
an alert or an interrupt.`,
		Example: `  consign log monitor --server https://log.example.com --log-key log.pub   # first run
  consign log monitor --server https://log.example.com                     # from cron`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if serverURL == "" {
				return usagef("--server is required")
			}
			if statePath == "" {
				var err error
				if statePath, err = defaultStatePath(deps, serverURL); err != nil {
					return err
				}
			}
			opts, err := wf.options()
			if err != nil {
				return err
			}
			var state monitorState
			if b, err := limits.ReadFile(statePath, limits.JSONFile); err == nil {
				if err := json.Unmarshal(b, &state); err != nil {
					return fmt.Errorf("reading the monitor state %s: %w: %v", statePath, tlog.ErrMalformed, err)
				}
			} else if !errors.Is(err, os.ErrNotExist) {
				return err
			}
			var key *tlog.Verifier
			switch {
			case logKeyFile != "":
				if key, err = loadLogKey(logKeyFile); err != nil {
					return err
				}
				if state.LogKey != "" && state.LogKey != key.String() {
					return withHint(fmt.Errorf("%w: --log-key is not the key this monitor pinned in %s", tlog.ErrCheckpointSignature, statePath),
						"a log's key does not change; if its operator really rotated it, start a new --state deliberately")
				}
			case state.LogKey != "":
				if key, err = tlog.ParseVerifier(state.LogKey); err != nil {
					return fmt.Errorf("the monitor state %s: %w", statePath, err)
				}
			default:
				return withHint(usageErr(errors.New("--log-key is required on the first run")),
					"the log's key comes from its operator or your policy, never from the server itself")
			}
			c, err := client.New(client.Config{URL: serverURL, Token: tokenFrom(deps, token)})
			if err != nil {
				return usageErr(err)
			}
			for {
				var trusted *tlog.Checkpoint
				if state.Checkpoint != "" {
					cp, err := tlog.OpenCheckpoint([]byte(state.Checkpoint), key, tlog.CheckpointOptions{})
					if err != nil {
						return fmt.Errorf("the monitor state %s: %w", statePath, err)
					}
					trusted = &cp.Checkpoint
				}
				next, err := client.Watch(cmd.Context(), c, key, opts, trusted)
				if err == nil && state.Origin != "" && next.Origin != state.Origin {
					err = fmt.Errorf("%w: the log now calls itself %q; it was %q", tlog.ErrOrigin, next.Origin, state.Origin)
				}
				if err != nil {
					if errors.Is(err, tlog.ErrUnverified) {
						fmt.Fprintf(deps.Stderr, "consign: ALERT: %s: %v\n", serverURL, err)
						if trusted != nil {
							fmt.Fprintf(deps.Stderr, "consign: ALERT: the last trusted checkpoint (%d entries) is kept in %s\n", trusted.Size, statePath)
						}
					}
					return err
				}
				w := cmd.OutOrStdout()
				switch {
				case trusted == nil:
					fmt.Fprintf(w, "%s: %d entries; first checkpoint trusted\n", next.Origin, next.Size)
				case next.Size == trusted.Size:
					fmt.Fprintf(w, "%s: %d entries; unchanged\n", next.Origin, next.Size)
				default:
					fmt.Fprintf(w, "%s: %d entries (was %d); consistent\n", next.Origin, next.Size, trusted.Size)
				}
				state = monitorState{Server: serverURL, LogKey: key.String(), Origin: next.Origin, Checkpoint: string(next.Note), Updated: deps.Now().UTC().Format(time.RFC3339)}
				b, _ := json.MarshalIndent(state, "", "  ")
				if err := os.MkdirAll(filepath.Dir(statePath), 0o700); err != nil {
					return err
				}
				if err := fsutil.WriteFile(statePath, append(b, '\n'), 0o600, true); err != nil {
					return fmt.Errorf("writing the monitor state: %w", err)
				}
				if interval <= 0 {
					return nil
				}
				select {
				case <-cmd.Context().Done():
					return nil
				case <-time.After(interval):
				}
			}
		},
	}
	cmd.Flags().StringVar(&serverURL, "server", "", "the server's URL")
	cmd.Flags().StringVar(&token, "token", "", "reading token (default: $CONSIGN_TOKEN)")
	cmd.Flags().StringVar(&statePath, "state", "", "the monitor's state file (default: in the user's config directory)")
	cmd.Flags().StringVar(&logKeyFile, "log-key", "", "the log's public key (log.pub); needed on the first run")
	cmd.Flags().DurationVar(&interval, "interval", 0, "check again at this interval until an alert (0: once)")
	wf.add(cmd)
	return cmd
}

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
	var logKeyFile, attestations, output string
	var wf witnessFlags
	cmd := &cobra.Command{
		Use:   "verify-receipt --log-key log.pub RECEIPT [--attestations FILE]",
		Short: "Verify receipts offline: inclusion in a checkpoint signed by the log",
		Long: `Verify each receipt in RECEIPT (one receipt, or a .receipts.jsonl with one per line)
offline, with nothing but the log's public key: the checkpoint is signed by the log's key
and names its origin, the index is inside it, and the inclusion proof leads from the
receipt's leaf to the checkpoint's root.

With --attestations FILE (the .intoto.jsonl the receipts were made for), receipt N must
also record envelope N of FILE: the same statement, and every one of its signatures.

Exit codes: 0 every receipt verified; 3 one did not; 1 unreadable input; 2 usage.`,
		Example: `  consign log verify-receipt --log-key log.pub build.receipts.jsonl --attestations build.intoto.jsonl`,
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
			if logKeyFile == "" {
				return withHint(usageErr(errors.New("--log-key is required")), "the log's key comes from its operator or your policy, never from the receipt")
			}
			key, err := loadLogKey(logKeyFile)
			if err != nil {
				return err
			}
			opts, err := wf.options()
			if err != nil {
				return err
			}
			data, err := limits.ReadFile(args[0], limits.AttestationFile)
			if err != nil {
				return fmt.Errorf("reading receipts: %w", err)
			}
			var lines [][]byte
			for _, l := range bytes.Split(data, []byte("\n")) {
				if l = bytes.TrimSpace(l); len(l) > 0 {
					lines = append(lines, l)
				}
			}
			if len(lines) == 0 || (len(lines) > 1 && json.Valid(bytes.TrimSpace(data)) && !json.Valid(lines[0])) {
				// One pretty-printed receipt.
				lines = [][]byte{bytes.TrimSpace(data)}
			}
			var envs []*attest.Envelope
			if attestations != "" {
				if envs, err = readEnvelopes(attestations); err != nil {
					return err
				}
				if len(envs) != len(lines) {
					return fmt.Errorf("%w: %d receipts for %d attestations in %s", tlog.ErrBinding, len(lines), len(envs), attestations)
				}
			}
			results := make([]receiptResult, len(lines))
			for i, l := range lines {
				results[i] = verifyReceiptLine(fmt.Sprintf("%s:%d", args[0], i+1), l, key, opts, envs, i)
			}
			return printReceiptResults(cmd.OutOrStdout(), output, results)
		},
	}
	cmd.Flags().StringVar(&logKeyFile, "log-key", "", "the log's public key (log.pub)")
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
	v, err := tlog.VerifyReceipt(rc, key, opts)
	if err == nil && envs != nil {
		env := envs[i]
		err = v.Leaf.Covers(attest.PAE(env.PayloadType, env.Payload))
		for _, s := range env.Signatures {
			if err == nil && !signedByAny(v.Leaf, s.Sig) {
				err = fmt.Errorf("%w: a signature of the envelope is not recorded in the entry", tlog.ErrBinding)
			}
		}
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
