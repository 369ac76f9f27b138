package tufroot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/consign-dev/consign/internal/redact"
)

// Errors returned by [Fetch].
var (
	// ErrConfig means the options are unusable: no cache directory, a
	// repository URL that is not http(s), an empty TUF root.
	ErrConfig = errors.New("invalid trust root update options")
	// ErrFetch means the TUF repository could not be read: the
	// connection failed, or a file it must have is missing.
	ErrFetch = errors.New("reading TUF repository")
	// ErrTUF means the TUF repository did not verify: a signature below
	// threshold, expired metadata, a version older than one seen before,
	// a target whose hash does not match.
	ErrTUF = errors.New("TUF repository not verified")
	// ErrTrustedRoot means the target verified through TUF but is not a
	// Sigstore trusted root.
	ErrTrustedRoot = errors.New("TUF target is not a sigstore trusted root")
)

// DefaultURL is the public-good instance's TUF repository.
const DefaultURL = tuf.DefaultMirror

// Target is the TUF target name of the trusted root.
const Target = "trusted_root.json"

// Config is what [Fetch] needs.
type Config struct {
	// URL is the TUF repository's base URL; empty means [DefaultURL].
	URL string
	// Root is the TUF root.json to start from; empty means the
	// public-good instance's, as sigstore-go embeds it.
	Root []byte
	// CacheDir keeps the metadata seen, per repository URL, so that a
	// later fetch refuses older metadata. Required.
	CacheDir string
	// Client makes the requests; nil means http.DefaultClient.
	Client *http.Client
}

// Validate reports an [ErrConfig] for unusable options.
func (c *Config) Validate() error {
	if c.CacheDir == "" {
		return fmt.Errorf("%w: no cache directory", ErrConfig)
	}
	if c.URL != "" {
		u, err := url.Parse(c.URL)
		if err == nil && u.Scheme == "" {
			return fmt.Errorf("%w: TUF repository URL %q has no scheme: add http:// or https://", ErrConfig, redactURL(c.URL))
		}
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%w: TUF repository URL %q is not http(s)", ErrConfig, redactURL(c.URL))
		}
	}
	if c.Root != nil && len(c.Root) == 0 {
		return fmt.Errorf("%w: empty TUF root", ErrConfig)
	}
	return nil
}

// Fetch updates the TUF metadata in cfg.CacheDir from the repository,
// verifying it from cfg.Root, and returns the trusted_root.json target,
// checked to parse as a Sigstore trusted root. It returns [ErrConfig],
// [ErrFetch], [ErrTUF] or [ErrTrustedRoot].
func Fetch(ctx context.Context, cfg Config) ([]byte, error) {
	b, _, err := FetchTargets(ctx, cfg)
	return b, err
}

// FetchTargets is [Fetch] that also returns the targets named in extra
// (such as the npm registry's keys, registry.npmjs.org/keys.json), each
// verified through TUF as the trusted root is, in their order. A target
// the repository does not list is an [ErrFetch].
func FetchTargets(ctx context.Context, cfg Config, extra ...string) ([]byte, [][]byte, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	opts := &tuf.Options{
		Root:              cfg.Root,
		CachePath:         cfg.CacheDir,
		RepositoryBaseURL: cfg.URL,
		Fetcher:           &fetcher{ctx: ctx, client: cfg.Client},
	}
	if opts.RepositoryBaseURL == "" {
		opts.RepositoryBaseURL = DefaultURL
	}
	if opts.Root == nil {
		opts.Root = tuf.DefaultRoot()
	}
	// New refreshes: CacheValidity 0 and no ForceCache mean the whole
	// client workflow runs against the repository every time.
	c, err := tuf.New(opts)
	if err != nil {
		return nil, nil, tufError(err)
	}
	b, err := c.GetTarget(Target)
	if err != nil {
		return nil, nil, tufError(err)
	}
	if _, err := root.NewTrustedRootFromJSON(b); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrTrustedRoot, err)
	}
	out := make([][]byte, len(extra))
	for i, name := range extra {
		if out[i], err = c.GetTarget(name); err != nil {
			// go-tuf says a target its verified metadata does not list
			// with an untyped error; the test pins its wording.
			if strings.HasSuffix(err.Error(), "target "+name+" not found") {
				return nil, nil, fmt.Errorf("%w: the repository lists no target %s", ErrFetch, name)
			}
			return nil, nil, tufError(err)
		}
	}
	return b, out, nil
}

// tufError tells a repository that could not be read from one that did
// not verify.
func tufError(err error) error {
	var httpErr *metadata.ErrDownloadHTTP
	var urlErr *url.Error
	if errors.As(err, &httpErr) || errors.As(err, &urlErr) {
		return fmt.Errorf("%w: %v", ErrFetch, err)
	}
	return fmt.Errorf("%w: %v", ErrTUF, err)
}

// fetcher is go-tuf's Fetcher over an http.Client, bound to ctx so that
// an interrupt stops a download.
type fetcher struct {
	ctx    context.Context
	client *http.Client
}

// DownloadFile reads at most maxLength bytes from u.
func (f *fetcher) DownloadFile(u string, maxLength int64, _ time.Duration) ([]byte, error) {
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	c := f.client
	if c == nil {
		c = http.DefaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		// go-tuf stops walking root versions at a 404 or 403.
		return nil, &metadata.ErrDownloadHTTP{StatusCode: res.StatusCode, URL: redactURL(u)}
	}
	if n, err := strconv.ParseInt(res.Header.Get("Content-Length"), 10, 64); err == nil && n > maxLength {
		return nil, &metadata.ErrDownloadLengthMismatch{Msg: fmt.Sprintf("%s is %d bytes, more than %d", redactURL(u), n, maxLength)}
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxLength+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > maxLength {
		return nil, &metadata.ErrDownloadLengthMismatch{Msg: fmt.Sprintf("%s is more than %d bytes", redactURL(u), maxLength)}
	}
	return b, nil
}

// redactURL hides credentials a URL may carry.
func redactURL(u string) string {
	s, _ := redact.String(u)
	return s
}
