package evidence

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/limits"
	"github.com/consign-dev/consign/internal/receipt"
	"github.com/consign-dev/consign/internal/tlog"
	"github.com/consign-dev/consign/internal/verify"
)

// attestationExts are the file names ReadAttestations picks in a directory.
var attestationExts = []string{".jsonl", ".link", ".intoto.json", ".dsse.json", ".dsse", ".sigstore.json", ".bundle"}

// ErrNoAttestationFiles is returned by [ReadAttestations] for a directory
// that holds no file of the names it reads.
var ErrNoAttestationFiles = errors.New("no attestation files")

// receiptsExt names the receipts kept beside attestations ([receipt.PathFor]).
const receiptsExt = ".receipts.jsonl"

// isAttestationFile reports whether ReadAttestations reads a file of this
// name when it finds it in a directory.
func isAttestationFile(name string) bool {
	if strings.HasSuffix(name, receiptsExt) {
		return false // transparency-log receipts, kept beside the attestations
	}
	for _, ext := range attestationExts {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// ReadAttestations reads attestation files. A path that names a file is
// read whatever its name; a directory is walked (symbolic links in it are
// not followed) and its regular files named *.jsonl, *.link, *.intoto.json,
// *.dsse.json, *.dsse, *.sigstore.json and *.bundle are read, in lexical
// order; *.receipts.jsonl (receipts kept beside attestations) are not; a
// named pipe, socket or device of such a name is refused (an error
// wrapping [digest.ErrNotRegular]). Each file is capped at
// [limits.AttestationFile] bytes. A directory that holds none of those
// is an error wrapping [ErrNoAttestationFiles]. Errors wrap
// [fs.ErrNotExist], [limits.ErrTooLarge] and the like.
func ReadAttestations(ctx context.Context, paths []string) ([]verify.Input, error) {
	var out []verify.Input
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("reading attestations: %w", err)
		}
		files := []string{p}
		if fi.IsDir() {
			if files, err = AttestationFiles(p); err != nil {
				return nil, err
			}
		}
		for _, f := range files {
			// Found in a directory, f is opened as one that was listed.
			// An envelope line is decoded as it streams, never held
			// whole beside its payload.
			docs, err := readDocuments(ctx, f, fi.IsDir(), &attest.EnvelopeSink{})
			if err != nil {
				return nil, fmt.Errorf("reading attestations: %w", err)
			}
			out = append(out, verify.Input{Name: filepath.ToSlash(f), Docs: docs})
		}
	}
	return out, nil
}

// AttestationFiles lists the attestation files [ReadAttestations] reads in
// the directory dir, in lexical order, by the same rules. A directory that
// holds none is an error wrapping [ErrNoAttestationFiles]; a named pipe,
// socket or device of such a name, one wrapping [digest.ErrNotRegular].
// Open each with [OpenFound].
func AttestationFiles(dir string) ([]string, error) {
	files, err := walk(dir, isAttestationFile, false)
	if err != nil {
		return nil, fmt.Errorf("reading attestations: %w", err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w in directory %s: it reads *%s (and not *%s, the receipts)",
			ErrNoAttestationFiles, dir, strings.Join(attestationExts, ", *"), receiptsExt)
	}
	sort.Strings(files)
	return files, nil
}

// OpenFound opens a file [AttestationFiles] listed, capped at
// [limits.AttestationFile] bytes, refusing it (with a
// [*digest.NotRegularError]) if it was swapped since for anything but a
// regular file.
func OpenFound(path string) (*os.File, error) { return openFound(path, limits.AttestationFile) }

// receiptFiles names where the receipts of attestation files are kept: for
// a file, [receipt.PathFor] (which may not exist), or [receipt.LegacyPathFor]
// when only that exists; for a directory, every
// *.receipts.jsonl under it.
func receiptFiles(paths []string) ([]string, error) {
	var files []string
	for _, a := range paths {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("reading attestations: %w", err)
		}
		if !fi.IsDir() {
			// Found beside the file, not named: not a pipe to block on.
			p := receipt.PathFor(a)
			if old := receipt.LegacyPathFor(a); old != "" {
				if _, err := os.Lstat(p); errors.Is(err, fs.ErrNotExist) {
					p = old // written by an older consign
				}
			}
			if fi, err := os.Stat(p); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
				return nil, &digest.NotRegularError{Path: p, Type: fi.Mode().Type()}
			}
			files = append(files, p)
			continue
		}
		found, err := walk(a, func(name string) bool { return strings.HasSuffix(name, receiptsExt) }, true)
		if err != nil {
			return nil, err
		}
		files = append(files, found...)
	}
	return files, nil
}

