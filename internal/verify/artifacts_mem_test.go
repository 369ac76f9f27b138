package verify

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"testing"

	"github.com/consign-dev/consign/internal/attest"
)

// TestReadContentMemoryPerEntry: a verified link's materials and products
// are held in at most 64 bytes per entry beyond its payload (a name and a
// sha256 value, substrings of the payload, and their table). Before
// tables, a digest.Set, a map entry, a subject or material struct and a
// string copy of the payload cost over 400 bytes per entry. The bound is
// on the live heap after a collection, not on time; the link is 23 MB and
// the test takes about half a second, so it runs in every mode.
func TestReadContentMemoryPerEntry(t *testing.T) {
	const n = 100_000
	var list bytes.Buffer
	for i := range n {
		if i > 0 {
			list.WriteByte(',')
		}
		sum := sha256.Sum256(fmt.Appendf(nil, "%d", i))
		fmt.Fprintf(&list, `{"name":"d%02d/f%06d.bin","digest":{"sha256":"%s"}}`, i%100, i, hex.EncodeToString(sum[:]))
	}
	payload := fmt.Appendf(nil, `{"_type":%q,"subject":[%s],"predicateType":%q,"predicate":{"name":"build","command":[],"materials":[%s],"byproducts":{},"environment":{}}}`,
		attest.StatementV1, list.Bytes(), attest.PredicateLink, list.Bytes())
	list = bytes.Buffer{}
	it := &item{env: &attest.Envelope{PayloadType: attest.PayloadType, Payload: payload}, res: &AttestationResult{}}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := it.readContent(); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if it.materials.Len() != n || it.products.Len() != n {
		t.Fatalf("read %d materials and %d products, want %d each", it.materials.Len(), it.products.Len(), n)
	}
	perEntry := (int64(after.HeapAlloc) - int64(before.HeapAlloc)) / (2 * n)
	t.Logf("%d bytes per entry beyond the %d-byte payload", perEntry, len(payload))
	if perEntry > 64 {
		t.Errorf("the link's entries hold %d bytes each beyond its payload, want at most 64", perEntry)
	}
	runtime.KeepAlive(it)
	runtime.KeepAlive(payload)
}
