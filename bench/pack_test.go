package bench

import (
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/consign-dev/consign/bench/fixture"
	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/consign-dev/consign/internal/evidence"
	"github.com/consign-dev/consign/internal/fsutil"
	"github.com/consign-dev/consign/internal/pack"
	"github.com/consign-dev/consign/internal/policy"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/step"
	"github.com/consign-dev/consign/internal/verify"
)

// The release packed by BenchmarkPack and verified by BenchmarkVerifyPack
// is the chain of BenchmarkVerifyChain at 1x, as consign writes it (one key
// per stage, "ci"): chainStages stages of chainLinks1x signed links, 1,000
// attestations in all. The first link of the final stage also names two
// real files among its products, small.bin and large.bin, so either
// can be shipped: their sizes are packSmallSize and packLargeSize (1 GiB,
// or $CONSIGN_BENCH_PACK_LARGE bytes), their bytes random from a fixed
// seed, written and hashed in 1 MiB chunks.
//
// Each benchmark runs for both artifacts, with and without the artifact in
// the pack (--include-artifacts), gzip-compressed and not (--compress), and
// reports, besides the time, the artifact's bytes per second (MB/s), the
// peak of the Go heap (sampled every millisecond with runtime/metrics) and
// how far the process's peak RSS rose above its resident set at the start
// (VmHWM, reset before the benchmark). Memory that does not grow from the
// 1 MiB artifact to the 1 GiB one is what streaming means.
// BenchmarkPackCLI runs the consign binary itself and reports its peak
// RSS. bench/pack.sh runs all three; bench/PACK.md has the results.
const (
	packFixtureV  = 1
	packSmallSize = 1 << 20
	packSeed      = 20260103
	packChunk     = 1 << 20
)

// packLargeSize is the large artifact's size: $CONSIGN_BENCH_PACK_LARGE
// bytes (pack.sh lowers it when the disk is short), else 1 GiB.
func packLargeSize(b *testing.B) int64 {
	if s := os.Getenv("CONSIGN_BENCH_PACK_LARGE"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= packSmallSize {
			b.Fatalf("CONSIGN_BENCH_PACK_LARGE=%q: want a number of bytes above %d", s, packSmallSize)
		}
		return n
	}
	return 1 << 30
}

// packFixture is the release on disk: owner.pub, policy.signed.json,
// att/sN.intoto.jsonl, and the two artifacts.
type packFixture struct {
	dir      string
	owner    crypto.PublicKey
	policy   []byte
	inputs   []verify.Input
	artifact map[string]string // size label -> file
	size     map[string]int64
}

// Labels of the two artifacts, in the order they are benchmarked.
const (
	packSmall = "1MiB"
	packLarge = "large"
)

func packSizeLabel(n int64) string {
	if n%(1<<30) == 0 {
		return fmt.Sprintf("%dGiB", n>>30)
	}
	return fmt.Sprintf("%dMiB", n>>20)
}

func loadPackFixture(b *testing.B) *packFixture {
	b.Helper()
	large := packLargeSize(b)
	name := fmt.Sprintf("pack-v%d-%dx%d-%d-%d-%d", packFixtureV, chainStages, chainLinks1x, packSmallSize, large, packSeed)
	dir := cachedFixture(b, name, func(dst string) error { return buildPackFixture(dst, large) })
	f := &packFixture{dir: dir,
		artifact: map[string]string{packSmall: filepath.Join(dir, "small.bin"), packLarge: filepath.Join(dir, "large.bin")},
		size:     map[string]int64{packSmall: packSmallSize, packLarge: large}}
	pem, err := os.ReadFile(filepath.Join(dir, "owner.pub"))
	if err != nil {
		b.Fatal(err)
	}
	if f.owner, err = sign.ParsePublicKey(pem); err != nil {
		b.Fatal(err)
	}
	if f.policy, err = os.ReadFile(filepath.Join(dir, "policy.signed.json")); err != nil {
		b.Fatal(err)
	}
	if f.inputs, err = evidence.ReadAttestations(context.Background(), []string{filepath.Join(dir, "att")}); err != nil {
		b.Fatal(err)
	}
	return f
}

