// Package tufrepo builds a TUF repository in a test, with go-tuf's
// metadata API, and serves it over HTTP on 127.0.0.1: a real repository for
// a real TUF client, whose roles a test can re-sign, expire or roll back.
package tufrepo

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"
)

// Target is the name the repository publishes its content under.
const Target = "trusted_root.json"

// Repo is a TUF repository built in the test with go-tuf's metadata API,
// served from a directory over HTTP on 127.0.0.1.
type Repo struct {
	t *testing.T
	// Dir holds the files served: VERSION.root.json, timestamp.json,
	// VERSION.snapshot.json, VERSION.targets.json, targets/HASH.NAME.
	Dir string
	// Keys are each top-level role's signing key.
	Keys      map[string]ed25519.PrivateKey
	RootMeta  *metadata.Metadata[metadata.RootType]
	Targets   *metadata.Metadata[metadata.TargetsType]
	Snapshot  *metadata.Metadata[metadata.SnapshotType]
	Timestamp *metadata.Metadata[metadata.TimestampType]
	// Root is root version 1, the client's trust anchor.
	Root []byte
	// URL is the repository's base URL, on 127.0.0.1.
	URL string
}

// New builds a repository whose roles expire in a week, each signed by
// its own Ed25519 key, with content as its one target [Target], and
// serves it until the test ends.
func New(t *testing.T, content []byte) *Repo {
	t.Helper()
	expires := time.Now().AddDate(0, 0, 7).UTC()
	r := &Repo{t: t, Dir: t.TempDir(), Keys: map[string]ed25519.PrivateKey{},
		RootMeta: metadata.Root(expires), Targets: metadata.Targets(expires),
		Snapshot: metadata.Snapshot(expires), Timestamp: metadata.Timestamp(expires)}
	for _, role := range metadata.TOP_LEVEL_ROLE_NAMES {
		r.Keys[role] = NewKey(t)
		r.AddKey(role, r.Keys[role])
	}
	if err := os.Mkdir(filepath.Join(r.Dir, "targets"), 0o700); err != nil {
		t.Fatal(err)
	}
	r.SignRoot(r.Keys[metadata.ROOT])
	b, err := r.RootMeta.ToBytes(false)
	if err != nil {
		t.Fatal(err)
	}
	r.Root = b
	r.SetTarget(content)
	srv := httptest.NewServer(http.FileServer(http.Dir(r.Dir)))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// NewKey returns a new Ed25519 key.
func NewKey(t *testing.T) ed25519.PrivateKey {
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// AddKey adds k to role in the root (unsigned until [Repo.SignRoot]).
func (r *Repo) AddKey(role string, k ed25519.PrivateKey) {
	key, err := metadata.KeyFromPublicKey(k.Public())
	if err != nil {
		r.t.Fatal(err)
	}
	if err := r.RootMeta.Signed.AddKey(key, role); err != nil {
		r.t.Fatal(err)
	}
}

// Signer is k as a signer for go-tuf.
func Signer(t *testing.T, k ed25519.PrivateKey) signature.Signer {
	s, err := signature.LoadSigner(k, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// SignRoot signs the root with the keys given and writes VERSION.root.json.
func (r *Repo) SignRoot(keys ...ed25519.PrivateKey) {
	r.RootMeta.ClearSignatures()
	for _, k := range keys {
		if _, err := r.RootMeta.Sign(Signer(r.t, k)); err != nil {
			r.t.Fatal(err)
		}
	}
	r.write(fmt.Sprintf("%d.root.json", r.RootMeta.Signed.Version), r.RootMeta.ToBytes)
}

// SetTarget publishes content as trusted_root.json: a new targets,
// snapshot and timestamp version, each signed by its role's key.
func (r *Repo) SetTarget(content []byte) { r.SetTargetNamed(Target, content) }

// SetTargetNamed publishes content as the target name (which may have a
// directory, as registry.npmjs.org/keys.json), as [Repo.SetTarget] does.
func (r *Repo) SetTargetNamed(name string, content []byte) {
	h := sha256.Sum256(content)
	dir, base := filepath.Split(filepath.FromSlash(name))
	path := filepath.Join(r.Dir, "targets", dir, fmt.Sprintf("%x.%s", h, base))
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o600); err != nil {
		r.t.Fatal(err)
	}
	tf, err := metadata.TargetFile().FromBytes(name, content, "sha256")
	if err != nil {
		r.t.Fatal(err)
	}
	r.Targets.Signed.Targets[name] = tf
	r.Targets.Signed.Version++
	r.Snapshot.Signed.Meta["targets.json"] = metadata.MetaFile(r.Targets.Signed.Version)
	r.Snapshot.Signed.Version++
	r.Timestamp.Signed.Meta["snapshot.json"] = metadata.MetaFile(r.Snapshot.Signed.Version)
	r.Targets.ClearSignatures()
	if _, err := r.Targets.Sign(Signer(r.t, r.Keys[metadata.TARGETS])); err != nil {
		r.t.Fatal(err)
	}
	r.write(fmt.Sprintf("%d.targets.json", r.Targets.Signed.Version), r.Targets.ToBytes)
	r.Snapshot.ClearSignatures()
	if _, err := r.Snapshot.Sign(Signer(r.t, r.Keys[metadata.SNAPSHOT])); err != nil {
		r.t.Fatal(err)
	}
	r.write(fmt.Sprintf("%d.snapshot.json", r.Snapshot.Signed.Version), r.Snapshot.ToBytes)
	r.SignTimestamp(r.Keys[metadata.TIMESTAMP])
}

// SignTimestamp bumps the timestamp's version, signs it with k and writes it.
func (r *Repo) SignTimestamp(k ed25519.PrivateKey) {
	r.Timestamp.Signed.Version++
	r.Timestamp.ClearSignatures()
	if _, err := r.Timestamp.Sign(Signer(r.t, k)); err != nil {
		r.t.Fatal(err)
	}
	r.write("timestamp.json", r.Timestamp.ToBytes)
}

func (r *Repo) write(name string, marshal func(bool) ([]byte, error)) {
	b, err := marshal(false)
	if err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(r.Dir, name), b, 0o600); err != nil {
		r.t.Fatal(err)
	}
}
