package ui

import (
	"context"
	"crypto"
	"embed"
	"errors"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// Log is what the portal reads of the log server (a *server.Server).
type Log interface {
	// Inspector returns the valid inspector token whose secret hashes to h,
	// or an error.
	Inspector(ctx context.Context, h tlog.Hash) (*store.Token, error)
	// Checkpoint is the current tree and its signed checkpoint.
	Checkpoint(ctx context.Context) (store.Tree, []byte, error)
	// Receipt is the receipt of a logged entry against the current tree.
	Receipt(ctx context.Context, e *store.Entry) (*tlog.Receipt, error)
	// LogVerifier verifies the log's checkpoints.
	LogVerifier() *tlog.Verifier
	// CheckpointHistory is the last checkpoints the server served, newest
	// first, each with the check of its consistency with the one before.
	CheckpointHistory() []server.CheckpointRecord
	// PublishFinding logs an inspector's signed audit finding about one of
	// the SHA-256 digests in about, for product.
	PublishFinding(ctx context.Context, t *store.Token, product string, line []byte, about []string) (int64, error)
}

// Store is what the portal reads and writes of the database.
type Store interface {
	Entry(ctx context.Context, index int64) (*store.Entry, error)
	Entries(ctx context.Context, q store.Query) ([]*store.Entry, error)
	ProductEntries(ctx context.Context, q store.ProductQuery) ([]*store.Entry, error)
	store.AccessRecord
}

// Config configures [New].
type Config struct {
	Log   Log
	Store Store
	// API serves /api/: the server's own handler.
	API http.Handler
	// PackDir, when set, is a directory of evidence packs ('consign pack'):
	// a release's page shows the pack of its product whose manifest lists
	// the release's artifact, verified with TrustRoots as a customer would
	// (verify-pack), each stage's rules and checks, and offers it for
	// download.
	PackDir string
	// TrustRoots are the product owners' public keys, for the packs.
	TrustRoots []crypto.PublicKey
	// Bundles verifies the keyless Sigstore bundles of a pack, as
	// verify-pack does (the CLI gives internal/sigstore's); nil fails them.
	Bundles verify.BundleVerifier
	// SessionTTL bounds a session's life (and the token's expiry does);
	// zero means 8 hours.
	SessionTTL time.Duration
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Validate rejects a configuration that cannot serve.
func (c *Config) Validate() error {
	if c.Log == nil || c.Store == nil || c.API == nil {
		return errors.New("ui: a log, a store and the API handler are all needed")
	}
	if c.PackDir != "" && len(c.TrustRoots) == 0 {
		return errors.New("ui: a packs directory needs the owners' keys to verify the packs with")
	}
	return nil
}

// Portal is the inspection portal, an http.Handler.
type Portal struct {
	cfg      Config
	mux      *http.ServeMux
	sessions *sessions
	pages    map[string]*template.Template
	log      *slog.Logger
	packs    packCache
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/style.css
var styleCSS []byte

// New makes the portal.
func New(cfg Config) (*Portal, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	p := &Portal{cfg: cfg, mux: http.NewServeMux(), sessions: newSessions(), pages: pages, log: cfg.Logger}
	p.routes()
	return p, nil
}

// contentSecurityPolicy allows the portal's own stylesheet and nothing else:
// no script, no frame, no form posting elsewhere.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP implements http.Handler.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if len(r.URL.Path) >= 5 && r.URL.Path[:5] == "/api/" {
		p.cfg.API.ServeHTTP(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	p.mux.ServeHTTP(w, r)
}

func (p *Portal) routes() {
	p.mux.HandleFunc("GET /static/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write(styleCSS)
	})
	p.mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/products", http.StatusSeeOther)
	})
	p.mux.HandleFunc("GET /signin", p.signinForm)
	p.mux.HandleFunc("POST /signin", p.signin)
	p.handle("POST /signout", p.signout)
	p.handle("GET /products", p.products)
	p.handle("GET /products/{product}", p.product)
	p.handle("GET /products/{product}/releases/{index}", p.release)
	p.handle("POST /products/{product}/releases/{index}/findings", p.recordFinding)
	p.handle("GET /products/{product}/releases/{index}/pack", p.downloadPack)
	p.handle("GET /products/{product}/entries/{index}", p.entry)
	p.handle("GET /products/{product}/entries/{index}/envelope", p.download)
	p.handle("GET /products/{product}/entries/{index}/sbom", p.sbom)
	p.handle("GET /log", p.logPage)
	p.handle("GET /search", p.searchForm)
	p.handle("POST /search", p.search)
	p.handle("GET /access", p.access)
	p.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { p.notFound(w, r, nil) })
}
