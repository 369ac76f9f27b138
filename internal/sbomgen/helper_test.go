//go:build unix

package sbomgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/sbomdoc"
	"github.com/consign-dev/consign/internal/sbomspec"
)

// The tests that need a process of their own (another user, another
// environment) run this test binary again in helper mode.
const helperEnv = "CONSIGN_SBOM_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain())
	}
	os.Exit(m.Run())
}

// helperResult is what a helper process prints.
type helperResult struct {
	Packages []string
	Warnings []string
	SBOM     string
	Error    string
}

// helperMain scans $CONSIGN_SBOM_TEST_TARGET (with the Go toolchain if
// $CONSIGN_SBOM_TEST_GO is set), after fetching $CONSIGN_SBOM_TEST_PROBE
// when set, and prints a helperResult.
func helperMain() int {
	if probe := os.Getenv("CONSIGN_SBOM_TEST_PROBE"); probe != "" {
		if resp, err := http.Get(probe); err == nil {
			resp.Body.Close()
		}
	}
	var out helperResult
	res, err := Generate(context.Background(), sbomspec.Config{
		Target:         os.Getenv("CONSIGN_SBOM_TEST_TARGET"),
		UseGoToolchain: os.Getenv("CONSIGN_SBOM_TEST_GO") != "",
	})
	if err != nil {
		out.Error = err.Error()
	} else {
		out.Packages, out.Warnings = res.PackageKeys(), res.Warnings
		b, err := res.Encode(sbomspec.DefaultFormat)
		if err != nil {
			out.Error = err.Error()
		}
		out.SBOM = string(b)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		return 1
	}
	return 0
}

// runHelper runs the test binary in helper mode with env added, as uid
// and gid when they are not -1, and returns what it printed.
func runHelper(t *testing.T, binary string, env []string, uid, gid int) helperResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "-test.run=^$")
	cmd.Env = append(append(os.Environ(), helperEnv+"=1"), env...)
	if uid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("helper process: %v\nstderr: %s", err, stderr.String())
	}
	var res helperResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatalf("helper output %q: %v", stdout.String(), err)
	}
	return res
}

// copyBinary copies the running test binary to a world-readable place, so
// that another user can run it.
func copyBinary(t *testing.T, dir string) string {
	t.Helper()
	self, err := os.Executable()
	must(t, err)
	in, err := os.Open(self)
	must(t, err)
	defer in.Close()
	p := filepath.Join(dir, "sbom.test")
	out, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o755)
	must(t, err)
	_, err = io.Copy(out, in)
	must(t, err)
	must(t, out.Close())
	return p
}

// worldDir makes a directory every user may enter, write and read.
func worldDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for d := dir; d != "/" && d != filepath.Dir(os.TempDir()); d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o005 != 0o005 && strings.HasPrefix(d, os.TempDir()) {
			must(t, os.Chmod(d, fi.Mode().Perm()|0o005))
		}
	}
	must(t, os.Chmod(dir, 0o1777))
	return dir
}

// TestUnreadableFiles scans a tree with a directory, a package database
// and a file the scanning user cannot read. The scan goes on, reports the
// two that matter (a directory it could not index, a package database it
// could not read) and notes them in the SBOM; the unreadable file no
// cataloger needs changes nothing. Run as root (whom permissions do not
// stop), the scan runs as nobody (uid 65534) in a helper process.
func TestUnreadableFiles(t *testing.T) {
	t.Parallel()
	base := worldDir(t)
	tree := filepath.Join(base, "tree")
	writeFixture(t, tree)
	writeFiles(t, tree, map[string]string{"secret/inside.txt": "x", "locked.txt": "y"})
	must(t, filepath.Walk(tree, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chmod(p, fi.Mode().Perm()|0o005)
	}))
	for _, p := range []string{"secret", "locked.txt", "var/lib/dpkg/status"} {
		must(t, os.Chmod(filepath.Join(tree, p), 0))
	}
	uid, gid := -1, -1
	if os.Geteuid() == 0 {
		uid, gid = 65534, 65534
	}
	bin := copyBinary(t, base)
	res := runHelper(t, bin, []string{"CONSIGN_SBOM_TEST_TARGET=" + tree, "HOME=" + base, "TMPDIR=" + base}, uid, gid)
	if res.Error != "" {
		t.Fatalf("the scan failed: %s", res.Error)
	}
	want := []string{"python requests 2.31.0", "npm lodash 4.17.21", "go-module github.com/google/uuid v1.6.0"}
	if m := missingKeys(res.Packages, want); len(m) > 0 {
		t.Errorf("packages %q missing from %q", m, res.Packages)
	}
	joined := strings.Join(res.Warnings, "\n")
	for _, w := range []string{"secret: cannot be read", "var/lib/dpkg/status: dpkg-db-cataloger"} {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings %q do not report %q", res.Warnings, w)
		}
	}
	if strings.Contains(joined, tree) || strings.Contains(joined, "locked.txt") {
		t.Errorf("warnings %q name the absolute path or the file no cataloger reads", res.Warnings)
	}
	doc, err := sbomdoc.Decode([]byte(res.SBOM))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.SBOM, `"consign:scan:warning"`) || !strings.Contains(res.SBOM, "var/lib/dpkg/status") {
		t.Error("the SBOM does not note the unreadable paths in its metadata")
	}
	if len(doc.Components) == 0 {
		t.Error("the SBOM lists nothing")
	}
}