// writeRandomFile writes size bytes from a fixed seed to name, a chunk at a
// time, and returns their SHA-256: the file is never held in memory.
func writeRandomFile(name string, size int64, seed uint64) (digest.Set, error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	var s [32]byte
	copy(s[:], strconv.FormatUint(seed, 10))
	h := sha256.New()
	buf := make([]byte, packChunk)
	src := mrand.NewChaCha8(s)
	for left := size; left > 0; {
		n := min(left, int64(len(buf)))
		src.Read(buf[:n])
		h.Write(buf[:n])
		if _, err := f.Write(buf[:n]); err != nil {
			f.Close()
			return nil, err
		}
		left -= n
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return digest.Set{digest.SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

func buildPackFixture(dst string, large int64) error {
	if err := os.MkdirAll(filepath.Join(dst, "att"), 0o755); err != nil {
		return err
	}
	shipped := map[string]digest.Set{}
	for i, a := range []struct {
		name string
		size int64
	}{{"small.bin", packSmallSize}, {"large.bin", large}} {
		d, err := writeRandomFile(filepath.Join(dst, a.name), a.size, packSeed+uint64(i))
		if err != nil {
			return err
		}
		shipped[stageName(chainStages)+"/"+a.name] = d
	}
	owner, err := fixture.NewKey()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dst, "owner.pub"), owner.PEM, 0o644); err != nil {
		return err
	}
	var funcs, stages strings.Builder
	for s := 1; s <= chainStages; s++ {
		k, err := fixture.NewKey()
		if err != nil {
			return err
		}
		fmt.Fprintf(&funcs, "  ci%d: {keys: [%q]}\n", s, k.PEM)
		var lines []string
		for shard := range chainLinks1x {
			mats, prods := shardArtifacts(s, shard)
			if s == chainStages && shard == 0 {
				for n, d := range shipped {
					prods[n] = d
				}
			}
			rec := &step.Record{Name: stageName(s), Command: []string{"make"}, Materials: mustArtifacts(mats), Products: mustArtifacts(prods)}
			stmt, err := rec.LinkStatement()
			if err != nil {
				return err
			}
			env, err := attest.SignStatement(stmt, k.Signer)
			if err != nil {
				return err
			}
			line, err := json.Marshal(env)
			if err != nil {
				return err
			}
			lines = append(lines, string(line))
		}
		if err := os.WriteFile(filepath.Join(dst, "att", stageName(s)+".intoto.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(&stages, "  - name: %s\n    by: [ci%d]\n    require: [link]\n", stageName(s), s)
		if s > 1 {
			fmt.Fprintf(&stages, "    materials: [MATCH \"%s/*\" WITH PRODUCTS FROM %s, DISALLOW \"*\"]\n", stageName(s-1), stageName(s-1))
		}
		fmt.Fprintf(&stages, "    products: [CREATE \"%s/*\", DISALLOW \"*\"]\n", stageName(s))
	}
	src := fmt.Sprintf("product: bench\nexpires: 2099-01-01T00:00:00Z\nowner: {key: %q}\nfunctionaries:\n%sstages:\n%s", owner.PEM, funcs.String(), stages.String())
	env, _, err := policy.Sign([]byte(src), policy.ParseOptions{}, owner.Signer)
	if err != nil {
		return fmt.Errorf("signing the policy: %w", err)
	}
	data, err := json.Marshal(env)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dst, "policy.signed.json"), data, 0o644)
}

// packVariant is one combination of the flags measured.
type packVariant struct {
	size    string // packSmall or packLarge
	include bool
	gzip    bool
}

func (v packVariant) name(f *packFixture) string {
	inc, comp := "no", "none"
	if v.include {
		inc = "yes"
	}
	if v.gzip {
		comp = "gzip"
	}
	return fmt.Sprintf("artifact=%s/include=%s/compress=%s", packSizeLabel(f.size[v.size]), inc, comp)
}

func packVariants() []packVariant {
	var out []packVariant
	for _, size := range []string{packSmall, packLarge} {
		for _, include := range []bool{true, false} {
			for _, gz := range []bool{true, false} {
				out = append(out, packVariant{size, include, gz})
			}
		}
	}
	return out
}

var packNow = func() time.Time { return time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC) }

