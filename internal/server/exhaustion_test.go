package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/server"
)

// childEnv, when set, makes TestServeChild a server process: it serves a
// SQLite log on 127.0.0.1, with a token for the PEM public key in the file
// the variable names, prints "serving URL TOKEN" and runs until its stdin
// closes.
const childEnv = "CONSIGN_TEST_SERVE_CHILD"

func TestServeChild(t *testing.T) {
	keyFile := os.Getenv(childEnv)
	if keyFile == "" {
		t.Skip("a server process for TestPublishBodyMemory")
	}
	pemKey, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, sqliteStore(t), server.Config{})
	secret, _, err := server.CreateToken(bg, e.st, server.TokenConfig{Name: "child", Products: []string{"p"}, Keys: [][]byte{pemKey}})
	if err != nil {
		t.Fatal(err)
	}
	run, err := server.Start(e.srv, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("serving %s %s\n", run.URL, secret)
	io.Copy(io.Discard, os.Stdin)
}

// startChild runs TestServeChild in a child process and returns its
// process id, URL and publishing token for k.
func startChild(t *testing.T, k *key) (pid int, url, token string) {
	t.Helper()
	keyFile := filepath.Join(t.TempDir(), "key.pub")
	if err := os.WriteFile(keyFile, k.pem, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+keyFile)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "serving" {
			go io.Copy(io.Discard, stdout)
			return cmd.Process.Pid, f[1], f[2]
		}
	}
	t.Fatalf("the server process printed no address: %v", sc.Err())
	return 0, "", ""
}

// peakRSS is the peak resident memory of process pid (VmHWM), in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc to measure memory with: %v", err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc/PID/status")
	return 0
}

// newlines is an endless stream of newlines.
type newlines struct{}

func (newlines) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	return len(p), nil
}

// TestPublishBodyMemory: a publish body of one envelope and 32 MiB of
// newlines, eight at once, keeps the server's peak memory under 300 MiB
// (it took about 950 MB for one when the body was split whole), and the
// server answers afterwards.
func TestPublishBodyMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 256 MiB to a server process")
	}
	k := newKey(t)
	pid, url, token := startChild(t, k)
	const bodySize = 32<<20 - 1 // the default body cap is 32 MiB
	var wg sync.WaitGroup
	statuses := make([]string, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, env := envelope(t, k, "a", fmt.Sprint("memory ", i))
			body := io.MultiReader(bytes.NewReader(append(env, '\n')), io.LimitReader(newlines{}, int64(bodySize-len(env)-1)))
			req, _ := http.NewRequest(http.MethodPost, url+"/api/v1/attestations", body)
			req.ContentLength = bodySize
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses[i] = err.Error()
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses[i] = resp.Status
		}()
	}
	wg.Wait()
	for i, s := range statuses {
		if s != "200 OK" {
			t.Errorf("request %d: %s, want 200 OK (one envelope and blank lines)", i, s)
		}
	}
	if peak := peakRSS(t, pid); peak > 300<<20 {
		t.Errorf("the server's peak RSS is %d MiB, want under 300 MiB", peak>>20)
	} else {
		t.Logf("the server's peak RSS: %d MiB", peak>>20)
	}
	resp, err := http.Get(url + "/api/v1/log/checkpoint")
	if err != nil {
		t.Fatalf("the server stopped answering: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("checkpoint after the bodies: %s", resp.Status)
	}
}
