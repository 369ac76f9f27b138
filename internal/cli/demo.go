package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/consign-dev/consign/internal/fsutil"
)

// demoPassword protects the demo's throw-away keys.
const demoPassword = "demo-only-password"

var demoFiles = map[string]string{
	"src/main.c":    "#include \"util.h\"\nint main(void) { return greet(); }\n",
	"src/util.c":    "#include <stdio.h>\nint greet(void) { puts(\"hello from acme\"); return 0; }\n",
	"src/util.h":    "int greet(void);\n",
	"build.sh":      "#!/bin/sh\n# A stand-in for a real build: bundle the sources into one artifact.\nset -e\nmkdir -p dist\ncat src/util.h src/util.c src/main.c > dist/acme-app\necho \"built dist/acme-app\"\n",
	"conanfile.txt": "[requires]\nzlib/1.3.1\nopenssl/3.2.1\n",
	"README.txt":    "A sample project made by 'consign demo'. Every file here was made by the commands it printed.\n",
	"test-result.json": `{
  "result": "PASSED",
  "configuration": [{"name": "tests.cfg", "digest": {"sha256": "0d5e4a2b8c7f1e9d3a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"}}],
  "passedTests": ["greets", "exits-zero"],
  "warnedTests": [],
  "failedTests": []
}
`,
}

