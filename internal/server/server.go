package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// Limits bounds what one client may send and how much work it may queue.
// Zero fields take the defaults of internal/limits.
type Limits struct {
	// MaxBody bounds a publish request's body, in bytes.
	MaxBody int64
	// MaxBatch bounds the envelopes of one publish request.
	MaxBatch int
	// MaxEnvelope bounds one envelope, in bytes.
	MaxEnvelope int
	// MaxInFlight bounds the bytes of publish bodies held at once over all
	// requests; a request whose body would pass it is answered 503 with
	// Retry-After. It defaults to [limits.PublishInFlight], or three times
	// MaxBody if that is more.
	MaxInFlight int64
	// TokenInFlight bounds the bytes of publish bodies one token holds at
	// once, over all its requests, and TokenRequests its publishes in
	// flight: a token that spreads slow bodies over many connections holds
	// no more than these, and the rest of MaxInFlight stays for the
	// others. A request past either is answered 429 with Retry-After, and
	// a body over TokenInFlight by itself 413. TokenInFlight defaults to a
	// third of MaxInFlight, so that two tokens at their limit leave as
	// much to the others; it may be at most half of MaxInFlight (see
	// [Limits.Validate]), so that no one token holds most of the server.
	TokenInFlight int64
	TokenRequests int
	// Rate is the envelopes per second one token may publish (and reads per
	// second, when reads need a token); Burst is its bucket. A negative Rate
	// disables rate limiting.
	Rate  float64
	Burst int
	// Queue bounds the publish requests waiting for the log; past it the
	// server answers 503.
	Queue int
	// AppendBatch is the most entries the log appends in one transaction.
	AppendBatch int
	// Timeouts of the HTTP server [Start] runs: ReadHeaderTimeout bounds a
	// request's header; ReadTimeout the whole request and WriteTimeout its
	// answer, except a publish's, whose deadlines move with its body (see
	// BodyIdle and CheckRate); IdleTimeout a kept-alive connection's wait
	// for its next request.
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// BodyIdle and BodyRate bound how slowly a publish body may arrive: it
	// is cut off once no byte has come for BodyIdle, or, after its first
	// BodyIdle, once it has come at less than BodyRate bytes a second on
	// average. Within both it may take as long as it needs.
	BodyIdle time.Duration
	BodyRate int64
	// CheckRate is the slowest pace, in bytes of body a second, the checks
	// of a publish are given: its answer is due within WriteTimeout plus
	// the body's size at CheckRate after the body was read.
	CheckRate int64
}

func (l *Limits) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	if l.MaxBody <= 0 {
		l.MaxBody = limits.PublishBody
	}
	def(&l.MaxBatch, limits.PublishBatch)
	def(&l.MaxEnvelope, limits.LogEnvelope)
	if l.MaxInFlight <= 0 {
		l.MaxInFlight = max(limits.PublishInFlight, 3*l.MaxBody)
	}
	if l.TokenInFlight <= 0 {
		l.TokenInFlight = l.MaxInFlight / 3
	}
	def(&l.TokenRequests, limits.PublishTokenRequests)
	if l.Rate == 0 {
		l.Rate = limits.PublishRate
	}
	def(&l.Burst, limits.PublishBurst)
	def(&l.Queue, 4096)
	def(&l.AppendBatch, 512)
	if l.BodyRate <= 0 {
		l.BodyRate = limits.PublishBodyRate
	}
	if l.CheckRate <= 0 {
		l.CheckRate = limits.PublishCheckRate
	}
	for p, d := range map[*time.Duration]time.Duration{&l.ReadHeaderTimeout: 10 * time.Second, &l.ReadTimeout: time.Minute, &l.WriteTimeout: time.Minute, &l.IdleTimeout: 2 * time.Minute, &l.BodyIdle: limits.PublishBodyIdle} {
		if *p <= 0 {
			*p = d
		}
	}
}

// Config configures a [Server].
type Config struct {
	// Store holds the log and the tokens.
	Store Store
	// Signer signs checkpoints with the log's key; its origin is the log's.
	Signer *tlog.Signer
	// ReadTokenRequired restricts reads to tokens, and to their products.
	ReadTokenRequired bool
	Limits            Limits
	// Now is the log's clock; nil means time.Now.
	Now func() time.Time
	// Logger receives the server's own errors; nil discards them.
	Logger *slog.Logger
}

// Validate rejects configurations that cannot run, and limits that
// [Limits.Validate] rejects.
func (c *Config) Validate() error {
	if c.Store == nil {
		return errors.New("server: no store")
	}
	if c.Signer == nil {
		return errors.New("server: no log signer")
	}
	return c.Limits.Validate()
}

