package sbomgen

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anchore/stereoscope"
	"github.com/anchore/stereoscope/pkg/image"
	"github.com/anchore/syft/syft"
	"github.com/anchore/syft/syft/artifact"
	"github.com/anchore/syft/syft/cataloging"
	"github.com/anchore/syft/syft/cataloging/filecataloging"
	"github.com/anchore/syft/syft/file"
	syftsbom "github.com/anchore/syft/syft/sbom"
	"github.com/anchore/syft/syft/source"
	"github.com/anchore/syft/syft/source/directorysource"
	"github.com/anchore/syft/syft/source/filesource"
	"github.com/anchore/syft/syft/source/stereoscopesource"

	// syft reads newer RPM databases with SQL; the pure-Go driver keeps
	// consign free of cgo.
	_ "modernc.org/sqlite"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// Subject is one artifact an SBOM is about, for an attestation's subject.
type Subject struct {
	Name   string
	Digest digest.Set
}

// Result is a finished scan, ready to [Result.Encode] in any format.
type Result struct {
	// Kind is what the target turned out to be (KindDir, KindRegistry, ...).
	Kind string
	// Subjects are the scanned artifacts, when [sbomspec.Config.Subjects]
	// asked for them: every file of a directory; the file itself, or the
	// archive; an image's manifest digest.
	Subjects []Subject
	// Warnings are paths that could not be read, and files a cataloger
	// could not parse; the scan went on without them. Each is also noted
	// in the SBOM.
	Warnings []string

	s            *syftsbom.SBOM
	timestamp    time.Time
	reproducible bool
	toolName     string
	toolVersion  string
	includeFiles bool
	mainModule   string               // the Go module at a scanned directory's root, if any
	goDirect     map[artifact.ID]bool // the modules the main module's go.mod requires directly
	profile      string
	deployables  map[artifact.ID]deployable // packages that are a file of their own (bsi-tr-03183-2)
	subjectFile  *deployable                // a file or archive target (bsi-tr-03183-2)
}

// Packages returns the number of packages found.
func (r *Result) Packages() int { return r.s.Artifacts.Packages.PackageCount() }

// PackageTypes returns the number of packages of each type ("go-module",
// "npm", "python", "deb", ...).
func (r *Result) PackageTypes() map[string]int {
	out := map[string]int{}
	for p := range r.s.Artifacts.Packages.Enumerate() {
		out[string(p.Type)]++
	}
	return out
}

// PackageKeys returns every package as "type name version", sorted, to
// compare the package sets of two scans.
func (r *Result) PackageKeys() []string {
	var out []string
	for p := range r.s.Artifacts.Packages.Enumerate() {
		out = append(out, string(p.Type)+" "+p.Name+" "+p.Version)
	}
	slices.Sort(out)
	return out
}

