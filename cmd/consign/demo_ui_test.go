package main

import (
	"bufio"
	"context"
	"crypto"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/sigstore"
)

// TestDemoUI runs 'consign demo --ui': it ends by serving the portal on
// 127.0.0.1 with a one-time inspector token printed. The test signs in with
// that token over HTTP, finds the demo's release on the product page, and
// interrupts the demo, which exits 130 with the portal stopped.
func TestDemoUI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "proj")
	cmd := exec.Command("consign", "demo", "--ui", "--dir", dir)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedWriter{w: &strings.Builder{}}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		io.Copy(io.Discard, stdout)
	}()
	var base, token string
	urlLine := regexp.MustCompile(`^The inspection portal is at (http://127\.0\.0\.1:[0-9]+)/$`)
	tokenLine := regexp.MustCompile(`^Sign in with this inspector token \(valid for 8 hours, shown once\): (\S+)$`)
	var seen []string
	timeout := time.After(5 * time.Minute)
	for base == "" || token == "" || len(seen) == 0 || seen[len(seen)-1] != "Serving until interrupted (Ctrl-C)." {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the demo ended before serving the portal:\n%s\n%s", strings.Join(seen, "\n"), stderr.String())
			}
			seen = append(seen, l)
			if m := urlLine.FindStringSubmatch(l); m != nil {
				base = m[1]
			}
			if m := tokenLine.FindStringSubmatch(l); m != nil {
				token = m[1]
			}
		case <-timeout:
			t.Fatalf("the demo did not serve the portal within 5 minutes:\n%s", strings.Join(seen, "\n"))
		}
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	get := func(path string) string {
		t.Helper()
		resp, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %s\n%s", path, resp.Status, b)
		}
		return string(b)
	}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(get("/signin"))
	if csrf == nil {
		t.Fatal("the sign-in page has no CSRF field")
	}
	resp, err := c.PostForm(base+"/signin", url.Values{"csrf": {csrf[1]}, "token": {token}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/products" {
		t.Fatalf("sign-in with the printed token ended at %s (%s), want /products", resp.Request.URL.Path, resp.Status)
	}
	if body := get("/products"); !strings.Contains(body, `href="/products/acme-app"`) {
		t.Errorf("the products page does not list acme-app:\n%s", body)
	}
	if body := get("/products/acme-app"); !strings.Contains(body, "PASSED") || !strings.Contains(body, "acme-app-1.0.tar") {
		t.Errorf("the product page does not show the demo's release as PASSED:\n%s", body)
	}

	// The release page offers the evidence pack, verified by the server,
	// with each stage's rules; the pack downloaded verifies with the
	// owner's key, and the download is in the access record.
	rel := regexp.MustCompile(`href="(/products/acme-app/releases/[0-9]+)"`).FindStringSubmatch(get("/products/acme-app"))
	if rel == nil {
		t.Fatal("the product page links no release")
	}
	page := get(rel[1])
	for _, want := range []string{"The server verified the pack with the owner's key", `href="` + rel[1] + `/pack"`, "products <code>CREATE", "<strong>release</strong>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the release page lacks %q:\n%s", want, page)
		}
	}
	packed := get(rel[1] + "/pack")
	pk, err := pack.Read(context.Background(), strings.NewReader(packed), pack.Options{})
	if err != nil {
		t.Fatalf("reading the downloaded pack: %v", err)
	}
	ownerPEM, err := os.ReadFile(filepath.Join(dir, "owner.pub"))
	if err != nil {
		t.Fatal(err)
	}
	owner, err := sign.ParsePublicKey(ownerPEM)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pack.Verify(t.Context(), pk, pack.VerifyConfig{TrustRoots: []crypto.PublicKey{owner}, Bundles: sigstore.PolicyVerifier{}})
	if err != nil || !res.Passed {
		t.Fatalf("verify-pack of the downloaded pack: %v %v", err, res.Err())
	}
	if body := get("/access"); !strings.Contains(body, "download") || !strings.Contains(body, rel[1]+"/pack") {
		t.Errorf("the access record lacks the pack's download:\n%s", body)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	var rest []string
	for l := range lines {
		rest = append(rest, l)
	}
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("the interrupted demo exited %v, want 130\n%s", err, stderr.String())
	}
	if !strings.Contains(strings.Join(rest, "\n"), "The portal stopped.") {
		t.Errorf("the demo did not say the portal stopped: %q", rest)
	}
	if _, err := http.Get(base + "/signin"); err == nil {
		t.Errorf("the portal still answers after the demo exited")
	}
	if _, err := os.Stat(filepath.Join(dir, "steps.sh")); err != nil {
		t.Errorf("the kept project lacks steps.sh: %v", err)
	}
}
