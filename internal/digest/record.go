package digest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Reasons given in [Skipped].
const (
	// ReasonLinkOutsideRoot: a symbolic link whose target is outside the root.
	ReasonLinkOutsideRoot = "symbolic link leaves the root"
	// ReasonLinkDangling: a symbolic link whose target does not exist.
	ReasonLinkDangling = "dangling symbolic link"
	// ReasonLinkLoop: resolving the link took more than 40 links.
	ReasonLinkLoop = "symbolic link loop"
	// ReasonLinkCycle: a link to a directory the walk is already inside.
	ReasonLinkCycle = "symbolic link to an enclosing directory"
	// ReasonLinkDepth: more than 40 linked directories nested in each other.
	ReasonLinkDepth = "too many nested symbolic links to directories"
	// ReasonNotRegular: a named pipe, socket or device.
	ReasonNotRegular = "not a regular file"
)

const (
	// maxLinks bounds the symbolic links followed to resolve one path,
	// as Linux does (ELOOP).
	maxLinks = 40
	// maxLinkDepth bounds how many linked directories one walk descends
	// through, so that links forming a deep DAG stop.
	maxLinkDepth = 40
	// filesPerTask is how many files of a directory one task hashes.
	filesPerTask = 64
	// ctxCheckBytes is how often, in bytes, hashing a large file checks for
	// cancellation.
	ctxCheckBytes = 16 << 20
)

// RecordOptions configures [Record]. The zero value is usable.
type RecordOptions struct {
	// Algorithms to compute for every file; default [SHA256]. Only the
	// SHA-2 and SHA-3 families are supported.
	Algorithms []string
	// Exclude holds gitignore-style patterns matched against the
	// normalised relative path of every file and directory (see exclude.go
	// for the exact syntax). Excluded directories are not descended into.
	Exclude []string
	// Workers is how many files are hashed at once; default
	// 2 × runtime.GOMAXPROCS(0), since a worker waiting for an open or a
	// read leaves the CPU to another.
	Workers int
}

// Validate reports whether o can be used: every algorithm is supported,
// every exclude pattern compiles and Workers is not negative. Errors wrap
// [ErrInvalidOptions], and [ErrInvalidPattern] or [ErrUnsupportedAlgorithm]
// where they apply.
func (o RecordOptions) Validate() error {
	_, err := o.compile()
	return err
}

type recordConfig struct {
	algs    []string
	exclude *excluder
	workers int
}

func (o RecordOptions) compile() (recordConfig, error) {
	var c recordConfig
	var err error
	if c.algs, err = normaliseAlgorithms(o.Algorithms); err != nil {
		return c, fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	}
	if c.exclude, err = compileExcludes(o.Exclude); err != nil {
		return c, err
	}
	switch {
	case o.Workers < 0:
		return c, fmt.Errorf("%w: negative worker count %d", ErrInvalidOptions, o.Workers)
	case o.Workers == 0:
		c.workers = 2 * runtime.GOMAXPROCS(0)
	default:
		c.workers = o.Workers
	}
	return c, nil
}

// Skipped is a path that was deliberately not recorded, and why: one of
// the Reason constants.
type Skipped struct{ Path, Reason string }

// Result of a recording.
type Result struct {
	// Artifacts maps the normalised relative path of every recorded file
	// to its digests.
	Artifacts map[string]Set
	// Skipped lists what was found but not recorded, sorted by Path.
	Skipped []Skipped
}

