package pack_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"runtime"
	"testing"

	"github.com/consign-dev/consign/internal/pack"
)

// An attestations file is charged to MaxMetadata at the size its header
// and the manifest declare, but that size is a claim until its bytes
// come: an envelope line in a file that declares 256 MiB and ends after
// 12 MiB allocates about what was read, not the 192 MiB payload the
// declared size could hold. Sized from the declared size, its payload's
// buffer went to 192 MiB once 8 MiB of the line had come (0.75 x 768 MiB
// for a file at the envelope limit), 16 times the bytes read.
func TestTruncatedEnvelopeAllocatesWhatCame(t *testing.T) {
	const declared, sent = 256 << 20, 12 << 20
	line := append([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"`), bytes.Repeat([]byte("QUFB"), (sent-60)/4)...)
	att := file("attestations/a.intoto.jsonl", string(line))
	mf := manifestFor(t, policyFile, att)
	var m pack.Manifest
	if err := json.Unmarshal(mf.data, &m); err != nil {
		t.Fatal(err)
	}
	for i := range m.Files {
		if m.Files[i].Path == "attestations/a.intoto.jsonl" {
			m.Files[i].Size = declared
		}
	}
	// The archive as a sender that stops after sent bytes of the file
	// leaves it: the header says declared.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range []entry{rawManifest(&m), policyFile} {
		if err := tw.WriteHeader(&e.hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	hdr := att.hdr
	hdr.Size = declared
	if err := tw.WriteHeader(&hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(line); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	p, err := pack.Read(context.Background(), bytes.NewReader(data), pack.Options{})
	runtime.ReadMemStats(&after)
	if err == nil {
		p.Close()
		t.Fatal("a truncated attestations file was read without error")
	}
	if !errors.Is(err, pack.ErrFormat) {
		t.Errorf("error %v, want %v", err, pack.ErrFormat)
	}
	got := after.TotalAlloc - before.TotalAlloc
	if most := uint64(3 * len(line)); got > most {
		t.Errorf("reading %d bytes of a file that declares %d allocated %d, want at most %d (3 per byte read)", len(line), declared, got, most)
	}
	t.Logf("read %d bytes of %d declared: allocated %d (%.2f per byte read)", len(line), declared, got, float64(got)/float64(len(line)))
}