// pack does what 'consign pack' does: hash the artifact, verify the release
// and plan the pack (pack.Build), and write it atomically (pack.Write into
// fsutil.WriteStream, which syncs the file before renaming it).
func (f *packFixture) pack(v packVariant, out string) error {
	file := f.artifact[v.size]
	d, err := digest.File(file, digest.SHA256)
	if err != nil {
		return err
	}
	cfg := pack.BuildConfig{
		Policy: f.policy, PolicyName: "policy.signed.json", TrustRoots: []crypto.PublicKey{f.owner},
		Attestations: f.inputs, Artifacts: []verify.Artifact{{Name: filepath.Base(file), Digest: d}},
		Include: map[int]string{}, Now: packNow,
	}
	if v.include {
		cfg.Include[0] = file
	}
	plan, err := pack.Build(context.Background(), cfg)
	if err != nil {
		return err
	}
	return fsutil.WriteStream(out, 0o644, true, func(w io.Writer) error {
		return pack.Write(w, plan.Manifest, plan.Files, pack.WriteOptions{Gzip: v.gzip})
	})
}

// verifyPack does what 'consign verify-pack' does: read the pack once,
// checking every file against the manifest, and verify it.
func (f *packFixture) verifyPack(name string) error {
	p, err := pack.ReadFile(context.Background(), name, pack.Options{})
	if err != nil {
		return err
	}
	defer p.Close()
	res, err := pack.Verify(context.Background(), p, pack.VerifyConfig{Name: name, TrustRoots: []crypto.PublicKey{f.owner}, Now: packNow})
	if err != nil {
		return err
	}
	if err := res.Err(); err != nil {
		return err
	}
	if got, want := len(res.Verification.Attestations), chainStages*chainLinks1x; got != want {
		return fmt.Errorf("%d attestations verified, want %d", got, want)
	}
	return nil
}

// memSampler records the peak of the live Go heap and of the memory the
// runtime holds from the operating system, sampled every millisecond.
type memSampler struct {
	stop       chan struct{}
	done       sync.WaitGroup
	heap, held uint64
}

var memSamples = []string{"/memory/classes/heap/objects:bytes", "/memory/classes/total:bytes"}

func startMemSampler() *memSampler {
	m := &memSampler{stop: make(chan struct{})}
	s := make([]metrics.Sample, len(memSamples))
	for i, n := range memSamples {
		s[i].Name = n
	}
	read := func() {
		metrics.Read(s)
		m.heap = max(m.heap, s[0].Value.Uint64())
		m.held = max(m.held, s[1].Value.Uint64()-releasedBytes())
	}
	read()
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.stop:
				read()
				return
			case <-t.C:
				read()
			}
		}
	}()
	return m
}

// releasedBytes is the heap memory the runtime returned to the system.
func releasedBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func (m *memSampler) end() {
	close(m.stop)
	m.done.Wait()
}

// measureMem runs the benchmark loop and reports the memory metrics, and
// the CPU time (user and system) per iteration: with a 1 GiB artifact the
// wall time of a pack is mostly the disk's (the pack is synced), which the
// other load of a shared machine varies far more than the CPU time.
func measureMem(b *testing.B, bytes int64, loop func() error) {
	b.Helper()
	runtime.GC()
	resetPeakRSS(b)
	base, errBase := procStatus("VmRSS:")
	ms := startMemSampler()
	c0, n := cpuTime(), 0
	for b.Loop() {
		if err := loop(); err != nil {
			ms.end()
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(cpuTime()-c0)/float64(n)/1e9, "cpu-s/op")
	ms.end()
	if bytes > 0 {
		b.SetBytes(bytes)
	}
	b.ReportMetric(float64(ms.heap)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(ms.held)/(1<<20), "peak-runtime-MiB")
	hwm, err := procStatus("VmHWM:")
	if err != nil || errBase != nil {
		b.Logf("cannot read /proc/self/status: %v", errors.Join(err, errBase))
		return
	}
	b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
	b.ReportMetric(float64(hwm-base)/(1<<20), "RSS-growth-MiB")
}

// BenchmarkPack packs the release in process, as 'consign pack' does: one
// pack per iteration, written to a temporary file (one at a time on disk).
func BenchmarkPack(b *testing.B) {
	f := loadPackFixture(b)
	for _, v := range packVariants() {
		b.Run(v.name(f), func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "release.pack")
			measureMem(b, f.size[v.size], func() error { return f.pack(v, out) })
			if fi, err := os.Stat(out); err == nil {
				b.ReportMetric(float64(fi.Size())/(1<<20), "pack-MiB")
			}
		})
	}
}

