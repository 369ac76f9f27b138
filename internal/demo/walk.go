package demo

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// walk runs the walkthrough, section by section. The first time a term
// appears in a heading, the heading says what it means.
func (d *demo) walk() error {
	if err := d.run(
		consign("Make a key for the build system and one for the test lab", "keygen", "--out", "keys/ci"),
		consign("", "keygen", "--out", "keys/qa"),
		consign("Run the build as a recorded step. Its link is a signed record of the step: its materials "+
			"(the files it read) and products (the files it wrote), with their digests. It is an attestation: "+
			"a signed statement about artifacts. Here also SLSA provenance and an in-toto v0.9 link",
			"run", "--key", "keys/ci.key", "--name", "build", "--materials", "src", "--products", "dist",
			"--slsa", "--legacy-link", "--out", "build.intoto.jsonl", "--", "sh", "build.sh"),
		consign("Make an SBOM of the project (a list of its components; CycloneDX and SPDX)",
			"sbom", ".", "-o", "cyclonedx-json=sbom.cdx.json", "-o", "spdx-json=sbom.spdx.json"),
		consign("Check it against the NTIA minimum elements",
			"sbom", "check", "sbom.cdx.json", "--require", "name=100", "--require", "version=100", "--require", "dependencies=100"),
		refused("A gate the SBOM does not meet fails (exit 3)",
			"sbom", "check", "sbom.cdx.json", "--require", "supplier=80"),
		consign("Sign the SBOM as an attestation about the artifact: the SBOM is its predicate, what it says about its subject",
			"sbom", ".", "--attest", "--key", "keys/ci.key", "--subject", "dist/acme-app", "--out", "sbom.intoto.jsonl"),
		consign("The test lab signs its result about the artifact (a test predicate)",
			"attest", "--key", "keys/qa.key", "--type", "test", "--predicate", "test-result.json",
			"--subject", "dist/acme-app", "--out", "test.intoto.jsonl"),
		consign("Look inside the build attestations (nothing verified yet)", "inspect", "build.intoto.jsonl"),
		consign("Verify the provenance: signed by the CI key, about this very artifact",
			"verify-attestation", "--key", "keys/ci.pub", "--type", "slsa", "--subject", "dist/acme-app", "build.intoto.jsonl"),
		consign("Verify the SBOM attestation and the test result",
			"verify-attestation", "--key", "keys/ci.pub", "--type", "cyclonedx", "--subject", "dist/acme-app", "sbom.intoto.jsonl"),
		consign("", "verify-attestation", "--key", "keys/qa.pub", "--type", "test", "--subject", "dist/acme-app", "test.intoto.jsonl"),
		refused("A signature by the wrong key is rejected (exit 3)",
			"verify-attestation", "--key", "keys/qa.pub", "--type", "slsa", "build.intoto.jsonl"),
	); err != nil {
		return err
	}
	if err := d.logSteps(); err != nil {
		return err
	}
	if err := d.run(
		shell("Tamper with a copy of the artifact: append one byte", "cp dist/acme-app acme-app.tampered && echo >> acme-app.tampered"),
		refused("The tampered artifact is rejected: its digest is no attestation's subject (exit 3)",
			"verify-attestation", "--key", "keys/ci.pub", "--type", "slsa", "--subject", "acme-app.tampered", "build.intoto.jsonl"),
	); err != nil {
		return err
	}
	if err := d.customerSteps(); err != nil {
		return err
	}
	return d.imageSteps()
}

// logServer is 'consign serve' running in the background for the walkthrough.
type logServer struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
}

// serveArgs start the walkthrough's log: on a free loopback port, writing
// its URL to serve.url once it accepts connections.
var serveArgs = []string{"serve", "--addr", "127.0.0.1:0", "--db", "sqlite:log.db", "--log-key", "keys/log.key", "--rate", "-1", "--ready-file", "serve.url"}

// serveScript is how steps.sh starts the log and learns its URL.
const serveScript = `consign %s >serve.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
i=0; until [ -s serve.url ]; do i=$((i+1)); [ $i -le 600 ] || fail; sleep 0.1; done
SERVER=$(cat serve.url)`

// background prints and runs consign with args in the background, a
// server that writes its address to the file ready; steps.sh starts it with
// script (its %s the command line). It returns once the server answers.
func (d *demo) background(args []string, script, ready string) (*logServer, error) {
	line := strings.Join(d.quoteArgs(args, false), " ")
	fmt.Fprintf(d.w, "$ consign %s &\n", line)
	d.script = append(d.script, fmt.Sprintf(script, line))
	return d.startServer(d.command(args...), d.path(ready))
}

