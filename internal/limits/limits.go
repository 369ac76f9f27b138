// Package limits holds, in one place, every cap consign puts on untrusted input,
// and the helpers that enforce them before anything is allocated or decoded.
//
// The numbers follow the lessons of security cases 31, 46-48 and 61 (docs/security.md): endless
// data is cut off at a fixed size, counts are checked before loops, and the
// error says which limit was hit so that a user can tell a hostile input from
// an honest one that is merely too large.
package limits

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

const (
	// JSONFile bounds a predicate, policy, key or other small JSON/PEM input read from disk.
	JSONFile = 64 << 20
	// KeyFile bounds a key file.
	KeyFile = 1 << 20
	// Envelope bounds one DSSE envelope (one line of a JSON Lines file). It
	// is sized for the largest honest statement: the link of a step with
	// [Subjects] products and as many materials, each entry's JSON some
	// 100 to 200 bytes, base64-encoded. What is dangerous about a hostile
	// envelope is its bytes, which this bounds (and [AttestationFile] in
	// total), not its count of entries.
	Envelope = 768 << 20
	// AttestationFile bounds a whole .intoto.jsonl file or bundle read for verification.
	AttestationFile = 1 << 30
	// LayoutFile bounds a policy or in-toto layout read from disk.
	LayoutFile = 64 << 20
	// Signatures bounds the signatures on one envelope. Each is tried against
	// every trusted key, so the bound keeps a hostile envelope's cost linear
	// in its size (x/mod note allows 100 on notes of a few hundred bytes;
	// envelopes can be 64 MiB, and real ones carry one to three).
	Signatures = 16
	// TokenKeys bounds the public keys one server token may name (consign
	// admin token create refuses more). A token is one pipeline's or one
	// team's, with a handful of signing keys (a rotation's overlap, a key
	// per stage); every publish of the token parses, and may precompute
	// tables for, all of them. Tokens made with more before the bound
	// still work.
	TokenKeys = 64
	// Subjects bounds the subjects of one statement. Every file of a large build
	// can be a subject (a container image holds up to a million files), so it
	// is far larger than sigstore-go's 1024; a statement with more is refused
	// before any signature check (security case 31 in docs/security.md), and
	// the bytes of one are bounded by [Envelope].
	Subjects = 1_000_000
	// DigestsPerSubject bounds the algorithms in one digest set.
	DigestsPerSubject = 32
	// JSONDepth bounds the nesting of any JSON document consign decodes (security case 61 in docs/security.md).
	JSONDepth = 200
	// PureEd25519Blob bounds a blob read whole to check a pure Ed25519
	// signature over it (the algorithm signs the bytes, not a digest).
	PureEd25519Blob = 512 << 20
	// Envelopes bounds the envelopes read from one file.
	Envelopes = 100_000
)

var (
	// ErrTooLarge is returned when an input is over its limit.
	ErrTooLarge = errors.New("input too large")
	// ErrNotFile is returned when a directory or device is given where a file is read.
	ErrNotFile = errors.New("not a regular file")
)

// ReadFile reads at most max bytes of the file at path. A larger file is an
// error wrapping [ErrTooLarge]; nothing beyond max+1 bytes is ever read.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		if fi.IsDir() {
			return nil, fmt.Errorf("%w: %s is a directory", ErrNotFile, path)
		}
		if fi.Mode().IsRegular() && fi.Size() > max {
			return nil, fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrTooLarge, path, fi.Size(), max)
		}
	}
	return Read(f, max, path)
}

// Open opens the file at path to be read as a stream of at most max
// bytes, refusing a directory, device or socket (anything but a regular
// file or a named pipe, read to its end: /dev/zero would fill a line
// buffer to its cap, gigabytes) with an error wrapping [ErrNotFile] and a
// regular file over max with one wrapping [ErrTooLarge]. The caller bounds
// what it reads (a file can grow) and closes the file.
func Open(path string, max int64) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
	case fi.IsDir():
		err = fmt.Errorf("%w: %s is a directory", ErrNotFile, path)
	case !fi.Mode().IsRegular() && fi.Mode().Type() != fs.ModeNamedPipe:
		err = fmt.Errorf("%w: %s is a device or socket, not a file to read", ErrNotFile, path)
	case fi.Mode().IsRegular() && fi.Size() > max:
		err = fmt.Errorf("%w: %s is %d bytes, the limit is %d", ErrTooLarge, path, fi.Size(), max)
	default:
		return f, nil
	}
	f.Close()
	return nil, err
}