// Generate scans cfg.Target with syft and returns the result.
//
// It never reaches the network, except to pull a registry: image: syft's
// remote licence lookups (Go proxy, npm, PyPI, Maven) are off, and so is
// the Go toolchain unless [sbomspec.Config.UseGoToolchain]. An archive
// target is unpacked into a temporary directory within
// [sbomspec.Config.MaxArchiveBytes] and [sbomspec.Config.MaxArchiveEntries]
// ([limits.ArchiveBytes], [limits.ArchiveEntries] when 0); temporary files
// are removed whatever happens.
//
// Errors wrap [sbomspec.ErrConfig] (see [sbomspec.Config.Validate]),
// [ErrNoTarget] (no such path), [ErrImage] (an image reference that does
// not resolve), [ErrNotLayout] (an oci-dir: target that is no OCI layout),
// [ErrArchive] (a corrupt or hostile archive, also [limits.ErrTooLarge]
// when over a limit), [ErrWorkDir] (a file target that cannot be linked
// or copied for the scan: see pinDir) or [ErrScan] (cataloguing failed; a
// panic in a cataloger is one). Credentials given in a registry
// reference never appear in an error.
func Generate(ctx context.Context, cfg sbomspec.Config) (res *Result, err error) {
	if err := cfg.Validate(); err != nil {
		if cfg.Target == "" {
			return nil, fmt.Errorf("%w: %w", ErrNoTarget, err)
		}
		return nil, err
	}
	t, err := resolveTarget(cfg.Target)
	if err != nil {
		return nil, err
	}
	defer t.close()
	if t.file != nil {
		// The file checked is the file read: syft and the others read it
		// by a name in a directory of the scan's own.
		dir, err := pinDir(t.path)
		if err != nil {
			return nil, err
		}
		defer workDir(cfg, dir)()
		if err := pinTarget(ctx, &t, dir); err != nil {
			return nil, err
		}
	}
	if testOnlyResolved != nil {
		testOnlyResolved(t.path)
	}
	var secrets []string
	if t.creds != nil {
		secrets = append(secrets, t.creds.Password)
	}
	defer func() {
		if err != nil {
			err = redactError(err, secrets)
		}
	}()
	installHub()
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	res = &Result{
		Kind:         t.kind,
		toolName:     cmpOr(cfg.ToolName, "consign"),
		toolVersion:  cmpOr(cfg.ToolVersion, "devel"),
		includeFiles: cfg.IncludeFiles,
		profile:      cfg.Profile,
	}
	if cfg.Epoch != nil {
		res.timestamp, res.reproducible = cfg.Epoch.UTC(), true
	} else {
		res.timestamp = now().UTC().Truncate(time.Second)
	}
	alias := source.Alias{Name: cfg.Name, Version: cfg.Version}
	exclude := source.ExcludeConfig{Paths: cfg.Exclude}

	var (
		src        source.Source
		root       string // directory syft indexes, for warnings
		archiveSet digest.Set
	)
	switch t.kind {
	case KindDir:
		// A Go module's directory is the module (see mainmodule.go).
		if res.mainModule = goMainModule(t.path); alias.Name == "" {
			alias.Name = cmpOr(res.mainModule, baseName(t.path))
		}
		if root, err = filepath.Abs(t.path); err != nil {
			return nil, err
		}
		// syft gets the absolute path, and it as the base, as syft's own
		// provider does: locations read /app/go.mod however the target was
		// written.
		src, err = directorysource.New(directorysource.Config{Path: root, Base: root, Exclude: exclude, Alias: alias})
	case KindFile:
		if alias.Name == "" {
			alias.Name = baseName(t.path)
		}
		abs, aerr := filepath.Abs(t.readPath())
		if aerr != nil {
			return nil, aerr
		}
		src, err = filesource.New(filesource.Config{Path: abs, Exclude: exclude, DigestAlgorithms: []crypto.Hash{crypto.SHA256}, Alias: alias, SkipExtractArchive: true})
	case KindArchive:
		if alias.Name == "" {
			alias.Name = baseName(t.path)
		}
		if archiveSet, err = digest.File(t.readPath()); err != nil {
			return nil, fmt.Errorf("reading %s: %w", t.display, err)
		}
		tmp, err := os.MkdirTemp("", "consign-sbom-")
		if err != nil {
			return nil, err
		}
		defer workDir(cfg, tmp)()
		lim := archiveLimits{bytes: cmpOr(cfg.MaxArchiveBytes, limits.ArchiveBytes), entries: cmpOr(cfg.MaxArchiveEntries, limits.ArchiveEntries)}
		if _, err := extractArchive(ctx, t.readPath(), tmp, lim); err != nil {
			return nil, err
		}
		root = tmp
		src, err = directorysource.New(directorysource.Config{Path: tmp, Base: tmp, Exclude: exclude, Alias: alias})
		if err != nil {
			return nil, err
		}
	default:
		src, err = imageSource(ctx, t, alias, exclude)
	}
	if err != nil {
		if errors.Is(err, ErrTarget) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrNoTarget, t.display, err)
	}
	// From here on, createSBOM closes src.

	state := &scanState{root: root, fn: cfg.Progress, start: time.Now()}
	hub.add(state, cfg.Progress != nil)
	defer hub.remove(state)
	var wg sync.WaitGroup
	stop := func() {}
	state.setPhase(sbomspec.PhaseIndexing)
	if cfg.Progress != nil {
		pctx, cancel := context.WithCancel(ctx)
		stop = func() { cancel(); wg.Wait() }
		if root != "" {
			wg.Go(func() { state.countFiles(pctx) })
		}
		wg.Go(func() { state.report(pctx) })
	}
	modCache := ""
	if !cfg.NoGoModCache {
		modCache = cmpOr(cfg.GoModCache, goModCacheDir())
	}
	s, err := createSBOM(ctx, src, res.syftConfig(cfg), modCache, state)
	stop()
	if err != nil {
		return nil, err
	}
	if cfg.Progress != nil {
		state.emitMu.Lock()
		cfg.Progress(sbomspec.Progress{Phase: state.phase, Files: state.files.Load(), Packages: int64(s.Artifacts.Packages.PackageCount()), Elapsed: time.Since(state.start), Done: true})
		state.emitMu.Unlock()
	}
	if !cfg.UseGoToolchain && modCache != "" && root != "" {
		if res.goDirect, err = addGoModuleGraph(s, root, res.mainModule, modCache); err != nil {
			return nil, fmt.Errorf("%w: the Go module graph: %v", ErrScan, err)
		}
	}
	res.s = s
	if cfg.Profile == sbomdoc.ProfileBSI && root != "" {
		res.deployables = findDeployables(s, root)
	}
	if cfg.Profile != "" && (t.kind == KindFile || t.kind == KindArchive) {
		if d, ok := probeFile(t.readPath()); ok {
			res.subjectFile = &d
		}
	}
	res.Warnings = append(state.takeWarnings(), unknownWarnings(s, root)...)
	slices.Sort(res.Warnings)
	res.Warnings = slices.Compact(res.Warnings)

	// The description names the target as given, never a temporary or
	// absolute path, so that the same input gives the same SBOM anywhere.
	switch t.kind {
	case KindDir:
		s.Source.Metadata = source.DirectoryMetadata{Path: cleanDisplay(t.display)}
	case KindArchive:
		s.Source.ID = string(artifact.ID(archiveSet["sha256"][:16]))
		s.Source.Version = cmpOr(cfg.Version, "sha256:"+archiveSet["sha256"])
		s.Source.Metadata = source.FileMetadata{Path: cleanDisplay(t.display), Digests: []file.Digest{{Algorithm: "sha256", Value: archiveSet["sha256"]}}}
	case KindFile:
		if m, ok := s.Source.Metadata.(source.FileMetadata); ok {
			m.Path = cleanDisplay(t.display)
			s.Source.Metadata = m
		}
	}
	if cfg.Subjects {
		if res.Subjects, err = subjects(ctx, t, s, archiveSet); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// syftConfig is syft's configuration for a scan: syft's defaults, except
// that nothing reaches the network, the Go toolchain runs only when asked,
// and file entries are catalogued only when asked.
func (r *Result) syftConfig(cfg sbomspec.Config) *syft.CreateSBOMConfig {
	// syft stays the named tool of its own output (consign is added next
	// to it by the encoders); consign's settings are its extra configuration.
	c := syft.DefaultCreateSBOMConfig()
	c.ToolConfiguration = toolSettings{IncludeFiles: cfg.IncludeFiles, UseGoToolchain: cfg.UseGoToolchain, Exclude: cfg.Exclude}
	c.Packages.Golang.UsePackagesLib = cfg.UseGoToolchain
	c.Packages.Golang.SearchRemoteLicenses = false
	c.Packages.Golang.SearchLocalModCacheLicenses = false
	c.Packages.Golang.SearchLocalVendorLicenses = false
	c.Packages.JavaArchive.UseNetwork = false
	c.Packages.JavaArchive.UseMavenLocalRepository = false
	c.Packages.JavaScript.SearchRemoteLicenses = false
	c.Packages.Python.SearchRemoteLicenses = false
	if cfg.IncludeFiles {
		c.Files = filecataloging.DefaultConfig()
	} else {
		c.WithoutFiles()
	}
	return c
}

// toolSettings is the configuration recorded in syft JSON's descriptor: the
// choices that change what a scan finds, and nothing secret.
type toolSettings struct {
	IncludeFiles   bool     `json:"includeFiles"`
	UseGoToolchain bool     `json:"useGoToolchain"`
	Exclude        []string `json:"exclude,omitempty"`
}

// licenseScanner is a context holding syft's licence scanner, made once
// per process: building it compiles every known licence text into a
// matcher, about a second of CPU that syft would otherwise spend on each
// scan. The scanner is safe for concurrent use (syft's catalogers share
// it within a scan).
//
// The default licence configuration is cataloging.DefaultLicenseConfig, not
// read from syft.DefaultCreateSBOMConfig: that builds syft's whole default
// configuration, compiling every binary classifier's patterns (about 13 ms
// and 14 MB of garbage each time).
var licenseScanner = func() func(*syft.CreateSBOMConfig) (context.Context, error) {
	once := sync.OnceValues(func() (context.Context, error) {
		return syft.SetContextLicenseScanner(context.Background(), cataloging.DefaultLicenseConfig())
	})
	return func(c *syft.CreateSBOMConfig) (context.Context, error) {
		if c.Licenses != cataloging.DefaultLicenseConfig() {
			return syft.SetContextLicenseScanner(context.Background(), c.Licenses)
		}
		return once()
	}
}()

// withValues is ctx, with the values of extra where ctx has none: the
// caller's cancellation, and the shared licence scanner.
func withValues(ctx, extra context.Context) context.Context { return valuesFrom{ctx, extra} }

type valuesFrom struct {
	context.Context
	extra context.Context
}

func (c valuesFrom) Value(key any) any {
	if v := c.Context.Value(key); v != nil {
		return v
	}
	return c.extra.Value(key)
}

// createSBOM runs syft, then gives Go modules without a licence those of
// the module cache modCache ("" for none; see addGoModuleLicences); a
// panic on this goroutine becomes an error (syft recovers those of its own
// workers into unknowns). It moves state through the scan's phases, and
// closes src.
//
// syft compiles its licence matcher (about a second of CPU) before it
// catalogues, and indexes the target's files before that, one after the
// other. Here the matcher compiles on another goroutine while the files
// are indexed (the source keeps its index for syft), which on two cores
// takes the compile off the wall clock.
//
// syft's directory indexer does not observe ctx, and indexing a large tree
// takes seconds (a 3.4 GB Go module cache: 5 to 30 s). When ctx is
// cancelled first, createSBOM returns at once and leaves the indexing to
// end on its own goroutine, which then closes src: it only reads the tree,
// and a process that is stopping does not wait for it.
func createSBOM(ctx context.Context, src source.Source, c *syft.CreateSBOMConfig, modCache string, state *scanState) (s *syftsbom.SBOM, err error) {
	closeSrc := true
	defer func() {
		if closeSrc {
			src.Close()
		}
	}()
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("%w: a cataloger failed: %v", ErrScan, r)
		}
	}()
	type scanner struct {
		ctx context.Context
		err error
	}
	ready := make(chan scanner, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ready <- scanner{err: fmt.Errorf("building the licence scanner: %v", r)}
			}
		}()
		lctx, err := licenseScanner(c)
		ready <- scanner{lctx, err}
	}()
	if _, isDir := src.Describe().Metadata.(source.DirectoryMetadata); isDir {
		// A directory source keeps its index, and CreateSBOM asks for it
		// again, so an error here is syft's to report there.
		indexed := make(chan struct{})
		var panicked any
		go func() {
			defer close(indexed)
			defer func() { panicked = recover() }()
			_, _ = src.FileResolver(c.Search.Scope)
		}()
		select {
		case <-indexed:
			if panicked != nil {
				return nil, fmt.Errorf("%w: indexing the files failed: %v", ErrScan, panicked)
			}
		case <-ctx.Done():
			// Closing the source waits for its index: the indexing
			// goroutine closes it.
			closeSrc = false
			go func() {
				<-indexed
				src.Close()
			}()
			return nil, context.Cause(ctx)
		}
	}
	var l scanner
	select {
	case l = <-ready:
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
	if l.err != nil {
		return nil, fmt.Errorf("%w: %v", ErrScan, l.err)
	}
	sctx := withValues(ctx, l.ctx)
	state.setPhase(sbomspec.PhaseCataloguing)
	s, err = syft.CreateSBOM(sctx, src, c)
	// When ctx is cancelled, syft stops waiting for its catalogers and
	// CreateSBOM returns what they found so far with no error: an SBOM
	// missing packages, which must never pass for a scan. The catalogers
	// still running go on adding packages to it, so it is not read either:
	// enumerating a collection that is being added to deadlocks in syft
	// (a read lock taken twice with a writer waiting between).
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if err == nil && modCache != "" {
		state.setPhase(sbomspec.PhaseLicences)
		err = addGoModuleLicences(sctx, s.Artifacts.Packages, modCache, c.Licenses.IncludeContent, &state.step)
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrScan, err)
	}
	return s, nil
}

