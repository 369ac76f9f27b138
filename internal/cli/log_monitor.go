package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/monitor"
	"github.com/consign-dev/consign/internal/tlog"
)

// defaultStatePath is the monitor's state in the user's config directory.
func defaultStatePath(deps *Deps, serverURL string) (string, error) {
	dir, err := userConfigDir(deps, "--state FILE")
	if err != nil {
		return "", err
	}
	return monitor.StatePath(dir, serverURL), nil
}

func newCmdLogMonitor(deps *Deps) *cobra.Command {
	var serverURL, token, statePath, output string
	var interval time.Duration
	var lk logKeyFlags
	var wf witnessFlags
	cmd := &cobra.Command{
		Use:   "monitor --server URL [--state FILE] [--log-key log.vkey]",
		Short: "Check that a log only ever grew since the last checkpoint this monitor trusted",
		Long: `Fetch the server's checkpoint, verify its signature with the log key, and prove it
consistent with the last checkpoint this monitor trusted (kept in --state, by default in
the user's config directory). A log that shrank, or shows two different trees, or cannot
prove consistency, is reported as an ALERT with exit 3, and the state keeps the last good
checkpoint as evidence.

The log key is --log-key the first time; it is kept in the state, with the log's origin,
and never taken from the server. A later --log-key must be the same key. With --interval
the check repeats until an alert or an interrupt. A server that answers busy (429 or 503)
is waited out as it asks, up to 5 minutes in all for each check. With -o json each check prints one JSON
line: the origin, the size, the size trusted before and the status (first, unchanged,
consistent or alert).`,
		Example: `  consign log monitor --server https://log.example.com --log-key log.vkey  # first run
  consign log monitor --server https://log.example.com                     # from cron`,
		Args:        noArgs,
		Annotations: map[string]string{signalStops: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
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
			key, err := lk.load()
			if err != nil {
				return err
			}
			m, err := monitor.Open(statePath, serverURL, key)
			if err != nil {
				return monitorError(err)
			}
			for {
				// A client for each check: its retry budget
				// (client.Config.MaxRetryWait) bounds the waits for a
				// busy server of the check, as of a run from cron.
				c, err := newClient(deps, serverURL, tokenFrom(deps, token))
				if err != nil {
					return err // client.ErrURL: a usage error, with its hint
				}
				if err := monitorOnce(cmd, deps, m, c, opts, serverURL, output); err != nil || interval <= 0 {
					return err
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
	lk.add(cmd, "the log's public key (log.vkey, or log.pub with --log-origin); needed on the first run")
	cmd.Flags().DurationVar(&interval, "interval", 0, "check again at this interval until an alert (0: once)")
	wf.add(cmd)
	addOutputFlag(cmd, &output)
	return cmd
}

func monitorError(err error) error {
	switch {
	case errors.Is(err, monitor.ErrNoKey):
		return withHint(usageErr(errors.New("--log-key is required on the first run")),
			"the log's key comes from its operator or your policy, never from the server itself")
	case errors.Is(err, monitor.ErrKeyChanged):
		return withHint(err, "a log's key does not change; if its operator really rotated it, start a new --state deliberately")
	}
	return err
}

// monitorOnce is one check: an ALERT on stderr when the log fails it.
func monitorOnce(cmd *cobra.Command, deps *Deps, m *monitor.Monitor, c *client.Client, opts tlog.CheckpointOptions, serverURL, output string) error {
	trusted, next, err := m.Check(cmd.Context(), c, opts, deps.Now())
	rep := monitorReport{Server: serverURL}
	if trusted != nil {
		rep.Trusted = trusted.Size
	}
	if err != nil {
		if errors.Is(err, tlog.ErrUnverified) {
			fmt.Fprintf(deps.Stderr, "consign: ALERT: %s: %v\n", serverURL, err)
			if trusted != nil {
				fmt.Fprintf(deps.Stderr, "consign: ALERT: the last trusted checkpoint (%d entries) is kept in %s\n", trusted.Size, m.Path())
			}
			if output == "json" {
				rep.Status, rep.Error = "alert", err.Error()
				if perr := printJSON(cmd, rep); perr != nil {
					return perr
				}
			}
		}
		return err
	}
	if output == "json" {
		rep.Origin, rep.Size = next.Origin, next.Size
		switch {
		case trusted == nil:
			rep.Status = "first"
		case next.Size == trusted.Size:
			rep.Status = "unchanged"
		default:
			rep.Status = "consistent"
		}
		return printJSON(cmd, rep)
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
	return nil
}

// monitorReport is one check's line with -o json.
type monitorReport struct {
	Server  string `json:"server"`
	Origin  string `json:"origin,omitempty"`
	Size    uint64 `json:"size,omitempty"`
	Trusted uint64 `json:"trustedSize,omitempty"`
	Status  string `json:"status"`
	Error   string `json:"error,omitempty"`
}