// Read reads at most max bytes from r; name is used in the error only.
func Read(r io.Reader, max int64, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%w: %s is over the limit of %d bytes", ErrTooLarge, name, max)
	}
	return b, nil
}

// Limits of consign serve (security case 77 in docs/security.md); server.Limits can lower them.
const (
	// PublishBody bounds one publish request's body: one envelope of the
	// largest size the log accepts, or a batch of smaller ones.
	PublishBody = LogEnvelope + 1<<20
	// PublishBatch bounds the envelopes of one publish request.
	PublishBatch = 1000
	// LogEnvelope bounds one envelope the log accepts: the link of a step
	// with a million products and materials is some hundreds of MiB.
	LogEnvelope = Envelope
	// PublishInFlight bounds the bytes of publish bodies the server holds at
	// once, over all requests: the real danger of large envelopes is their
	// sum, not one of them. A request that would pass it is answered 503.
	// It is three bodies of the largest size: each token may hold a third
	// of it by default (server.Limits.TokenInFlight), one largest body, so
	// that two tokens at their limit leave a third's share to the others.
	PublishInFlight = 3 * PublishBody
	// PublishTokenRequests bounds the publish requests one token has in
	// flight at once (each holds a connection and a read buffer); the
	// bytes of their bodies are bounded by server.Limits.TokenInFlight,
	// a third of PublishInFlight (one largest body) by default. A request
	// past either is answered 429.
	PublishTokenRequests = 256
	// FetchAnswers bounds the pages of attestations one fetch reads from a
	// server, together: each page is capped on its own, and the client
	// streams them to disk, so this bounds the disk a hostile server fills.
	FetchAnswers = 16 << 30
	// PublishRate is the default envelopes per second one token may publish, and PublishBurst its burst.
	PublishRate  = 1000
	PublishBurst = 2000
	// PublishBodyIdle and PublishBodyRate bound how slowly a publish body
	// may arrive: never PublishBodyIdle without a byte, and after the
	// first PublishBodyIdle at least PublishBodyRate bytes a second on
	// average. A body that keeps to both may take as long as it needs.
	PublishBodyIdle = 30 * time.Second
	PublishBodyRate = 64 << 10
	// PublishCheckRate is the pace, in bytes of body a second, at which
	// the server's checks of a publish are allowed to go at the slowest:
	// once the body is read, its answer is due within the server's write
	// timeout plus [AtRate](body, PublishCheckRate), and a client waits as
	// long (a 392 MB envelope: about 6 minutes more).
	PublishCheckRate = 1 << 20
)

// AtRate is how long n bytes take at perSecond bytes a second (0 for a
// rate of 0 or less).
func AtRate(n, perSecond int64) time.Duration {
	if perSecond <= 0 || n <= 0 {
		return 0
	}
	return time.Duration(float64(n) / float64(perSecond) * float64(time.Second))
}

// Limits of SBOM reading and scanning (security cases 43, 61 in docs/security.md).
const (
	// SBOMFile bounds an SBOM given to 'consign sbom check' or 'diff'.
	SBOMFile = 512 << 20
	// SBOMComponents bounds the components (and, separately, the
	// relationships) one decoded SBOM may hold.
	SBOMComponents = 1_000_000
	// ArchiveBytes bounds what extracting one tar or zip scan target may
	// write to disk, whatever its entries declare.
	ArchiveBytes = 16 << 30
	// ArchiveEntries bounds the entries of one archive scan target.
	ArchiveEntries = 1_000_000
)

// Limits of reading from OCI registries: a hostile registry can send endless
// manifests, blobs and lists of attachments.
const (
	// OCIManifest bounds one manifest or index (the distribution registry's own cap is 4 MiB).
	OCIManifest = 4 << 20
	// OCIBlob bounds one attached layer: a signature payload, an envelope or an SBOM.
	OCIBlob = 64 << 20
	// OCIReferrers bounds the entries of one referrers index or tag-schema index.
	OCIReferrers = 1000
	// OCILayers bounds the layers of one attachment manifest (cosign's .sig and .att images).
	OCILayers = 1000
	// LocalRegistry bounds what 'consign registry serve', which holds
	// everything in memory, accepts over its whole life (requests' bodies).
	LocalRegistry = 512 << 20
)
