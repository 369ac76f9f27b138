package tlog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// MaxCheckpointSize bounds a signed checkpoint's encoding.
const MaxCheckpointSize = 16 << 10

// Checkpoint is a log's signed statement of its size and root
// (C2SP tlog-checkpoint).
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   Hash
}

// Marshal is the checkpoint's note body: "<origin>\n<size>\n<base64 root>\n".
func (c Checkpoint) Marshal() []byte {
	return []byte(c.Origin + "\n" + strconv.FormatUint(c.Size, 10) + "\n" + c.Root.String() + "\n")
}

// ParseCheckpoint reads a checkpoint body: exactly three lines, origin, size
// (decimal, no sign, no leading zeros, at most 2^63-1) and root (standard
// base64 of 32 bytes). Extension lines are refused: consign's log writes
// none, and a verifier must not be shown text it would ignore
// (security case 71 in docs/security.md). It returns an error wrapping [ErrMalformed].
func ParseCheckpoint(body []byte) (Checkpoint, error) {
	if len(body) > MaxCheckpointSize {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint of %d bytes", ErrMalformed, len(body))
	}
	text := string(body)
	if !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint does not end in a newline", ErrMalformed)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 3 {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint has %d lines, want origin, size and root", ErrMalformed, len(lines))
	}
	var c Checkpoint
	if c.Origin = lines[0]; !ValidOrigin(c.Origin) {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint origin %q", ErrMalformed, truncate(c.Origin))
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || size > math.MaxInt64 || strconv.FormatUint(size, 10) != lines[1] {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint size %q", ErrMalformed, truncate(lines[1]))
	}
	c.Size = size
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != HashSize {
		return Checkpoint{}, fmt.Errorf("%w: checkpoint root %q", ErrMalformed, truncate(lines[2]))
	}
	c.Root = Hash(root)
	return c, nil
}

// CheckpointOptions asks [OpenCheckpoint] for witness cosignatures.
type CheckpointOptions struct {
	// Witnesses are the witnesses whose cosignatures count.
	Witnesses []*Witness
	// WitnessThreshold is the number of distinct witness keys that must have cosigned.
	WitnessThreshold int
}

// SignedCheckpoint is a checkpoint whose signatures were verified.
type SignedCheckpoint struct {
	Checkpoint
	// Note is the signed note as received.
	Note []byte
	// Witnesses are the names of the witnesses whose cosignatures verified.
	Witnesses []string
}

// OpenCheckpoint verifies a signed checkpoint msg with the log key log and
// parses it. The log's own signature is mandatory: a note whose only valid
// signatures are other keys' fails, and a signature line whose key hash
// matches the log key but whose signature does not verify fails, whoever
// made it (a hash only selects a key; security case 71 (docs/security.md)). The origin line
// must be the one the key is pinned to. With opts.WitnessThreshold > 0, that
// many distinct opts.Witnesses must have cosigned, counted by public key; a
// list that gives one key two names, or a witness the log's key, is refused
// with [ErrMalformed].
//
// It returns an error wrapping [ErrMalformed], [ErrCheckpointSignature],
// [ErrOrigin] or [ErrWitness].
func OpenCheckpoint(msg []byte, log *Verifier, opts CheckpointOptions) (*SignedCheckpoint, error) {
	if log == nil {
		return nil, fmt.Errorf("%w: no log key given", ErrCheckpointSignature)
	}
	if len(msg) > MaxCheckpointSize {
		return nil, fmt.Errorf("%w: checkpoint of %d bytes", ErrMalformed, len(msg))
	}
	if err := checkWitnessList(log, opts.Witnesses); err != nil {
		return nil, err
	}
	n, err := note.Open(msg, verifiers{log, opts.Witnesses})
	if err != nil {
		var unverified *note.UnverifiedNoteError
		var invalid *note.InvalidSignatureError
		switch {
		case errors.As(err, &unverified):
			return nil, fmt.Errorf("%w: no signature by the log's key", ErrCheckpointSignature)
		case errors.As(err, &invalid):
			return nil, fmt.Errorf("%w: the signature for key %s+%08x does not verify", ErrCheckpointSignature, invalid.Name, invalid.Hash)
		}
		return nil, fmt.Errorf("%w: checkpoint note: %v", ErrMalformed, err)
	}
	if err := canonicalSignatures(msg); err != nil {
		return nil, err
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return nil, err
	}
	if log.origin != "" && c.Origin != log.origin {
		return nil, fmt.Errorf("%w: checkpoint of %q, the key is %q's", ErrOrigin, c.Origin, log.origin)
	}
	// The log's own signature, under the checkpoint's own origin, is mandatory.
	own, err := log.noteVerifier(c.Origin)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	logSigned := false
	var witnesses []string
	cosigners := make(map[string]bool) // by public key: a cosignature does not sign the name
	for _, s := range n.Sigs {
		switch w := findWitness(opts.Witnesses, s); {
		case s.Name == c.Origin && s.Hash == own.KeyHash():
			logSigned = true
		case w != nil && !cosigners[string(w.pub)]:
			cosigners[string(w.pub)] = true
			witnesses = append(witnesses, s.Name)
		default:
			// The log's key under another name: not a signature of this checkpoint.
		}
	}
	if !logSigned {
		return nil, fmt.Errorf("%w: no signature by the log's key as %s", ErrCheckpointSignature, c.Origin)
	}
	if len(witnesses) < opts.WitnessThreshold {
		return nil, fmt.Errorf("%w: %d of the %d required", ErrWitness, len(witnesses), opts.WitnessThreshold)
	}
	return &SignedCheckpoint{Checkpoint: c, Note: append([]byte(nil), msg...), Witnesses: witnesses}, nil
}

// canonicalSignatures checks that every signature line of a note that
// note.Open accepted is in canonical base64, so that one signature has one
// encoding (note decodes leniently; security case 57 (docs/security.md)).
func canonicalSignatures(msg []byte) error {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	for _, line := range strings.Split(strings.TrimSuffix(string(msg[i+2:]), "\n"), "\n") {
		b64 := line[strings.LastIndexByte(line, ' ')+1:]
		if _, err := base64.StdEncoding.Strict().DecodeString(b64); err != nil {
			return fmt.Errorf("%w: signature line is not canonical base64", ErrMalformed)
		}
	}
	return nil
}

func findWitness(ws []*Witness, s note.Signature) *Witness {
	for _, w := range ws {
		if w.Name() == s.Name && w.KeyHash() == s.Hash {
			return w
		}
	}
	return nil
}

// checkWitnessList refuses a witness list in which one public key stands for
// two witnesses, or for the log itself. A cosignature signs the checkpoint
// and a time, not the witness's name, so whoever holds one key can cosign
// under every name it is listed under: a threshold counts keys, and a list
// that gives one key two names would let one signer meet a threshold of two.
func checkWitnessList(log *Verifier, ws []*Witness) error {
	names := make(map[string]string, len(ws))
	for _, w := range ws {
		if w == nil {
			return fmt.Errorf("%w: a nil witness", ErrMalformed)
		}
		if w.Name() == log.origin {
			return fmt.Errorf("%w: a witness may not have the log's own name", ErrMalformed)
		}
		if w.pub.Equal(log.pub) {
			return fmt.Errorf("%w: witness %q has the log's own key", ErrMalformed, w.Name())
		}
		if other, dup := names[string(w.pub)]; dup {
			return fmt.Errorf("%w: witnesses %q and %q have one key: a key counts once", ErrMalformed, other, w.Name())
		}
		names[string(w.pub)] = w.Name()
	}
	return nil
}
