package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/oci"
)

// NewCmdRegistry is 'consign registry': a local registry to try images on.
func NewCmdRegistry(deps *Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Run a local OCI registry and push small images to it (for trying consign out)",
		Args:  noArgs,
	}
	cmd.AddCommand(newCmdRegistryServe(deps), newCmdRegistryPush(deps))
	return cmd
}

func newCmdRegistryServe(deps *Deps) *cobra.Command {
	var (
		addr, readyFile string
		maxBytes        int64
		remote          bool
	)
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:5000] [--ready-file F]",
		Short: "Run an in-memory OCI registry with the referrers API, until interrupted",
		Long: `Run an OCI registry on this machine: go-containerregistry's registry (the one 'crane
registry serve' runs), with the OCI 1.1 referrers API, so every image command of consign
can be tried without an account anywhere. 'consign demo' ships its sample through one.

It holds everything in memory and forgets it when it stops (Ctrl-C, SIGTERM). It has
no authentication and speaks plain HTTP, so the image commands need --insecure-registry
for it, and it listens on a loopback address only, unless --insecure-remote. Memory
stays bounded: one request's body is capped at 64 MiB, and everything pushed over its
life at --max-bytes; past that, pushes are refused and reads go on.`,
		Example: `  consign registry serve &                        # on 127.0.0.1:5000
  consign registry serve --addr 127.0.0.1:0 --ready-file registry.addr &
  consign registry push --insecure-registry 127.0.0.1:5000/app:1.0 dist/app`,
		Args:        noArgs,
		Annotations: map[string]string{signalStops: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkListen(addr, remote); err != nil {
				return err
			}
			if readyFile != "" {
				if err := checkReplaceable(readyFile); err != nil {
					return err
				}
			}
			l, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listening on %s: %w", addr, err)
			}
			srv := &http.Server{Handler: oci.Registry(maxBytes), ReadHeaderTimeout: 10 * time.Second}
			served := make(chan error, 1)
			go func() { served <- srv.Serve(l) }()
			if remote {
				fmt.Fprintf(deps.Stderr, "consign: warning: --insecure-remote: anyone who reaches %s may push and overwrite images\n", l.Addr())
			}
			fmt.Fprintf(deps.Stderr, "consign: registry listening on %s (in memory: its images are gone when it stops)\n", l.Addr())
			if readyFile != "" {
				if err := fsutil.WriteFile(readyFile, []byte(l.Addr().String()+"\n"), 0o644, true); err != nil {
					srv.Close()
					return fmt.Errorf("writing --ready-file: %w", err)
				}
			}
			select {
			case err := <-served:
				return err
			case <-cmd.Context().Done():
			}
			fmt.Fprintln(deps.Stderr, "consign: shutting down")
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "127.0.0.1:5000", "address to listen on (port 0 picks a free port); a loopback address unless --insecure-remote")
	f.StringVar(&readyFile, "ready-file", "", "write the registry's HOST:PORT to this file once it accepts connections")
	f.Int64Var(&maxBytes, "max-bytes", limits.LocalRegistry, "bytes the registry accepts over its life, all pushes together (it holds them in memory)")
	f.BoolVar(&remote, "insecure-remote", false, "listen on an address other hosts can reach: with no authentication, anyone there may push")
	return cmd
}

// checkListen refuses an address other hosts could reach, unless remote.
func checkListen(addr string, remote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--addr %q: give HOST:PORT, e.g. 127.0.0.1:5000", addr)
	}
	if remote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return &Error{Code: ExitUsage, Err: fmt.Errorf("--addr %q is not a loopback address: the registry has no authentication", addr),
		Hint: "listen on 127.0.0.1, or pass --insecure-remote to let other hosts push to it"}
}

func newCmdRegistryPush(deps *Deps) *cobra.Command {
	var reg registryFlags
	cmd := &cobra.Command{
		Use:   "push IMAGE FILE...",
		Short: "Push an image of one layer holding the given files, and print its digest",
		Long: `Build an OCI image of one layer holding each FILE at its base name, push it to IMAGE
(HOST/REPOSITORY:TAG), and print the image's reference by digest, which is what to sign,
attest and verify. The layer's entries carry no times or owners, so the same files make
the same digest. It is for trying consign's image commands on files of your own (up to
64 MiB in all), as 'consign demo' does; real images come from your image builder.`,
		Example: `  consign registry push --insecure-registry 127.0.0.1:5000/acme-app:1.0 dist/acme-app`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 {
				return usagef("registry push takes an image reference and at least one file, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := reg.client(deps)
			if err != nil {
				return err
			}
			d, err := c.PushFiles(cmd.Context(), args[0], args[1:])
			if err != nil {
				if ref, ok := swappedPush(c, args); ok {
					return withHint(err, fmt.Sprintf("the image comes first: consign registry push IMAGE FILE... (%q is a file, and %q an image reference)", args[0], ref))
				}
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), d.String())
			fmt.Fprintf(deps.Stderr, "Pushed %s\n", args[0])
			return nil
		},
	}
	reg.add(cmd, false)
	return cmd
}

// swappedPush reports whether the arguments of a push that failed look
// given the wrong way round: IMAGE names a file, and a FILE that does not
// exist reads as an image reference with a tag or digest (returned).
func swappedPush(c *oci.Client, args []string) (string, bool) {
	if _, err := os.Stat(args[0]); err != nil {
		return "", false
	}
	for _, f := range args[1:] {
		if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) || !strings.ContainsAny(f, ":@") {
			continue
		}
		if _, err := c.ParseReference(f); err == nil {
			return f, true
		}
	}
	return "", false
}