// Record hashes every regular file under each of paths. The paths are
// relative to root; "." names root itself, and a path may name a single
// file. It returns the digests keyed by normalised path.
//
// # Paths
//
// Keys use forward slashes, are cleaned with [path.Clean] and are relative
// to root: a path argument "src/../evil.sh" is recorded as "evil.sh". A path
// argument that is absolute, starts with "..", or passes through a symbolic
// link leaving root is an error wrapping [ErrOutsideRoot]. Names are
// recorded byte for byte: on Unix "\" is an ordinary character, so a file
// named `dist\app.exe` is recorded under that name and is never confused
// with `dist/app.exe` (SECURITY-CASES 34); consumers that compare keys with
// Windows-style paths must not convert them.
//
// # Symbolic links
//
// Links are resolved inside root, one element at a time, never by asking
// the operating system to follow them, and files are opened through
// [os.Root] so a link can never lead the recorder outside root. A link to a
// file inside root is recorded under the link's path with the content
// digest of its target; a link to a directory inside root is walked, its
// files recorded under the link's path. A link that leaves root, dangles,
// loops, or leads to a directory the walk is already inside is not followed
// and is listed in [Result.Skipped] with its reason (SECURITY-CASES 35).
// Named pipes, sockets and devices are skipped too, and never opened.
//
// # Contents
//
// The digests are of the raw bytes: nothing is normalised (a CRLF file
// hashes as CRLF). Files are hashed by [RecordOptions.Workers] goroutines
// at once, but the result does not depend on their number or timing.
//
// # Errors
//
// Record returns an error wrapping [ErrInvalidOptions] for bad options
// (see [RecordOptions.Validate]), [ErrOutsideRoot] as above,
// [fs.ErrNotExist] for a path argument that does not exist, an error
// naming the path for a file or directory that cannot be read (wrapping
// the cause, such as [fs.ErrPermission]), and ctx.Err() once ctx is done.
// With several failures, it returns one of them.
func Record(ctx context.Context, root string, paths []string, opts RecordOptions) (*Result, error) {
	cfg, err := opts.compile()
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(paths))
	for _, p := range paths {
		k, err := normaliseArg(p)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rt, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("opening root %q: %w", root, unwrapPath(err))
	}
	defer rt.Close()
	r := &recorder{ctx: ctx, root: rt, cfg: cfg}
	r.cond.L = &r.mu
	if r.rootPrefixes, err = rootPrefixes(root); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := r.seed(k); err != nil {
			r.drain()
			return nil, err
		}
	}
	return r.run()
}

// normaliseArg turns a path argument into a key, rejecting any that leave
// the root.
func normaliseArg(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("%w: empty path", ErrInvalidOptions)
	}
	s := filepath.ToSlash(p)
	if filepath.IsAbs(p) || filepath.VolumeName(p) != "" || strings.HasPrefix(s, "/") {
		return "", fmt.Errorf("%w: %q is absolute", ErrOutsideRoot, p)
	}
	k := path.Clean(s)
	if k == ".." || strings.HasPrefix(k, "../") {
		return "", fmt.Errorf("%w: %q", ErrOutsideRoot, p)
	}
	return k, nil
}

// rootPrefixes returns the root's absolute path, as given and with links
// resolved, split into elements: an absolute link target inside root starts
// with one of them.
func rootPrefixes(root string) ([][]string, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolving root %q: %w", root, err)
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return nil, fmt.Errorf("resolving root %q: %w", root, unwrapPath(err))
	}
	out := [][]string{splitElems(abs)}
	if real != abs {
		out = append(out, splitElems(real))
	}
	return out, nil
}

// splitElems splits a slash- or OS-separated path into its elements,
// dropping empty and "." elements.
func splitElems(p string) []string {
	var out []string
	for _, e := range strings.Split(filepath.ToSlash(p), "/") {
		if e != "" && e != "." {
			out = append(out, e)
		}
	}
	return out
}

// unwrapPath drops the *fs.PathError around err, whose path would repeat
// the one the caller quotes.
func unwrapPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	return err
}

// recorder is the state of one Record call.
type recorder struct {
	ctx          context.Context
	root         *os.Root
	rootPrefixes [][]string
	cfg          recordConfig

	stopped atomic.Bool // set with err, read without the lock
	mu      sync.Mutex
	cond    sync.Cond
	tasks   []task // a stack: the newest task runs first
	pending int    // tasks queued or running
	err     error  // the first failure; set once
	skipped []Skipped
}

// task is a directory to read or a batch of files to hash.
type task struct {
	dir   *dirTask
	files *fileBatch
}

// dirTask is a directory to read. key is its recorded path, real its path
// relative to root with no links in it. The walk reached it through the
// linked directories in hops; it has been in start since the last one.
type dirTask struct {
	key, real, start string
	hops             *hop
}

// hop is one symbolic link to a directory on the way to a dirTask: the walk
// went down from start to end, then followed a link found in end.
type hop struct {
	parent     *hop
	start, end string
	depth      int
}

// encloses reports whether the real directory target is one the walk to d
// has passed through: following a link to it would walk it again, forever.
func (d *dirTask) encloses(target string) bool {
	if within(d.start, target) && within(target, d.real) {
		return true
	}
	for h := d.hops; h != nil; h = h.parent {
		if within(h.start, target) && within(target, h.end) {
			return true
		}
	}
	return false
}

// within reports whether the real path p is dir or inside it.
func within(dir, p string) bool {
	return dir == "." || p == dir || strings.HasPrefix(p, dir) && p[len(dir)] == '/'
}

// fileBatch is files to hash, opened by name in dir.
type fileBatch struct {
	dir   *dirHandle
	files []fileItem
}

type fileItem struct{ key, name string }