// TestNoNetwork runs scans in a process whose every HTTP request goes to a
// recorder (HTTP_PROXY, HTTPS_PROXY and GOPROXY point at it, and a module
// cache of its own is empty). The helper fetches one probe URL first,
// which proves the proxy settings reach it; a default scan then sends
// nothing more. With UseGoToolchain (syft's default), 'go list' asks the
// module proxy for the fixture's modules: the reason it is off by default.
func TestNoNetwork(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Fatalf("the go command is needed for the toolchain half of this test: %v", err)
	}
	var (
		mu       sync.Mutex
		requests []string
	)
	taken := func() []string {
		mu.Lock()
		defer mu.Unlock()
		r := requests
		requests = nil
		return r
	}
	recorder := http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests = append(requests, r.Method+" "+r.Host+r.URL.Path)
		mu.Unlock()
		http.Error(w, "no network in tests", http.StatusForbidden)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	go recorder.Serve(ln)
	t.Cleanup(func() { recorder.Close() })
	proxy := "http://" + ln.Addr().String()
	base := t.TempDir()
	tree := filepath.Join(base, "tree")
	writeFixture(t, tree)
	env := []string{
		"CONSIGN_SBOM_TEST_TARGET=" + tree, "CONSIGN_SBOM_TEST_PROBE=http://probe.invalid/probe",
		"HTTP_PROXY=" + proxy, "HTTPS_PROXY=" + proxy, "http_proxy=" + proxy, "https_proxy=" + proxy, "NO_PROXY=", "no_proxy=",
		"GOPROXY=" + proxy + "/goproxy", "GOSUMDB=off", "GOFLAGS=-modcacherw", "GOMODCACHE=" + filepath.Join(base, "modcache"),
		"GOTOOLCHAIN=local", "GOWORK=off", "HOME=" + base,
	}
	res := runHelper(t, os.Args[0], env, -1, -1)
	if res.Error != "" {
		t.Fatalf("scan without network: %s", res.Error)
	}
	if m := missingKeys(res.Packages, fixtureDirPackages); len(m) > 0 {
		t.Errorf("packages %q missing without network", m)
	}
	if got := taken(); fmt.Sprint(got) != "[GET probe.invalid/probe]" {
		t.Errorf("requests = %q, want only the probe: the scan reached for the network", got)
	}
	res = runHelper(t, os.Args[0], append(env, "CONSIGN_SBOM_TEST_GO=1"), -1, -1)
	if res.Error != "" {
		t.Fatalf("scan with the Go toolchain: %s", res.Error)
	}
	goproxy := 0
	got := taken()
	for _, r := range got {
		if strings.Contains(r, "/goproxy/") {
			goproxy++
		}
	}
	if goproxy == 0 {
		t.Errorf("requests = %q: with the Go toolchain, want 'go list' to ask the module proxy", got)
	}
}

// encodeAs encodes res in the format named name ("cyclonedx-json", ...).
func encodeAs(t *testing.T, res *Result, name string) []byte {
	t.Helper()
	f, err := sbomspec.ParseFormat(name)
	if err != nil {
		t.Fatal(err)
	}
	out, err := res.Encode(f)
	if err != nil {
		t.Fatalf("Encode(%s) = %v", name, err)
	}
	return out
}

// encodeDecode is res encoded in the format named name and read back.
func encodeDecode(t *testing.T, res *Result, name string) *sbomdoc.Document {
	t.Helper()
	doc, err := sbomdoc.Decode(encodeAs(t, res, name))
	if err != nil {
		t.Fatalf("sbomdoc.Decode(Encode(%s)) = %v", name, err)
	}
	return doc
}