// NewCmdDemo is 'consign demo'.
func NewCmdDemo(deps *Deps) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR]",
		Short: "Walk through the whole flow on a built-in sample project",
		Long: `Build a small sample project with throw-away keys and take it through consign's flow:
make keys, record the build with 'consign run' (link + SLSA provenance + in-toto v0.9 link),
sign a test result with 'consign attest', inspect and verify the attestations, and then
show a tampered artifact and a wrong key being rejected.

Each step is printed as the consign command line that does it, so you can re-run any of
them by hand. With --dir the project is made in DIR (which must be empty or absent) and
kept, so you can look at every file; otherwise a temporary directory is used and removed.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			keep := dir != ""
			if !keep {
				tmp, err := os.MkdirTemp("", "consign-demo-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(tmp)
				dir = tmp
			} else if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				return withHint(fmt.Errorf("demo directory %q is not empty", dir), "give --dir a new or empty directory")
			}
			if err := writeDemoProject(dir); err != nil {
				return err
			}
			// The demo's commands use paths relative to the project, exactly
			// as printed; the working directory is restored afterwards.
			cwd, err := os.Getwd()
			if err != nil {
				return err
			}
			if err := os.Chdir(dir); err != nil {
				return err
			}
			defer os.Chdir(cwd)
			return runDemo(cmd, deps, dir, keep)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "make the sample project here and keep it")
	return cmd
}

func writeDemoProject(dir string) error {
	all := map[string]string{}
	for name, body := range demoFiles {
		all[name] = body
	}
	for name, body := range demoChainFiles {
		all[name] = body
	}
	for _, d := range []string{"keys", "release/keys", "release/att", "release/tampered"} {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o700); err != nil {
			return err
		}
	}
	for name, body := range all {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasSuffix(name, ".sh") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			return err
		}
	}
	return nil
}

type demoStep struct {
	title string
	args  []string
	want  int // expected exit code
	// stdout, when set, receives the step's standard output instead of the
	// walkthrough (it is still printed).
	stdout *bytes.Buffer
	// secret is replaced by $TOKEN where the command line is printed.
	secret string
}

// demo holds the walkthrough's state.
type demo struct {
	ctx  context.Context
	w    io.Writer
	deps *Deps
	n    int
}

func runDemo(cmd *cobra.Command, deps *Deps, dir string, keep bool) error {
	sub := *deps
	sub.Stderr = deps.Stdout // one readable stream for the walkthrough
	sub.LookupEnv = func(name string) (string, bool) {
		if name == "CONSIGN_PASSWORD" {
			return demoPassword, true
		}
		return deps.LookupEnv(name)
	}
	d := &demo{ctx: cmd.Context(), w: cmd.OutOrStdout(), deps: &sub}
	if err := d.run(
		demoStep{"Make a key for the build system and one for the test lab", []string{"keygen", "--out", "keys/ci"}, 0, nil, ""},
		demoStep{"", []string{"keygen", "--out", "keys/qa"}, 0, nil, ""},
		demoStep{"Run the build as a recorded step: link + SLSA provenance (+ an in-toto v0.9 link)",
			[]string{"run", "--key", "keys/ci.key", "--name", "build", "--materials", "src", "--products", "dist",
				"--slsa", "--legacy-link", "--out", "build.intoto.jsonl", "--", "sh", "build.sh"}, 0, nil, ""},
		demoStep{"Make an SBOM of the project (CycloneDX and SPDX)",
			[]string{"sbom", ".", "-o", "cyclonedx-json=sbom.cdx.json", "-o", "spdx-json=sbom.spdx.json"}, 0, nil, ""},
		demoStep{"Check it against the NTIA minimum elements",
			[]string{"sbom", "check", "sbom.cdx.json", "--require", "name=100", "--require", "version=100", "--require", "dependencies=100"}, 0, nil, ""},
		demoStep{"A gate the SBOM does not meet fails (exit 3)",
			[]string{"sbom", "check", "sbom.cdx.json", "--require", "supplier=80"}, ExitVerifyNo, nil, ""},
		demoStep{"Sign the SBOM as an attestation about the artifact",
			[]string{"sbom", ".", "--attest", "--key", "keys/ci.key", "--subject", "dist/acme-app", "--out", "sbom.intoto.jsonl"}, 0, nil, ""},
		demoStep{"The test lab signs its result about the artifact",
			[]string{"attest", "--key", "keys/qa.key", "--type", "test", "--predicate", "test-result.json",
				"--subject", "dist/acme-app", "--out", "test.intoto.jsonl"}, 0, nil, ""},
		demoStep{"Look inside the build attestations (nothing verified yet)", []string{"inspect", "build.intoto.jsonl"}, 0, nil, ""},
		demoStep{"Verify the provenance: signed by the CI key, about this very artifact",
			[]string{"verify-attestation", "--key", "keys/ci.pub", "--type", "slsa", "--subject", "dist/acme-app", "build.intoto.jsonl"}, 0, nil, ""},
		demoStep{"Verify the SBOM attestation and the test result",
			[]string{"verify-attestation", "--key", "keys/ci.pub", "--type", "cyclonedx", "--subject", "dist/acme-app", "sbom.intoto.jsonl"}, 0, nil, ""},
		demoStep{"", []string{"verify-attestation", "--key", "keys/qa.pub", "--type", "test", "--subject", "dist/acme-app", "test.intoto.jsonl"}, 0, nil, ""},
		demoStep{"A signature by the wrong key is rejected (exit 3)",
			[]string{"verify-attestation", "--key", "keys/qa.pub", "--type", "slsa", "build.intoto.jsonl"}, ExitVerifyNo, nil, ""},
	); err != nil {
		return err
	}
	if err := d.logSteps(); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "\n# Tamper with the artifact after the build: append one byte\n$ echo >> dist/acme-app\n")
	f, err := os.OpenFile("dist/acme-app", os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte("\n")); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := d.run(demoStep{"The tampered artifact is rejected: its digest is no attestation's subject (exit 3)",
		[]string{"verify-attestation", "--key", "keys/ci.pub", "--type", "slsa", "--subject", "dist/acme-app", "build.intoto.jsonl"}, ExitVerifyNo, nil, ""}); err != nil {
		return err
	}
	if err := d.customerSteps(); err != nil {
		return err
	}
	fmt.Fprintln(d.w)
	if keep {
		fmt.Fprintf(d.w, "Demo complete: every step behaved as expected. The project and its files are in %s\n", dir)
	} else {
		fmt.Fprintln(d.w, "Demo complete: every step behaved as expected. Run 'consign demo --dir DIR' to keep the files.")
	}
	return nil
}

// customerSteps verifies release.pack as a customer would: in a fresh
// directory, offline, with nothing but the owner's public key; then shows
// an altered pack refused.
func (d *demo) customerSteps() error {
	d.n++
	fmt.Fprintf(d.w, "\n# %d. A customer verifies the pack offline, in a fresh directory, with nothing but owner.pub\n", d.n)
	fmt.Fprintf(d.w, "$ mkdir customer && cp release.pack owner.pub customer/ && cd customer\n")
	if err := os.Mkdir("customer", 0o755); err != nil {
		return err
	}
	for _, f := range []string{"release.pack", "owner.pub"} {
		if err := copyFile(f, filepath.Join("customer", f)); err != nil {
			return err
		}
	}
	if err := os.Chdir("customer"); err != nil {
		return err
	}
	defer os.Chdir("..")
	if err := d.run(
		demoStep{args: []string{"inspect", "release.pack"}},
		demoStep{args: []string{"verify-pack", "--trust-root", "owner.pub", "--extract", "shipped", "release.pack"}},
	); err != nil {
		return err
	}
	d.n++
	fmt.Fprintf(d.w, "\n# %d. A pack altered on the way (one byte of the shipped artifact flipped) is refused (exit 3)\n", d.n)
	if err := alterPack("release.pack", "tampered.pack"); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "$ # tampered.pack: release.pack with one byte of artifacts/acme-app-1.0.tar changed\n")
	return d.run(demoStep{args: []string{"verify-pack", "--trust-root", "owner.pub", "tampered.pack"}, want: ExitVerifyNo})
}

func copyFile(from, to string) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return fsutil.WriteFile(to, data, 0o644, false)
}

// alterPack writes a copy of a pack whose included artifact has one byte
// changed: what a customer would get from a tampered download.
func alterPack(from, to string) error {
	var buf bytes.Buffer
	f, err := os.Open(from)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	changed := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if strings.HasPrefix(hdr.Name, "artifacts/") && len(data) > 0 {
			data[len(data)/2] ^= 1
			changed = true
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if !changed {
		return errors.New("demo: the pack holds no artifact to alter")
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return fsutil.WriteFile(to, buf.Bytes(), 0o644, false)
}

// logSteps starts a transparency log on a free loopback port (as
// 'consign serve' would), publishes the attestations to it and checks the
// receipts offline.
func (d *demo) logSteps() error {
	d.n++
	fmt.Fprintf(d.w, "\n# %d. Start the vendor's transparency log (here in-process, on a free loopback port)\n", d.n)
	fmt.Fprintf(d.w, "$ consign serve --addr 127.0.0.1:0 --db sqlite:log.db --log-key keys/log.key &\n")
	srv, err := startLogServer(d.ctx, d.deps, serveConfig{Addr: "127.0.0.1:0", DB: "sqlite:log.db", LogKey: "keys/log.key", Rate: -1},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return fmt.Errorf("demo: starting the log: %w", err)
	}
	defer srv.Close(context.Background())
	fmt.Fprintf(d.w, "listening on %s, log origin %q\n", srv.URL, srv.Signer.Origin())
	var token bytes.Buffer
	if err := d.run(demoStep{"Make a publishing token for the product, scoped to the CI and test-lab keys",
		[]string{"admin", "token", "create", "--db", "sqlite:log.db", "--product", "acme-app", "--key", "keys/ci.pub", "--key", "keys/qa.pub"}, 0, &token, ""}); err != nil {
		return err
	}
	tok := strings.TrimSpace(token.String())
	if err := d.run(
		demoStep{"Publish the attestations; the receipts are written beside them",
			[]string{"publish", "--server", srv.URL, "--token", tok, "--log-key", "keys/log.pub", "build.intoto.jsonl", "sbom.intoto.jsonl", "test.intoto.jsonl"}, 0, nil, tok},
		demoStep{"Anyone checks a receipt offline with the log's public key",
			[]string{"log", "verify-receipt", "--log-key", "keys/log.pub", "--attestations", "build.intoto.jsonl", "build.receipts.jsonl"}, 0, nil, ""},
		demoStep{"Fetch everything the log holds about the artifact",
			[]string{"fetch", "--server", srv.URL, "--subject", "dist/acme-app", "--out", "fetched.intoto.jsonl"}, 0, nil, ""},
	); err != nil {
		return err
	}
	return d.chainSteps(srv.URL)
}

// chainSteps takes the project through a whole release chain (source,
// build, sbom, test, package, release) under a signed policy, in release/,
// and shows three tampered variants failing.
func (d *demo) chainSteps(logURL string) error {
	d.n++
	fmt.Fprintf(d.w, "\n# %d. A whole release chain under a signed policy (see release/policy.yaml)\n$ cd release\n", d.n)
	if err := os.Chdir("release"); err != nil {
		return err
	}
	defer os.Chdir("..")
	var steps []demoStep
	for i, k := range []string{"owner", "ci", "qa", "alice", "bob", "carol", "mallory", "gate"} {
		title := ""
		if i == 0 {
			title = "Keys: the product owner (signs the policy), CI, the test lab, three release engineers, an outsider, the release gate"
		}
		steps = append(steps, demoStep{title: title, args: []string{"keygen", "--out", "keys/" + k}})
	}
	run := func(title, key, name string, extra ...string) demoStep {
		return demoStep{title: title, args: append([]string{"run", "--key", "keys/" + key + ".key", "--name", name}, extra...)}
	}
	steps = append(steps,
		run("Record every stage: source, build (+ SLSA), SBOM, test, package, and the two-person release", "ci", "source", "--products", "src", "--out", "att/source.intoto.jsonl"),
		run("", "ci", "build", "--materials", "src", "--products", "dist", "--slsa", "--out", "att/build.intoto.jsonl", "--", "sh", "build.sh"),
		demoStep{args: []string{"attest", "--key", "keys/ci.key", "--type", "cyclonedx", "--predicate", "sbom.cdx.json", "--subject", "dist/acme-app", "--out", "att/sbom.intoto.jsonl"}},
		demoStep{args: []string{"attest", "--key", "keys/qa.key", "--type", "test", "--predicate", "test-result.json", "--subject", "dist/acme-app", "--out", "att/test.intoto.jsonl"}},
		run("", "ci", "package", "--materials", "dist", "--products", "pkg", "--out", "att/package.intoto.jsonl", "--", "sh", "package.sh"),
		run("", "alice", "release", "--materials", "pkg", "--products", "pkg", "--out", "att/release-alice.intoto.jsonl"),
		run("", "bob", "release", "--materials", "pkg", "--products", "pkg", "--out", "att/release-bob.intoto.jsonl"),
		demoStep{title: "Lint the policy, and sign it with the owner's root key", args: []string{"policy", "check", "policy.yaml"}},
		demoStep{args: []string{"policy", "sign", "--key", "keys/owner.key", "--out", "policy.signed.json", "policy.yaml"}},
		demoStep{title: "Gate the release: the whole chain against the signed policy, and sign a verification summary (VSA)",
			args: []string{"verify", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub", "--attestations", "att",
				"--vsa-key", "keys/gate.key", "--vsa-out", "release.vsa.intoto.jsonl", "pkg/acme-app-1.0.tar"}},
		demoStep{title: "Anyone checks the VSA with the gate's key",
			args: []string{"verify-attestation", "--key", "keys/gate.pub", "--type", "vsa", "--subject", "pkg/acme-app-1.0.tar", "release.vsa.intoto.jsonl"}},
	)
	var token bytes.Buffer
	steps = append(steps,
		demoStep{title: "Publish the chain to the log, then verify again, counting only signatures the log has receipts for",
			args: []string{"admin", "token", "create", "--db", "sqlite:../log.db", "--product", "acme-app",
				"--key", "keys/ci.pub", "--key", "keys/qa.pub", "--key", "keys/alice.pub", "--key", "keys/bob.pub"}, stdout: &token},
	)
	if err := d.run(steps...); err != nil {
		return err
	}
	tok := strings.TrimSpace(token.String())
	publish := []string{"publish", "--server", logURL, "--token", tok, "--log-key", "../keys/log.pub"}
	for _, f := range []string{"source", "build", "sbom", "test", "package", "release-alice", "release-bob"} {
		publish = append(publish, "att/"+f+".intoto.jsonl")
	}
	if err := d.run(
		demoStep{args: publish, secret: tok},
		demoStep{args: []string{"verify", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub", "--attestations", "att",
			"--receipts", "--log-key", "../keys/log.pub", "--output", "json", "pkg/acme-app-1.0.tar"}, stdout: &bytes.Buffer{}},
		demoStep{title: "Pack the release for customers: the policy, the attestations it counts, their receipts, the log's checkpoint, the SBOM and the artifact, in one file",
			args: []string{"pack", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub", "--attestations", "att",
				"--server", logURL, "--include-artifacts", "-o", "../release.pack", "pkg/acme-app-1.0.tar"}},
	); err != nil {
		return err
	}
	if err := copyFile("keys/owner.pub", "../owner.pub"); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "$ cp keys/owner.pub ../owner.pub    # what the vendor publishes, out of band\n")
	verify := func(files ...string) []string {
		args := []string{"verify", "--policy", "policy.signed.json", "--trust-root", "keys/owner.pub"}
		for _, f := range files {
			args = append(args, "--attestations", f)
		}
		return append(args, "pkg/acme-app-1.0.tar")
	}
	upstream := []string{"att/source.intoto.jsonl", "att/build.intoto.jsonl", "att/sbom.intoto.jsonl", "att/test.intoto.jsonl"}
	with := func(extra ...string) []string { return verify(append(append([]string{}, upstream...), extra...)...) }
	if err := d.run(
		run("Tampered 1: the package step signed by a key the policy does not name", "mallory", "package", "--materials", "dist", "--products", "pkg", "--out", "tampered/package-mallory.intoto.jsonl"),
		demoStep{args: with("tampered/package-mallory.intoto.jsonl", "att/release-alice.intoto.jsonl", "att/release-bob.intoto.jsonl"), want: ExitVerifyNo},
		run("Tampered 2: the two-person rule not met (carol's key was revoked before she signed)", "carol", "release", "--materials", "pkg", "--products", "pkg", "--out", "tampered/release-carol.intoto.jsonl"),
		demoStep{args: with("att/package.intoto.jsonl", "att/release-alice.intoto.jsonl", "tampered/release-carol.intoto.jsonl"), want: ExitVerifyNo},
	); err != nil {
		return err
	}
	d.n++
	fmt.Fprintf(d.w, "\n# %d. Tampered 3: the build's product is swapped before packaging\n$ echo 'int main(void) { return 1; }' > dist/acme-app\n", d.n)
	if err := os.WriteFile("dist/acme-app", []byte("int main(void) { return 1; }\n"), 0o644); err != nil {
		return err
	}
	return d.run(
		run("", "ci", "package", "--materials", "dist", "--products", "pkg", "--out", "tampered/package.intoto.jsonl", "--", "sh", "package.sh"),
		demoStep{args: with("tampered/package.intoto.jsonl", "att/release-alice.intoto.jsonl", "att/release-bob.intoto.jsonl"), want: ExitVerifyNo},
	)
}

func (d *demo) run(steps ...demoStep) error {
	for _, s := range steps {
		if s.title != "" {
			d.n++
			fmt.Fprintf(d.w, "\n# %d. %s\n", d.n, s.title)
		}
		line := "consign " + strings.Join(quoteArgs(s.args), " ")
		if s.secret != "" {
			line = strings.ReplaceAll(line, s.secret, "$TOKEN")
		}
		if s.args[0] == "keygen" {
			line = "CONSIGN_PASSWORD=" + demoPassword + " " + line
		}
		if s.stdout != nil && s.args[0] == "admin" {
			line = "TOKEN=$(" + line + ")"
		}
		fmt.Fprintf(d.w, "$ %s\n", line)
		deps := d.deps
		if s.stdout != nil {
			cp := *d.deps
			cp.Stdout = s.stdout
			deps = &cp
		}
		code := Run(d.ctx, deps, s.args)
		switch {
		case s.stdout != nil && s.args[0] == "admin":
			fmt.Fprintf(d.w, "(a secret: %d characters, shown once)\n", len(strings.TrimSpace(s.stdout.String())))
		case s.stdout != nil:
			fmt.Fprintf(d.w, "(%d bytes of JSON report: every stage passed, each signature backed by a receipt)\n", s.stdout.Len())
		}
		if code != s.want {
			return fmt.Errorf("demo step %q exited %d, expected %d", line, code, s.want)
		}
		if s.want != 0 {
			fmt.Fprintf(d.w, "(exit %d, as expected)\n", code)
		}
	}
	return nil
}

func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t\"'$*?") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}

// demoChainFiles is the release-chain sample: the same project under a signed
// release policy (it mirrors cmd/consign/testdata/script/chain.txtar).
var demoChainFiles = map[string]string{
	"release/src/main.c": `#include "util.h"