// imageSource opens an image with stereoscope from exactly the place the
// target names: never a Docker daemon, never a guess.
func imageSource(ctx context.Context, t target, alias source.Alias, exclude source.ExcludeConfig) (source.Source, error) {
	var (
		from image.Source
		opts image.RegistryOptions
	)
	switch t.kind {
	case KindOCIDir:
		from = image.OciDirectorySource
	case KindOCIArchive:
		from = image.OciTarballSource
	case KindDockerArchive:
		from = image.DockerTarballSource
	case KindRegistry:
		from = image.OciRegistrySource
		if t.creds != nil {
			opts.Credentials = []image.RegistryCredentials{*t.creds}
		}
	}
	if alias.Name == "" && t.kind != KindRegistry {
		alias.Name = baseName(t.path)
	}
	img, err := getImage(ctx, t.readPath(), from, stereoscope.WithRegistryOptions(opts))
	if err != nil {
		if t.kind == KindRegistry {
			return nil, fmt.Errorf("%w: %s: %v", ErrImage, t.display, err)
		}
		return nil, fmt.Errorf("%w: %s is not a readable %s image: %v", ErrArchive, t.display, t.kind, err)
	}
	return &imageCleanup{Source: stereoscopesource.New(img, stereoscopesource.ImageConfig{
		Reference: t.path, RegistryOptions: &opts, Exclude: exclude, Alias: alias,
	}), img: img}, nil
}

