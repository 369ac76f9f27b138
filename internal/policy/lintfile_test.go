package policy

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestLintFile(t *testing.T) {
	dir := keyDir(t, "owner", "ci", "alice", "bob")
	src := []byte(fmt.Sprintf(basePolicy, ""))
	owner := testKey(t, "owner")
	env, _, err := Sign(src, ParseOptions{Dir: dir}, owner.Signer)
	if err != nil {
		t.Fatal(err)
	}
	signed := mustJSON(env)
	later := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name               string
		data               []byte
		roots              []any2
		now                time.Time
		wantErr            error
		wantSigned, wantOK bool
		wantChecked        bool
	}{
		{"yaml", src, nil, now, nil, false, true, false},
		{"yaml, expired", src, nil, later, nil, false, false, false},
		{"yaml with a root", src, []any2{owner.Signer.Public()}, now, ErrNotSigned, false, false, false},
		{"signed, not checked", signed, nil, now, nil, true, true, false},
		{"signed, checked", signed, []any2{owner.Signer.Public()}, now, nil, true, true, true},
		{"signed, expired: a finding", signed, []any2{owner.Signer.Public()}, later, nil, true, false, true},
		{"signed, wrong root", signed, []any2{testKey(t, "ci").Signer.Public()}, now, ErrSignature, false, false, false},
		{"another payload type", relabel(t, env, "text/plain"), nil, now, ErrPayloadType, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LintFile(tt.data, dir, tt.roots, tt.now)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("LintFile = %+v, %v; want %v", got, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if got.Signed != tt.wantSigned || got.SignatureChecked != tt.wantChecked || HasErrors(got.Findings) == tt.wantOK {
				t.Errorf("LintFile = %+v; want signed %v, checked %v, ok %v", got, tt.wantSigned, tt.wantChecked, tt.wantOK)
			}
			if (ErrorCount(got.Findings) == 0) != tt.wantOK {
				t.Errorf("ErrorCount = %d, want ok %v", ErrorCount(got.Findings), tt.wantOK)
			}
		})
	}
}

func TestLogOrigin(t *testing.T) {
	dir := keyDir(t, "owner", "ci", "alice", "bob", "log")
	withLog := func(log string) []byte {
		return []byte(strings.Replace(fmt.Sprintf(basePolicy, ""), "functionaries:", log+"\nfunctionaries:", 1))
	}
	p, err := Parse(withLog("log: {key: keys/log.pub, origin: log.example/acme, receipts: optional}"), ParseOptions{Dir: dir})
	if err != nil || p.Log == nil || p.Log.Origin != "log.example/acme" || p.Log.Receipts != ReceiptsOptional {
		t.Fatalf("Parse(log with origin) = %+v, %v", p, err)
	}
	// Signing keeps it.
	owner := testKey(t, "owner")
	env, _, err := Sign(withLog("log: {key: keys/log.pub, origin: log.example/acme}"), ParseOptions{Dir: dir}, owner.Signer)
	if err != nil {
		t.Fatal(err)
	}
	signed, err := Open(mustJSON(env), []any2{owner.Signer.Public()}, now)
	if err != nil || signed.Log == nil || signed.Log.Origin != "log.example/acme" {
		t.Fatalf("Open(signed policy with a log origin) = %v; log %+v", err, signed)
	}
	p, err = Parse(withLog("log: {key: keys/log.pub}"), ParseOptions{Dir: dir})
	if err != nil || p.Log.Origin != "" {
		t.Fatalf("Parse(log without origin) = %+v, %v", p.Log, err)
	}
	if _, err := Parse(withLog(`log: {key: keys/log.pub, origin: "a b"}`), ParseOptions{Dir: dir}); err == nil || !strings.Contains(err.Error(), `log origin "a b"`) {
		t.Errorf("Parse(log origin with a space) = %v, want an error", err)
	}
}

// TestUnsigned: a policy as written is told from a signed one, and from
// files that are neither.
func TestUnsigned(t *testing.T) {
	for _, tt := range []struct {
		name, data string
		want       bool
	}{
		{"policy YAML", "product: acme\nexpires: 2030-01-01T00:00:00Z\nstages: []\n", true},
		{"stages only", "stages:\n  - name: build\n", true},
		{"a signed policy", `{"payloadType":"application/vnd.consign.policy+yaml","payload":"cHJvZHVjdDogYQ==","signatures":[]}`, false},
		{"a damaged signed policy", `{"payloadType":"application/vnd.consign.policy+yaml","payload":`, false},
		{"other YAML", "name: x\n", false},
		{"a list", "- product\n", false},
		{"binary", "\xff\x00\x01", false},
		{"empty", "", false},
	} {
		if got := Unsigned([]byte(tt.data)); got != tt.want {
			t.Errorf("Unsigned(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}
