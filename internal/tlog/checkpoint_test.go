package tlog_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/consign-dev/consign/internal/tlog"
)

func newSigner(t testing.TB, origin string) *tlog.Signer {
	t.Helper()
	s, _ := newSignerKey(t, origin)
	return s
}

func newSignerKey(t testing.TB, origin string) (*tlog.Signer, ed25519.PrivateKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := tlog.NewSigner(origin, priv)
	if err != nil {
		t.Fatalf("NewSigner(%q): %v", origin, err)
	}
	return s, priv
}

func signCP(t testing.TB, s *tlog.Signer, c tlog.Checkpoint) []byte {
	t.Helper()
	b, err := s.Sign(c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return b
}

func TestCheckpointRoundTrip(t *testing.T) {
	s := newSigner(t, "example.com/log")
	c := tlog.Checkpoint{Origin: "example.com/log", Size: 1234, Root: sha([]byte("root"))}
	msg := signCP(t, s, c)
	wantPrefix := "example.com/log\n1234\n" + c.Root.String() + "\n\n— example.com/log "
	if !strings.HasPrefix(string(msg), wantPrefix) {
		t.Fatalf("Sign = %q, want a C2SP checkpoint starting %q", msg, wantPrefix)
	}
	got, err := tlog.OpenCheckpoint(msg, s.Verifier(), tlog.CheckpointOptions{})
	if err != nil {
		t.Fatalf("OpenCheckpoint = %v", err)
	}
	if got.Checkpoint != c || !bytes.Equal(got.Note, msg) {
		t.Errorf("OpenCheckpoint = %+v, want %+v", got.Checkpoint, c)
	}
	// The verifier key parses back to the same verifier.
	v, err := tlog.ParseVerifier(s.VerifierKey() + "\n")
	if err != nil || v.Origin() != "example.com/log" || v.String() != s.VerifierKey() {
		t.Fatalf("ParseVerifier(%q) = %v, %v", s.VerifierKey(), v, err)
	}
	if _, err := tlog.OpenCheckpoint(msg, v, tlog.CheckpointOptions{}); err != nil {
		t.Errorf("OpenCheckpoint with the parsed key = %v", err)
	}
	if _, err := s.Sign(tlog.Checkpoint{Origin: "other", Size: 1, Root: c.Root}); !errors.Is(err, tlog.ErrOrigin) {
		t.Errorf("Sign(another origin) = %v, want ErrOrigin", err)
	}
}

func TestParseCheckpoint(t *testing.T) {
	root := sha([]byte("r")).String()
	tests := []struct {
		name, body string
		ok         bool
	}{
		{"valid", "o\n5\n" + root + "\n", true},
		{"size 0", "o\n0\n" + tlog.EmptyRoot.String() + "\n", true},
		{"max size", "o\n9223372036854775807\n" + root + "\n", true},
		{"size 2^63", "o\n9223372036854775808\n" + root + "\n", false},
		{"size 2^64-1", "o\n18446744073709551615\n" + root + "\n", false},
		{"negative size", "o\n-1\n" + root + "\n", false},
		{"leading zero", "o\n05\n" + root + "\n", false},
		{"plus sign", "o\n+5\n" + root + "\n", false},
		{"no trailing newline", "o\n5\n" + root, false},
		{"extension line", "o\n5\n" + root + "\nextra\n", false},
		{"missing root", "o\n5\n", false},
		{"missing size", "o\n" + root + "\n", false},
		{"missing origin", "\n5\n" + root + "\n", false},
		{"origin with space", "o x\n5\n" + root + "\n", false},
		{"short root", "o\n5\n" + base64.StdEncoding.EncodeToString(make([]byte, 31)) + "\n", false},
		{"unpadded root", "o\n5\n" + strings.TrimRight(root, "=") + "\n", false},
		{"url-safe root", "o\n5\n" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)) + "\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tlog.ParseCheckpoint([]byte(tt.body))
			if tt.ok {
				if err != nil {
					t.Fatalf("ParseCheckpoint(%q) = %v, want nil", tt.body, err)
				}
				if got := string(c.Marshal()); got != tt.body {
					t.Errorf("Marshal = %q, want %q", got, tt.body)
				}
				return
			}
			if !errors.Is(err, tlog.ErrMalformed) {
				t.Errorf("ParseCheckpoint(%q) = %v, want ErrMalformed", tt.body, err)
			}
			if c != (tlog.Checkpoint{}) {
				t.Errorf("ParseCheckpoint(%q) returned a partial value %+v", tt.body, c)
			}
		})
	}
}