// Validate rejects a token's share of the bytes in flight that makes no
// sense with the server's, their defaults taken for zero fields: none (a
// third of a server's total under 3 bytes), one over the server's total (the server's would refuse first), or over half of
// it (one token could hold most of the server, and two all of it: every
// other token's publish answered 503). It returns an error wrapping
// [ErrLimits].
func (l Limits) Validate() error {
	l.setDefaults()
	switch {
	case l.TokenInFlight <= 0:
		// A third of a MaxInFlight under 3 bytes: every publish would
		// be refused as over the token's share.
		return fmt.Errorf("%w: a token's bytes in flight are 0 (a third of the server's %d): no publish could be accepted", ErrLimits, l.MaxInFlight)
	case l.TokenInFlight > l.MaxInFlight:
		return fmt.Errorf("%w: a token's bytes in flight (%d) are over the server's (%d)", ErrLimits, l.TokenInFlight, l.MaxInFlight)
	case l.TokenInFlight > l.MaxInFlight/2:
		return fmt.Errorf("%w: a token's bytes in flight (%d) are over half the server's (%d): two tokens could hold all of it", ErrLimits, l.TokenInFlight, l.MaxInFlight)
	}
	return nil
}

// Server is the HTTP API over a store and a log key. It is an http.Handler.
type Server struct {
	cfg     Config
	trees   TreeReader
	entries EntryReader
	tokens  TokenFinder
	mux     *http.ServeMux
	seq     *sequencer
	limiter *limiter
	log     *slog.Logger
	hashes  *hashCache
	keys    keyCache
	// principals are the tokens publishes presented, checked again by the
	// sequencer before their entries are appended.
	principals principalCache
	cpu        chan struct{} // a slot per CPU for checking envelopes
	// inFlight counts the bytes of publish bodies read and not yet released.
	inFlight atomic.Int64
	// tokenLoads counts each token's publishes and body bytes in flight.
	tokenLoads tokenLoads

	// knownSize is the largest tree size this server has seen.
	knownSize atomic.Int64

	cpMu   sync.Mutex
	cpTree store.Tree
	cpNote []byte

	history checkpointHistory
}

// New makes a server. It pins the store to the signer's log: a store that
// already belongs to another origin or key is an error wrapping
// [store.ErrIdentity], so that two keys never sign one log.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Limits.setDefaults()
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	id := store.Identity{Origin: cfg.Signer.Origin(), Key: cfg.Signer.VerifierKey()}
	if err := cfg.Store.SetLogIdentity(ctx, id); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, trees: cfg.Store, entries: cfg.Store, tokens: cfg.Store, mux: http.NewServeMux(), log: cfg.Logger, hashes: newHashCache(1 << 18), cpu: make(chan struct{}, runtime.GOMAXPROCS(0))}
	if cfg.Limits.Rate > 0 {
		s.limiter = newLimiter(cfg.Limits.Rate, float64(cfg.Limits.Burst))
	}
	// The whole batch's new hashes go to the cache before any request of
	// it is answered, so that every receipt is proved from memory.
	s.seq = newSequencer(cfg.Store, cfg.Now, cfg.Limits.Queue, cfg.Limits.AppendBatch, time.Minute, cfg.Limits.CheckRate, s.stillValid, func(a []store.Appended, t store.Tree) {
		s.cacheHashes(a)
		s.sawSize(t.Size)
	})
	s.routes()
	return s, nil
}

// Close stops the sequencer; requests still queued fail. It does not close the store.
func (s *Server) Close() { s.seq.close() }

// Origin is the log's origin.
func (s *Server) Origin() string { return s.cfg.Signer.Origin() }

func (s *Server) now() time.Time { return s.cfg.Now() }

type handler func(w http.ResponseWriter, r *http.Request) error

func (s *Server) handle(pattern string, h handler) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, s.log, err)
		}
	})
}

func (s *Server) routes() {
	s.handle("POST /api/v1/attestations", s.publish)
	s.handle("GET /api/v1/attestations", s.attestations)
	s.handle("GET /api/v1/entries/{index}", s.entry)
	s.handle("GET /api/v1/log/checkpoint", s.checkpoint)
	s.handle("GET /api/v1/log/key", s.key)
	s.handle("GET /api/v1/log/proof/inclusion", s.inclusion)
	s.handle("GET /api/v1/log/proof/consistency", s.consistency)
	s.handle("/", func(http.ResponseWriter, *http.Request) error { return api.ErrNotFound })
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A panic in a handler is a 500 and a log line, never a dead server.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			writeError(w, s.log, fmt.Errorf("panic: %v", v))
		}
	}()
	s.mux.ServeHTTP(w, r)
}

// tree reads the log's tree.
func (s *Server) tree(ctx context.Context) (store.Tree, error) {
	t, err := s.trees.Tree(ctx)
	if err == nil {
		s.sawSize(t.Size)
	}
	return t, err
}