// startServer starts cmd, a 'consign serve' or 'consign registry serve'
// writing its address to the file ready, and waits until it answers.
func (d *demo) startServer(cmd *exec.Cmd, ready string) (*logServer, error) {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("demo: starting %q: %w", strings.Join(cmd.Args, " "), err)
	}
	l := &logServer{cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(l.exited) }()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); {
		if b, err := os.ReadFile(ready); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			l.url = strings.TrimSpace(string(b))
			return l, nil
		}
		select {
		case <-l.exited:
			return nil, fmt.Errorf("demo: %q stopped: %s", strings.Join(cmd.Args[1:], " "), strings.TrimSpace(out.String()))
		case <-time.After(20 * time.Millisecond):
		}
	}
	l.stop()
	return nil, fmt.Errorf("demo: %q did not start within a minute", strings.Join(cmd.Args[1:], " "))
}

// stop interrupts the server, as Ctrl-C would, and waits for it.
func (l *logServer) stop() {
	l.cmd.Process.Signal(os.Interrupt)
	select {
	case <-l.exited:
	case <-time.After(10 * time.Second):
		l.cmd.Process.Kill()
		<-l.exited
	}
}

// logSteps starts a transparency log, publishes the attestations to it and
// checks the receipts offline; then the release chain uses it.
func (d *demo) logSteps() error {
	d.section("Start the vendor's transparency log (in the background, on a free loopback port): " +
		"an append-only public record of signatures, whose receipts prove an entry is in it")
	srv, err := d.background(serveArgs, serveScript, "serve.url")
	if err != nil {
		return err
	}
	defer srv.stop()
	vkey, err := os.ReadFile(d.path("keys/log.vkey"))
	if err != nil {
		return fmt.Errorf("demo: reading the log's key: %w", err)
	}
	origin, _, _ := strings.Cut(string(vkey), "+")
	fmt.Fprintf(d.w, "listening on %s, log origin %q\n", srv.url, origin)
	d.vars = map[string]string{srv.url: "SERVER"}
	if err := d.token("Make a publishing token for the product, scoped to the CI and test-lab keys",
		"--db", "sqlite:log.db", "--key", "keys/ci.pub", "--key", "keys/qa.pub"); err != nil {
		return err
	}
	if err := d.run(
		consign("Publish the attestations; the receipts are written beside them",
			"publish", "--server", srv.url, "--token", d.tok, "--log-key", "keys/log.vkey", "build.intoto.jsonl", "sbom.intoto.jsonl", "test.intoto.jsonl"),
		consign("Anyone checks a receipt offline with the log's public key",
			"log", "verify-receipt", "--log-key", "keys/log.vkey", "--attestations", "build.intoto.jsonl", "build.receipts.jsonl"),
		consign("Fetch everything the log holds about the artifact",
			"fetch", "--server", srv.url, "--subject", "dist/acme-app", "--out", "fetched.intoto.jsonl"),
	); err != nil {
		return err
	}
	return d.chainSteps(srv.url)
}

// token makes a publishing token for acme-app (its database and keys in
// args) and keeps it in d.tok, shown as $TOKEN.
func (d *demo) token(title string, args ...string) error {
	var out bytes.Buffer
	s := step{title: title, args: append([]string{"admin", "token", "create", "--product", "acme-app"}, args...), stdout: &out, capture: "TOKEN"}
	if err := d.run(s); err != nil {
		return err
	}
	d.tok = strings.TrimSpace(out.String())
	d.vars[d.tok] = "TOKEN"
	fmt.Fprintf(d.w, "(a secret: %d characters, shown once)\n", len(d.tok))
	return nil
}

// customerSteps verifies release.pack as a customer would: in a fresh
// directory, offline, with nothing but the owner's public key; then shows
// an altered copy of the pack refused.
func (d *demo) customerSteps() error {
	if err := d.run(shell("A customer verifies the evidence pack (one file holding everything a verifier needs) offline, "+
		"in a fresh directory, with nothing but owner.pub",
		"mkdir customer && cp release.pack owner.pub customer/")); err != nil {
		return err
	}
	d.cd("customer")
	if err := d.run(
		consign("", "inspect", "release.pack"),
		consign("", "verify-pack", "--trust-root", "owner.pub", "--extract", "shipped", "release.pack"),
		// The artifact is a plain tar holding the build's output, so its
		// text appears once, verbatim, in the uncompressed pack: changing
		// one letter changes one byte of the shipped artifact.
		shell("A pack altered on the way (one byte of the shipped artifact changed) is refused (exit 3)",
			"gzip -dc release.pack | LC_ALL=C sed 's/hello from acme/hello from acmE/' | gzip > tampered.pack"),
		refused("", "verify-pack", "--trust-root", "owner.pub", "tampered.pack"),
	); err != nil {
		return err
	}
	d.cd("..")
	return nil
}
