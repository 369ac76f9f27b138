package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/limits"
)

// subjectDigest reads --subject: a digest, or a file to hash with algs
// (default SHA-256).
func subjectDigest(s string, algs ...string) (digest.Set, error) {
	fi, err := os.Stat(s)
	if err != nil && strings.Contains(s, ":") {
		return digest.Parse(s)
	}
	if err == nil && fi.IsDir() {
		// An artifact is one file: a directory has no one digest.
		return nil, withHint(fmt.Errorf("subject: %s is a directory, not an artifact", s),
			"--subject takes one file, or its digest as sha256:HEX; 'consign inspect FILE' lists the subjects an attestation names")
	}
	d, err := digest.File(s, algs...)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	return d, nil
}

// subjectHash is the digest of --subject. A file is hashed with SHA-256
// in the background, from the moment the flag is read, so that hashing a
// large artifact overlaps reading the attestations; SHA-512 (for
// Ed25519ph blob signatures and subjects that name it) is computed only
// if an attestation read may use it.
type subjectHash struct {
	path string
	done chan struct{}
	set  digest.Set
	err  error
}

// hashSubject starts reading --subject s: a digest is parsed at once, a
// file's hashing starts.
func hashSubject(s string) (*subjectHash, error) {
	h := &subjectHash{done: make(chan struct{})}
	fi, err := os.Stat(s)
	if err != nil || !fi.Mode().IsRegular() {
		// A digest, or an error naming the path.
		h.set, h.err = subjectDigest(s)
		close(h.done)
		return h, h.err
	}
	h.path = s
	go func() {
		defer close(h.done)
		if h.set, h.err = digest.File(s, digest.SHA256); h.err != nil {
			h.err = fmt.Errorf("subject: %w", h.err)
		}
	}()
	return h, nil
}

// digest waits for the subject's digest, adding SHA-512 when need512
// and the subject is a file.
func (h *subjectHash) digest(need512 bool) (digest.Set, error) {
	<-h.done
	if h.err != nil || !need512 || h.path == "" {
		return h.set, h.err
	}
	d, err := digest.File(h.path, digest.SHA512)
	if err != nil {
		return nil, fmt.Errorf("subject: %w", err)
	}
	set := maps.Clone(h.set)
	maps.Copy(set, d)
	return set, nil
}

// needsSHA512 reports whether any of items may be checked with an
// artifact's SHA-512: a signature over a blob (Ed25519ph signs it), or a
// statement or link that names the algorithm anywhere (a superset of
// those whose subjects carry it, so no comparison is ever left out).
func needsSHA512(files []fileItems) bool {
	for _, f := range files {
		if slices.ContainsFunc(f.items, needSHA512) {
			return true
		}
	}
	return false
}

func needSHA512(it attest.Item) bool {
	switch {
	case it.Err != nil:
		return false
	case it.Blob != nil:
		return true
	case it.Envelope != nil:
		return bytes.Contains(it.Envelope.Payload, []byte(digest.SHA512))
	case it.Link != nil:
		for _, s := range it.Link.ProductSubjects() {
			if _, ok := s.Digest[digest.SHA512]; ok {
				return true
			}
		}
	}
	return false
}

// verifyOptions are --type and --threshold as attest options, and
// --subject started hashing (nil without --subject).
func verifyOptions(typ, subject string, threshold int) (attest.VerifyOptions, *subjectHash, error) {
	opts := attest.VerifyOptions{Threshold: threshold}
	if typ != "" {
		t, err := resolveTypeFlag(typ)
		if err != nil {
			return opts, nil, err
		}
		opts.PredicateTypes = []string{t}
	}
	if subject == "" {
		return opts, nil, nil
	}
	h, err := hashSubject(subject)
	if err != nil {
		return opts, nil, err
	}
	if h.path != "" {
		opts.Artifact = func() ([]byte, error) { return limits.ReadFile(subject, limits.PureEd25519Blob) }
	}
	return opts, h, nil
}

// fileItems are the items read from one file, or why it did not read
// as attestations.
type fileItems struct {
	name  string
	items []attest.Item
	err   error
}

// readFiles reads the items of every file.
func readFiles(ctx context.Context, files []string) ([]fileItems, error) {
	out := make([]fileItems, 0, len(files))
	for _, f := range files {
		// A directory is read as verify --attestations reads one: every
		// attestation file in it, in lexical order.
		if fi, err := os.Stat(f); err == nil && fi.IsDir() {
			names, err := evidence.AttestationFiles(f)
			if errors.Is(err, evidence.ErrNoAttestationFiles) {
				return nil, withHint(err, "give a directory holding attestations, or the attestation files themselves")
			}
			if err != nil {
				return nil, err
			}
			for _, name := range names {
				items, err := readFound(ctx, name)
				if err != nil && unreadable(err) {
					return nil, fmt.Errorf("reading attestations: %w", err)
				}
				out = append(out, fileItems{filepath.ToSlash(name), items, err})
			}
			continue
		}
		items, err := readAttestationFile(ctx, f)
		if err != nil && unreadable(err) {
			return nil, fmt.Errorf("reading attestations: %w", err)
		}
		out = append(out, fileItems{f, items, err})
	}
	return out, nil
}

// verifyFiles verifies every item of every file; a file that does not
// read as attestations is one invalid result.
func verifyFiles(ctx context.Context, files []fileItems, kr *attest.Keyring, opts attest.VerifyOptions) ([]itemResult, error) {
	var results []itemResult
	for _, f := range files {
		if f.err != nil {
			r := itemResult{Source: f.name, Status: "invalid", Reason: f.err.Error(), err: f.err}
			if errors.Is(f.err, attest.ErrEmpty) {
				r.Reason = attest.ErrEmpty.Error() // the line names the file
			}
			results = append(results, r)
			continue
		}
		for i := range f.items {
			// A Ctrl-C stops the checks: no report of what was not done.
			if i%64 == 0 && ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			results = append(results, verifyOne(&f.items[i], kr, opts))
		}
	}
	return results, nil
}

// readFound is [readAttestationFile] for a file listed in a directory
// ([evidence.OpenFound]).
func readFound(ctx context.Context, path string) ([]attest.Item, error) {
	f, err := evidence.OpenFound(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return attest.ReadFrom(ctx, io.LimitReader(f, limits.AttestationFile+1), path)
}