func getImage(ctx context.Context, ref string, from image.Source, opts ...stereoscope.Option) (img *image.Image, err error) {
	defer func() {
		if r := recover(); r != nil {
			img, err = nil, fmt.Errorf("reading the image failed: %v", r)
		}
	}()
	return stereoscope.GetImageFromSource(ctx, ref, from, opts...)
}

// imageCleanup removes an image's temporary files when its source closes.
type imageCleanup struct {
	source.Source
	img *image.Image
}

func (s *imageCleanup) Close() error {
	err := s.Source.Close()
	if cerr := s.img.Cleanup(); err == nil {
		err = cerr
	}
	return err
}

// scannedDigest is the SHA-256 syft computed of a file it scanned, as a
// valid digest set, or nil.
func scannedDigest(s *syftsbom.SBOM) digest.Set {
	m, ok := s.Source.Metadata.(source.FileMetadata)
	if !ok {
		return nil
	}
	for _, d := range m.Digests {
		if d.Algorithm == digest.SHA256 {
			if set := (digest.Set{digest.SHA256: d.Value}); set.Validate() == nil {
				return set
			}
		}
	}
	return nil
}

// subjects lists the scanned artifacts for an attestation.
func subjects(ctx context.Context, t target, s *syftsbom.SBOM, archiveSet digest.Set) ([]Subject, error) {
	name := cleanDisplay(t.display)
	switch t.kind {
	case KindDir:
		rec, err := digest.Record(ctx, t.path, []string{"."}, digest.RecordOptions{})
		if err != nil {
			return nil, fmt.Errorf("hashing %s: %w", t.display, err)
		}
		out := make([]Subject, 0, len(rec.Artifacts))
		for rel, set := range rec.Artifacts {
			out = append(out, Subject{Name: path.Join(name, rel), Digest: set})
		}
		slices.SortFunc(out, func(a, b Subject) int { return strings.Compare(a.Name, b.Name) })
		return out, nil
	case KindArchive:
		return []Subject{{Name: name, Digest: archiveSet}}, nil
	case KindFile:
		// syft hashed the file as it scanned it (SHA-256, see the file
		// source's configuration): the subject is that digest, so that the
		// file is read once, not once more after the scan.
		if set := scannedDigest(s); set != nil {
			return []Subject{{Name: name, Digest: set}}, nil
		}
		set, err := digest.File(t.readPath())
		if err != nil {
			return nil, fmt.Errorf("hashing %s: %w", t.display, err)
		}
		return []Subject{{Name: name, Digest: set}}, nil
	}
	m, ok := s.Source.Metadata.(source.ImageMetadata)
	if !ok || m.ManifestDigest == "" {
		return nil, fmt.Errorf("%w: %s: the image has no manifest digest", ErrImage, t.display)
	}
	set, err := digest.Parse(m.ManifestDigest)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: manifest digest: %v", ErrImage, t.display, err)
	}
	if t.kind == KindRegistry {
		name = repository(t.path)
	}
	return []Subject{{Name: name, Digest: set}}, nil
}

