package oci

import (
	"errors"
	"io"
	"log"
	"net/http"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/consign-dev/consign/internal/limits"
)

// errRegistryFull is what a body read past a [Registry]'s budget fails with.
var errRegistryFull = errors.New("the registry's byte budget is spent")

// Registry is an OCI registry for local use: go-containerregistry's
// registry (the one its crane serves), with the OCI 1.1 referrers API,
// holding everything in memory, gone when the process ends. Memory stays
// bounded: one request's body is capped at limits.OCIBlob, and all bodies
// together, over the registry's life, at maxBytes (limits.LocalRegistry if
// maxBytes <= 0); a write past either is refused (413, 507), reads go on.
//
// It has no authentication and speaks plain HTTP: serve it on a loopback
// address.
func Registry(maxBytes int64) http.Handler {
	if maxBytes <= 0 {
		maxBytes = limits.LocalRegistry
	}
	return &budget{
		next: registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))),
		max:  maxBytes,
	}
}

// budget counts the bytes of every request body its registry reads.
type budget struct {
	next http.Handler
	used atomic.Int64
	max  int64
}

func (b *budget) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		b.next.ServeHTTP(w, r)
		return
	}
	if b.used.Load() >= b.max {
		http.Error(w, "this local registry has taken all the bytes it may hold; restart it", http.StatusInsufficientStorage)
		return
	}
	if r.ContentLength > limits.OCIBlob {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	r.Body = &countedBody{rc: http.MaxBytesReader(w, r.Body, limits.OCIBlob), b: b}
	b.next.ServeHTTP(w, r)
}

// countedBody fails a read that takes its registry past its budget.
type countedBody struct {
	rc io.ReadCloser
	b  *budget
}

func (c *countedBody) Read(p []byte) (int, error) {
	n, err := c.rc.Read(p)
	if c.b.used.Add(int64(n)) > c.b.max {
		return n, errRegistryFull
	}
	return n, err
}

func (c *countedBody) Close() error { return c.rc.Close() }
