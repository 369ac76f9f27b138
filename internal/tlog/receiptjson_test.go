package tlog

import (
	"encoding/json"
	"testing"
)

// TestReceiptAppendJSON checks the hand-written encoder against
// encoding/json, string escaping included.
func TestReceiptAppendJSON(t *testing.T) {
	strs := []string{
		"", "plain", "log.example/consign", "tab\there", "nl\nand\r\n", "quote\" back\\slash",
		"<script>&amp;</script>", "\x00\x01\x08\x0c\x1f\x7f", "— em dash", "\u2028\u2029",
		"bad utf8 \xff\xfe end", "\xed\xa0\x80 surrogate", "emoji 😀", string([]byte{0xc3}),
	}
	var hashes []Hash
	for i := range 3 {
		var h Hash
		h[0], h[31] = byte(i), 0xff
		hashes = append(hashes, h)
	}
	type plain Receipt
	for _, s := range strs {
		for _, proof := range [][]Hash{nil, {}, hashes[:1], hashes} {
			r := &Receipt{Origin: s, Index: 1<<63 - 1, Leaf: s + "leaf", Proof: proof, Checkpoint: "cp " + s}
			p := plain(*r)
			p.MediaType = ReceiptMediaType
			if p.Proof == nil {
				p.Proof = []Hash{}
			}
			want, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.AppendJSON(nil); string(got) != string(want) {
				t.Errorf("AppendJSON(%q) =\n%s\nwant\n%s", s, got, want)
			}
			if got, err := json.Marshal(r); err != nil || string(got) != string(want) {
				t.Errorf("json.Marshal(receipt %q) = %s, %v; want %s", s, got, err, want)
			}
		}
	}
}
