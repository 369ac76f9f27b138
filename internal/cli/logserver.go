package cli

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/postgres"
	"github.com/consign-dev/consign/internal/store/sqlite"
	"github.com/consign-dev/consign/internal/tlog"
)

// defaultDB is the database of serve and admin when --db is not given.
const defaultDB = "sqlite:consign.db"

// openStore opens --db: sqlite:PATH (or a bare path) or a postgres:// URL.
// On error the store is a nil interface, never a nil *sqlite.Store or
// *postgres.Store in one, which callers' cleanups would Close.
func openStore(ctx context.Context, spec string) (store.Store, error) {
	switch {
	case strings.HasPrefix(spec, "postgres://"), strings.HasPrefix(spec, "postgresql://"):
		return nonNil(postgres.Open(ctx, spec))
	case strings.Contains(spec, "://") && !strings.HasPrefix(spec, "sqlite:"):
		return nil, usagef("--db %q: use sqlite:PATH or postgres://USER@HOST:PORT/DB", redactDSN(spec))
	}
	path := strings.TrimPrefix(spec, "sqlite:")
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, withHint(fmt.Errorf("--db %s is a directory, not a database file", path),
			fmt.Sprintf("give the SQLite file's path, e.g. --db sqlite:%s", filepath.Join(path, "consign.db")))
	}
	return nonNil(sqlite.Open(ctx, path))
}

// nonNil is what a backend's Open returned, as a [store.Store] that is nil
// when err is not.
func nonNil[S store.Store](s S, err error) (store.Store, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}

// openExistingStore opens the database of a server for the admin
// commands, which never create one: a SQLite file that does not exist (a
// typo in --db) is an error naming it, and nothing is written.
func openExistingStore(ctx context.Context, spec string) (store.Store, error) {
	if p := sqlitePath(spec); p != "" {
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) {
			return nil, withHint(fmt.Errorf("database %s does not exist", p),
				fmt.Sprintf("admin commands never create a database: start 'consign serve --db %s' first (it creates the database and the log), or check the --db path", spec))
		}
	}
	return openStore(ctx, spec)
}

// sqlitePath is the file of a SQLite --db, or "" for PostgreSQL.
func sqlitePath(spec string) string {
	if strings.Contains(spec, "://") {
		return ""
	}
	return strings.TrimPrefix(spec, "sqlite:")
}

func redactDSN(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.LastIndex(s[i+3:], "@"); j >= 0 {
			return s[:i+3] + "REDACTED@" + s[i+3+j+1:]
		}
	}
	return s
}

// serveConfig is what 'consign serve' (and the demo) start a log server with.
type serveConfig struct {
	Addr, DB, LogKey, Origin string
	ReadTokenRequired        bool
	Rate                     float64
	// InFlight bounds the publish bodies' bytes the server holds at
	// once, and TokenInFlight and TokenRequests what one token's
	// publishes hold (server.Limits); 0 takes the server's default.
	InFlight      int64
	TokenInFlight int64
	TokenRequests int
	// UI serves the inspection portal; TLSCert and TLSKey serve HTTPS.
	UI              bool
	TLSCert, TLSKey string
	// Packs is a directory of evidence packs the portal offers, verified
	// with the owners' keys TrustRoots (files).
	Packs      string
	TrustRoots []string
}

// logServer is a started server with what was opened for it.
type logServer struct {
	*server.Running
	Signer *tlog.Signer
	store  store.Store
}

// Close shuts the server down and closes its database.
func (l *logServer) Close(ctx context.Context) error {
	err := l.Shutdown(ctx)
	if cerr := l.store.Close(); err == nil {
		err = cerr
	}
	return err
}

// startLogServer checks the flags, listens on cfg.Addr, opens the
// database, loads (or creates) the log key, and starts the server. It is
// what 'consign serve' runs, and what 'consign demo' uses on 127.0.0.1:0.
// Nothing is created (no database, no log key) until the flags have
// passed and the address is bound.
func startLogServer(ctx context.Context, deps *Deps, cfg serveConfig, logger *slog.Logger) (_ *logServer, err error) {
	roots, err := checkListenFlags(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, withHint(fmt.Errorf("listening on %s: %w", cfg.Addr, err),
			"--addr takes HOST:PORT with a free port, e.g. 127.0.0.1:8080 (port 0 picks a free one)")
	}
	var st store.Store
	var s *server.Server
	defer func() {
		if err != nil {
			ln.Close()
			if s != nil {
				s.Close()
			}
			if st != nil {
				st.Close()
			}
		}
	}()
	keyPath, key, err := readLogKey(deps, cfg)
	if err != nil {
		return nil, err
	}
	if st, err = openStore(ctx, cfg.DB); err != nil {
		return nil, err
	}
	signer, err := logSigner(ctx, deps, st, cfg, keyPath, key)
	if err != nil {
		return nil, err
	}
	s, err = server.New(ctx, server.Config{
		Store: st, Signer: signer, ReadTokenRequired: cfg.ReadTokenRequired,
		Limits: server.Limits{Rate: cfg.Rate, MaxInFlight: cfg.InFlight, TokenInFlight: cfg.TokenInFlight, TokenRequests: cfg.TokenRequests}, Now: deps.Now, Logger: logger,
	})
	if err != nil {
		if errors.Is(err, store.ErrIdentity) {
			return nil, fmt.Errorf("log key %s: %w", cfg.LogKey, err)
		}
		return nil, err
	}
	lc, err := listenConfig(cfg, ln, roots, s, st, logger, deps.Now)
	if err != nil {
		return nil, err
	}
	run, err := server.Listen(s, lc)
	if err != nil {
		return nil, err
	}
	return &logServer{Running: run, Signer: signer, store: st}, nil
}

