package cli_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/consign-dev/consign/internal/cli"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/testutil/race"
)

// verifyPackChildEnv, when set, makes TestVerifyPackChild a consign
// process: it runs the command line the variable holds (arguments
// separated by the byte 0x1f) and exits with its code.
const verifyPackChildEnv = "CONSIGN_TEST_VERIFY_PACK_CHILD"

func TestVerifyPackChild(t *testing.T) {
	args := os.Getenv(verifyPackChildEnv)
	if args == "" {
		t.Skip("a consign process for TestSecurityCase43_JSONLinesMemory")
	}
	// A regression must fail this test, not take the machine: beyond 4 GiB
	// of address space the process runs out of memory and exits. (The race
	// detector reserves terabytes of address space for its shadow memory,
	// so under -race the limit would stop the process before it starts.)
	if !race.Enabled() {
		lim := syscall.Rlimit{Cur: 4 << 30, Max: 4 << 30}
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &lim); err != nil {
			t.Fatal(err)
		}
	}
	os.Exit(cli.Main(context.Background(), strings.Split(args, "\x1f"), strings.NewReader(""), os.Stdout, os.Stderr))
}

// TestSecurityCase43_JSONLinesMemory: a pack whose receipts file, or whose
// attestations file, is a gigabyte of (mostly) newlines, listed in the
// manifest with its true size and digest and compressed some 350 to one
// (under the ratio cap), fails verify-pack with the process's peak
// resident memory under 256 MiB. Such a file once cost gigabytes: it was
// held whole, then split into a slice header per line.
func TestSecurityCase43_JSONLinesMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes two packs of a gigabyte uncompressed")
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "owner.pub")
	writeOwnerKey(t, root)
	for _, role := range []string{pack.RoleReceipts, pack.RoleAttestations} {
		t.Run(role, func(t *testing.T) {
			name := filepath.Join(dir, role+".pack")
			// A gigabyte, less room for the policy under the 1 GiB the pack
			// reader allows all evidence files together.
			writeNewlinesPack(t, name, role, 1<<30-4<<10)
			cmd := exec.Command(os.Args[0], "-test.run=^TestVerifyPackChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), verifyPackChildEnv+"="+strings.Join([]string{"verify-pack", "--trust-root", root, name}, "\x1f"),
				"HOME="+dir, "XDG_STATE_HOME="+filepath.Join(dir, "state"))
			out, err := cmd.CombinedOutput()
			code := cmd.ProcessState.ExitCode()
			if err == nil || (code != 1 && code != 3) {
				t.Fatalf("verify-pack = exit %d (%v), want 1 or 3:\n%s", code, err, out)
			}
			if want := "more than 100000 lines"; !strings.Contains(string(out), want) {
				t.Errorf("verify-pack said:\n%s\nwant it to say %q", out, want)
			}
			rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
			if bound := peakBound(); rss >= bound {
				t.Errorf("verify-pack peaked at %d MiB resident, want under %d MiB", rss>>20, bound>>20)
			}
			t.Logf("verify-pack: exit %d, peak RSS %d MiB", code, rss>>20)
		})
	}
}

// peakBound is the most verify-pack may hold of such a pack: 256 MiB. A
// binary built with -race (as CI builds every test) also keeps the race
// detector's shadow of the heap, which the Go documentation puts at five to
// ten times the memory; there the child peaked at about 190 MiB alone and at
// 560 MiB in a CI run on a busy machine (its collector lagging), where it
// peaks at about 110 MiB without. Its bound is then 768 MiB, still below the single
// gigabyte that reading the file whole would hold before any split (the
// old code peaked at 1,136 MiB without -race), so a regression fails both.
func peakBound() int64 {
	if race.Enabled() {
		return 768 << 20
	}
	return 256 << 20
}

// writeOwnerKey writes a fresh owner's public key, PEM, to name.
func writeOwnerKey(t *testing.T, name string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// newlineNoise is size bytes of newlines with a few random spaces in
// every 64 KiB, so that gzip compresses it some 350 to one, not the
// thousand to one the ratio cap refuses. It is the same on every read.
func newlineNoise(size int64) io.Reader {
	r := mrand.New(mrand.NewPCG(43, 43))
	block := make([]byte, 64<<10)
	blank := bytes.Repeat([]byte{'\n'}, len(block))
	pr, pw := io.Pipe()
	go func() {
		for left := size; left > 0; {
			copy(block, blank)
			for range 32 {
				block[r.IntN(len(block))] = ' '
			}
			n := min(left, int64(len(block)))
			if _, err := pw.Write(block[:n]); err != nil {
				return
			}
			left -= n
		}
		pw.Close()
	}()
	return pr
}

// writeNewlinesPack writes a gzip pack to name whose one file of role
// (besides a policy) is size bytes of newlineNoise, listed in the
// manifest with its size and SHA-256, as an attacker would.
func writeNewlinesPack(t *testing.T, name, role string, size int64) {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, newlineNoise(size)); err != nil {
		t.Fatal(err)
	}
	policy := []byte("{}\n")
	polSum := sha256.Sum256(policy)
	big := "evidence/big.jsonl"
	m := pack.Manifest{Format: pack.FormatV1, Product: "acme-app", Release: "1.0", Policy: "policy.signed.json",
		Artifacts: []pack.Artifact{{Name: "app", Digest: digest.Set{digest.SHA256: strings.Repeat("ab", 32)}}},
		Files: []pack.File{
			{Path: big, Role: role, Type: pack.TypeFile, Mode: "0644", Size: size, SHA256: hex.EncodeToString(h.Sum(nil))},
			{Path: "policy.signed.json", Role: pack.RolePolicy, Type: pack.TypeFile, Mode: "0644", Size: int64(len(policy)), SHA256: hex.EncodeToString(polSum[:])},
		}}
	mb, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(zw)
	put := func(path string, size int64, r io.Reader) {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: path, Mode: 0o644, Size: size}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, r); err != nil {
			t.Fatal(err)
		}
	}
	put(pack.ManifestName, int64(len(mb)), strings.NewReader(string(mb)))
	put("policy.signed.json", int64(len(policy)), strings.NewReader(string(policy)))
	put(big, size, newlineNoise(size))
	for _, c := range []io.Closer{tw, zw, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if fi, err := os.Stat(name); err == nil {
		t.Logf("%s: %s bytes compressed, %d uncompressed", filepath.Base(name), strconv.FormatInt(fi.Size(), 10), size)
	}
}
