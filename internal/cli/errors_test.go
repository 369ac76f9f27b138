package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/api"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/tlog"
)

func TestClassify(t *testing.T) {
	const tableHint = "--key needs the private key file (consign.key), not the .pub"
	notPrivate := fmt.Errorf("loading key: %w", sign.ErrNotPrivateKey)
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantHint string
	}{
		{"plain error", errors.New("boom"), ExitError, ""},
		{"sentinel from the table", notPrivate, ExitError, tableHint},
		{"table code 3", fmt.Errorf("x: %w", attest.ErrSignature), ExitVerifyNo, "pass the signer's public key with --key; 'consign inspect --key PUB FILE' says which of your keys made each signature"},
		{"table code 2", sbomdoc.ErrUnknownElement, ExitUsage, "elements: supplier, name, version, identifiers, dependencies, author, timestamp, hashes, licenses"},
		{"first match wins", fmt.Errorf("%w and %w", tlog.ErrFork, fs.ErrNotExist), ExitVerifyNo, "ALERT: the log shows two different histories (a split view); keep both checkpoints as evidence and tell the log's operator"},
		{"own hint over the table's", withHint(notPrivate, "mine"), ExitError, "mine"},
		{"own hint keeps the table's code", withHint(fmt.Errorf("x: %w", attest.ErrSignature), "mine"), ExitVerifyNo, "mine"},
		{"usage points at help", usagef("--name is required"), ExitUsage, usageHint},
		{"usage over a sentinel", usageErr(notPrivate), ExitUsage, usageHint},
		{"usage with a hint", withHint(usagef("--products is required"), "name them"), ExitUsage, "name them"},
		{"wrapped usage", fmt.Errorf("parsing: %w", usagef("bad")), ExitUsage, usageHint},
		{"verifyNo takes the table's hint", verifyNo(notPrivate), ExitVerifyNo, tableHint},
		{"own exit code", &Error{Code: 7, Err: errors.New("exited 7")}, 7, ""},
		{"outer code wins", &Error{Code: ExitVerifyNo, Err: usagef("x")}, ExitVerifyNo, ""},
		{"checks failed: first picks the hint", checksFailed(2, notPrivate), ExitVerifyNo, tableHint},
		{"checks failed without a first", checksFailed(1, nil), ExitVerifyNo, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, hint := classify(tt.err)
			if code != tt.wantCode || hint != tt.wantHint {
				t.Errorf("classify(%v) = %d, %q; want %d, %q", tt.err, code, hint, tt.wantCode, tt.wantHint)
			}
		})
	}
}

func TestReport(t *testing.T) {
	var buf bytes.Buffer
	code := report(&buf, withHint(fmt.Errorf("first line\nsecond line: %w", sign.ErrNotPrivateKey), "do this"), nil)
	want := "consign: error: first line\nconsign: hint: do this\n"
	if code != ExitError || buf.String() != want {
		t.Errorf("report = %d, %q; want %d, %q", code, buf.String(), ExitError, want)
	}
	buf.Reset()
	if code := report(&buf, checksFailed(3, nil), nil); code != ExitVerifyNo || buf.String() != "consign: error: verification failed: 3 checks failed\n" {
		t.Errorf("report(checksFailed(3)) = %d, %q", code, buf.String())
	}
}

func TestCobraUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"--frobnicate"}, {"version", "extra"}, {"completion", "bash", "extra"}, {"keygen", "--out"}} {
		var stderr bytes.Buffer
		deps := &Deps{Stdout: new(bytes.Buffer), Stderr: &stderr, LookupEnv: func(string) (string, bool) { return "", false }}
		if code := Run(t.Context(), deps, args); code != ExitUsage {
			t.Errorf("Run(%q) = %d, want %d; stderr: %s", args, code, ExitUsage, stderr.String())
		}
	}
}

// TestHintNeverRunsTheSameCommand: a hint that says to run the command
// just run (with no flag the user did not give) is dropped; one that adds
// a flag the user did not give is kept.
func TestHintNeverRunsTheSameCommand(t *testing.T) {
	tests := []struct {
		args     []string
		hint     string
		wantKept bool
	}{
		{[]string{"policy", "check", "p.yaml"}, "run 'consign policy check FILE': it lists every problem", false},
		{[]string{"policy", "sign", "--key", "k", "p.yaml"}, "run 'consign policy check FILE': it lists every problem", true},
		{[]string{"inspect", "f.jsonl"}, "'consign inspect --key PUB FILE' says which key made it", true},
		{[]string{"inspect", "--key", "k.pub", "f.jsonl"}, "'consign inspect --key PUB FILE' says which key made it", false},
		{[]string{"verify-attestation", "--key", "k.pub", "f"}, "'consign inspect FILE' lists its subjects", true},
		{[]string{"log", "chekpoint"}, "did you mean 'consign log checkpoint'?", true},
	}
	for _, tt := range tests {
		root := NewRootCmd(&Deps{LookupEnv: func(string) (string, bool) { return "", false }})
		cmd, rest, err := root.Find(tt.args)
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		report(&buf, withHint(errors.New("x"), tt.hint), cmd)
		if got := strings.Contains(buf.String(), "hint:"); got != tt.wantKept {
			t.Errorf("consign %v with hint %q: printed %q, want hint kept = %v", tt.args, tt.hint, buf.String(), tt.wantKept)
		}
	}
}

// TestTimeoutHints: a connection that stalled and a server's 408 (a body
// that arrived too slowly) each get a hint of their own that says what to
// do, not the hint for a server that is down.
func TestTimeoutHints(t *testing.T) {
	_, down := classify(fmt.Errorf("%w: GET x: connection refused", api.ErrServer))
	for _, err := range []error{
		fmt.Errorf("publishing m.intoto.jsonl: %w", fmt.Errorf("%w: POST http://127.0.0.1/api/v1/attestations: no answer within 1m0s of sending the request (5 bytes)", client.ErrStalled)),
		fmt.Errorf("publishing m.intoto.jsonl: %w", &api.Error{Status: 408, Title: "the request came too slowly"}),
	} {
		code, hint := classify(err)
		if code != ExitError || hint == "" || hint == down || !strings.Contains(hint, "run the command again") {
			t.Errorf("classify(%v) = %d, %q; want %d and a hint to check and run again", err, code, hint, ExitError)
		}
	}
}