// sawSize records that the log has at least n entries.
func (s *Server) sawSize(n int64) {
	for {
		old := s.knownSize.Load()
		if n <= old || s.knownSize.CompareAndSwap(old, n) {
			return
		}
	}
}

// signedCheckpoint signs the checkpoint of tree, reusing the last signature
// for the same tree.
func (s *Server) signedCheckpoint(tree store.Tree) ([]byte, error) {
	s.cpMu.Lock()
	defer s.cpMu.Unlock()
	if s.cpNote != nil && s.cpTree == tree {
		return s.cpNote, nil
	}
	note, err := s.cfg.Signer.Sign(tlog.Checkpoint{Origin: s.Origin(), Size: uint64(tree.Size), Root: tree.Root})
	if err != nil {
		return nil, err
	}
	s.cpTree, s.cpNote = tree, note
	return note, nil
}

// hashCache keeps stored hashes read from the database. A stored hash never
// changes once committed, so the cache needs no invalidation; it only
// forgets everything when full.
type hashCache struct {
	mu  sync.RWMutex
	max int
	m   map[int64]tlog.Hash
}

func newHashCache(max int) *hashCache { return &hashCache{max: max, m: make(map[int64]tlog.Hash)} }

// reader is a HashReader over the store through the cache.
func (s *Server) reader(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(indexes))
		var missing []int64
		var at []int
		s.hashes.mu.RLock()
		for i, x := range indexes {
			if h, ok := s.hashes.m[x]; ok {
				out[i] = h
			} else {
				missing = append(missing, x)
				at = append(at, i)
			}
		}
		s.hashes.mu.RUnlock()
		if len(missing) == 0 {
			return out, nil
		}
		got, err := s.trees.ReadHashes(ctx, missing)
		if err != nil {
			return nil, err
		}
		s.hashes.mu.Lock()
		if len(s.hashes.m)+len(got) > s.hashes.max {
			clear(s.hashes.m)
		}
		for i, h := range got {
			out[at[i]] = h
			s.hashes.m[missing[i]] = h
		}
		s.hashes.mu.Unlock()
		return out, nil
	})
}

// cacheHashes keeps the stored hashes an append wrote.
func (s *Server) cacheHashes(appended []store.Appended) {
	s.hashes.mu.Lock()
	defer s.hashes.mu.Unlock()
	for _, a := range appended {
		if len(a.Hashes) == 0 {
			continue
		}
		if len(s.hashes.m)+len(a.Hashes) > s.hashes.max {
			clear(s.hashes.m)
		}
		base := tlog.StoredHashCount(a.Index)
		for k, h := range a.Hashes {
			s.hashes.m[base+int64(k)] = h
		}
	}
}

// receipts makes the receipts of the entries at indexes (with their leaves)
// against tree, reading each stored hash at most once.
func (s *Server) receipts(ctx context.Context, tree store.Tree, indexes []int64, leaves [][]byte) ([]*tlog.Receipt, error) {
	note, err := s.signedCheckpoint(tree)
	if err != nil {
		return nil, err
	}
	if len(indexes) == 1 {
		// One proof reads its hashes once anyway (tlog.ProveInclusion
		// asks for all of them in one call): no first pass.
		p, err := tlog.ProveInclusion(indexes[0], tree.Size, s.reader(ctx))
		if err != nil {
			return nil, err
		}
		return []*tlog.Receipt{{Origin: s.Origin(), Index: uint64(indexes[0]), Leaf: string(leaves[0]), Proof: p, Checkpoint: string(note)}}, nil
	}
	// First pass: learn which hashes the proofs need; then read them all at once.
	need := map[int64]bool{}
	record := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		for _, x := range idx {
			need[x] = true
		}
		return make([]tlog.Hash, len(idx)), nil
	})
	for _, i := range indexes {
		if _, err := tlog.ProveInclusion(i, tree.Size, record); err != nil {
			return nil, err
		}
	}
	all := make([]int64, 0, len(need))
	for x := range need {
		all = append(all, x)
	}
	hashes, err := s.reader(ctx).ReadHashes(all)
	if err != nil {
		return nil, err
	}
	byIndex := make(map[int64]tlog.Hash, len(all))
	for i, x := range all {
		byIndex[x] = hashes[i]
	}
	mem := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = byIndex[x]
		}
		return out, nil
	})
	out := make([]*tlog.Receipt, len(indexes))
	for k, i := range indexes {
		p, err := tlog.ProveInclusion(i, tree.Size, mem)
		if err != nil {
			return nil, err
		}
		out[k] = &tlog.Receipt{Origin: s.Origin(), Index: uint64(i), Leaf: string(leaves[k]), Proof: p, Checkpoint: string(note)}
	}
	return out, nil
}