// rehash rewrites every signature line's 4-byte key hash to h.
func rehash(msg []byte, h uint32) []byte {
	text, sigs, _ := bytes.Cut(msg, []byte("\n\n"))
	var out bytes.Buffer
	out.Write(text)
	out.WriteString("\n\n")
	for _, line := range strings.Split(strings.TrimSuffix(string(sigs), "\n"), "\n") {
		i := strings.LastIndexByte(line, ' ')
		raw, _ := base64.StdEncoding.DecodeString(line[i+1:])
		binary.BigEndian.PutUint32(raw, h)
		out.WriteString(line[:i+1] + base64.StdEncoding.EncodeToString(raw) + "\n")
	}
	return out.Bytes()
}

// TestSecurityCase71_CheckpointForgery: a key whose hint collides with the
// log key's, extra body lines, another log's origin, no trailing newline,
// only a witness's signature, a missing log signature, a bad signature: all
// rejected. The log's own signature is mandatory and a hint only selects
// the key to try.
func TestSecurityCase71_CheckpointForgery(t *testing.T) {
	const origin = "log.example/a"
	log, logKey := newSignerKey(t, origin)
	lv := log.Verifier()
	root := sha([]byte("root"))
	good := tlog.Checkpoint{Origin: origin, Size: 10, Root: root}
	goodMsg := signCP(t, log, good)
	if _, err := tlog.OpenCheckpoint(goodMsg, lv, tlog.CheckpointOptions{}); err != nil {
		t.Fatalf("the genuine checkpoint: %v", err)
	}
	lvNote, _ := note.NewVerifier(lv.String())
	// An attacker's key whose signature line carries the log key's 4-byte
	// hash: what a colliding key hint looks like to the verifier.
	evilSigner, _ := tlog.NewSigner(origin, mustKey(t))
	forged := rehash(signCP(t, evilSigner, good), lvNote.KeyHash())

	other := newSigner(t, "log.example/b")
	witness, _ := tlog.NewCosigner("witness.example", mustKey(t), time.Now)
	w, _ := tlog.ParseWitness(witness.VerifierKey())
	// A witness cosignature alone, no log signature: cosign a note signed by
	// the log, then drop the log's line.
	cosigned, err := witness.Cosign(goodMsg, lv)
	if err != nil {
		t.Fatal(err)
	}
	text, sigs, _ := bytes.Cut(cosigned, []byte("\n\n"))
	lines := strings.SplitAfter(string(sigs), "\n")
	witnessOnly := append(append(append([]byte(nil), text...), "\n\n"...), lines[1]...)

	tests := []struct {
		name    string
		msg     []byte
		wantErr error
	}{
		{"colliding key hint, other key's signature", forged, tlog.ErrCheckpointSignature},
		{"signed by another key under the log's name", signCP(t, evilSigner, good), tlog.ErrCheckpointSignature},
		{"extra body line", signNote(t, log, logKey, string(good.Marshal())+"extra\n"), tlog.ErrMalformed},
		{"another log's origin, signed by it", signCP(t, other, tlog.Checkpoint{Origin: "log.example/b", Size: 10, Root: root}), tlog.ErrCheckpointSignature},
		{"another origin line signed by the log key", signNote(t, log, logKey, "log.example/b\n10\n"+root.String()+"\n"), tlog.ErrOrigin},
		{"no trailing newline", bytes.TrimSuffix(goodMsg, []byte("\n")), tlog.ErrMalformed},
		{"only a witness signature", witnessOnly, tlog.ErrCheckpointSignature},
		{"no signature at all", append(append([]byte(nil), text...), "\n\n"...), tlog.ErrMalformed},
		{"body changed after signing", bytes.Replace(goodMsg, []byte("\n10\n"), []byte("\n11\n"), 1), tlog.ErrCheckpointSignature},
		{"signature bit flipped", flipSig(goodMsg), tlog.ErrCheckpointSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tlog.OpenCheckpoint(tt.msg, lv, tlog.CheckpointOptions{Witnesses: []*tlog.Witness{w}})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("OpenCheckpoint(%q) = %v, want %v", tt.msg, err, tt.wantErr)
			}
			if got != nil {
				t.Errorf("OpenCheckpoint returned a checkpoint on failure")
			}
		})
	}
	// Every single-byte change of the signed note is rejected.
	for i := range goodMsg {
		m := append([]byte(nil), goodMsg...)
		m[i]++
		if _, err := tlog.OpenCheckpoint(m, lv, tlog.CheckpointOptions{}); err == nil {
			t.Errorf("OpenCheckpoint with byte %d (%q) incremented = nil, want an error", i, goodMsg[i])
		}
	}
}

