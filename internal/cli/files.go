package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/jsonl"
	"github.com/consign-dev/consign/internal/limits"
)

// readEnvelopes reads a file of DSSE envelopes (.intoto.jsonl or one
// envelope). Anything else, or any line that is not a well-formed
// envelope, is an error: the log takes envelopes only.
func readEnvelopes(ctx context.Context, path string) ([]*attest.Envelope, error) {
	f, err := limits.Open(path, limits.AttestationFile)
	if err != nil {
		return nil, fmt.Errorf("reading attestations: %w", err)
	}
	defer f.Close()
	docs, err := jsonl.Documents(ctx, f, path, jsonl.Limits{})
	if err != nil {
		return nil, fmt.Errorf("reading attestations: %w", err)
	}
	if len(docs) == 0 {
		// An input error, not a verification that said no.
		return nil, withHint(fmt.Errorf("%s is empty: it holds no attestations", path), "give the .intoto.jsonl file that 'consign attest' or 'consign run' wrote")
	}
	items, err := attest.ReadDocuments(docs, path)
	if err != nil {
		return nil, err
	}
	envs := make([]*attest.Envelope, 0, len(items))
	for _, it := range items {
		if it.Err != nil {
			return nil, fmt.Errorf("%s: %w", it.Source, it.Err)
		}
		if it.Format != attest.FormatDSSE || it.Envelope == nil {
			return nil, fmt.Errorf("%w: %s is a %s; the log takes DSSE envelopes (.intoto.jsonl)", attest.ErrMalformed, it.Source, it.Describe())
		}
		if it.Malformed > 0 {
			return nil, fmt.Errorf("%w: %s has %d malformed signature(s)", attest.ErrMalformed, it.Source, it.Malformed)
		}
		envs = append(envs, it.Envelope)
	}
	return envs, nil
}

// checkAppendable is nil when envelopes may be appended to path: it does
// not exist yet, is empty, or already holds JSON Lines of DSSE envelopes,
// one per line. Appending to anything else (a predicate, a pretty-printed
// envelope, random bytes) would make a file no reader takes, so it is an
// error that leaves the file alone.
func checkAppendable(ctx context.Context, path string) error {
	f, err := limits.Open(path, limits.AttestationFile)
	if errors.Is(err, fs.ErrNotExist) {
		return checkDirOf(path)
	} else if err != nil {
		return fmt.Errorf("reading %s to append to it: %w", path, err)
	}
	defer f.Close()
	rd := jsonl.NewReader(ctx, f, path, jsonl.Limits{})
	for {
		line, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading %s to append to it: %w", path, err)
		}
		src := fmt.Sprintf("%s:%d", path, line.N)
		items, err := attest.Read(line.Data, src)
		if err == nil && len(items) == 1 && items[0].Err == nil && items[0].Format == attest.FormatDSSE {
			continue
		}
		what := "not a DSSE envelope"
		if err == nil && len(items) == 1 && items[0].Err == nil {
			what = "a " + items[0].Describe()
		}
		return withHint(fmt.Errorf("%s is %s: consign appends attestations only to a file of DSSE envelopes, one per line", src, what),
			"give --out a new file, or the .intoto.jsonl file that holds the attestations")
	}
}

// checkDirOf is nil when the directory path would be created in exists. A
// command that writes its result after doing work (a step's record, a
// server's ready file) checks it before the work, so that a typo in the
// path costs nothing and leaves nothing done without its record.
func checkDirOf(path string) error {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return withHint(fmt.Errorf("cannot write %s: directory %s: %w", path, dir, err), "create the directory first, or give a path in one that exists")
	}
	if !fi.IsDir() {
		return withHint(fmt.Errorf("cannot write %s: %s is not a directory", path, dir), "give a path in a directory that exists")
	}
	return nil
}

// checkReplaceable checks, before a command starts anything, that it
// will be able to replace path (a file it writes whole, as fsutil.WriteFile
// does: a temporary file beside it, renamed over it): its directory
// exists and takes new files, and path, if there, is a regular file.
func checkReplaceable(path string) error {
	if err := checkDirOf(path); err != nil {
		return err
	}
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return withHint(fmt.Errorf("cannot write %s: it is %s, not a regular file", path, digest.TypeName(fi.Mode().Type())),
			"give the path of a regular file to create or replace")
	}
	dir := filepath.Dir(path)
	probe, err := os.CreateTemp(dir, "."+filepath.Base(path)+".probe-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return withHint(fmt.Errorf("cannot write %s: directory %s: %w", path, dir, err), "give a path in a directory you can write")
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// marshalLines is receipts (or envelopes) as JSON Lines.
func marshalLines[T any](vs []T) ([]byte, error) {
	var b bytes.Buffer
	for _, v := range vs {
		line, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes(), nil
}

// newClient is the client of the server at serverURL (token may be
// empty). It waits out a server that answers 429 or 503 with Retry-After
// as [client.Config.MaxRetryWait] allows, and says so on stderr each time.
// Its error wraps client.ErrURL: a usage error, with its hint.
func newClient(deps *Deps, serverURL, token string) (*client.Client, error) {
	return client.New(client.Config{URL: serverURL, Token: token, OnRetry: func(e *api.Error, wait time.Duration) {
		fmt.Fprintf(deps.Stderr, "consign: %v; trying again in %s\n", e, wait)
	}})
}

// tokenFrom is --token, else CONSIGN_TOKEN.
func tokenFrom(deps *Deps, flag string) string {
	if flag != "" {
		return flag
	}
	return deps.getenv("CONSIGN_TOKEN")
}

// readAttestationFile reads the signed items of the file at path as a
// stream ([attest.ReadFrom]). An error wrapping [attest.ErrNothingToVerify],
// [attest.ErrEmpty] or [attest.ErrMalformed] is about what the file holds; any other is
// about reading it (opening it, a line or a count of lines over the limits).
func readAttestationFile(ctx context.Context, path string) ([]attest.Item, error) {
	return readStream(ctx, path, attest.ReadFrom)
}

// readStream opens the file at path (at most [limits.AttestationFile]
// bytes, a regular file) and reads it with read, as a stream.
func readStream[T any](ctx context.Context, path string, read func(context.Context, io.Reader, string) (T, error)) (T, error) {
	f, err := limits.Open(path, limits.AttestationFile)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return read(ctx, f, path)
}

// unreadable reports whether err, from [readAttestationFile], is about
// reading the file rather than what it holds.
func unreadable(err error) bool {
	return !errors.Is(err, attest.ErrNothingToVerify) && !errors.Is(err, attest.ErrEmpty) && !errors.Is(err, attest.ErrMalformed)
}
