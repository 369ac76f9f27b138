package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/server"
)

// longEnvelope signs a statement about subject whose predicate pads it
// to about size bytes: a line far longer than the server's 64 KiB read
// buffer, which the server reads as it streams.
func longEnvelope(t *testing.T, k *key, subject string, size int) (*attest.Envelope, []byte) {
	t.Helper()
	return envelope(t, k, subject, strings.Repeat("x", size*3/4))
}

// reordered is the envelope line b with its members in another order: the
// same envelope, in a line the streaming reader does not take, so that the
// strict parse reads it whole.
func reordered(t *testing.T, b []byte) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return []byte(fmt.Sprintf(`{"signatures":%s,"payload":%s,"payloadType":%s}`, m["signatures"], m["payload"], m["payloadType"]))
}

// A long envelope line is logged as the short ones are: the streamed
// line and the same envelope read whole make one entry, stored as the
// canonical envelope; a tampered payload or a line over the envelope cap
// is refused either way; a batch of long lines is logged whole.
func TestPublishLongEnvelopes(t *testing.T) {
	e := newEnv(t, sqliteStore(t), server.Config{Limits: server.Limits{MaxEnvelope: 1 << 20}})
	k := newKey(t)
	tok := e.token([]string{"p"}, k)
	env, line := longEnvelope(t, k, "a", 512<<10)
	canonical, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	first := publishOK(t, e, tok, append(append([]byte(" \r\n"), line...), " \r\n"...), 1)[0]
	if first.Duplicate {
		t.Fatalf("first publish: duplicate")
	}
	stored, err := e.st.Entry(bg, first.Index)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored.Envelope, canonical) {
		t.Errorf("stored envelope (%d bytes) is not the canonical envelope (%d bytes)", len(stored.Envelope), len(canonical))
	}
	// The same envelope read whole is the same entry.
	again := publishOK(t, e, tok, reordered(t, line), 1)[0]
	if !again.Duplicate || again.Index != first.Index {
		t.Errorf("the reordered line: index %d duplicate %v, want index %d duplicate", again.Index, again.Duplicate, first.Index)
	}

	// One payload byte changed: the signature fails, streamed or not.
	var tampered attest.Envelope = *env
	tampered.Payload = bytes.Clone(env.Payload)
	tampered.Payload[len(tampered.Payload)/2] ^= 1
	bad, _ := json.Marshal(&tampered)
	for name, body := range map[string][]byte{"streamed": bad, "read whole": reordered(t, bad)} {
		if s, _, b := e.post(tok, "", body); s != 403 {
			t.Errorf("tampered payload, %s: %d %s, want 403", name, s, b)
		}
	}
	// Not canonical base64 (a letter of the URL alphabet in a standard
	// payload): the streaming reader gives the line back, and the strict
	// parse refuses it.
	start := bytes.Index(line, []byte(`"payload":"`)) + len(`"payload":"`)
	mixed := bytes.Clone(line)
	mixed[start+100], mixed[start+101] = '+', '-'
	if s, _, b := e.post(tok, "", mixed); s != 400 {
		t.Errorf("two base64 alphabets: %d %s, want 400", s, b)
	}
	// Over the envelope cap, streamed or not.
	_, huge := longEnvelope(t, k, "h", 1<<20+64<<10)
	for name, body := range map[string][]byte{"streamed": huge, "read whole": reordered(t, huge)} {
		if s, _, b := e.post(tok, "", body); s != 413 {
			t.Errorf("an envelope over the cap, %s: %d %s, want 413", name, s, b)
		}
	}
	// A batch of long lines, one of them read whole.
	_, b1 := longEnvelope(t, k, "b", 300<<10)
	_, c1 := longEnvelope(t, k, "c", 70<<10)
	_, d1 := envelope(t, k, "d", "short")
	body := bytes.Join([][]byte{b1, reordered(t, c1), d1, c1}, []byte("\n"))
	res := publishOK(t, e, tok, body, 4)
	if res[3].Index != res[1].Index || !res[3].Duplicate {
		t.Errorf("the same envelope twice in a batch: %+v", res)
	}
}

// publishOK posts body and returns its n results.
func publishOK(t *testing.T, e *env, tok string, body []byte, n int) []api.PublishResult {
	t.Helper()
	s, _, b := e.post(tok, "", body)
	var r api.PublishResponse
	if s != 200 || json.Unmarshal(b, &r) != nil || len(r.Results) != n {
		t.Fatalf("publish: %d %.300s, want 200 with %d results", s, b, n)
	}
	return r.Results
}
