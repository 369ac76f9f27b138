package step_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/predicate"
	"github.com/consign-dev/consign/internal/step"
	"github.com/consign-dev/consign/internal/testutil/testkey"
)

const canary = "ghp_CANARY0canary1CANARY2canary3CANARY4"

// TestRunRedactsSecrets: a token in the command line (a clone URL, after
// --token) and in the environment reaches none of the link, the SLSA
// provenance, the legacy link, or the error of a command that fails, while
// the command runs with it; the statements list which arguments changed.
func TestRunRedactsSecrets(t *testing.T) {
	t.Setenv("CONSIGN_TEST_TOK", canary)
	dir := tree(t, map[string]string{"src/a": "a\n"})
	var stdout, stderr bytes.Buffer
	command := []string{"sh", "-c", `test "$1" = "$CONSIGN_TEST_TOK" && mkdir -p out && echo ok > out/x; exit 4`,
		"sh", canary, "--token", canary, "https://u:" + canary + "@git.example/r.git"}
	rec, err := step.Run(context.Background(), step.Config{
		Name: "clone", Dir: dir, Materials: []string{"src"}, Products: []string{"out"},
		Command: command, Stdout: &stdout, Stderr: &stderr, Now: clock(),
	})
	if !errors.Is(err, step.ErrCommand) || rec.ExitCode != 4 || len(rec.Products) != 1 {
		t.Fatalf("Run = %+v, %v; want the command run with its secrets, exit 4", rec, err)
	}
	if want := []int{4, 6, 7}; !cmp.Equal(rec.Redacted, want) {
		t.Errorf("Redacted = %v, want %v", rec.Redacted, want)
	}
	outputs := map[string][]byte{"error": []byte(err.Error()), "stdout": stdout.Bytes(), "stderr": stderr.Bytes()}
	link, err := rec.LinkStatement()
	if err != nil {
		t.Fatal(err)
	}
	prov, err := rec.ProvenanceStatement("")
	if err != nil {
		t.Fatal(err)
	}
	for name, st := range map[string]*attest.Statement{"link": link, "provenance": prov} {
		if err := predicate.Validate(st.PredicateType, st.Predicate); err != nil {
			t.Errorf("%s predicate fails its schema: %v", name, err)
		}
		outputs[name], _ = st.Marshal()
	}
	s := testkey.New(t, "ci").Signer
	if outputs["legacy link"], _, err = rec.LegacyLink(s); err != nil {
		t.Fatal(err)
	}
	for name, b := range outputs {
		if bytes.Contains(b, []byte(canary)) || bytes.Contains(b, []byte("CANARY")) {
			t.Errorf("the secret is in the %s: %s", name, b)
		}
	}
	for _, name := range []string{"link", "provenance", "legacy link"} {
		if !bytes.Contains(outputs[name], []byte(`"redactedArguments":[4,6,7]`)) &&
			!strings.Contains(compact(outputs[name]), `"redactedArguments":[4,6,7]`) {
			t.Errorf("the %s does not say which arguments were redacted: %s", name, outputs[name])
		}
	}
}

// TestRunKeepSecretsUnsafe records the command as given.
func TestRunKeepSecretsUnsafe(t *testing.T) {
	dir := tree(t, map[string]string{"out/x": "x\n"})
	command := []string{"true", "--token", canary}
	rec, err := step.Run(context.Background(), step.Config{
		Name: "s", Dir: dir, Products: []string{"out"}, Command: command, KeepSecretsUnsafe: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !cmp.Equal(rec.Command, command) || rec.Redacted != nil {
		t.Errorf("Run(KeepSecretsUnsafe) recorded %q, redacted %v; want %q verbatim", rec.Command, rec.Redacted, command)
	}
}

func compact(b []byte) string {
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return string(b)
	}
	return out.String()
}
