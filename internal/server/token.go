package server

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/tlog"
)

// TokenPrefix starts every token, so that secret scanners can find leaked ones.
const TokenPrefix = "consign_"

// TokenConfig is what [CreateToken] makes a token for.
type TokenConfig struct {
	Name string
	// Products the token may publish and read for; at least one.
	Products []string
	// Keys are PEM public keys the token may publish signatures of; none
	// makes a token that can only read. At most [limits.TokenKeys]
	// distinct keys.
	Keys [][]byte
	// Role is empty, or [store.RoleInspector] for a token that signs in to
	// the inspection portal: it must expire, and its keys (if any) are the
	// inspector's own, whose signed findings the portal accepts.
	Role string
	// Expires, when not zero, is when the token stops being valid.
	Expires time.Time
	Now     func() time.Time
}

// CreateToken makes a token, stores its hash in tokens and returns the
// secret, which is shown once and stored nowhere. The secret is
// TokenPrefix followed by 32 random bytes in unpadded base64url. A
// config of more than [limits.TokenKeys] distinct keys is refused with an
// error wrapping [ErrTokenConfig] that names the bound.
func CreateToken(ctx context.Context, tokens TokenCreator, cfg TokenConfig) (secret string, t *store.Token, err error) {
	if len(cfg.Products) == 0 {
		return "", nil, fmt.Errorf("%w: a token needs at least one product", ErrTokenConfig)
	}
	for _, p := range cfg.Products {
		if !validProduct(p) {
			return "", nil, fmt.Errorf("%w: product name %q (letters, digits, '.', '_', '-', at most 128)", ErrTokenConfig, p)
		}
	}
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	if err := checkRole(cfg, now()); err != nil {
		return "", nil, err
	}
	t = &store.Token{Name: cfg.Name, Products: slices.Compact(slices.Sorted(slices.Values(cfg.Products))), Role: cfg.Role, Expires: cfg.Expires.UTC()}
	if cfg.Expires.IsZero() {
		t.Expires = time.Time{}
	}
	seen := map[string]bool{}
	for _, k := range cfg.Keys {
		pub, err := sign.ParsePublicKey(k)
		if err != nil {
			return "", nil, err
		}
		id, err := sign.KeyID(pub)
		if err != nil {
			return "", nil, err
		}
		if seen[id] {
			continue
		}
		if len(seen) == limits.TokenKeys {
			return "", nil, fmt.Errorf("%w: a token may name at most %d keys, and %d are given (or more, counted once each): make several tokens, each with the keys of one pipeline or team", ErrTokenConfig, limits.TokenKeys, countKeys(cfg.Keys))
		}
		seen[id] = true
		pemKey, err := sign.MarshalPublicKey(pub)
		if err != nil {
			return "", nil, err
		}
		t.Keys = append(t.Keys, string(pemKey))
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", nil, err
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	t.Hash = HashToken(secret)
	t.ID = hex.EncodeToString(t.Hash[:8])
	t.Created = now().UTC()
	if err := tokens.CreateToken(ctx, t); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// countKeys is how many distinct keys the PEM keys pems name, ignoring
// any that do not parse.
func countKeys(pems [][]byte) int {
	ids := map[string]bool{}
	for _, k := range pems {
		if pub, err := sign.ParsePublicKey(k); err == nil {
			if id, err := sign.KeyID(pub); err == nil {
				ids[id] = true
			}
		}
	}
	return len(ids)
}

// checkRole checks a token's role and expiry: an inspector token has an
// expiry; no token is made already expired.
func checkRole(cfg TokenConfig, now time.Time) error {
	switch cfg.Role {
	case "":
	case store.RoleInspector:
		if cfg.Expires.IsZero() {
			return fmt.Errorf("%w: an inspector token needs an expiry", ErrTokenConfig)
		}
	default:
		return fmt.Errorf("%w: unknown token role %q (the one role is %q)", ErrTokenConfig, cfg.Role, store.RoleInspector)
	}
	if !cfg.Expires.IsZero() && !cfg.Expires.After(now) {
		return fmt.Errorf("%w: the token would expire at %s, which is not after now", ErrTokenConfig, cfg.Expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// valid reports whether t may be used at now: not revoked, not expired.
func valid(t *store.Token, now time.Time) bool {
	return t.Revoked.IsZero() && (t.Expires.IsZero() || now.Before(t.Expires))
}

// ParseToken checks that secret has the shape of a token and returns its
// hash; a malformed secret is [api.ErrUnauthorized], before any lookup.
func ParseToken(secret string) (tlog.Hash, error) {
	if !wellFormed(secret) {
		return tlog.Hash{}, api.ErrUnauthorized
	}
	return HashToken(secret), nil
}

// Inspector returns the inspector token whose secret hashes to h if it is
// valid now (an inspector's role, not revoked, not expired); any other
// token, or none, is [api.ErrUnauthorized], all alike. It reads the token
// from the store every time, so a revocation holds from the next call.
func (s *Server) Inspector(ctx context.Context, h tlog.Hash) (*store.Token, error) {
	t, err := s.tokens.TokenByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, api.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if t.Role != store.RoleInspector || !valid(t, s.now()) {
		return nil, api.ErrUnauthorized
	}
	return t, nil
}

// tokenLen is the length of every token CreateToken makes.
var tokenLen = len(TokenPrefix) + base64.RawURLEncoding.EncodedLen(32)

// wellFormed reports whether secret has the shape of a token CreateToken
// makes: TokenPrefix and 43 characters of unpadded base64url.
func wellFormed(secret string) bool {
	if len(secret) != tokenLen || !strings.HasPrefix(secret, TokenPrefix) {
		return false
	}
	for _, c := range []byte(secret[len(TokenPrefix):]) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// HashToken is the SHA-256 of a token's secret, which is all the database keeps.
func HashToken(secret string) tlog.Hash { return sha256.Sum256([]byte(secret)) }

func validProduct(p string) bool {
	if p == "" || len(p) > 128 {
		return false
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// principal is an authenticated token with its keys parsed.
type principal struct {
	token *store.Token
	hash  tlog.Hash // of the token's secret
	keys  []*sign.Verifier
}

func (p *principal) may(product string) bool { return slices.Contains(p.token.Products, product) }

// authenticate reads the bearer token of r. No token is (nil, nil); an
// unknown, malformed, revoked or expired token, and an inspector's token,
// are api.ErrUnauthorized, all alike.
//
// Every call reads the token's row from the database, so a revocation
// holds for the next request of any server over that database; only the
// parsed public keys are cached, by their PEM text.
func (s *Server) authenticate(ctx context.Context, r *http.Request) (*principal, error) {
	return s.authenticateWith(ctx, r, false)
}

// authenticatePublish is authenticate for a publish, which may take the
// token from the server's cache of tokens it accepted: the sequencer reads
// the token's row again right before appending the request's entries (see
// [Server.stillValid]), so a revocation still holds for every publish that
// starts after it, at the cost of one read per token per group instead of
// one per request.
func (s *Server) authenticatePublish(ctx context.Context, r *http.Request) (*principal, error) {
	return s.authenticateWith(ctx, r, true)
}

func (s *Server) authenticateWith(ctx context.Context, r *http.Request, cached bool) (*principal, error) {
	header := r.Header.Get("Authorization")
	if header == "" {
		return nil, nil
	}
	secret, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || !wellFormed(secret) {
		// Checked before any hashing or lookup: a malformed token costs
		// the server nothing, and is answered as an unknown one.
		return nil, api.ErrUnauthorized
	}
	h := HashToken(secret)
	if cached {
		if p := s.principals.get(h); p != nil && usable(p.token, s.now()) {
			return p, nil
		}
	}
	t, err := s.lookupToken(ctx, h)
	if err != nil {
		return nil, err
	}
	p := &principal{token: t, hash: h, keys: make([]*sign.Verifier, 0, len(t.Keys))}
	for _, k := range t.Keys {
		v, err := s.keys.verifier(k)
		if err != nil {
			return nil, fmt.Errorf("token %s has a bad key: %v", t.ID, err)
		}
		p.keys = append(p.keys, v)
	}
	s.principals.put(h, p)
	return p, nil
}

// usable reports whether the API accepts t at now. An inspector's token
// signs in to the portal, where every view is recorded; the API answers it
// as it answers an unknown token.
func usable(t *store.Token, now time.Time) bool {
	return valid(t, now) && t.Role != store.RoleInspector
}

// lookupToken reads the token whose secret hashes to h from the database:
// api.ErrUnauthorized unless the API may use it now.
func (s *Server) lookupToken(ctx context.Context, h tlog.Hash) (*store.Token, error) {
	t, err := s.tokens.TokenByHash(ctx, h)
	if errors.Is(err, store.ErrNotFound) {
		return nil, api.ErrUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if !usable(t, s.now()) {
		return nil, api.ErrUnauthorized
	}
	return t, nil
}

// stillValid reads the token of hash h again, for the sequencer, just
// before the entries of requests made with it are appended; a token no
// longer valid leaves the cache, so that its next request is refused
// before its body is read.
func (s *Server) stillValid(ctx context.Context, h tlog.Hash) error {
	_, err := s.lookupToken(ctx, h)
	if err != nil {
		s.principals.drop(h)
	}
	return err
}

// principalCache keeps the principals of tokens publishes presented, by
// their secret's hash, at most principalCacheSize of them.
type principalCache struct {
	mu sync.Mutex
	m  map[tlog.Hash]*principal
}

const principalCacheSize = 4096

func (c *principalCache) get(h tlog.Hash) *principal {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[h]
}

func (c *principalCache) put(h tlog.Hash, p *principal) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= principalCacheSize {
		c.m = map[tlog.Hash]*principal{}
	}
	c.m[h] = p
}

func (c *principalCache) drop(h tlog.Hash) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, h)
}

// keyCache keeps the verifiers of the PEM public keys tokens name. The
// first maxKeyTables Ed25519 keys of each generation of the cache (it
// starts over at keyCacheSize keys) verify from precomputed multiples of
// the key ([sign.Verifier.Precomputed]: 96 KiB each, 0.35x the CPU per
// signature, the largest part of a publish's), while fewer than
// 2·maxKeyTables tables are alive: principals keep the verifiers of their
// tokens, of as many generations as the principals cached name, and a
// table is counted off only once its verifier is collected, so the tables
// alive take at most 2·maxKeyTables·96 KiB (24 MiB) however many
// generations principals span.
//
// A verifier is made, and its table built, outside mu: requests for other
// keys go on meanwhile. Requests for a key being made wait for that one
// verifier, so a key has one table, never one per request that asked.
type keyCache struct {
	mu     sync.Mutex
	m      map[string]*sign.Verifier
	making map[string]*keyMaking // keys a request is making a verifier of
	gen    int                   // generation, counted up at each start over
	tables int                   // made (or being made) in this generation
	live   atomic.Int64          // made or being made, and not yet collected
}

// keyMaking is a verifier one request makes, which others wait for.
type keyMaking struct {
	done chan struct{} // closed once v and err are set
	v    *sign.Verifier
	err  error
}

const (
	maxKeyTables = 128
	keyCacheSize = 4096
)

// testOnlyBuildingTable, set by tests only, is called while a request
// builds a key's table.
var testOnlyBuildingTable func()

func (c *keyCache) verifier(pemKey string) (*sign.Verifier, error) {
	c.mu.Lock()
	if v, ok := c.m[pemKey]; ok {
		c.mu.Unlock()
		return v, nil
	}
	if mk, ok := c.making[pemKey]; ok {
		c.mu.Unlock()
		<-mk.done
		return mk.v, mk.err
	}
	if c.making == nil {
		c.making = map[string]*keyMaking{}
	}
	mk := &keyMaking{done: make(chan struct{})}
	c.making[pemKey] = mk
	c.mu.Unlock()

	mk.v, mk.err = c.make(pemKey)
	c.mu.Lock()
	delete(c.making, pemKey)
	if mk.err == nil {
		switch {
		case c.m == nil:
			c.m = map[string]*sign.Verifier{}
		case len(c.m) >= keyCacheSize:
			c.m = map[string]*sign.Verifier{}
			c.gen++
			c.tables = 0
		}
		c.m[pemKey] = mk.v
	}
	c.mu.Unlock()
	close(mk.done)
	return mk.v, mk.err
}

// make makes the verifier of pemKey, with a table if the cache's bounds
// allow one more: it is reserved under mu, and built outside it.
func (c *keyCache) make(pemKey string) (*sign.Verifier, error) {
	pub, err := sign.ParsePublicKey([]byte(pemKey))
	if err != nil {
		return nil, err
	}
	v, err := sign.NewVerifier(pub)
	if err != nil {
		return nil, err
	}
	if _, ok := pub.(ed25519.PublicKey); !ok {
		return v, nil
	}
	c.mu.Lock()
	gen, reserved := c.gen, c.tables < maxKeyTables && c.live.Load() < 2*maxKeyTables
	if reserved {
		c.tables++
		c.live.Add(1)
	}
	c.mu.Unlock()
	if !reserved {
		return v, nil
	}
	if testOnlyBuildingTable != nil {
		testOnlyBuildingTable()
	}
	p := v.Precomputed()
	if p == v { // no table here (FIPS 140-3 mode): give the reservation back
		c.live.Add(-1)
		c.mu.Lock()
		if c.gen == gen {
			c.tables--
		}
		c.mu.Unlock()
		return v, nil
	}
	runtime.AddCleanup(p, func(live *atomic.Int64) { live.Add(-1) }, &c.live)
	return p, nil
}

// readScope is the products a read may see: nil for all (open reads), the
// token's products when reads need a token.
func (s *Server) readScope(ctx context.Context, r *http.Request) ([]string, error) {
	if !s.cfg.ReadTokenRequired {
		return nil, nil
	}
	p, err := s.authenticate(ctx, r)
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, api.ErrUnauthorized
	}
	if wait := s.limiter.take(p.token.ID, 1, s.now()); wait > 0 {
		return nil, &retryError{api.ErrRateLimited, wait}
	}
	return p.token.Products, nil
}