// logKeyPath is --log-key, or log.key beside a SQLite database.
func logKeyPath(cfg serveConfig) (string, error) {
	if cfg.LogKey != "" {
		return cfg.LogKey, nil
	}
	if p := sqlitePath(cfg.DB); p != "" {
		return filepath.Join(filepath.Dir(p), "log.key"), nil
	}
	return "", withHint(usagef("--log-key is required with PostgreSQL"), "every server of one log must sign with the same key: give each the same --log-key file")
}

// pubPath is the file the log's public key is written to: KEY.pub for KEY.key
// (PEM; KEY.vkey holds the same key as a signed-note verifier key).
func pubPath(keyPath string) string { return strings.TrimSuffix(keyPath, ".key") + ".pub" }

// readLogKey reads the log's Ed25519 key from the --log-key file; a file
// that does not exist yet gives a nil key (logSigner makes one), anything
// else that is not an Ed25519 key is an error. It runs before the database
// is opened, so that a wrong key file creates nothing.
func readLogKey(deps *Deps, cfg serveConfig) (string, ed25519.PrivateKey, error) {
	path, err := logKeyPath(cfg)
	if err != nil {
		return "", nil, err
	}
	data, err := limits.ReadFile(path, limits.KeyFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return path, nil, checkDirOf(path)
	case err != nil:
		return "", nil, fmt.Errorf("reading the log key: %w", err)
	}
	k, err := sign.ParsePrivateKey(data, passFunc(deps))
	if err != nil {
		return "", nil, fmt.Errorf("loading the log key %q: %w", path, err)
	}
	p, ok := k.(ed25519.PrivateKey)
	if !ok {
		return "", nil, withHint(fmt.Errorf("the log key %q: %w: a log key must be Ed25519 (C2SP signed notes)", path, sign.ErrUnsupportedKey),
			"give --log-key the log's own Ed25519 key, or a file name that does not exist yet: serve then creates the key there (never a signer's key such as ci.key)")
	}
	return path, p, nil
}

// logSigner signs with priv, the key read from path by [readLogKey], or
// makes one (0600, PKCS #8 PEM) at path when priv is nil; the origin is
// --origin, else the database's, else consign/<key id prefix>. The
// public key is written to KEY.vkey (what clients pin) and KEY.pub.
func logSigner(ctx context.Context, deps *Deps, st store.Store, cfg serveConfig, path string, priv ed25519.PrivateKey) (*tlog.Signer, error) {
	if priv == nil {
		_, p, err := ed25519.GenerateKey(nil)
		if err != nil {
			return nil, err
		}
		pemKey, err := sign.MarshalPrivateKeyUnencryptedUnsafe(p)
		if err != nil {
			return nil, err
		}
		if err := fsutil.WriteFile(path, pemKey, 0o600, false); err != nil {
			return nil, fmt.Errorf("writing the new log key: %w", err)
		}
		fmt.Fprintf(deps.Stderr, "consign: created a new log key in %s (keep it secret, and back it up)\n", path)
		priv = p
	}
	origin := cfg.Origin
	if origin == "" {
		if id, err := st.LogIdentity(ctx); err == nil {
			origin = id.Origin
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	if origin == "" {
		kid, err := sign.KeyID(priv.Public())
		if err != nil {
			return nil, err
		}
		origin = "consign/" + kid[:16]
	}
	signer, err := tlog.NewSigner(origin, priv)
	if err != nil {
		return nil, usageErr(fmt.Errorf("--origin: %w", err))
	}
	// What clients pin: the PEM public key (as policies name keys) and the
	// signed-note verifier key, which also pins the origin.
	pub, vkey := pubPath(path), strings.TrimSuffix(path, ".key")+".vkey"
	for _, f := range []struct{ path, data string }{
		{pub, string(signer.PublicKeyPEM())},
		{vkey, signer.VerifierKey() + "\n"},
	} {
		if old, err := os.ReadFile(f.path); err != nil || string(old) != f.data {
			if err := fsutil.WriteFile(f.path, []byte(f.data), 0o644, true); err != nil {
				return nil, fmt.Errorf("writing the log's public key: %w", err)
			}
		}
	}
	fmt.Fprintf(deps.Stderr, "consign: log public key in %s (PEM, for policies) and %s (what clients pin with --log-key)\n", pub, vkey)
	return signer, nil
}
