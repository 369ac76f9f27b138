package cli

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

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

// logKeyFlags are --log-key and --log-origin: the log's public key, always
// pinned to one origin.
type logKeyFlags struct{ path, origin string }

func (l *logKeyFlags) add(cmd *cobra.Command, usage string) {
	cmd.Flags().StringVar(&l.path, "log-key", "", usage)
	cmd.Flags().StringVar(&l.origin, "log-origin", "", "the log's origin: pins a PEM --log-key (log.pub); a verifier key line (log.vkey) names its own")
}

// load is the pinned log key, or nil without --log-key.
func (l *logKeyFlags) load() (*tlog.Verifier, error) {
	if l.path == "" {
		if l.origin != "" {
			return nil, usagef("--log-origin goes with --log-key")
		}
		return nil, nil
	}
	return loadLogKey(l.path, l.origin)
}

// loadLogKey reads a log's public key file, PEM (log.pub) or a C2SP
// verifier key line (log.vkey), and pins it to its origin
// (tlog.LoadVerifier): the line's own, or origin for PEM.
func loadLogKey(path, origin string) (*tlog.Verifier, error) {
	b, err := limits.ReadFile(path, limits.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("reading the log key: %w", err)
	}
	v, err := tlog.LoadVerifier(string(b), origin)
	if errors.Is(err, tlog.ErrOrigin) {
		return nil, withHint(usageErr(fmt.Errorf("the log key %q: %w", path, err)), "--log-origin must be the origin the verifier key names, or be left out")
	}
	if err != nil {
		return nil, fmt.Errorf("the log key %q: %w", path, err)
	}
	return v, nil
}

func newCmdLogCheckpoint(deps *Deps) *cobra.Command {
	var serverURL, token, output string
	var lk logKeyFlags
	var wf witnessFlags
	cmd := &cobra.Command{
		Use:   "checkpoint --server URL [--log-key log.vkey]",
		Short: "Print a server's signed checkpoint (verified with --log-key)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			if serverURL == "" {
				return usagef("--server is required")
			}
			v, err := lk.load()
			if err != nil {
				return err
			}
			c, err := newClient(deps, serverURL, tokenFrom(deps, token))
			if err != nil {
				return err // client.ErrURL: a usage error, with its hint
			}
			note, err := c.Checkpoint(cmd.Context())
			if err != nil {
				return err
			}
			rep := checkpointReport{Note: string(note)}
			if v != nil {
				opts, err := wf.options()
				if err != nil {
					return err
				}
				cp, err := tlog.OpenCheckpoint(note, v, opts)
				if err != nil {
					return err
				}
				rep.Verified, rep.Origin, rep.Size, rep.Root = true, cp.Origin, cp.Size, cp.Root.String()
				if output != "json" {
					fmt.Fprintf(deps.Stderr, "consign: checkpoint verified: %s, %d entries\n", cp.Origin, cp.Size)
				}
			} else {
				fmt.Fprintln(deps.Stderr, "consign: warning: checkpoint NOT verified: pass --log-key to check its signature")
			}
			if output == "json" {
				return printJSON(cmd, rep)
			}
			_, err = cmd.OutOrStdout().Write(note)
			return err
		},
	}
	cmd.Flags().StringVar(&serverURL, "server", "", "the server's URL")
	cmd.Flags().StringVar(&token, "token", "", "reading token (default: $CONSIGN_TOKEN)")
	lk.add(cmd, "the log's public key (log.vkey, or log.pub with --log-origin)")
	wf.add(cmd)
	addOutputFlag(cmd, &output)
	return cmd
}

// checkpointReport is what 'consign log checkpoint -o json' prints: the
// signed note as served and, when --log-key verified it, what it says.
type checkpointReport struct {
	Verified bool   `json:"verified"`
	Origin   string `json:"origin,omitempty"`
	Size     uint64 `json:"size,omitempty"`
	Root     string `json:"root,omitempty"`
	Note     string `json:"note"`
}