// ReadReceipts reads the receipts of attestation files (receiptFiles):
// one [verify.Input] per receipt file that exists, each capped at
// [limits.AttestationFile] bytes. Nothing is verified here.
func ReadReceipts(ctx context.Context, paths []string) ([]verify.Input, error) {
	files, err := receiptFiles(paths)
	if err != nil {
		return nil, err
	}
	var out []verify.Input
	for _, f := range files {
		docs, err := readDocuments(ctx, f, true, nil)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading receipts: %w", err)
		}
		out = append(out, verify.Input{Name: filepath.ToSlash(f), Docs: docs})
	}
	return out, nil
}

// walk lists the files under root whose names pick chooses, in the order
// filepath.WalkDir visits them (lexical). Directories are walked, not
// followed through links. A symbolic link is listed when links is set
// (the reader follows it) and passed over otherwise. A named pipe, socket
// or device of a chosen name is refused with a [*digest.NotRegularError]:
// opening a pipe nobody writes to would never return. So is a link to one.
func walk(root string, pick func(name string) bool, links bool) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !pick(d.Name()) {
			return nil
		}
		switch t := d.Type(); {
		case t.IsRegular():
		case t&fs.ModeSymlink != 0:
			if !links {
				return nil
			}
			if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() && !fi.IsDir() {
				return &digest.NotRegularError{Path: path, Type: fi.Mode().Type(), Link: true}
			}
		default:
			return &digest.NotRegularError{Path: path, Type: t}
		}
		files = append(files, path)
		return nil
	})
	return files, err
}

// readDocuments reads the documents of the file at path as a stream
// ([jsonl.Documents]): one line at a time, each line and the count of
// lines bounded, never the whole file and its split. A file found rather
// than named (listed in a directory, or beside a named file) is opened
// with [openFound]. Long lines are offered to sink, if not nil.
func readDocuments(ctx context.Context, path string, found bool, sink jsonl.Sink) ([]jsonl.Line, error) {
	open := limits.Open
	if found {
		open = openFound
	}
	f, err := open(path, limits.AttestationFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = io.LimitReader(f, limits.AttestationFile+1)
	if fi, err := f.Stat(); err == nil && !fi.Mode().IsRegular() {
		r = cappedFile{r, f} // a named pipe
	}
	docs, err := jsonl.StreamDocuments(ctx, r, filepath.ToSlash(path), jsonl.Limits{}, sink)
	if err != nil {
		return nil, err
	}
	if docs == nil {
		docs = []jsonl.Line{} // read, and empty
	}
	return docs, nil
}

// cappedFile is a file read through a cap on its bytes that still takes
// read deadlines: the reader of a named pipe cuts a read waiting on the
// pipe's writer with one when its context ends ([jsonl.NewReader]), which
// it cannot do through the cap alone.
type cappedFile struct {
	io.Reader
	f *os.File
}

func (c cappedFile) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// ReceiptError is a receipt file holding a receipt that does not verify
// with the log's key. Such a receipt is never skipped.
type ReceiptError struct {
	File string
	Err  error
}

func (e *ReceiptError) Error() string { return fmt.Sprintf("receipts in %s: %v", e.File, e.Err) }

// Unwrap returns the receipt's error (wrapping tlog's sentinels).
func (e *ReceiptError) Unwrap() error { return e.Err }

// Receipts reads the receipts kept beside attestation files
// ([ReadReceipts]) and verifies each, offline, with the log's key (which
// the caller got out of band, never from the log), into a set that checks
// receipts for [verify.Config]. It returns the set and how many receipts
// verified. A receipt that does not verify is a [*ReceiptError]; an
// attestation without a receipt is left to the policy.
func Receipts(ctx context.Context, log *tlog.Verifier, attestations []string) (*receipt.Set, int, error) {
	files, err := ReadReceipts(ctx, attestations)
	if err != nil {
		return nil, 0, err
	}
	set := receipt.NewSet(log, tlog.CheckpointOptions{})
	found := 0
	for _, f := range files {
		n, err := set.AddLines(f.Docs, f.Name)
		if err != nil {
			return nil, 0, &ReceiptError{File: f.Name, Err: err}
		}
		found += n
	}
	return set, found, nil
}

// openFound is [limits.Open] for a file found, not named: walk and
// receiptFiles looked at its type, but it may have been swapped since for
// a named pipe (whose open would wait for ever for a writer) or a link to
// a device. It is opened without blocking and refused, with a
// [*digest.NotRegularError], unless the open file is a regular one.
func openFound(path string, max int64) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
	case !fi.Mode().IsRegular():
		err = &digest.NotRegularError{Path: path, Type: fi.Mode().Type()}
	case fi.Size() > max:
		err = fmt.Errorf("%w: %s is %d bytes, the limit is %d", limits.ErrTooLarge, path, fi.Size(), max)
	default:
		return f, nil
	}
	f.Close()
	return nil, err
}
