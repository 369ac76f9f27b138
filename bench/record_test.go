package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/consign-dev/consign/internal/digest"
	"github.com/in-toto/in-toto-golang/in_toto"
)

// Fixture shapes. Changing one changes the fixture's directory name, so an
// old cache is never reused for a new shape.
const (
	treeFiles   = 100_000
	treeTopDirs = 10 // × treeTopDirs subdirectories each: 100 leaf directories
	treeMinSize = 100
	treeMaxSize = 8 << 10
	treeSeed    = 20260101
	largeSize   = 1 << 30
	largeSeed   = 20260102
)

// benchDir is where fixtures are cached: $CONSIGN_BENCH_DIR or
// /tmp/consign-bench, outside the repository.
func benchDir() string {
	if d := os.Getenv("CONSIGN_BENCH_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "consign-bench")
}

// fixture returns the path of a cached fixture, building it with build in
// a temporary sibling and renaming it into place if it is missing, so an
// interrupted build is never mistaken for a complete one.
func fixture(b *testing.B, name string, build func(dst string) error) string {
	b.Helper()
	dir := benchDir()
	dst := filepath.Join(dir, name)
	if _, err := os.Stat(dst); err == nil {
		return dst
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	tmp, err := os.MkdirTemp(dir, name+".partial-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	b.Logf("building fixture %s (once)", dst)
	built := filepath.Join(tmp, name)
	if err := build(built); err != nil {
		b.Fatalf("building fixture %s: %v", dst, err)
	}
	if err := os.Rename(built, dst); err != nil {
		b.Fatal(err)
	}
	return dst
}

// treeFixture is a tree of treeFiles files of random sizes between
// treeMinSize and treeMaxSize bytes, spread over 100 leaf directories,
// with contents from a fixed seed.
func treeFixture(b *testing.B) string {
	name := fmt.Sprintf("tree-%d-%d-%d-%d", treeFiles, treeMinSize, treeMaxSize, treeSeed)
	return fixture(b, name, func(dst string) error {
		rng := mrand.New(mrand.NewPCG(treeSeed, treeSeed))
		leaves := treeTopDirs * treeTopDirs
		buf := make([]byte, treeMaxSize)
		for i := range treeFiles {
			leaf := i % leaves
			dir := filepath.Join(dst, fmt.Sprintf("d%02d", leaf/treeTopDirs), fmt.Sprintf("s%02d", leaf%treeTopDirs))
			if i < leaves {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return err
				}
			}
			n := treeMinSize + rng.IntN(treeMaxSize-treeMinSize+1)
			for j := range n {
				buf[j] = byte(rng.Uint32())
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%06d.bin", i)), buf[:n], 0o644); err != nil {
				return err
			}
		}
		return nil
	})
}

// largeFixture is a largeSize-byte file with contents from a fixed seed.
func largeFixture(b *testing.B) string {
	name := fmt.Sprintf("large-%d-%d", largeSize, largeSeed)
	return fixture(b, name, func(dst string) error {
		if err := os.MkdirAll(dst, 0o755); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(dst, "large.bin"))
		if err != nil {
			return err
		}
		var seed [32]byte
		copy(seed[:], strconv.Itoa(largeSeed))
		src := mrand.NewChaCha8(seed)
		if _, err := io.CopyN(f, src, largeSize); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}) + string(filepath.Separator) + "large.bin"
}

// BenchmarkRecordTree records the 100,000-file tree with consign and with
// in-toto-golang's RecordArtifacts (sha256, no excludes, no line
// normalisation, not following linked directories).
func BenchmarkRecordTree(b *testing.B) {
	tree := treeFixture(b)
	b.Logf("fixture: %s", tree)
	b.Run("consign", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			res, err := digest.Record(context.Background(), tree, []string{"."}, digest.RecordOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if len(res.Artifacts) != treeFiles {
				b.Fatalf("recorded %d files, want %d", len(res.Artifacts), treeFiles)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/treeFiles, "ns/file")
	})
	b.Run("in-toto-golang", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			arts, err := in_toto.RecordArtifacts([]string{tree}, []string{"sha256"}, nil, nil, false, false)
			if err != nil {
				b.Fatal(err)
			}
			if len(arts) != treeFiles {
				b.Fatalf("recorded %d files, want %d", len(arts), treeFiles)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/treeFiles, "ns/file")
	})
}

// BenchmarkRecordWorkers records the tree with different worker counts, to
// choose the default.
func BenchmarkRecordWorkers(b *testing.B) {
	tree := treeFixture(b)
	for _, w := range []int{1, 2, 4, 8, 16} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				if _, err := digest.Record(context.Background(), tree, []string{"."}, digest.RecordOptions{Workers: w}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkHashLargeFile hashes the 1 GiB file with digest.File. Besides
// MB/s it reports the process's peak resident set size (VmHWM) while
// hashing, as peak-RSS-MiB, and how far it rose above the resident set
// size at the start, as RSS-growth-MiB: the memory hashing needed on top
// of the test binary, which links in-toto-golang and its dependencies.
func BenchmarkHashLargeFile(b *testing.B) {
	large := largeFixture(b)
	b.Logf("fixture: %s", large)
	b.Run("consign", func(b *testing.B) {
		b.SetBytes(largeSize)
		b.ReportAllocs()
		resetPeakRSS(b)
		base, errBase := procStatus("VmRSS:")
		for b.Loop() {
			if _, err := digest.File(large); err != nil {
				b.Fatal(err)
			}
		}
		hwm, err := procStatus("VmHWM:")
		if err != nil || errBase != nil {
			b.Logf("cannot read /proc/self/status: %v", errors.Join(err, errBase))
			return
		}
		b.ReportMetric(float64(hwm)/(1<<20), "peak-RSS-MiB")
		b.ReportMetric(float64(hwm-base)/(1<<20), "RSS-growth-MiB")
	})
}

// resetPeakRSS returns freed memory to the operating system, so that
// earlier benchmarks in the process do not count, and resets the kernel's
// peak RSS counter for this process (Linux: writing 5 to
// /proc/self/clear_refs), so VmHWM measures from now.
func resetPeakRSS(b *testing.B) {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset peak RSS: %v", err)
	}
}

// procStatus returns a size field of /proc/self/status ("VmHWM:",
// "VmRSS:"), in bytes.
func procStatus(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.Join(s.Err(), fmt.Errorf("%s: %w", field, fs.ErrNotExist))
}
