package pack_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/pack"
)

// cancelAfter reads r and, once more than at bytes have been read,
// cancels its context; it counts the reads made after that.
type cancelAfter struct {
	r      io.Reader
	at     int64
	n      int64
	cancel context.CancelCauseFunc
	cause  error
	after  int // reads after the cancel
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	if c.n > c.at {
		c.after++
	}
	n, err := c.r.Read(p)
	if c.n += int64(n); c.n > c.at {
		c.cancel(c.cause)
	}
	return n, err
}

// TestReadStopsWhenCancelled: a pack whose read is cancelled half-way
// through (a Ctrl-C while an artifact of many gigabytes, or a long file of
// attestations, is read) stops at once: not one more read of the file, the
// context's cause as the error (not a damaged pack), and nothing
// extracted. Read used to carry on to the end of the pack.
func TestReadStopsWhenCancelled(t *testing.T) {
	noise := make([]byte, 8<<20) // random: as large gzip-compressed
	rand.NewChaCha8([32]byte{1}).Read(noise)
	artifact := file("artifacts/app.bin", string(noise))
	line := `{"payloadType":"application/vnd.in-toto+json","payload":"` + strings.Repeat("A", 64<<10) + `","signatures":[]}` + "\n"
	atts := file("attestations/all.intoto.jsonl", strings.Repeat(line, 128))
	for _, tt := range []struct {
		name string
		gz   bool
		at   int64 // where to cancel: past the manifest and the policy
	}{
		{"in an artifact", false, 4 << 20},
		{"in an artifact, gzip", true, 4 << 20},
		{"in attestations", false, 12 << 20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			data := archive(t, tt.gz, manifestFor(t, policyFile, artifact, atts), policyFile, artifact, atts)
			if int64(len(data)) <= tt.at+(1<<20) {
				t.Fatalf("the pack is %d bytes: too small to cancel at %d", len(data), tt.at)
			}
			if _, err := pack.Read(context.Background(), bytes.NewReader(data), pack.Options{}); err != nil {
				t.Fatalf("Read(not cancelled) = %v", err)
			}
			dest, guard := sentinel(t)
			cause := errors.New("interrupted by SIGINT")
			ctx, cancel := context.WithCancelCause(context.Background())
			defer cancel(nil)
			r := &cancelAfter{r: bytes.NewReader(data), at: tt.at, cancel: cancel, cause: cause}
			p, err := pack.Read(ctx, r, pack.Options{ExtractTo: dest})
			if err == nil {
				p.Close()
				t.Fatal("Read(cancelled half-way) read the whole pack")
			}
			if !errors.Is(err, cause) || errors.Is(err, pack.ErrInvalid) {
				t.Errorf("Read(cancelled half-way) = %v, want the context's cause %v", err, cause)
			}
			if r.after != 0 {
				t.Errorf("%d reads after the cancel, want none", r.after)
			}
			assertUntouched(t, dest, guard)
		})
	}

	t.Run("list", func(t *testing.T) {
		data := archive(t, false, manifestFor(t, policyFile, artifact), policyFile, artifact)
		cause := errors.New("interrupted by SIGINT")
		ctx, cancel := context.WithCancelCause(context.Background())
		defer cancel(nil)
		r := &cancelAfter{r: bytes.NewReader(data), at: 4 << 20, cancel: cancel, cause: cause}
		if l, err := pack.List(ctx, r, pack.Limits{}); l != nil || !errors.Is(err, cause) {
			t.Errorf("List(cancelled half-way) = %+v, %v; want nil and the context's cause", l, err)
		}
		if r.after != 0 {
			t.Errorf("%d reads after the cancel, want none", r.after)
		}
		path := filepath.Join(t.TempDir(), "r.pack")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel = context.WithCancelCause(context.Background())
		cancel(cause)
		if l, err := pack.ListFile(ctx, path, pack.Limits{}); l != nil || !errors.Is(err, cause) {
			t.Errorf("ListFile(cancelled) = %+v, %v; want nil and the context's cause", l, err)
		}
	})
}
