// Package registrytest starts real OCI registries on 127.0.0.1 for tests:
// go-containerregistry's in-process registry (with the referrers API) and the
// CNCF distribution registry from the docker-registry package (without it,
// so that the referrers tag schema is exercised for real), and pushes small
// random images to them.
package registrytest

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// DistributionBinary is where Debian's docker-registry package installs the
// distribution registry.
const DistributionBinary = "/usr/bin/docker-registry"

// Handler is go-containerregistry's in-process registry with the referrers
// API, for tests that wrap it in a hostile handler.
func Handler() http.Handler {
	return registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0)))
}

// Serve serves h on 127.0.0.1 until the test ends and returns HOST:PORT.
func Serve(t testing.TB, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// Ggcr starts go-containerregistry's registry, with the referrers API, and
// returns its HOST:PORT.
func Ggcr(t testing.TB) string {
	t.Helper()
	return Serve(t, Handler())
}

// Distribution starts the distribution registry on a free 127.0.0.1 port with
// its own configuration and storage under a temporary directory, and returns
// its HOST:PORT. Without the binary the test is skipped, except in CI
// (CI=true), where that is a failure.
func Distribution(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(DistributionBinary); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the distribution registry is needed in CI: %v (apt-get install docker-registry)", err)
		}
		t.Skipf("no distribution registry (%v); apt-get install docker-registry to run this test", err)
	}
	addr, stop, err := StartDistribution(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

// StartDistribution starts the distribution registry with its configuration
// and storage in dir, and returns its HOST:PORT and a function that stops it.
func StartDistribution(dir string) (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, filepath.Join(dir, "storage"), addr)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return "", nil, err
	}
	cmd := exec.Command(DistributionBinary, "serve", cfgPath)
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("starting %s: %w", DistributionBinary, err)
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, fmt.Errorf("the distribution registry did not answer on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// PushImage pushes a small random image to ref (HOST/REPO:TAG) and returns
// its manifest digest.
func PushImage(t testing.TB, ref string) v1.Hash {
	t.Helper()
	d, err := Push(ref)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Push pushes a small random image to ref (HOST/REPO:TAG) and returns its
// manifest digest.
func Push(ref string) (v1.Hash, error) {
	img, err := random.Image(256, 1)
	if err != nil {
		return v1.Hash{}, err
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return v1.Hash{}, err
	}
	if err := remote.Write(r, img); err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", ref, err)
	}
	return img.Digest()
}

// PushIndex pushes a small random multi-platform index of n images to ref
// and returns its digest and its images' digests.
func PushIndex(ref string, n int) (v1.Hash, []v1.Hash, error) {
	idx, err := random.Index(256, 1, int64(n))
	if err != nil {
		return v1.Hash{}, nil, err
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return v1.Hash{}, nil, err
	}
	if err := remote.WriteIndex(r, idx); err != nil {
		return v1.Hash{}, nil, fmt.Errorf("pushing %s: %w", ref, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return v1.Hash{}, nil, err
	}
	var children []v1.Hash
	for _, d := range m.Manifests {
		children = append(children, d.Digest)
	}
	d, err := idx.Digest()
	return d, children, err
}
