// Package step runs one step of a supply chain (a build, a test, a packaging
// command) and records what it read and wrote: the digests of its materials
// before it ran, of its products after, its command line, exit code and the
// digests of its output. From a [Record] it builds an in-toto link v0.3
// statement, a SLSA Provenance v1 statement, and a legacy in-toto v0.9 link.
//
// # Trust
//
// Nothing in the working directory configures the recorder: there is no
// workspace-local settings file or environment variable that could hide an
// artifact (security case 37 in docs/security.md). The exclude patterns in force are written into
// the attestation so a verifier can see them.
//
// # Secrets
//
// The recorded command is signed and may be published, so secrets in it
// (a token in a clone URL, a --password flag, an Authorization header) are
// replaced with "[REDACTED]" by [redact.Args] before it is recorded; the
// command itself runs with its arguments as given. The record lists the
// indexes of the arguments changed, and the statements say so. No process
// environment variable is recorded. [Config.KeepSecretsUnsafe] records the
// command verbatim.
package step

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/redact"
)

// Config says what to run and what to record.
type Config struct {
	Name      string   // the step's name, as the policy names it
	Dir       string   // working directory and recording root; default "."
	Materials []string // paths (relative to Dir) hashed before the command runs
	Products  []string // paths hashed after it ran
	Exclude   []string // gitignore-style patterns left out of both
	Command   []string // argv; empty records artifacts only
	// Stdout and Stderr receive the command's output as it runs (default: discarded).
	Stdout, Stderr io.Writer
	// Now is the clock (default time.Now).
	Now func() time.Time
	// KeepSecretsUnsafe records the command verbatim, with any secret in
	// it; by default secrets are redacted ('consign run --no-redact').
	KeepSecretsUnsafe bool
}

// Record is what one step did.
type Record struct {
	Name    string
	Command []string // as recorded: with secrets redacted unless kept
	// Redacted are the indexes of the Command arguments in which a secret
	// was replaced with [redact.Placeholder].
	Redacted []int
	// Materials and Products are the files hashed, sorted by path
	// ([digest.RecordArtifacts]; [digest.ArtifactsOf] makes them of Sets).
	Materials  []digest.Artifact
	Products   []digest.Artifact
	Skipped    []digest.Skipped
	Exclude    []string
	ExitCode   int
	Stdout     digest.Set
	Stderr     digest.Set
	StartedOn  time.Time
	FinishedOn time.Time
}

// ErrCommand is returned (wrapped, with a complete Record) when the command
// ran and exited non-zero, or could not be started.
var ErrCommand = errors.New("the step's command failed")

// Run hashes the materials, runs the command streaming its output, hashes the
// products, and returns the record. When the command fails the record is
// still returned, complete, with an error wrapping [ErrCommand], so that a
// failed step is recorded too; if its products then cannot be recorded,
// there is no record and the error wraps [ErrCommand] and the products'
// error.
func Run(ctx context.Context, cfg Config) (*Record, error) {
	if cfg.Name == "" {
		return nil, errors.New("a step needs a name")
	}
	if cfg.Dir == "" {
		cfg.Dir = "."
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	opts := digest.RecordOptions{Exclude: cfg.Exclude}
	rec := &Record{Name: cfg.Name, Command: cfg.Command, Exclude: cfg.Exclude, ExitCode: 0}
	if !cfg.KeepSecretsUnsafe {
		rec.Command, rec.Redacted = redact.Args(cfg.Command)
	}
	if len(cfg.Materials) > 0 {
		list, skipped, err := digest.RecordArtifacts(ctx, cfg.Dir, cfg.Materials, opts)
		if err != nil {
			return nil, fmt.Errorf("recording materials: %w", err)
		}
		rec.Materials, rec.Skipped = list, skipped
	}
	rec.StartedOn = cfg.Now().UTC()
	var cmdErr error
	if len(cfg.Command) > 0 {
		rec.ExitCode, rec.Stdout, rec.Stderr, cmdErr = execute(ctx, cfg, rec.Command[0])
	}
	rec.FinishedOn = cfg.Now().UTC()
	if len(cfg.Products) > 0 {
		list, skipped, err := digest.RecordArtifacts(ctx, cfg.Dir, cfg.Products, opts)
		if err != nil && cmdErr != nil {
			// The products are missing because the command failed (or
			// never started): that is what to report first.
			return nil, fmt.Errorf("%w; nothing was recorded: recording products: %w", cmdErr, err)
		} else if err != nil {
			return nil, fmt.Errorf("recording products: %w", err)
		}
		rec.Products = list
		rec.Skipped = append(rec.Skipped, skipped...)
	}
	return rec, cmdErr
}

// execute runs cfg.Command; errors name it as shown, its recorded name.
func execute(ctx context.Context, cfg Config, shown string) (int, digest.Set, digest.Set, error) {
	cmd := exec.CommandContext(ctx, cfg.Command[0], cfg.Command[1:]...)
	cmd.Dir = cfg.Dir
	cmd.Stdin = os.Stdin
	outH, errH := sha256.New(), sha256.New()
	cmd.Stdout = tee(cfg.Stdout, outH)
	cmd.Stderr = tee(cfg.Stderr, errH)
	err := cmd.Run()
	code := 0
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
		if code < 0 { // killed by a signal
			code = 128
		}
		err = fmt.Errorf("%w: %q exited with status %d", ErrCommand, shown, exitErr.ExitCode())
	default:
		code = 127
		msg := err.Error() // names the program: as recorded, not as given
		if shown != cfg.Command[0] && cfg.Command[0] != "" {
			msg = strings.ReplaceAll(msg, cfg.Command[0], shown)
		}
		err = fmt.Errorf("%w: %s", ErrCommand, msg)
	}
	return code, sumSet(outH), sumSet(errH), err
}

func tee(w io.Writer, h hash.Hash) io.Writer {
	if w == nil {
		return h
	}
	return io.MultiWriter(w, h)
}

func sumSet(h hash.Hash) digest.Set {
	return digest.Set{digest.SHA256: hex.EncodeToString(h.Sum(nil))}
}