// dirHandle is a directory several fileBatches open files in; the last
// batch to finish closes it (unless shared is set: the recorder's root).
type dirHandle struct {
	root   *os.Root
	shared bool
	refs   atomic.Int32
}

func (h *dirHandle) release() {
	if !h.shared && h.refs.Add(-1) == 0 {
		h.root.Close()
	}
}

// push queues tasks and wakes workers for them.
func (r *recorder) push(ts ...task) {
	if len(ts) == 0 {
		return
	}
	r.mu.Lock()
	r.tasks = append(r.tasks, ts...)
	r.pending += len(ts)
	r.mu.Unlock()
	if len(ts) == 1 {
		r.cond.Signal()
	} else {
		r.cond.Broadcast()
	}
}

// fail records err as the failure, if it is the first, and stops the walk.
func (r *recorder) fail(err error) {
	r.mu.Lock()
	if r.err == nil {
		r.err = err
		r.stopped.Store(true)
	}
	r.mu.Unlock()
	r.cond.Broadcast()
}

func (r *recorder) skip(key, reason string) {
	r.mu.Lock()
	r.skipped = append(r.skipped, Skipped{Path: key, Reason: reason})
	r.mu.Unlock()
}

// drain releases the directories held by tasks that will never run.
func (r *recorder) drain() {
	r.mu.Lock()
	ts := r.tasks
	r.tasks = nil
	r.mu.Unlock()
	for _, t := range ts {
		if t.files != nil {
			t.files.dir.release()
		}
	}
}

// seed queues the work for one path argument.
func (r *recorder) seed(key string) error {
	if key == "." {
		r.push(task{dir: &dirTask{key: ".", real: ".", start: "."}})
		return nil
	}
	// An argument inside an excluded directory is excluded, as it would be
	// when walking from the root.
	for i := range len(key) {
		if key[i] == '/' && r.cfg.exclude.excluded(key[:i], true) {
			return nil
		}
	}
	parentKey, name := path.Split(key)
	parentKey = strings.TrimSuffix(parentKey, "/")
	if parentKey == "" {
		parentKey = "."
	}
	parent, reason, err := r.resolve(".", parentKey)
	if err != nil {
		return fmt.Errorf("resolving %q: %w", key, err)
	}
	switch reason {
	case "":
	case ReasonLinkOutsideRoot:
		return fmt.Errorf("%w: %q passes through a symbolic link that leaves it", ErrOutsideRoot, key)
	case ReasonLinkDangling:
		return fmt.Errorf("recording %q: %w", key, fs.ErrNotExist)
	default:
		return fmt.Errorf("recording %q: %s", key, reason)
	}
	real := joinKey(parent, name)
	fi, err := r.root.Lstat(real)
	if err != nil {
		return fmt.Errorf("recording %q: %w", key, unwrapPath(err))
	}
	d := &dirTask{key: parentKey, real: parent, start: parent}
	var b fileBatch
	r.entry(d, name, fi.Mode().Type(), &b, nil)
	if len(b.files) > 0 {
		b.dir = &dirHandle{root: r.root, shared: true}
		r.push(task{files: &b})
	}
	return nil
}

// entry handles the entry name of directory d, of type typ. Regular files
// are added to local, to be opened by name in d, and link targets to
// linked, to be opened by their real path in the root; directories are
// queued. With linked nil (a path argument), every file goes to local by
// its real path.
func (r *recorder) entry(d *dirTask, name string, typ fs.FileMode, local, linked *fileBatch) {
	key := joinKey(d.key, name)
	ex := r.cfg.exclude
	switch {
	case typ.IsRegular():
		if ex.excluded(key, false) {
			return
		}
		if linked == nil {
			name = joinKey(d.real, name)
		}
		local.files = append(local.files, fileItem{key: key, name: name})
	case typ.IsDir():
		if !ex.excluded(key, true) {
			r.push(task{dir: &dirTask{key: key, real: joinKey(d.real, name), start: d.start, hops: d.hops}})
		}
	case typ&fs.ModeSymlink != 0:
		exFile, exDir := ex.excluded(key, false), ex.excluded(key, true)
		if exFile && exDir {
			return
		}
		target, reason, err := r.resolve(d.real, name)
		if err != nil {
			r.fail(fmt.Errorf("resolving %q: %w", key, err))
			return
		}
		if reason != "" {
			r.skip(key, reason)
			return
		}
		fi, err := r.root.Lstat(target)
		if err != nil {
			r.fail(fmt.Errorf("resolving %q: %w", key, unwrapPath(err)))
			return
		}
		switch {
		case fi.Mode().IsRegular():
			if exFile {
				return
			}
			if linked == nil { // a path argument: its batch is opened in the root
				local.files = append(local.files, fileItem{key: key, name: target})
			} else {
				linked.files = append(linked.files, fileItem{key: key, name: target})
			}
		case fi.IsDir():
			switch {
			case exDir:
			case d.encloses(target):
				r.skip(key, ReasonLinkCycle)
			case d.hops != nil && d.hops.depth >= maxLinkDepth:
				r.skip(key, ReasonLinkDepth)
			default:
				h := &hop{parent: d.hops, start: d.start, end: d.real, depth: 1}
				if d.hops != nil {
					h.depth = d.hops.depth + 1
				}
				r.push(task{dir: &dirTask{key: key, real: target, start: target, hops: h}})
			}
		default:
			if !exFile {
				r.skip(key, ReasonNotRegular)
			}
		}
	default:
		if !ex.excluded(key, false) {
			r.skip(key, ReasonNotRegular)
		}
	}
}

