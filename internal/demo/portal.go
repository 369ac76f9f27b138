package demo

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// portalArgs serve the inspection portal over the demo's log, on a free
// loopback port, writing its URL to portal.url once it accepts connections;
// release.pack is offered with the release, verified with owner.pub.
var portalArgs = []string{"serve", "--ui", "--addr", "127.0.0.1:0", "--db", "sqlite:log.db", "--log-key", "keys/log.key", "--rate", "-1",
	"--packs", ".", "--trust-root", "owner.pub", "--ready-file", "portal.url"}

// portal opens the release to an inspector: it serves the inspection portal
// over the demo's log, publishes the release's verification summary to it,
// makes a one-time inspector token, prints where to sign in, and serves
// until the context is cancelled (Ctrl-C), then stops the server and
// returns the context's error.
func (d *demo) portal() error {
	d.section("Open the release to an inspector: serve the inspection portal over the log (on a free loopback port), " +
		"publish the release's verification summary to it, and make an inspector token")
	os.Remove(d.path("portal.url"))
	fmt.Fprintf(d.w, "$ consign %s &\n", strings.Join(d.quoteArgs(portalArgs, false), " "))
	// The portal is stopped as Ctrl-C stops it, never killed, so that the
	// log's database is closed cleanly.
	cmd := exec.Command(d.cfg.Consign, portalArgs...)
	cmd.Dir = d.path(".")
	cmd.Env = d.cfg.Env
	srv, err := d.startServer(cmd, d.path("portal.url"))
	if err != nil {
		return err
	}
	defer srv.stop()
	d.vars[srv.url] = "SERVER"
	d.cd("release")
	if err := d.token("", "--db", "sqlite:../log.db", "--key", "keys/gate.pub"); err != nil {
		return err
	}
	if err := d.run(consign("", "publish", "--server", srv.url, "--token", d.tok, "--log-key", "../keys/log.vkey", "release.vsa.intoto.jsonl")); err != nil {
		return err
	}
	d.cd("..")
	var tok bytes.Buffer
	if err := d.run(
		consign("", "keygen", "--out", "keys/inspector"),
		step{args: []string{"admin", "token", "create", "--role", "inspector", "--product", "acme-app", "--name", "demo inspector",
			"--expires", "8h", "--key", "keys/inspector.pub", "--db", "sqlite:log.db"}, stdout: &tok, capture: "INSPECTOR"},
	); err != nil {
		return err
	}
	fmt.Fprintf(d.w, "\nThe inspection portal is at %s/\n", srv.url)
	fmt.Fprintf(d.w, "Sign in with this inspector token (valid for 8 hours, shown once): %s\n", strings.TrimSpace(tok.String()))
	fmt.Fprintf(d.w, "The inspector's key for signing findings is %s (password %s).\n", d.path("keys/inspector.key"), password)
	fmt.Fprintln(d.w, "Serving until interrupted (Ctrl-C).")
	select {
	case <-d.ctx.Done():
		srv.stop()
		fmt.Fprintln(d.w, "The portal stopped.")
		return d.ctx.Err()
	case <-srv.exited:
		return fmt.Errorf("demo: the portal stopped by itself (%v)", cmd.ProcessState)
	}
}
