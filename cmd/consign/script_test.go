package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/startup"
)

var update = flag.Bool("update", false, "rewrite the testscript files with the actual output")

func TestMain(m *testing.M) {
	startup.Restore() // this test process runs with the usual GC setting
	testscript.Main(m, map[string]func(){"consign": checkedMain, "consign-sbom": checkedSBOMMain})
}

// TestScript runs the end-to-end scripts in testdata/script, one per verb
// plus usage.txtar. Besides testscript's builtins they can use the commands
// of scriptCmds.
func TestScript(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		// Report every failing line of a script, not only the first.
		ContinueOnError: true,
		Cmds:            scriptCmds,
		Condition: func(cond string) (bool, error) {
			if cond == "root" { // permissions do not stop root
				return os.Geteuid() == 0, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			// No password unless a script sets one, whatever the caller's
			// environment holds; HOME is the script's own work directory.
			vars := env.Vars[:0]
			for _, kv := range env.Vars {
				if strings.HasPrefix(kv, "CONSIGN_PASSWORD=") || strings.HasPrefix(kv, "COSIGN_PASSWORD=") || strings.HasPrefix(kv, "HOME=") {
					continue
				}
				vars = append(vars, kv)
			}
			env.Vars = vars
			isolateHome(env)
			// Fixtures too large for a script (slsa-verifier's artifacts)
			// are read from the repository's testdata in place.
			testdata, err := filepath.Abs("../../testdata")
			if err != nil {
				return err
			}
			env.Setenv("TESTDATA", testdata)
			if err := checkMessages(env); err != nil {
				return err
			}
			if os.Getenv("GORACE") == "" {
				// Under -race every successful exit sleeps a second by
				// default; the scripts exec consign a few hundred times.
				env.Setenv("GORACE", "atexit_sleep_ms=0")
			}
			return nil
		},
	})
}

// isolateHome gives a script its own home and configuration directories,
// in its work directory, so that no script reads or writes the state of
// the user running the tests (verify's rollback state, the log monitor's).
func isolateHome(env *testscript.Env) {
	env.Setenv("HOME", env.WorkDir)
	env.Setenv("XDG_CONFIG_HOME", filepath.Join(env.WorkDir, ".config"))
	env.Setenv("XDG_STATE_HOME", filepath.Join(env.WorkDir, ".local", "state"))
}

