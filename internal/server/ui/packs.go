package ui

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/pack"
)

// releasePack is the evidence pack of a release, found in the packs
// directory, and its verification with the owner's keys.
type releasePack struct {
	Name   string // the file's base name
	Size   int64
	Result *pack.Result // nil when it did not verify at all; Err says why
	Err    string

	path string
}

// packCache remembers each pack file's reading and verification, keyed by
// its path, size and modification time, so that a page view reads a pack
// only when it changed.
type packCache struct {
	mu sync.Mutex
	m  map[string]*packEntry
}

type packEntry struct {
	size    int64
	mod     time.Time
	product string
	digests []string // the manifest's artifacts' SHA-256
	pack    *releasePack
}

// packFor is the evidence pack in cfg.PackDir for product whose manifest
// lists an artifact with one of the SHA-256 digests in about ("sha256:HEX"),
// or nil. Files that are not packs, or do not read, are skipped.
func (p *Portal) packFor(ctx context.Context, product string, about []string) *releasePack {
	if p.cfg.PackDir == "" {
		return nil
	}
	entries, err := os.ReadDir(p.cfg.PackDir)
	if err != nil {
		p.log.Error("reading the packs directory", "err", err)
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, name := range names {
		e := p.packEntry(ctx, filepath.Join(p.cfg.PackDir, name))
		if e == nil || e.product != product {
			continue
		}
		for _, d := range e.digests {
			if slices.Contains(about, digest.SHA256+":"+d) {
				return e.pack
			}
		}
	}
	return nil
}

func (p *Portal) packEntry(ctx context.Context, path string) *packEntry {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return nil
	}
	c := &p.packs
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[path]; ok && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		return e
	}
	delete(c.m, path)
	if !pack.IsPackFile(path) {
		return nil
	}
	pk, err := pack.ReadFile(ctx, path, pack.Options{})
	if err != nil {
		return nil
	}
	e := &packEntry{size: fi.Size(), mod: fi.ModTime(), product: pk.Manifest.Product,
		pack: &releasePack{Name: filepath.Base(path), Size: fi.Size(), path: path}}
	for _, a := range pk.Manifest.Artifacts {
		if d, ok := a.Digest[digest.SHA256]; ok {
			e.digests = append(e.digests, d)
		}
	}
	res, err := pack.Verify(ctx, pk, pack.VerifyConfig{Name: e.pack.Name, TrustRoots: p.cfg.TrustRoots, Now: p.cfg.Now, Bundles: p.cfg.Bundles})
	switch {
	case err != nil:
		e.pack.Err = err.Error()
	case !res.Passed:
		e.pack.Result, e.pack.Err = res, res.Err().Error()
	default:
		e.pack.Result = res
	}
	if c.m == nil {
		c.m = map[string]*packEntry{}
	}
	c.m[path] = e
	return e
}
