package verify

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// TestReadItemsParallelDeterministic reads many inputs (single documents,
// links among them, read on every core since the links can be large; JSON
// Lines; and broken files) with one worker and with eight, several times
// (run it with -race): the items, their order, their errors and their
// digests are the same every time.
func TestReadItemsParallelDeterministic(t *testing.T) {
	const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	var inputs []Input
	for i := range 120 {
		var data string
		switch i % 6 {
		case 0: // a link, pretty-printed over several lines
			data = fmt.Sprintf("{\n \"signatures\": [{\"keyid\": \"k\", \"sig\": \"00\"}],\n \"signed\": {\"_type\": \"link\", \"name\": \"step%d\", \"products\": {\"p%d\": {\"sha256\": %q}}}\n}\n", i, i, hex64)
		case 1: // a link on one line
			data = fmt.Sprintf(`{"signatures":[{"keyid":"k","sig":"00"}],"signed":{"_type":"link","name":"s%d","materials":{"m":{"sha256":%q}}}}`, i, hex64)
		case 2: // a link whose digest is malformed
			data = fmt.Sprintf(`{"signatures":[{"keyid":"k","sig":"00"}],"signed":{"_type":"link","name":"s%d","products":{"p":{"sha256":"xyz"}}}}`, i)
		case 3: // a duplicate key
			data = fmt.Sprintf(`{"signatures":[],"signed":{"_type":"link","name":"a","name":"b%d"}}`, i)
		case 4: // JSON Lines: two envelopes that do not parse and a link
			data = fmt.Sprintf("{\"payloadType\":\"x\"}\n{\"payloadType\":1}\n{\"signatures\":[{\"keyid\":\"k\",\"sig\":\"00\"}],\"signed\":{\"_type\":\"link\",\"name\":\"l%d\"}}\n", i)
		case 5: // not JSON
			data = strings.Repeat("{", i)
		}
		inputs = append(inputs, Input{Name: fmt.Sprintf("in%03d", i), Data: []byte(data)})
	}
	type view struct {
		Source, Format, Err, Digest, Link string
		Materials, Products               int
	}
	read := func(procs int) []view {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		var out []view
		for _, it := range readItems(inputs) {
			v := view{Source: it.res.Source, Format: string(it.res.Format), Digest: it.res.Digest.String()}
			if it.err != nil {
				v.Err = it.err.Error()
			}
			if it.link != nil {
				v.Link = it.link.Name
				v.Materials, v.Products = it.link.Materials.Len(), it.link.Products.Len()
			}
			out = append(out, v)
		}
		return out
	}
	want := read(1)
	if len(want) < len(inputs) {
		t.Fatalf("%d items from %d inputs", len(want), len(inputs))
	}
	links, errs := 0, 0
	for i, v := range want {
		if v.Link != "" {
			links++
		}
		if v.Err != "" {
			errs++
		}
		if i > 0 && v.Source < want[i-1].Source {
			t.Fatalf("items out of order: %s after %s", v.Source, want[i-1].Source)
		}
	}
	if links < 60 || errs < 60 {
		t.Fatalf("%d links and %d errors read: the inputs do not read as meant", links, errs)
	}
	for range 5 {
		if got := read(8); !reflect.DeepEqual(got, want) {
			for i := range min(len(got), len(want)) {
				if got[i] != want[i] {
					t.Fatalf("item %d with 8 workers: %+v\nwith one: %+v", i, got[i], want[i])
				}
			}
			t.Fatalf("%d items with 8 workers, %d with one", len(got), len(want))
		}
	}
}
