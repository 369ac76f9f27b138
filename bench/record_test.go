package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/consign-dev/consign/bench/fixture"
	"github.com/consign-dev/consign/internal/digest"
	"github.com/in-toto/in-toto-golang/in_toto"
)

// benchDir is where fixtures are cached (see fixture.Dir).
func benchDir() string { return fixture.Dir() }

// fixture returns the path of a cached fixture (see fixture.Cached).
func cachedFixture(b *testing.B, name string, build func(dst string) error) string {
	b.Helper()
	dst, err := fixture.Cached(name, build)
	if err != nil {
		b.Fatal(err)
	}
	return dst
}

// treeFixture is fixture.Tree: 100,000 small files in 100 directories.
func treeFixture(b *testing.B) string {
	b.Helper()
	dst, err := fixture.Tree()
	if err != nil {
		b.Fatal(err)
	}
	return dst
}

// largeFixture is fixture.Large: a 1 GiB file.
func largeFixture(b *testing.B) string {
	b.Helper()
	dst, err := fixture.Large()
	if err != nil {
		b.Fatal(err)
	}
	return dst
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
			if len(res.Artifacts) != fixture.TreeFiles {
				b.Fatalf("recorded %d files, want %d", len(res.Artifacts), fixture.TreeFiles)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/fixture.TreeFiles, "ns/file")
	})
	// What 'consign run' records: SHA-256 into a sorted list, no Set per file.
	b.Run("consign-artifacts", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			list, _, err := digest.RecordArtifacts(context.Background(), tree, []string{"."}, digest.RecordOptions{})
			if err != nil {
				b.Fatal(err)
			}
			if len(list) != fixture.TreeFiles {
				b.Fatalf("recorded %d files, want %d", len(list), fixture.TreeFiles)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/fixture.TreeFiles, "ns/file")
	})
	b.Run("in-toto-golang", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			arts, err := in_toto.RecordArtifacts([]string{tree}, []string{"sha256"}, nil, nil, false, false)
			if err != nil {
				b.Fatal(err)
			}
			if len(arts) != fixture.TreeFiles {
				b.Fatalf("recorded %d files, want %d", len(arts), fixture.TreeFiles)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/fixture.TreeFiles, "ns/file")
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
		b.SetBytes(fixture.LargeSize)
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