// repository is an image reference without its tag or digest.
func repository(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

// unknownWarnings turns syft's unknowns (files a cataloger could not read
// or parse) into warnings, with the scan root's path taken out.
func unknownWarnings(s *syftsbom.SBOM, root string) []string {
	var out []string
	for coord, msgs := range s.Artifacts.Unknowns {
		for _, m := range msgs {
			if root != "" {
				m = strings.ReplaceAll(m, root, ".")
			}
			out = append(out, fmt.Sprintf("%s: %s", strings.TrimPrefix(coord.RealPath, "/"), m))
		}
	}
	return out
}

func baseName(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return filepath.Base(p)
	}
	return filepath.Base(abs)
}

// cleanDisplay is a target path as given, cleaned, with forward slashes.
func cleanDisplay(p string) string {
	return path.Clean(filepath.ToSlash(p))
}

// testOnlyResolved, when set (by tests only), is called with the target's
// path once Generate has opened and checked it, before anything scans it.
var testOnlyResolved func(path string)

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// workDir tells cfg.WorkDir that the scan made the directory dir, and
// returns what removes it and tells that.
func workDir(cfg sbomspec.Config, dir string) (remove func()) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	if cfg.WorkDir != nil {
		cfg.WorkDir(abs, true)
	}
	return func() {
		os.RemoveAll(dir)
		if cfg.WorkDir != nil {
			cfg.WorkDir(abs, false)
		}
	}
}
