package cli

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
)

// serveHeapFloor is memory 'consign serve' allocates and never touches (it
// holds no pointers, so the collector never scans it, and the kernel gives
// it no pages), to keep the collector's goal at least twice its size: the
// live heap of the server is small (some 15 MB, most of it the package
// initialisers' tables), and with Go's default GOGC every 16 MB or so of
// requests' garbage cost a collection that marked all of that again: 5-10 %
// of the server's CPU per entry under 256 publishers (issue 15,
// bench/SERVE.md). The price is more garbage held between collections
// (peak RSS about 100 MB higher there), a fixed amount, where a higher GOGC
// would multiply the in-flight request bodies too. A GOGC setting in the
// environment still applies on top of it.
const serveHeapFloor = 64 << 20

// NewCmdServe is 'consign serve'.
func NewCmdServe(deps *Deps) *cobra.Command {
	var (
		cfg       serveConfig
		readyFile string
	)
	cmd := &cobra.Command{
		Use:   "serve [--addr 127.0.0.1:8080] [--db sqlite:PATH|postgres://...] [--log-key FILE]",
		Short: "Run the attestation server and transparency log",
		Long: fmt.Sprintf(`Run the attestation server: build systems publish DSSE envelopes to it with a token
('consign publish'), it records each in an append-only transparency log (an RFC 6962
Merkle tree with C2SP signed checkpoints) and answers with receipts that verify offline;
anyone fetches attestations by artifact digest ('consign fetch') and checks that the log
only ever grew ('consign log monitor').

The database is one SQLite file by default (created on first start), or PostgreSQL with
--db postgres://USER@HOST:PORT/DB; any number of servers may share one PostgreSQL
database, which serialises the log's appends. The log signs checkpoints with an Ed25519
key: --log-key FILE (PEM), created on first start if the file does not exist (default:
log.key beside the SQLite file; required with PostgreSQL, where every server must use
the same key). Its public key is written beside it as the line clients pin, FILE.vkey
(log.vkey: origin+hash+key), and as PEM, FILE.pub (log.pub).

Reads are open to anyone unless --read-token-required, which limits them to tokens, and
to the products each token is scoped to. Tokens are made with 'consign admin token'.

The server holds at most --in-flight-bytes of publish bodies at once (default %[2]s,
three bodies of the largest size, %[1]s); a publish past it is answered 503 with
Retry-After. Each publishing token has a rate (--rate) and a share of that it may hold
at once: the body bytes of its publishes in flight (--token-in-flight-bytes; by default
a third of --in-flight-bytes, so that two tokens at their limit leave as much to the
others; at most half of it) and the publishes themselves (--token-in-flight-requests).
A token past either is answered 429 with Retry-After, however many connections it
spreads its requests over, and the others are still served; 'consign publish' waits and
sends again. A body larger than --token-in-flight-bytes is refused (413): 'consign
publish' sends up to 1000 envelopes a request, so keep it above the largest batch your
builds publish.

--ui serves the inspection portal beside the API: inspectors sign in with an inspector
token ('consign admin token create --role inspector --product P --expires 30d') and
browse their products' releases, attestations and the log; every page they open is
written to the access record ('consign admin access'). Serve it over TLS (--tls-cert,
--tls-key) anywhere but on a loopback address. With --packs DIR and --trust-root, a
release's page offers the evidence pack in DIR whose manifest lists the release's artifact,
and shows each stage's rules and checks as verifying the pack with the owner's key found.`, sizeString(limits.PublishBody), sizeString(limits.PublishInFlight)),
		Example: `  consign serve                                   # consign.db and log.key in the current directory
  consign serve --addr 127.0.0.1:9000 --db sqlite:/var/lib/consign/log.db
  consign serve --db postgres://consign@db.internal:5432/consign --log-key /etc/consign/log.key
  consign serve --ui --addr 0.0.0.0:8443 --tls-cert portal.crt --tls-key portal.key`,
		Args:        noArgs,
		Annotations: map[string]string{signalStops: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkInFlight(cfg, cmd.Flags().Changed("token-in-flight-bytes")); err != nil {
				return err
			}
			if readyFile != "" {
				if err := checkReplaceable(readyFile); err != nil {
					return err
				}
			}
			ctx := cmd.Context()
			floor := make([]byte, serveHeapFloor)
			defer runtime.KeepAlive(floor)
			logger := slog.New(slog.NewTextHandler(deps.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
			srv, err := startLogServer(ctx, deps, cfg, logger)
			if err != nil {
				return err
			}
			fmt.Fprintf(deps.Stderr, "consign: log origin: %s\n", srv.Signer.Origin())
			fmt.Fprintf(deps.Stderr, "consign: log key: %s\n", srv.Signer.VerifierKey())
			fmt.Fprintf(deps.Stderr, "consign: listening on %s\n", srv.URL)
			fmt.Fprint(deps.Stderr, portalWarning(cfg, srv.Addr))
			if readyFile != "" {
				if err := fsutil.WriteFile(readyFile, []byte(srv.URL+"\n"), 0o644, true); err != nil {
					srv.Close(context.Background())
					return fmt.Errorf("writing --ready-file: %w", err)
				}
			}
			stopped := make(chan error, 1)
			go func() { stopped <- srv.Wait() }()
			select {
			case err := <-stopped:
				srv.store.Close()
				return err
			case <-ctx.Done():
			}
			fmt.Fprintln(deps.Stderr, "consign: shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			return srv.Close(sctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	f.StringVar(&cfg.DB, "db", defaultDB, "database: sqlite:PATH or postgres://USER@HOST:PORT/DB")
	f.StringVar(&cfg.LogKey, "log-key", "", "the log's Ed25519 private key (PEM); created if absent (default: log.key beside the SQLite file)")
	f.StringVar(&cfg.Origin, "origin", "", "the log's origin line, e.g. log.example.com/consign (default: the database's, or consign/<key id>)")
	f.BoolVar(&cfg.ReadTokenRequired, "read-token-required", false, "reads need a token, and see only its products")
	f.Float64Var(&cfg.Rate, "rate", limits.PublishRate, "envelopes per second one token may publish (a negative value: no limit)")
	cfg.InFlight = limits.PublishInFlight
	f.Var(sizeFlag{&cfg.InFlight}, "in-flight-bytes", "bytes of publish bodies the server holds at once over all tokens (bytes, or 2GiB, 1.5GiB...); past it the server answers 503 with Retry-After")
	f.Var(sizeFlag{&cfg.TokenInFlight}, "token-in-flight-bytes", "bytes of publish bodies one token may hold at once over all its requests (default: a third of --in-flight-bytes; at most half of it); past it the server answers 429 with Retry-After, and a single body larger than it 413")
	f.Lookup("token-in-flight-bytes").DefValue = "" // the usage says it: a third of --in-flight-bytes
	f.IntVar(&cfg.TokenRequests, "token-in-flight-requests", limits.PublishTokenRequests, "publish requests one token may have in flight at once; past it the server answers 429 with Retry-After")
	f.BoolVar(&cfg.UI, "ui", false, "serve the inspection portal for inspector tokens ('consign admin token create --role inspector')")
	f.StringVar(&cfg.Packs, "packs", "", "with --ui: a directory of evidence packs ('consign pack'); a release's page offers its pack, verified with --trust-root")
	f.StringArrayVar(&cfg.TrustRoots, "trust-root", nil, "with --packs: the product owner's public key, which signed the packs' policies (repeatable)")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "serve HTTPS with this PEM certificate chain (with --tls-key)")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "the PEM private key of --tls-cert")
	f.StringVar(&readyFile, "ready-file", "", "write the server's URL to this file once it accepts connections")
	return cmd
}

// checkInFlight rejects --in-flight-bytes, --token-in-flight-bytes (given
// if tokenSet) and --token-in-flight-requests that make no sense, alone or
// together: a token's share over half the server's would let two tokens
// hold all of it, and every other token's publish be answered 503.
func checkInFlight(cfg serveConfig, tokenSet bool) error {
	switch {
	case cfg.InFlight <= 0:
		return usagef("--in-flight-bytes must be positive, not %s", sizeString(cfg.InFlight))
	case tokenSet && cfg.TokenInFlight <= 0:
		return usagef("--token-in-flight-bytes must be positive, not %s", sizeString(cfg.TokenInFlight))
	case !tokenSet && cfg.InFlight < 3:
		return &Error{Code: ExitUsage, Err: fmt.Errorf("--in-flight-bytes (%s) leaves a token a share of 0 bytes (a third of it): every publish would be refused", sizeString(cfg.InFlight)),
			Hint: "give --in-flight-bytes room for at least three of the largest bodies your builds publish, or set --token-in-flight-bytes"}
	case cfg.TokenRequests <= 0:
		return usagef("--token-in-flight-requests must be positive, not %d", cfg.TokenRequests)
	case cfg.TokenInFlight > cfg.InFlight:
		return &Error{Code: ExitUsage, Err: fmt.Errorf("--token-in-flight-bytes (%s) is over --in-flight-bytes (%s): a token cannot hold more than the whole server", sizeString(cfg.TokenInFlight), sizeString(cfg.InFlight)),
			Hint: fmt.Sprintf("give a token at most half of --in-flight-bytes (%s), or raise --in-flight-bytes", sizeString(cfg.InFlight/2))}
	case cfg.TokenInFlight > cfg.InFlight/2:
		return &Error{Code: ExitUsage, Err: fmt.Errorf("--token-in-flight-bytes (%s) is over half of --in-flight-bytes (%s): two busy tokens could hold the whole server, and every other token's publish be refused", sizeString(cfg.TokenInFlight), sizeString(cfg.InFlight)),
			Hint: fmt.Sprintf("give a token at most half of --in-flight-bytes (%s; by default a third, %s), or raise --in-flight-bytes to at least twice it", sizeString(cfg.InFlight/2), sizeString(cfg.InFlight/3))}
	}
	return nil
}