func signNote(t *testing.T, s *tlog.Signer, priv ed25519.PrivateKey, text string) []byte {
	t.Helper()
	// Sign arbitrary text with the log key, bypassing Checkpoint.Marshal.
	v, _ := note.NewVerifier(s.VerifierKey())
	b, err := note.Sign(&note.Note{Text: text}, rawSigner{v, priv})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type rawSigner struct {
	note.Verifier
	priv ed25519.PrivateKey
}

func (r rawSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(r.priv, msg), nil }

func flipSig(msg []byte) []byte {
	m := append([]byte(nil), msg...)
	i := bytes.LastIndexByte(m[:len(m)-1], ' ')
	raw, _ := base64.StdEncoding.DecodeString(string(m[i+1 : len(m)-1]))
	raw[10] ^= 1
	return append(m[:i+1], base64.StdEncoding.EncodeToString(raw)+"\n"...)
}

func mustKey(t testing.TB) ed25519.PrivateKey {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

// TestSecurityCase70_SplitView: a log that shows (1000, R1) to one client and
// (1000, R2) to another signs both; put side by side (gossip) they are a
// fork. A client that requires a witness cosignature rejects a checkpoint
// that has none, and one cosigned by an unknown witness.
func TestSecurityCase70_SplitView(t *testing.T) {
	const origin = "log.example/split"
	log := newSigner(t, origin)
	lv := log.Verifier()
	r1, r2 := sha([]byte("R1")), sha([]byte("R2"))
	toA := signCP(t, log, tlog.Checkpoint{Origin: origin, Size: 1000, Root: r1})
	toB := signCP(t, log, tlog.Checkpoint{Origin: origin, Size: 1000, Root: r2})
	a, errA := tlog.OpenCheckpoint(toA, lv, tlog.CheckpointOptions{})
	b, errB := tlog.OpenCheckpoint(toB, lv, tlog.CheckpointOptions{})
	if errA != nil || errB != nil {
		t.Fatalf("both views are signed by the log: %v, %v", errA, errB)
	}
	if err := tlog.CheckExtension(a.Checkpoint, b.Checkpoint, nil); !errors.Is(err, tlog.ErrFork) {
		t.Errorf("CheckExtension(view A, view B) = %v, want ErrFork", err)
	}

	wk, _ := tlog.NewCosigner("witness.example/1", mustKey(t), func() time.Time { return time.Unix(1_800_000_000, 0) })
	w, err := tlog.ParseWitness(wk.VerifierKey())
	if err != nil {
		t.Fatalf("ParseWitness(%q) = %v", wk.VerifierKey(), err)
	}
	stranger, _ := tlog.NewCosigner("witness.example/2", mustKey(t), time.Now)
	policy := tlog.CheckpointOptions{Witnesses: []*tlog.Witness{w}, WitnessThreshold: 1}

	if _, err := tlog.OpenCheckpoint(toA, lv, policy); !errors.Is(err, tlog.ErrWitness) {
		t.Errorf("OpenCheckpoint(no cosignature, 1 required) = %v, want ErrWitness", err)
	}
	byStranger, _ := stranger.Cosign(toA, lv)
	if _, err := tlog.OpenCheckpoint(byStranger, lv, policy); !errors.Is(err, tlog.ErrWitness) {
		t.Errorf("OpenCheckpoint(cosigned by an unknown witness) = %v, want ErrWitness", err)
	}
	cosigned, err := wk.Cosign(toA, lv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tlog.OpenCheckpoint(cosigned, lv, policy)
	if err != nil || len(got.Witnesses) != 1 || got.Witnesses[0] != "witness.example/1" {
		t.Fatalf("OpenCheckpoint(cosigned) = %+v, %v; want accepted with one witness", got, err)
	}
	// A cosignature moved onto the other view does not verify.
	moved := append(append([]byte(nil), toB...), cosigned[len(toA):]...)
	if _, err := tlog.OpenCheckpoint(moved, lv, policy); err == nil {
		t.Errorf("a cosignature of view A accepted on view B")
	}
	two := tlog.CheckpointOptions{Witnesses: []*tlog.Witness{w}, WitnessThreshold: 2}
	if _, err := tlog.OpenCheckpoint(cosigned, lv, two); !errors.Is(err, tlog.ErrWitness) {
		t.Errorf("OpenCheckpoint(1 cosignature, 2 required) = %v, want ErrWitness", err)
	}
}

func TestParseVerifier(t *testing.T) {
	s := newSigner(t, "o")
	good := s.VerifierKey()
	for _, bad := range []string{
		"", "o", "o+00000000+AAAA", good + " ", " " + good, good + "\n\n", strings.Replace(good, "o+", "p+", 1),
		strings.ToUpper(good[:10]) + good[10:], good + "x",
	} {
		if _, err := tlog.ParseVerifier(bad); !errors.Is(err, tlog.ErrMalformed) {
			t.Errorf("ParseVerifier(%q) = %v, want ErrMalformed", bad, err)
		}
	}
	for _, bad := range []string{"", "o x", "a+b", "\x00"} {
		if _, err := tlog.NewSigner(bad, mustKey(t)); err == nil {
			t.Errorf("NewSigner(%q) = nil error, want one", bad)
		}
	}
}