// joinKey joins a "/"-separated directory path and a name.
func joinKey(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

// resolve returns the real path, relative to the root, of target as seen
// from the real directory dir: every symbolic link on the way is read and
// resolved in turn, without following any outside the root. If the
// resolution leaves the root, dangles or loops, it returns the reason and no
// error; err is for I/O errors.
func (r *recorder) resolve(dir, target string) (real, reason string, err error) {
	var stack []string // elements of the real path so far
	if dir != "." {
		stack = strings.Split(dir, "/")
	}
	todo := reverse(strings.Split(target, "/")) // elements still to resolve, last first
	isDir := true                               // whether the path in stack is a directory
	links := 0
	for len(todo) > 0 {
		el := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		switch {
		case el == "" || el == ".":
			continue
		case !isDir:
			return "", ReasonLinkDangling, nil // a file has no children, not even ".."
		case el == "..":
			if len(stack) == 0 {
				return "", ReasonLinkOutsideRoot, nil
			}
			stack = stack[:len(stack)-1]
			continue
		}
		stack = append(stack, el)
		p := strings.Join(stack, "/")
		fi, err := r.root.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return "", ReasonLinkDangling, nil
		}
		if err != nil {
			return "", "", unwrapPath(err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			isDir = fi.IsDir()
			continue
		}
		if links++; links > maxLinks {
			return "", ReasonLinkLoop, nil
		}
		link, err := r.root.Readlink(p)
		if err != nil {
			return "", "", unwrapPath(err)
		}
		if link == "" {
			return "", ReasonLinkDangling, nil
		}
		stack = stack[:len(stack)-1]
		if filepath.IsAbs(link) || filepath.VolumeName(link) != "" {
			rest, ok := r.insideRoot(link)
			if !ok {
				return "", ReasonLinkOutsideRoot, nil
			}
			stack = stack[:0]
			todo = append(todo, reverse(rest)...)
			continue
		}
		todo = append(todo, reverse(strings.Split(filepath.ToSlash(link), "/"))...)
	}
	if len(stack) == 0 {
		return ".", "", nil
	}
	return strings.Join(stack, "/"), "", nil
}

// insideRoot returns the elements of the absolute link target below the
// root, if it starts with the root's path (as given or with links resolved).
// The comparison is by element, before any "..": a target such as
// "/ws/../ws/x" counts as outside. That is conservative, never wrong.
func (r *recorder) insideRoot(link string) ([]string, bool) {
	els := splitElems(link)
	for _, prefix := range r.rootPrefixes {
		if len(els) >= len(prefix) && slices.Equal(els[:len(prefix)], prefix) {
			return els[len(prefix):], true
		}
	}
	return nil, false
}

func reverse(s []string) []string {
	slices.Reverse(s)
	return s
}

// run runs the workers until every task is done or one fails, and
// assembles the result.
func (r *recorder) run() (*Result, error) {
	stop := context.AfterFunc(r.ctx, func() { r.fail(r.ctx.Err()) })
	defer stop()

	workers := make([]*worker, r.cfg.workers)
	var wg sync.WaitGroup
	for i := range workers {
		w := newWorker(r.cfg.algs)
		workers[i] = w
		wg.Go(func() { r.work(w) })
	}
	wg.Wait()
	r.drain()
	for _, w := range workers {
		w.free()
	}
	r.mu.Lock()
	err := r.err
	r.mu.Unlock()
	if err != nil {
		return nil, err
	}

	n := 0
	for _, w := range workers {
		n += len(w.out)
	}
	res := &Result{Artifacts: make(map[string]Set, n)}
	for _, w := range workers {
		for _, a := range w.out {
			res.Artifacts[a.key] = a.set
		}
	}
	slices.SortFunc(r.skipped, func(a, b Skipped) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Reason, b.Reason))
	})
	res.Skipped = slices.Compact(r.skipped)
	return res, nil
}

