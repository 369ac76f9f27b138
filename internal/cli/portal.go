package cli

import (
	"crypto"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/server/ui"
	"github.com/consign-dev/consign/internal/sigstore"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// parseExpiry reads --expires: an RFC 3339 time, or a duration from now
// such as 72h or 30d.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 && n <= 3660 {
			return now.Add(time.Duration(n) * 24 * time.Hour).UTC(), nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d).UTC(), nil
	}
	return time.Time{}, usagef("--expires %q: give an RFC 3339 time (2027-01-31T00:00:00Z) or a duration from now (72h, 30d)", s)
}

// checkListenFlags rejects the flags of serve that cannot work, and loads
// the portal's owner keys, before anything is created: a wrong flag must
// leave no database or log key behind.
func checkListenFlags(cfg serveConfig) ([]crypto.PublicKey, error) {
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, usagef("--tls-cert and --tls-key go together")
	}
	if cfg.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey); err != nil {
			return nil, withHint(fmt.Errorf("loading the TLS certificate: %w", err),
				"--tls-cert takes the PEM certificate chain and --tls-key its PEM private key")
		}
	}
	if cfg.Origin != "" && !tlog.ValidOrigin(cfg.Origin) {
		return nil, &Error{Code: ExitUsage, Err: fmt.Errorf("--origin %q: a log origin is not empty and has no spaces and no '+'", cfg.Origin),
			Hint: "name the log as a host and path, e.g. --origin log.example.com/consign"}
	}
	if !cfg.UI {
		if cfg.Packs != "" || len(cfg.TrustRoots) > 0 {
			return nil, usagef("--packs and --trust-root are for the portal: add --ui")
		}
		return nil, nil
	}
	if (cfg.Packs == "") != (len(cfg.TrustRoots) == 0) {
		return nil, usagef("--packs and --trust-root go together: the portal verifies the packs with the owner's key")
	}
	if cfg.Packs != "" {
		if fi, err := os.Stat(cfg.Packs); err != nil || !fi.IsDir() {
			return nil, usagef("--packs %q is not a directory", cfg.Packs)
		}
	}
	return loadPublicKeys(cfg.TrustRoots)
}

// listenConfig is how serve listens, on ln: with the inspection portal
// (verifying packs with the owner keys roots) in front of the API when
// cfg.UI, and with TLS when a certificate is given. [checkListenFlags]
// has checked cfg.
func listenConfig(cfg serveConfig, ln net.Listener, roots []crypto.PublicKey, s *server.Server, st store.Store, logger *slog.Logger, now func() time.Time) (server.ListenConfig, error) {
	lc := server.ListenConfig{Addr: cfg.Addr, Listener: ln, TLSCert: cfg.TLSCert, TLSKey: cfg.TLSKey}
	if !cfg.UI {
		return lc, nil
	}
	p, err := ui.New(ui.Config{Log: s, Store: st, API: s, Now: now, Logger: logger, PackDir: cfg.Packs, TrustRoots: roots, Bundles: sigstore.PolicyVerifier{}})
	if err != nil {
		return lc, err
	}
	lc.Handler = p
	return lc, nil
}

// portalWarning is the warning serve prints when the portal is served
// without TLS on an address other hosts can reach, or "".
func portalWarning(cfg serveConfig, addr net.Addr) string {
	if !cfg.UI || cfg.TLSCert != "" {
		return ""
	}
	if a, ok := addr.(*net.TCPAddr); ok && a.IP.IsLoopback() {
		return ""
	}
	return fmt.Sprintf("consign: warning: the inspection portal is served without TLS on %s: inspectors' tokens and session cookies cross the network in clear; give --tls-cert and --tls-key\n", addr)
}