int main(void) { return greet(); }
`,
	"release/src/util.c": `#include <stdio.h>
int greet(void) { puts("hello from acme"); return 0; }
`,
	"release/src/util.h": `int greet(void);
`,
	"release/build.sh": `#!/bin/sh
# A stand-in for a real build: bundle the sources into one artifact.
set -e
mkdir -p dist
cat src/util.h src/util.c src/main.c > dist/acme-app
echo "built dist/acme-app"
`,
	"release/package.sh": `#!/bin/sh
# Package the build's artifact for release.
set -e
mkdir -p pkg
tar -cf pkg/acme-app-1.0.tar dist/acme-app
echo "packaged pkg/acme-app-1.0.tar"
`,
	"release/sbom.cdx.json": `{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "version": 1,
  "metadata": {
    "timestamp": "2026-11-01T00:00:00Z",
    "authors": [{"name": "ACME build system"}],
    "component": {"bom-ref": "acme-app", "type": "application", "name": "acme-app", "version": "1.0"}
  },
  "components": [
    {
      "bom-ref": "pkg:generic/libgreet@1.2.0",
      "type": "library",
      "name": "libgreet",
      "version": "1.2.0",
      "supplier": {"name": "ACME"},
      "purl": "pkg:generic/libgreet@1.2.0",
      "licenses": [{"license": {"id": "MIT"}}],
      "hashes": [{"alg": "SHA-256", "content": "0d5e4a2b8c7f1e9d3a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"}]
    }
  ],
  "dependencies": [
    {"ref": "acme-app", "dependsOn": ["pkg:generic/libgreet@1.2.0"]},
    {"ref": "pkg:generic/libgreet@1.2.0", "dependsOn": []}
  ]
}
`,
	"release/test-result.json": `{
  "result": "PASSED",
  "configuration": [{"name": "tests.cfg", "digest": {"sha256": "0d5e4a2b8c7f1e9d3a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f"}}],
  "passedTests": ["greets", "exits-zero"],
  "warnedTests": [],
  "failedTests": []
}
`,
	"release/policy.yaml": `# The release policy of acme-app: what it must show before it ships.
