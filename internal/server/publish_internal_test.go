package server

import (
	"encoding/json"
	"testing"

	"github.com/consign-dev/consign/internal/tlog"
)

// TestPublishResponseJSON checks the hand-written encoder of the publish
// answer against encoding/json.
func TestPublishResponseJSON(t *testing.T) {
	rc := &tlog.Receipt{Origin: "log.test/<&>", Index: 7, Leaf: "consign.dev/leaf/v1\ntime x\n", Proof: []tlog.Hash{{1}, {2}}, Checkpoint: "log.test\n8\nabc=\n\n— log.test sig\n"}
	for _, r := range []PublishResponse{
		{},
		{Results: []PublishResult{}},
		{Results: []PublishResult{{Index: 7, Receipt: rc}}},
		{Results: []PublishResult{{Index: 7, Duplicate: true, Receipt: rc}, {Index: 1 << 62}, {Index: 0, Receipt: &tlog.Receipt{}}}},
	} {
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.appendJSON(nil); string(got) != string(want) {
			t.Errorf("appendJSON =\n%s\nwant\n%s", got, want)
		}
	}
}
