package tlog_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"testing"

	"github.com/consign-dev/consign/internal/tlog"
)

func regexpReplace(s, re, repl string) string {
	return regexp.MustCompile(re).ReplaceAllString(s, repl)
}

// FuzzParseCheckpoint checks that any body either fails with ErrMalformed
// and no value, or parses to a checkpoint whose encoding is exactly the input.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("o\n5\n" + tlog.EmptyRoot.String() + "\n"))
	f.Add([]byte("example.com/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n"))
	f.Add([]byte("o\n9223372036854775807\n" + tlog.EmptyRoot.String() + "\nextra\n"))
	f.Add([]byte("o\n-1\n\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := tlog.ParseCheckpoint(body)
		if err != nil {
			if c != (tlog.Checkpoint{}) {
				t.Fatalf("partial value on error: %+v", c)
			}
			return
		}
		if !bytes.Equal(c.Marshal(), body) {
			t.Fatalf("ParseCheckpoint(%q).Marshal() = %q", body, c.Marshal())
		}
	})
}

// FuzzOpenCheckpoint feeds arbitrary notes to the verifier: never a panic,
// and never an accepted note that the log key did not sign.
func FuzzOpenCheckpoint(f *testing.F) {
	s := newSigner(f, "fuzz.example/log")
	msg := signCP(f, s, tlog.Checkpoint{Origin: "fuzz.example/log", Size: 3, Root: tlog.EmptyRoot})
	f.Add(msg)
	f.Add(bytes.TrimSuffix(msg, []byte("\n")))
	f.Fuzz(func(t *testing.T, m []byte) {
		c, err := tlog.OpenCheckpoint(m, s.Verifier(), tlog.CheckpointOptions{})
		if err == nil && !bytes.Equal(m, msg) && !bytes.Equal(c.Checkpoint.Marshal(), []byte("fuzz.example/log\n3\n"+tlog.EmptyRoot.String()+"\n")) {
			t.Fatalf("OpenCheckpoint accepted a note the log never signed: %q", m)
		}
	})
}

// FuzzParseReceipt checks that any input either fails with no value, or
// parses to a receipt that marshals and parses back to itself.
func FuzzParseReceipt(f *testing.F) {
	rl := newReceiptLog(f, 5)
	for i := 0; i < 5; i++ {
		b, _ := json.Marshal(rl.receipt(f, i, 5))
		f.Add(b)
	}
	f.Add([]byte(`{"mediaType":"` + tlog.ReceiptMediaType + `","origin":"o","index":-1,"leaf":"","inclusionProof":[],"checkpoint":""}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := tlog.ParseReceipt(data)
		if err != nil {
			if r != nil {
				t.Fatalf("partial value on error")
			}
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		r2, err := tlog.ParseReceipt(b)
		if err != nil {
			t.Fatalf("ParseReceipt(Marshal(ParseReceipt(%q))) = %v", data, err)
		}
		b2, _ := json.Marshal(r2)
		if !bytes.Equal(b, b2) {
			t.Fatalf("receipt does not round-trip: %s vs %s", b, b2)
		}
		// Verification never panics and never passes a receipt of another key.
		if _, err := tlog.VerifyReceipt(r, newSigner(t, r.Origin).Verifier(), tlog.CheckpointOptions{}); err == nil {
			t.Fatalf("a receipt verified under a fresh key")
		}
	})
}

// FuzzParseLeaf checks that a leaf that parses is exactly its own encoding.
func FuzzParseLeaf(f *testing.F) {
	f.Add(testLeaf(f, 0).Marshal())
	f.Add(testLeaf(f, 1).Marshal())
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := tlog.ParseLeaf(data)
		if err != nil {
			if l != nil {
				t.Fatalf("partial value on error")
			}
			return
		}
		if !bytes.Equal(l.Marshal(), data) {
			t.Fatalf("ParseLeaf(%q).Marshal() = %q", data, l.Marshal())
		}
	})
}