// scriptCmds are the commands the scripts use besides testscript's own.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	// exitcode N PROG ARGS... runs PROG and fails unless it exits with
	// status N. Its stdout and stderr are then checked as after exec.
	"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg {
			ts.Fatalf("unsupported: ! exitcode (name the code you expect)")
		}
		if len(args) < 2 {
			ts.Fatalf("usage: exitcode N program [args...]")
		}
		want, err := strconv.Atoi(args[0])
		if err != nil {
			ts.Fatalf("exitcode: bad code %q", args[0])
		}
		err = ts.Exec(args[1], args[2:]...)
		got := 0
		var ee *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &ee):
			got = ee.ExitCode()
		default:
			ts.Fatalf("exitcode: running %s: %v", args[1], err)
		}
		if got != want {
			ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
		}
	},
	// sparse FILE SIZE makes FILE a sparse file of SIZE bytes (all zero),
	// so that over-size inputs cost no disk and no time.
	"sparse": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: sparse file size")
		}
		size, err := strconv.ParseInt(args[1], 10, 64)
		ts.Check(err)
		f, err := os.Create(ts.MkAbs(args[0]))
		ts.Check(err)
		ts.Check(f.Truncate(size))
		ts.Check(f.Close())
	},
	// garbage FILE N writes N bytes of (seeded, so repeatable) binary noise.
	"garbage": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: garbage file n")
		}
		n, err := strconv.Atoi(args[1])
		ts.Check(err)
		r := rand.New(rand.NewPCG(uint64(n), 53))
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		b[0] = 0xff // never valid UTF-8, never JSON
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
	},
	// filemode FILE MODE checks FILE's permission bits (octal).
	"filemode": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: filemode file mode")
		}
		want, err := strconv.ParseUint(args[1], 8, 32)
		ts.Check(err)
		fi, err := os.Stat(ts.MkAbs(args[0]))
		ts.Check(err)
		got := fi.Mode().Perm()
		if !neg && got != fs.FileMode(want) {
			ts.Fatalf("%s has mode %04o, want %04o", args[0], got, want)
		}
		if neg && got == fs.FileMode(want) {
			ts.Fatalf("%s has mode %04o, want another", args[0], got)
		}
	},
	// notemp DIR fails if DIR holds a temporary file left by an atomic write.
	"notemp": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: notemp dir")
		}
		entries, err := os.ReadDir(ts.MkAbs(args[0]))
		ts.Check(err)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") && strings.Contains(e.Name(), ".tmp-") {
				ts.Fatalf("temporary file %s left behind in %s", e.Name(), args[0])
			}
		}
	},
	// glob PATTERN N checks that N files of the current directory match
	// PATTERN (path.Match syntax).
	"glob": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: glob pattern n")
		}
		want, err := strconv.Atoi(args[1])
		ts.Check(err)
		matches, err := filepath.Glob(ts.MkAbs(args[0]))
		ts.Check(err)
		if len(matches) != want {
			ts.Fatalf("%d files match %s (%q), want %d", len(matches), args[0], matches, want)
		}
	},
	// cpglob PATTERN DEST copies the one file that matches PATTERN to DEST.
	"cpglob": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: cpglob pattern dest")
		}
		matches, err := filepath.Glob(ts.MkAbs(args[0]))
		ts.Check(err)
		if len(matches) != 1 {
			ts.Fatalf("%d files match %s (%q), want exactly 1", len(matches), args[0], matches)
		}
		b, err := os.ReadFile(matches[0])
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), b, 0o644))
	},
	// hasprefix FILE PREFIXFILE checks that FILE starts with the bytes of PREFIXFILE.
	"hasprefix": func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: hasprefix file prefixfile")
		}
		if strings.HasPrefix(ts.ReadFile(args[0]), ts.ReadFile(args[1])) == neg {
			ts.Fatalf("%s does not start with the contents of %s as expected (negated: %v)", args[0], args[1], neg)
		}
	},
	// interrupt SIGNAL AFTER CODE PROG ARGS... sends PROG a real signal
	// (signal_script_test.go).
	"interrupt": interruptCmd,
	"fifo":      fifoCmd,
	// tarball OUT DIR writes an uncompressed tar of DIR's files (sbom.txtar).
	"tarball": tarballCmd,
	// sign-payload KEY PAYLOAD OUT [TYPE] signs the bytes of PAYLOAD as they
	// are (no checks at all) into a DSSE envelope line in OUT, with the
	// unencrypted private key KEY; TYPE is the payloadType (default
	// in-toto's). It makes the signed-but-bad attestations consign attest
	// refuses to make.
	"sign-payload": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 3 || len(args) > 4 {
			ts.Fatalf("usage: sign-payload key payload out [payloadType]")
		}
		key, err := sign.ParsePrivateKey([]byte(ts.ReadFile(args[0])), nil)
		ts.Check(err)
		signer, err := sign.NewSigner(key)
		ts.Check(err)
		pt := attest.PayloadType
		if len(args) == 4 {
			pt = args[3]
		}
		env, err := attest.SignPayload(pt, []byte(ts.ReadFile(args[1])), signer)
		ts.Check(err)
		b, err := json.Marshal(env)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), append(b, '\n'), 0o644))
	},
	// envelope OP IN OUT [ARG] writes OUT, a tampered copy of the first
	// envelope line of IN:
	//   flip-payload      one byte of the decoded payload changed, re-encoded canonically
	//   payload-type T    payloadType replaced by T, signature kept
	//   bad-base64        the payload's first characters replaced by "!!!"
	//   strip-sigs        the signatures removed
	//   truncate N        only the first N bytes of the line, no newline
	//   cosign-bundle     the envelope wrapped in a cosign legacy bundle
	//   sigstore-bundle   the envelope wrapped in a Sigstore v0.3 bundle
	"envelope": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 3 {
			ts.Fatalf("usage: envelope op in out [arg]")
		}
		op, in, out := args[0], ts.ReadFile(args[1]), ts.MkAbs(args[2])
		line, _, _ := strings.Cut(in, "\n")
		var env map[string]any
		ts.Check(json.Unmarshal([]byte(line), &env))
		arg := func() string {
			if len(args) != 4 {
				ts.Fatalf("envelope %s needs an argument", op)
			}
			return args[3]
		}
		switch op {
		case "flip-payload":
			p, err := base64.StdEncoding.DecodeString(env["payload"].(string))
			ts.Check(err)
			p[len(p)/2] ^= 0x01
			env["payload"] = base64.StdEncoding.EncodeToString(p)
		case "payload-type":
			env["payloadType"] = arg()
		case "bad-base64":
			env["payload"] = "!!!" + env["payload"].(string)[3:]
		case "strip-sigs":
			env["signatures"] = []any{}
		case "truncate":
			n, err := strconv.Atoi(arg())
			ts.Check(err)
			ts.Check(os.WriteFile(out, []byte(line[:n]), 0o644))
			return
		case "cosign-bundle":
			env = map[string]any{"base64Signature": base64.StdEncoding.EncodeToString([]byte(line)), "cert": "", "rekorBundle": nil}
		case "sigstore-bundle":
			env = map[string]any{
				"mediaType":            "application/vnd.dev.sigstore.bundle.v0.3+json",
				"verificationMaterial": map[string]any{"publicKey": map[string]any{"hint": "test"}},
				"dsseEnvelope":         env,
			}
		default:
			ts.Fatalf("envelope: unknown op %q", op)
		}
		b, err := json.Marshal(env)
		ts.Check(err)
		ts.Check(os.WriteFile(out, append(b, '\n'), 0o644))
	},
	// waitfile FILE VAR waits (up to 60s) for FILE to hold a line, such as
	// the URL 'consign serve --ready-file FILE' writes, and sets $VAR to it.
	"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 2 {
			ts.Fatalf("usage: waitfile file var")
		}
		deadline := time.Now().Add(60 * time.Second)
		for {
			if b, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && strings.HasSuffix(string(b), "\n") {
				ts.Setenv(args[1], strings.TrimSpace(string(b)))
				return
			}
			if time.Now().After(deadline) {
				ts.Fatalf("%s did not appear within 60s", args[0])
			}
			time.Sleep(20 * time.Millisecond)
		}
	},
	// sleep DURATION waits, e.g. for a server's cache to expire.
	"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: sleep duration")
		}
		d, err := time.ParseDuration(args[0])
		ts.Check(err)
		time.Sleep(d)
	},
	// jsonfield FILE PATH VAR sets $VAR to the string (or number) at the
	// dotted PATH of the JSON object on FILE's first line.
	"jsonfield": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 3 {
			ts.Fatalf("usage: jsonfield file path var")
		}
		line, _, _ := strings.Cut(ts.ReadFile(args[0]), "\n")
		var v any
		ts.Check(json.Unmarshal([]byte(line), &v))
		for _, k := range strings.Split(args[1], ".") {
			m, ok := v.(map[string]any)
			if !ok {
				ts.Fatalf("jsonfield: %s is not an object at %q", args[0], k)
			}
			v = m[k]
		}
		ts.Setenv(args[2], fmt.Sprint(v))
	},
	// jsonset IN OUT KEY JSON writes OUT, the first line of IN (a JSON
	// object) with its top-level KEY set to the JSON value given.
	"jsonset": func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 4 {
			ts.Fatalf("usage: jsonset in out key json")
		}
		line, _, _ := strings.Cut(ts.ReadFile(args[0]), "\n")
		var m map[string]json.RawMessage
		ts.Check(json.Unmarshal([]byte(line), &m))
		m[args[2]] = json.RawMessage(args[3])
		b, err := json.Marshal(m)
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(args[1]), append(b, '\n'), 0o644))
	},
}