// BenchmarkVerifyPack reads and verifies each variant's pack in process, as
// 'consign verify-pack' does (the pack is written first, untimed).
func BenchmarkVerifyPack(b *testing.B) {
	f := loadPackFixture(b)
	for _, v := range packVariants() {
		b.Run(v.name(f), func(b *testing.B) {
			out := filepath.Join(b.TempDir(), "release.pack")
			if err := f.pack(v, out); err != nil {
				b.Fatal(err)
			}
			var size int64
			if v.include {
				size = f.size[v.size]
			}
			measureMem(b, size, func() error { return f.verifyPack(out) })
		})
	}
}

// consignBinary is $CONSIGN_BIN, or consign built into a temporary
// directory.
func consignBinary(b *testing.B) string {
	if bin := os.Getenv("CONSIGN_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(b.TempDir(), "consign")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/consign")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("building consign: %v\n%s", err, out)
	}
	return bin
}

// childMem is what runChild measured of a child process, in bytes.
type childMem struct {
	// hwm is the child's peak RSS (VmHWM), and anon its largest
	// anonymous resident set (RssAnon: heap and stacks, not the pages of
	// the executable), both polled from /proc/PID/status every 2 ms: a
	// lower bound (15-20 MiB below GNU time's maximum RSS for consign),
	// since /proc sums the kernel's per-CPU RSS counters approximately and
	// the last milliseconds before exit are not seen.
	hwm, anon int64
	// rusage is ru_maxrss from wait4. It is no measure of the child alone:
	// Go starts a child with vfork, so the child's mm at exec is the
	// parent's, and Linux keeps that mm's peak RSS (here the benchmark
	// process's) as the floor of the child's ru_maxrss. GNU time, a small
	// process that forks, does not have the problem.
	rusage int64
}

// runChild runs a command and returns its wall time and memory.
func runChild(dir, bin string, args ...string) (time.Duration, childMem, error) {
	var mem childMem
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, mem, err
	}
	done := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		status := fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			if data, err := os.ReadFile(status); err == nil {
				mem.hwm = max(mem.hwm, statusField(data, "VmHWM:"))
				mem.anon = max(mem.anon, statusField(data, "RssAnon:"))
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	<-polled
	if err != nil {
		return 0, mem, fmt.Errorf("consign %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		mem.rusage = ru.Maxrss << 10 // KiB on Linux
	}
	return wall, mem, nil
}

// statusField returns a "NAME:  123 kB" field of /proc/PID/status in bytes.
func statusField(data []byte, name string) int64 {
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, name); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkPackCLI runs the consign binary ($CONSIGN_BIN, or one built
// here): 'consign pack' and 'consign verify-pack' on every variant, each in
// its own process, reporting the child's peak RSS (maxRSS-MiB), its peak
// anonymous RSS (maxAnon-MiB) and wait4's ru_maxrss (see childMem). The
// verify-pack of a variant reads the pack its pack wrote: select both.
func BenchmarkPackCLI(b *testing.B) {
	f := loadPackFixture(b)
	bin := consignBinary(b)
	for _, v := range packVariants() {
		dir := b.TempDir()
		out := filepath.Join(dir, "release.pack")
		args := []string{"pack", "--policy", "policy.signed.json", "--trust-root", "owner.pub", "--attestations", "att", "--force", "-o", out}
		if v.include {
			args = append(args, "--include-artifacts")
		}
		if !v.gzip {
			args = append(args, "--compress", "none")
		}
		args = append(args, filepath.Base(f.artifact[v.size]))
		for _, op := range []struct {
			name  string
			args  []string
			bytes int64
		}{
			{"pack", args, f.size[v.size]},
			{"verify-pack", []string{"verify-pack", "--no-state", "--trust-root", "owner.pub", out}, map[bool]int64{true: f.size[v.size]}[v.include]},
		} {
			b.Run("op="+op.name+"/"+v.name(f), func(b *testing.B) {
				var peak childMem
				for b.Loop() {
					_, m, err := runChild(f.dir, bin, op.args...)
					if err != nil {
						b.Fatal(err)
					}
					peak = childMem{max(peak.hwm, m.hwm), max(peak.anon, m.anon), max(peak.rusage, m.rusage)}
				}
				if op.bytes > 0 {
					b.SetBytes(op.bytes)
				}
				b.ReportMetric(float64(peak.hwm)/(1<<20), "maxRSS-MiB")
				b.ReportMetric(float64(peak.anon)/(1<<20), "maxAnon-MiB")
				b.ReportMetric(float64(peak.rusage)/(1<<20), "rusage-maxRSS-MiB")
			})
		}
		os.RemoveAll(dir)
	}
}
