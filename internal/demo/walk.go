package demo

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/consign-dev/consign/internal/fsutil"
)

// walk runs the walkthrough, section by section.
func (d *demo) walk() error {
	if err := d.run(
		step{"Make a key for the build system and one for the test lab", []string{"keygen", "--out", "keys/ci"}, 0, nil, ""},
		step{"", []string{"keygen", "--out", "keys/qa"}, 0, nil, ""},
		step{"Run the build as a recorded step: link + SLSA provenance (+ an in-toto v0.9 link)",
			[]string{"run", "--key", "keys/ci.key", "--name", "build", "--materials", "src", "--products", "dist",
				"--slsa", "--legacy-link", "--out", "build.intoto.jsonl", "--", "sh", "build.sh"}, 0, nil, ""},
		step{"Make an SBOM of the project (CycloneDX and SPDX)",
			[]string{"sbom", ".", "-o", "cyclonedx-json=sbom.cdx.json", "-o", "spdx-json=sbom.spdx.json"}, 0, nil, ""},
		step{"Check it against the NTIA minimum elements",
			[]string{"sbom", "check", "sbom.cdx.json", "--require", "name=100", "--require", "version=100", "--require", "dependencies=100"}, 0, nil, ""},
		step{"A gate the SBOM does not meet fails (exit 3)",
			[]string{"sbom", "check", "sbom.cdx.json", "--require", "supplier=80"}, exitVerifyNo, nil, ""},
		step{"Sign the SBOM as an attestation about the artifact",
			[]string{"sbom", ".", "--attest", "--key", "keys/ci.key", "--subject", "dist/acme-app", "--out", "sbom.intoto.jsonl"}, 0, nil, ""},
		step{"The test lab signs its result about the artifact",
			[]string{"attest", "--key", "keys/qa.key", "--type", "test", "--predicate", "test-result.json",
				"--subject", "dist/acme-app", "--out", "test.intoto.jsonl"}, 0, nil, ""},
		step{"Look inside the build attestations (nothing verified yet)", []string{"inspect", "build.intoto.jsonl"}, 0, nil, ""},
		step{"Verify the provenance: signed by the CI key, about this very artifact",
			[]string{"verify-attestation", "--key", "keys/ci.pub", "--type", "slsa", "--subject", "dist/acme-app", "build.intoto.jsonl"}, 0, nil, ""},
		step{"Verify the SBOM attestation and the test result",
			[]string{"verify-attestation", "--key", "keys/ci.pub", "--type", "cyclonedx", "--subject", "dist/acme-app", "sbom.intoto.jsonl"}, 0, nil, ""},
		step{"", []string{"verify-attestation", "--key", "keys/qa.pub", "--type", "test", "--subject", "dist/acme-app", "test.intoto.jsonl"}, 0, nil, ""},
		step{"A signature by the wrong key is rejected (exit 3)",
			[]string{"verify-attestation", "--key", "keys/qa.pub", "--type", "slsa", "build.intoto.jsonl"}, exitVerifyNo, nil, ""},
	); err != nil {
		return err
	}
	if err := d.logSteps(); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "\n# Tamper with the artifact after the build: append one byte\n$ echo >> dist/acme-app\n")
	if err := appendByte(d.path("dist/acme-app")); err != nil {
		return err
	}
	if err := d.run(step{"The tampered artifact is rejected: its digest is no attestation's subject (exit 3)",
		[]string{"verify-attestation", "--key", "keys/ci.pub", "--type", "slsa", "--subject", "dist/acme-app", "build.intoto.jsonl"}, exitVerifyNo, nil, ""}); err != nil {
		return err
	}
	return d.customerSteps()
}

func appendByte(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte("\n")); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// logServer is 'consign serve' running in the background for the walkthrough.
type logServer struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{}
}

// startLog runs 'consign serve' on a free loopback port, in the project
// directory, and waits until it answers.
func (d *demo) startLog() (*logServer, error) {
	tmp, err := os.MkdirTemp("", "consign-serve-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	ready := filepath.Join(tmp, "url")
	var out bytes.Buffer
	cmd := d.command("serve", "--addr", "127.0.0.1:0", "--db", "sqlite:log.db", "--log-key", "keys/log.key", "--rate", "-1", "--ready-file", ready)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("demo: starting the log: %w", err)
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
			return nil, fmt.Errorf("demo: the log server stopped: %s", strings.TrimSpace(out.String()))
		case <-time.After(20 * time.Millisecond):
		}
	}
	l.stop()
	return nil, errors.New("demo: the log server did not start within a minute")
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
	d.section("Start the vendor's transparency log (in the background, on a free loopback port)")
	fmt.Fprintf(d.w, "$ consign serve --addr 127.0.0.1:0 --db sqlite:log.db --log-key keys/log.key &\n")
	srv, err := d.startLog()
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
	var token bytes.Buffer
	if err := d.run(step{"Make a publishing token for the product, scoped to the CI and test-lab keys",
		[]string{"admin", "token", "create", "--db", "sqlite:log.db", "--product", "acme-app", "--key", "keys/ci.pub", "--key", "keys/qa.pub"}, 0, &token, ""}); err != nil {
		return err
	}
	tok := strings.TrimSpace(token.String())
	if err := d.run(
		step{"Publish the attestations; the receipts are written beside them",
			[]string{"publish", "--server", srv.url, "--token", tok, "--log-key", "keys/log.vkey", "build.intoto.jsonl", "sbom.intoto.jsonl", "test.intoto.jsonl"}, 0, nil, tok},
		step{"Anyone checks a receipt offline with the log's public key",
			[]string{"log", "verify-receipt", "--log-key", "keys/log.vkey", "--attestations", "build.intoto.jsonl", "build.receipts.jsonl"}, 0, nil, ""},
		step{"Fetch everything the log holds about the artifact",
			[]string{"fetch", "--server", srv.url, "--subject", "dist/acme-app", "--out", "fetched.intoto.jsonl"}, 0, nil, ""},
	); err != nil {
		return err
	}
	return d.chainSteps(srv.url)
}

// customerSteps verifies release.pack as a customer would: in a fresh
// directory, offline, with nothing but the owner's public key; then shows
// an altered pack refused.
func (d *demo) customerSteps() error {
	d.section("A customer verifies the pack offline, in a fresh directory, with nothing but owner.pub")
	fmt.Fprintf(d.w, "$ mkdir customer && cp release.pack owner.pub customer/ && cd customer\n")
	if err := os.Mkdir(d.path("customer"), 0o755); err != nil {
		return err
	}
	for _, f := range []string{"release.pack", "owner.pub"} {
		if err := copyFile(d.path(f), d.path("customer/"+f)); err != nil {
			return err
		}
	}
	d.cwd = "customer"
	defer func() { d.cwd = "" }()
	if err := d.run(
		step{args: []string{"inspect", "release.pack"}},
		step{args: []string{"verify-pack", "--trust-root", "owner.pub", "--extract", "shipped", "release.pack"}},
	); err != nil {
		return err
	}
	d.section("A pack altered on the way (one byte of the shipped artifact flipped) is refused (exit 3)")
	if err := alterPack(d.path("release.pack"), d.path("tampered.pack")); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "$ # tampered.pack: release.pack with one byte of artifacts/acme-app-1.0.tar changed\n")
	return d.run(step{args: []string{"verify-pack", "--trust-root", "owner.pub", "tampered.pack"}, want: exitVerifyNo})
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
