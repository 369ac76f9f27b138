package digest

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// recorder is the state of one Record call.
type recorder struct {
	ctx          context.Context
	root         *os.Root
	rootPrefixes [][]string
	cfg          recordConfig
	open         dirOpener
	files        bool      // workers keep Files, not Sets
	workers      []*worker // once run has returned

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
// batch to finish closes it. If shared is set, the files are instead opened
// by their real paths in the recorder's root.
type dirHandle struct {
	sys    openDir
	shared bool
	refs   atomic.Int32
}

func (h *dirHandle) release() {
	if !h.shared && h.refs.Add(-1) == 0 {
		h.sys.close()
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
	r.entry(d, dirEntry{key: key, name: name, typ: fi.Mode().Type()}, &b, nil)
	if len(b.files) > 0 {
		b.dir = &dirHandle{shared: true}
		r.push(task{files: &b})
	}
	return nil
}

// entry handles the entry e of directory d. Regular files are added to
// local, to be opened by name in d, and link targets to linked, to be
// opened by their real path in the root; directories are queued. With
// linked nil (a path argument), every file goes to local by its real path.
func (r *recorder) entry(d *dirTask, e dirEntry, local, linked *fileBatch) {
	key, name, typ := e.key, e.name, e.typ
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
				r.fail(&NotRegularError{Path: key, Type: fi.Mode().Type(), Link: true})
			}
		}
	default:
		if !ex.excluded(key, false) {
			r.fail(&NotRegularError{Path: key, Type: typ})
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

// run runs the workers until every task is done or one fails.
func (r *recorder) run() error {
	stop := context.AfterFunc(r.ctx, func() { r.fail(r.ctx.Err()) })
	defer stop()

	workers := make([]*worker, r.cfg.workers)
	var wg sync.WaitGroup
	for i := range workers {
		w := newWorker(r.cfg.algs)
		w.files = r.files
		w.workers = len(workers)
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
		return err
	}
	r.workers = workers
	slices.SortFunc(r.skipped, func(a, b Skipped) int {
		return cmp.Or(strings.Compare(a.Path, b.Path), strings.Compare(a.Reason, b.Reason))
	})
	r.skipped = slices.Compact(r.skipped)
	return nil
}

// result assembles the Sets the workers kept.
func (r *recorder) result() *Result {
	n := 0
	for _, w := range r.workers {
		n += len(w.out)
	}
	res := &Result{Artifacts: make(map[string]Set, n), Skipped: r.skipped}
	for _, w := range r.workers {
		for _, a := range w.out {
			res.Artifacts[a.key] = a.set
		}
		w.out = nil
	}
	return res
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
			err = r.readDir(w, t.dir)
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
func (r *recorder) readDir(w *worker, d *dirTask) error {
	if err := r.ctx.Err(); err != nil {
		return err
	}
	prefix := ""
	if d.key != "." {
		prefix = d.key + "/"
	}
	dir, ents, err := r.open(r.root, d.real, prefix, *w.buf)
	if err != nil {
		return fmt.Errorf("reading directory %q: %w", d.key, unwrapPath(err))
	}
	local := fileBatch{files: make([]fileItem, 0, len(ents))}
	var linked fileBatch
	for _, e := range ents {
		r.entry(d, e, &local, &linked)
	}
	if r.files {
		// Batches sorted by path, so that [RecordArtifacts] mostly joins
		// sorted runs rather than sorting every file: the local files by
		// name, which orders their keys (one directory's, one prefix) for
		// less than comparing keys, and the link targets by key.
		slices.SortFunc(local.files, byName)
		slices.SortFunc(linked.files, func(a, b fileItem) int { return strings.Compare(a.key, b.key) })
	}
	if len(linked.files) > 0 {
		linked.dir = &dirHandle{shared: true}
		r.push(task{files: &linked})
	}
	if len(local.files) == 0 {
		dir.close()
		return nil
	}
	n := (len(local.files) + filesPerTask - 1) / filesPerTask
	h := &dirHandle{sys: dir}
	h.refs.Store(int32(n))
	ts := make([]task, 0, n)
	for files := range slices.Chunk(local.files, filesPerTask) {
		ts = append(ts, task{files: &fileBatch{dir: h, files: files}})
	}
	r.push(ts...)
	return nil
}

// byName orders files by name, as strings.Compare orders the names.
func byName(a, b fileItem) int {
	if pa, pb := namePrefix(a.name), namePrefix(b.name); pa != pb {
		return cmp.Compare(pa, pb)
	}
	return strings.Compare(a.name, b.name)
}

// namePrefix is the first eight bytes of s as a big-endian integer, zeros
// past its end: where two names' prefixes differ, the names compare as
// the prefixes do. Sorting a directory's thousand names by their prefixes
// first, with strings.Compare only for equal prefixes, saves most of the
// calls to compare them.
func namePrefix(s string) uint64 {
	if len(s) < 8 {
		return shortPrefix(s)
	}
	return uint64(s[0])<<56 | uint64(s[1])<<48 | uint64(s[2])<<40 | uint64(s[3])<<32 |
		uint64(s[4])<<24 | uint64(s[5])<<16 | uint64(s[6])<<8 | uint64(s[7])
}

// shortPrefix is namePrefix of a name shorter than eight bytes.
func shortPrefix(s string) uint64 {
	var b [8]byte
	copy(b[:], s)
	return binary.BigEndian.Uint64(b[:])
}

// openDir is an open directory, its files hashed in batches.
type openDir interface {
	// hashFiles hashes each of files, named in the directory, and calls
	// each with the outcome (the digests are then in w.hs), stopping when
	// each returns false.
	hashFiles(ctx context.Context, w *worker, files []fileItem, each func(fileItem, error) bool) error
	close()
}

// dirOpener opens the directory real (a path with no links) in root and
// lists it, each entry's key being prefix and its name; buf, if it helps,
// is for the listing.
type dirOpener func(root *os.Root, real, prefix string, buf []byte) (openDir, []dirEntry, error)

// dirEntry is a name in a directory, its key (the directory's key, "/"
// and the name; the name is the key's end) and its type, from the listing.
type dirEntry struct {
	key, name string
	typ       fs.FileMode
}

// hashBatch hashes the files of b.
func (r *recorder) hashBatch(w *worker, b *fileBatch) error {
	defer b.dir.release()
	if w.files {
		defer w.endRun(w.n)
	}
	var changed *NotRegularError
	each := func(it fileItem, err error) bool {
		switch {
		case err == nil:
			w.keep(it.key)
		case errors.As(err, &changed):
			// Listed as a regular file, and something else once opened.
			r.fail(&NotRegularError{Path: it.key, Type: changed.Type})
			return false
		case r.ctx.Err() != nil:
			r.fail(r.ctx.Err())
			return false
		default:
			r.fail(fmt.Errorf("reading %q: %w", it.key, unwrapPath(err)))
			return false
		}
		return !r.stopped.Load()
	}
	if !b.dir.shared {
		return b.dir.sys.hashFiles(r.ctx, w, b.files, each)
	}
	// Link targets and path arguments: opened by real path in the root.
	for _, it := range b.files {
		err := w.hashRootFile(r.ctx, r.root, it.name)
		if !each(it, err) {
			break
		}
	}
	return nil
}

// worker is the state of one hashing goroutine.
type worker struct {
	algs    []string
	hs      []hash.Hash
	buf     *[]byte
	scratch []byte
	fdr     fdReader
	ring    ringWorker
	workers int // hashing at once, this one included; 0 for one alone
	// named is set for the files a caller names one by one ([Files]):
	// opened as given (links followed), and left to [File] whenever the
	// ring's path would not hash them as File does.
	named bool
	out   []artifact
	// files, when set, keeps each file as an [Artifact] in blocks rather
	// than as a Set in out (SHA-256 alone, see [RecordArtifacts]). Blocks
	// of a fixed size are filled in turn, so that a million files are never
	// copied to grow a slice.
	files  bool
	blocks [][]Artifact
	n      int    // Artifacts in blocks
	runs   []span // of the Artifacts in blocks, one per batch
}

// span is the Artifacts start to end (exclusive) of a worker's blocks,
// counted across them.
type span struct{ start, end int }

// endRun notes the Artifacts kept since start as the run of one batch.
func (w *worker) endRun(start int) {
	if w.n > start {
		w.runs = append(w.runs, span{start, w.n})
	}
}

// appendSpan appends the Artifacts of s to dst.
func (w *worker) appendSpan(dst []Artifact, s span) []Artifact {
	for i := s.start; i < s.end; {
		b := w.blocks[i/artifactBlock]
		j := min(len(b), i%artifactBlock+s.end-i)
		dst = append(dst, b[i%artifactBlock:j]...)
		i += j - i%artifactBlock
	}
	return dst
}

// at is the i-th Artifact of w's blocks.
func (w *worker) at(i int) *Artifact { return &w.blocks[i/artifactBlock][i%artifactBlock] }

// artifactBlock is how many Artifacts a worker's block holds (192 KiB).
const artifactBlock = 4096

// keep records the file key, whose digests are in w.hs.
func (w *worker) keep(key string) {
	if w.files {
		if n := len(w.blocks); n == 0 || len(w.blocks[n-1]) == artifactBlock {
			w.blocks = append(w.blocks, make([]Artifact, 0, artifactBlock))
		}
		b := &w.blocks[len(w.blocks)-1]
		*b = append(*b, Artifact{Path: key})
		w.hs[0].Sum((*b)[len(*b)-1].SHA256[:0])
		w.n++
		return
	}
	w.out = append(w.out, artifact{key: key, set: sums(w.algs, w.hs, &w.scratch)})
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
	w.ring.free()
}

// hashRootFile hashes the regular file name (a path with no links) in
// root. O_NONBLOCK keeps one that has become a named pipe since it was
// looked at from blocking the open; the fstat then refuses it.
func (w *worker) hashRootFile(ctx context.Context, root *os.Root, name string) error {
	f, err := root.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return w.hashOSFile(ctx, f)
}

// hashOSFile hashes f if it is a regular file.
func (w *worker) hashOSFile(ctx context.Context, f *os.File) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return &NotRegularError{Path: f.Name(), Type: fi.Mode().Type()}
	}
	return w.hashFrom(ctx, f, fi.Size())
}

// hashFrom hashes what f yields into w.hs. size, from the fstat that
// checked the file's type, lets a file shorter than the buffer be read with
// one read instead of two: a short read that brings the bytes read to
// exactly size is the end of the file. Any other short read is not: a
// procfs file says 0 bytes and yields a page a read, and a file may have
// grown since the fstat; both are read to their end, never hashed as a
// prefix.
func (w *worker) hashFrom(ctx context.Context, f io.Reader, size int64) error {
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
					return err
				}
				nextCheck += ctxCheckBytes
			}
		}
		if err == io.EOF || (err == nil && n < len(buf) && total == size) {
			break
		}
		if err != nil {
			return err
		}
	}
	return nil
}