apiVersion: consign.dev/policy/v1
product: acme-app
version: 1
expires: 2030-12-31T00:00:00Z
owner: {key: keys/owner.pub}          # the root key that signs this file
log: {key: ../keys/log.pub, receipts: optional}   # the vendor's transparency log
functionaries:
  ci:    {role: build system, keys: [keys/ci.pub]}
  qa:    {role: test lab, keys: [keys/qa.pub]}
  alice: {role: release engineer, keys: [keys/alice.pub], valid_until: 2029-12-31T00:00:00Z}
  bob:   {role: release engineer, keys: [keys/bob.pub]}
  carol: {role: release engineer, keys: [keys/carol.pub], revoked_at: 2026-10-01T00:00:00Z}
stages:
  - name: source
    by: [ci]
    require: [link]
    products: [CREATE "src/*", DISALLOW "*"]
  - name: build
    by: [ci]
    require: [link, slsa]
    materials: [MATCH "src/*" WITH PRODUCTS FROM source, DISALLOW "*"]
    products:  [CREATE "dist/*", DISALLOW "*"]
    checks:
      - slsa:
          builder_ids: [https://consign.dev/builders/local/v1]
          build_types: [https://consign.dev/buildtypes/run/v1]
          external_parameters: {step: build, command: [sh, build.sh], excludePatterns: []}
  - name: sbom
    by: [ci]
    require: [cyclonedx]
    products: [MATCH "dist/*" WITH PRODUCTS FROM build, DISALLOW "*"]
    checks:
      - sbom:
          min_coverage: {name: 100, version: 100, identifiers: 95, supplier: 80}
          deny_licenses: [AGPL-3.0-only]
  - name: test
    by: [qa]
    require: [test]
    products: [MATCH "dist/*" WITH PRODUCTS FROM build, DISALLOW "*"]
    checks: [{tests: all_passed}]
  - name: package
    by: [ci]
    require: [link]
    materials: [MATCH "dist/*" WITH PRODUCTS FROM build, DISALLOW "*"]
    products:  [CREATE "pkg/*", DISALLOW "*"]
  - name: release
    by: [alice, bob, carol]
    threshold: 2          # two-person rule; carol's signatures count for nothing since her revocation
    require: [link]
    materials: [MATCH "pkg/*" WITH PRODUCTS FROM package, DISALLOW "*"]
    products:  [MATCH "pkg/*" WITH PRODUCTS FROM package, DISALLOW "*"]
    checks: [{rego: release.rego}]
`,
	"release/release.rego": `# A custom check for consign policies (see docs/policy.md, "Rego checks").
#
# consign evaluates data.<package>.deny: a set of messages. An empty set
# passes; a message, an undefined deny or an evaluation error fails.
# input.statements are the attestations that counted for the stage the check
# is on, input.chain maps every stage to its counted attestations, and
# input.artifacts are the artifacts being verified.
package consign.release

import rego.v1

# Separation of duties: nobody who signed for the build signs the release.
deny contains msg if {
	some release in input.statements
	some signer in release.signers
	some build in input.chain.build
	some builder in build.signers
	signer.keyId == builder.keyId
	msg := sprintf("%s signed both the build and the release", [signer.functionary])
}

# The release ships exactly the artifacts being verified, no more.
deny contains msg if {
	some release in input.statements
	some name, digest in release.products
	not shipped(digest.sha256)
	msg := sprintf("the release link of %s lists %s, which is not being shipped", [release.source, name])
}

shipped(sha) if {
	some a in input.artifacts
	a.digest.sha256 == sha
}

# The tests ran: at least one passed test is listed.
deny contains msg if {
	some t in input.chain.test
	count(object.get(t.predicate, "passedTests", [])) == 0
	msg := sprintf("%s lists no passed test", [t.source])
}
`,
}
