package oci

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/consign-dev/consign/internal/limits"
)

// Mode says where writes attach signatures and attestations.
type Mode string

const (
	// ModeReferrers writes OCI 1.1 referrers, and the referrers tag schema
	// index where the registry lacks the referrers API.
	ModeReferrers Mode = "referrers"
	// ModeTag writes cosign's tag scheme (sha256-HEX.sig, .att).
	ModeTag Mode = "tag"
	// ModeBoth writes both.
	ModeBoth Mode = "both"
)

// ParseMode reads an attach mode; "" is [ModeReferrers]. Any other value is
// an error wrapping [ErrMode].
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "":
		return ModeReferrers, nil
	case ModeReferrers, ModeTag, ModeBoth:
		return Mode(s), nil
	}
	return "", fmt.Errorf("%w %q: use referrers, tag or both", ErrMode, s)
}

// Limits caps what consign reads from a registry. Zero fields take the
// defaults of [limits].
type Limits struct {
	Manifest  int64 // bytes of one manifest or index
	Blob      int64 // bytes of one attached layer (signature payload, envelope, SBOM)
	Referrers int   // entries of one referrers index
	Layers    int   // layers of one attachment manifest
}

func (l Limits) withDefaults() Limits {
	if l.Manifest <= 0 {
		l.Manifest = limits.OCIManifest
	}
	if l.Blob <= 0 {
		l.Blob = limits.OCIBlob
	}
	if l.Referrers <= 0 {
		l.Referrers = limits.OCIReferrers
	}
	if l.Layers <= 0 {
		l.Layers = limits.OCILayers
	}
	return l
}

// Options configures a [Client]. The zero value reads credentials from the
// Docker configuration and its credential helpers, speaks HTTPS only, and
// writes referrers.
type Options struct {
	// Username and Password, when set, are used instead of the keychain.
	Username, Password string
	// Keychain finds credentials; nil is go-containerregistry's default
	// keychain (DOCKER_CONFIG, ~/.docker/config.json, credential helpers).
	Keychain authn.Keychain
	// Insecure allows plain HTTP. Without it a request over HTTP fails with
	// [ErrInsecure], loopback registries included.
	Insecure bool
	// Transport is the base HTTP transport; nil is remote.DefaultTransport.
	Transport http.RoundTripper
	// Mode says where writes go; "" is [ModeReferrers].
	Mode   Mode
	Limits Limits
	// Backoff is the first wait before retrying a 429 or 5xx answer (it
	// doubles each time); Retries is how many attempts are made in all.
	// Zero values mean 200ms and 4.
	Backoff time.Duration
	Retries int
}

// Client talks to registries. It keeps one authenticated session per
// repository it reads, and is safe for concurrent use.
type Client struct {
	opts     Options
	base     http.RoundTripper // scheme guard and retries, under authentication
	sessions sync.Map          // repository name -> *session
}

// New makes a client. It returns an error wrapping [ErrMode] for a bad mode,
// or an error when only one of Username and Password is set.
func New(opts Options) (*Client, error) {
	if (opts.Username == "") != (opts.Password == "") {
		return nil, errors.New("registry credentials need both a username and a password")
	}
	mode, err := ParseMode(string(opts.Mode))
	if err != nil {
		return nil, err
	}
	opts.Mode = mode
	opts.Limits = opts.Limits.withDefaults()
	if opts.Backoff <= 0 {
		opts.Backoff = 200 * time.Millisecond
	}
	if opts.Retries <= 0 {
		opts.Retries = 4
	}
	if opts.Keychain == nil {
		opts.Keychain = authn.DefaultKeychain
	}
	rt := opts.Transport
	if rt == nil {
		rt = remote.DefaultTransport
	}
	if !opts.Insecure {
		rt = httpsOnly{rt}
	}
	rt = transport.NewRetry(rt,
		transport.WithRetryBackoff(transport.Backoff{Duration: opts.Backoff, Factor: 2, Jitter: 0.1, Steps: opts.Retries}),
		transport.WithRetryStatusCodes(retryCodes...))
	return &Client{opts: opts, base: rt}, nil
}

var retryCodes = []int{http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
	http.StatusServiceUnavailable, http.StatusGatewayTimeout}

// httpsOnly refuses plain HTTP unless the client was built Insecure.
type httpsOnly struct{ next http.RoundTripper }

func (h httpsOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "https" {
		return nil, fmt.Errorf("%w: %s", ErrInsecure, r.URL.Host)
	}
	return h.next.RoundTrip(r)
}

// ParseReference parses an image reference (HOST/REPO:TAG or
// HOST/REPO@sha256:HEX), with plain HTTP when the client is Insecure.
func (c *Client) ParseReference(s string) (name.Reference, error) {
	var opts []name.Option
	if c.opts.Insecure {
		opts = append(opts, name.Insecure)
	}
	ref, err := name.ParseReference(s, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %v", ErrReference, s, err)
	}
	return ref, nil
}

func (c *Client) authenticator(repo name.Repository) (authn.Authenticator, error) {
	if c.opts.Username != "" {
		return authn.FromConfig(authn.AuthConfig{Username: c.opts.Username, Password: c.opts.Password}), nil
	}
	a, err := c.opts.Keychain.Resolve(repo)
	if err != nil {
		return nil, fmt.Errorf("reading credentials for %s: %w", repo.RegistryStr(), err)
	}
	return a, nil
}

// remoteOptions are the options for go-containerregistry's remote package.
func (c *Client) remoteOptions(ctx context.Context, repo name.Repository) ([]remote.Option, error) {
	a, err := c.authenticator(repo)
	if err != nil {
		return nil, err
	}
	rt := c.opts.Transport
	if rt == nil {
		rt = remote.DefaultTransport
	}
	if !c.opts.Insecure {
		rt = httpsOnly{rt}
	}
	return []remote.Option{
		remote.WithContext(ctx), remote.WithAuth(a), remote.WithTransport(rt),
		remote.WithRetryBackoff(remote.Backoff{Duration: c.opts.Backoff, Factor: 2, Jitter: 0.1, Steps: c.opts.Retries}),
		remote.WithRetryStatusCodes(retryCodes...),
	}, nil
}

// classify turns a registry failure into one of the package's errors,
// naming what was asked for.
func classify(err error, what string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrUntrusted) || errors.Is(err, ErrInsecure) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", what, err)
	}
	var te *transport.Error
	if errors.As(err, &te) {
		return statusError(te.StatusCode, what, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrRegistry, what, err)
}

func statusError(code int, what string, cause error) error {
	var sentinel error
	switch code {
	case http.StatusUnauthorized:
		sentinel = ErrUnauthorized
	case http.StatusForbidden:
		sentinel = ErrDenied
	case http.StatusNotFound:
		sentinel = ErrNotFound
	default:
		sentinel = ErrRegistry
	}
	if cause != nil {
		return fmt.Errorf("%w: %s: %v", sentinel, what, cause)
	}
	return fmt.Errorf("%w: %s: HTTP %d", sentinel, what, code)
}