// panicWriter panics on the first write, standing in for any bug below cli.Run.
type panicWriter struct{}

func (panicWriter) Write([]byte) (int, error) { panic("boom from a test writer") }

// TestSecurityCase10_PanicIsExit1 checks that a panic anywhere under cli.Run
// becomes exit code 1 with an error and a hint, never exit 0 and never a
// "verified" line (security case 10 in docs/security.md: gitsign's verify exited 0 after a panic).
func TestSecurityCase10_PanicIsExit1(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"version", []string{"version"}},
		{"help", []string{"--help"}},
		{"inspect a key", []string{"inspect", writeTestKey(t)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			deps := &cli.Deps{
				Stdin:     strings.NewReader(""),
				Stdout:    panicWriter{},
				Stderr:    &stderr,
				LookupEnv: func(string) (string, bool) { return "", false },
				Now:       func() time.Time { return time.Unix(0, 0) },
			}
			code := cli.Run(context.Background(), deps, tt.args)
			if code != cli.ExitError {
				t.Errorf("Run(%q) with a panicking stdout = %d, want %d", tt.args, code, cli.ExitError)
			}
			lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "consign: error: ") || !strings.HasPrefix(lines[1], "consign: hint: ") {
				t.Errorf("Run(%q) stderr = %q, want one error line and one hint line", tt.args, stderr.String())
			}
			if !strings.Contains(lines[0], "boom from a test writer") {
				t.Errorf("Run(%q) error line = %q, want the panic value in it", tt.args, lines[0])
			}
			if strings.Contains(strings.ToLower(stderr.String()), "verified") || strings.Contains(stderr.String(), "PASS") {
				t.Errorf("Run(%q) stderr = %q, must not claim success", tt.args, stderr.String())
			}
		})
	}
}

// writeTestKey writes a public key file for the tests that need one.
func writeTestKey(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var stderr bytes.Buffer
	deps := &cli.Deps{
		Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr,
		LookupEnv: func(string) (string, bool) { return "", false },
		Now:       time.Now,
	}
	prefix := filepath.Join(dir, "k")
	if code := cli.Run(context.Background(), deps, []string{"keygen", "--unencrypted-unsafe", "--out", prefix}); code != 0 {
		t.Fatalf("keygen exited %d: %s", code, stderr.String())
	}
	return prefix + ".pub"
}