// work runs tasks until there are none left or the recording has failed.
func (r *recorder) work(w *worker) {
	for {
		r.mu.Lock()
		for len(r.tasks) == 0 && r.pending > 0 && r.err == nil {
			r.cond.Wait()
		}
		if r.err != nil || r.pending == 0 {
			r.mu.Unlock()
			return
		}
		t := r.tasks[len(r.tasks)-1]
		r.tasks = r.tasks[:len(r.tasks)-1]
		r.mu.Unlock()

		var err error
		if t.dir != nil {
			err = r.readDir(t.dir)
		} else {
			err = r.hashBatch(w, t.files)
		}
		if err != nil {
			r.fail(err)
		}

		r.mu.Lock()
		r.pending--
		done := r.pending == 0
		r.mu.Unlock()
		if done {
			r.cond.Broadcast()
		}
	}
}

// readDir lists directory d and queues its subdirectories and batches of
// its files.
func (r *recorder) readDir(d *dirTask) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	dir, err := r.root.OpenRoot(d.real)
	if err != nil {
		return fmt.Errorf("reading directory %q: %w", d.key, unwrapPath(err))
	}
	f, err := dir.Open(".")
	if err != nil {
		dir.Close()
		return fmt.Errorf("reading directory %q: %w", d.key, unwrapPath(err))
	}
	ents, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		dir.Close()
		return fmt.Errorf("reading directory %q: %w", d.key, unwrapPath(err))
	}

	var local, linked fileBatch
	for _, e := range ents {
		r.entry(d, e.Name(), e.Type(), &local, &linked)
	}
	if len(linked.files) > 0 {
		linked.dir = &dirHandle{root: r.root, shared: true}
		r.push(task{files: &linked})
	}
	if len(local.files) == 0 {
		dir.Close()
		return nil
	}
	n := (len(local.files) + filesPerTask - 1) / filesPerTask
	h := &dirHandle{root: dir}
	h.refs.Store(int32(n))
	ts := make([]task, 0, n)
	for files := range slices.Chunk(local.files, filesPerTask) {
		ts = append(ts, task{files: &fileBatch{dir: h, files: files}})
	}
	r.push(ts...)
	return nil
}

// hashBatch hashes the files of b.
func (r *recorder) hashBatch(w *worker, b *fileBatch) error {
	defer b.dir.release()
	for _, it := range b.files {
		if r.stopped.Load() {
			return nil // the failure is already recorded
		}
		set, err := w.hashFile(r.ctx, b.dir.root, it.name)
		if errors.Is(err, errNotRegular) {
			r.skip(it.key, ReasonNotRegular)
			continue
		}
		if err != nil {
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			return fmt.Errorf("reading %q: %w", it.key, unwrapPath(err))
		}
		w.out = append(w.out, artifact{key: it.key, set: set})
	}
	return nil
}

// errNotRegular reports a file that stopped being a regular file between
// listing its directory and opening it.
var errNotRegular = errors.New("not a regular file")

// worker is the state of one hashing goroutine.
type worker struct {
	algs    []string
	hs      []hash.Hash
	buf     *[]byte
	scratch []byte
	out     []artifact
}

type artifact struct {
	key string
	set Set
}

func newWorker(algs []string) *worker {
	w := &worker{algs: algs, hs: make([]hash.Hash, len(algs)), buf: bufPool.Get().(*[]byte)}
	for i, a := range algs {
		w.hs[i], _ = newHash(a) // checked by normaliseAlgorithms
	}
	return w
}

func (w *worker) free() {
	bufPool.Put(w.buf)
	w.buf = nil
}

// hashFile hashes the regular file name in dir. Its size, from the same
// fstat that checks its type, lets a file shorter than the buffer be read
// with one read instead of two.
func (w *worker) hashFile(ctx context.Context, dir *os.Root, name string) (Set, error) {
	f, err := dir.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errNotRegular
	}
	size := fi.Size()
	for _, h := range w.hs {
		h.Reset()
	}
	buf := *w.buf
	var total, nextCheck int64 = 0, ctxCheckBytes
	for {
		n, err := f.Read(buf)
		if n > 0 {
			for _, h := range w.hs {
				h.Write(buf[:n])
			}
			total += int64(n)
			if total >= nextCheck {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				nextCheck += ctxCheckBytes
			}
		}
		if err == io.EOF || (err == nil && n < len(buf) && total >= size) {
			// A short read of a regular file at or past its size is its end.
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return sums(w.algs, w.hs, &w.scratch), nil
}
