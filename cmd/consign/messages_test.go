package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/cli/syftgen"
	"github.com/consign-dev/consign/internal/startup"
)

// Every message consign prints in a script test is checked for a doubled
// prefix ("invalid policy: invalid policy: …", "the token may not do
// this: the token may not do this"), the mark of an error wrapped twice
// with the same words. The check cannot drift: it runs on every line any
// consign command writes to stderr (and on 'policy check' findings, which
// go to stdout, as do the reports) in every script, not on lines a test picked.

// messageLogEnv names the file the checked consign appends the doubled
// messages it printed to; checkMessages sets it for each script.
const messageLogEnv = "CONSIGN_TEST_MESSAGE_LOG"

// checkedMain is consign's main as the scripts run it: the same cli.Main,
// with what it prints checked line by line as it is written.
func checkedMain() { checked(nil) }

// checkedSBOMMain is consign-sbom's main as the scripts run it (consign
// runs it for 'consign sbom TARGET'), checked as checkedMain is.
func checkedSBOMMain() { checked(syftgen.Generator{}) }

func checked(gen cli.SBOMGenerator) {
	startup.Done()
	log := os.Getenv(messageLogEnv)
	if log == "" {
		os.Exit(cli.MainWith(context.Background(), gen, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	stdout := io.MultiWriter(os.Stdout, &lineChecker{log: log, args: os.Args[1:], stdout: true})
	stderr := &lineChecker{log: log, args: os.Args[1:]}
	code := cli.MainWith(context.Background(), gen, os.Args[1:], os.Stdin, stdout, io.MultiWriter(os.Stderr, stderr))
	os.Exit(code)
}

// lineChecker checks each complete line written to it with doubledClause
// and appends the ones that fail, with the command, to the log file at
// once (a server run in the background is killed, never returns).
type lineChecker struct {
	log    string
	args   []string
	stdout bool
	mu     sync.Mutex
	buf    []byte
}

func (c *lineChecker) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = append(c.buf, p...)
	for {
		i := bytes.IndexByte(c.buf, '\n')
		if i < 0 {
			break
		}
		line := string(c.buf[:i])
		c.buf = c.buf[i+1:]
		if c.stdout && (strings.HasPrefix(line, "{") || strings.HasPrefix(line, "[")) {
			continue // JSON carries what the user gave (commands, predicates) as it was given
		}
		if d := doubledClause(line); d != "" {
			if f, err := os.OpenFile(c.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600); err == nil {
				where := "stderr"
				if c.stdout {
					where = "stdout"
				}
				fmt.Fprintf(f, "consign %s (%s)\n\t%s\n\trepeats %q\n", strings.Join(c.args, " "), where, line, d)
				f.Close()
			}
		}
	}
	if len(c.buf) > 1<<16 { // a line this long is not a message
		c.buf = c.buf[:0]
	}
	return len(p), nil
}

// severities are the one-word labels a message never says twice
// ("error: invalid policy: line 3: error: …").
var severities = map[string]bool{"error": true, "warning": true, "hint": true}

// doubledClause returns the clause of line, split at ": ", that a later
// clause repeats or begins with (case aside), or "" when none does. A
// clause shorter than two words is never taken for a prefix, unless it is
// a severity: a file name or a key id may well come twice.
func doubledClause(line string) string {
	line = strings.TrimPrefix(line, "consign: ")
	clauses := strings.Split(line, ": ")
	for i, c := range clauses {
		c = strings.ToLower(strings.TrimSpace(c))
		if len(strings.Fields(c)) < 2 && !severities[c] {
			continue
		}
		for _, later := range clauses[i+1:] {
			later = strings.ToLower(strings.TrimSpace(later))
			if later == c {
				return c
			}
			// "error parsing regexp" after "error" is Go's wording, not
			// a severity said twice.
			if !severities[c] && (strings.HasPrefix(later, c+" ") || strings.HasPrefix(later, c+",") || strings.HasPrefix(later, c+";")) {
				return c
			}
		}
	}
	return ""
}

// checkMessages makes the consign commands of the script env runs log
// their doubled messages, and fails the script when there is one.
func checkMessages(env *testscript.Env) error {
	dir, err := os.MkdirTemp("", "consign-messages-")
	if err != nil {
		return err
	}
	log := dir + "/doubled.log"
	env.Setenv(messageLogEnv, log)
	env.Defer(func() {
		defer os.RemoveAll(dir)
		if b, err := os.ReadFile(log); err == nil && len(b) > 0 {
			env.T().Log("messages with a doubled prefix:\n" + string(b))
			env.T().FailNow()
		}
	})
	return nil
}

// TestDoubledClause: the checker finds the doubled prefixes the issue
// reported and lets ordinary messages through.
func TestDoubledClause(t *testing.T) {
	for _, tt := range []struct {
		line, want string
	}{
		{"consign: error: invalid policy: invalid policy: line 3: unknown field", "invalid policy"},
		{"consign: error: the token may not do this: the token may not do this", "the token may not do this"},
		{"consign: error: Invalid Policy: invalid policy file", "invalid policy"},
		{"consign: error: reading policy \"p.yaml\": open p.yaml: no such file or directory", ""},
		{"consign: error: a.json: a.json: not JSON", ""},
		{"consign: hint: pass the signer's key with --trusted-key", ""},
		{"policy.yaml:3: error: stage intake: stage intake has no functionary", "stage intake"},
		{"  error: invalid policy: line 5: error: stage \"s\": unknown type", "error"},
		{"consign: error: policy p.yaml: invalid policy: line 5: stage \"s\": unknown type", ""},
		{"consign: error: the certificate identity regular expression \"(\": error parsing regexp: missing closing )", ""},
	} {
		if got := doubledClause(tt.line); got != tt.want {
			t.Errorf("doubledClause(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}
