package sqlite_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/sqlite"
	"github.com/consign-dev/consign/internal/tlog"
)

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkAppendGroups appends groups of 56 entries shaped like those of
// bench/servecpu.sh at 256 publishers (a 250-byte leaf, a 2.2 KB
// envelope, one subject; the groups' mean size there), to a log of 22,400
// entries, and reports the process's CPU time (user + system, the WAL
// checkpointer's included) per entry.
func BenchmarkAppendGroups(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "log.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	env := make([]byte, 2200)
	leaf := make([]byte, 250)
	const group = 56
	n := 0
	mk := func() []store.NewEntry {
		es := make([]store.NewEntry, group)
		for i := range es {
			var x [8]byte
			binary.BigEndian.PutUint64(x[:], uint64(n))
			n++
			k := sha256.Sum256(append([]byte("k"), x[:]...))
			d := sha256.Sum256(append([]byte("d"), x[:]...))
			l := append(append([]byte{}, leaf...), x[:]...)
			es[i] = store.NewEntry{Key: k, Leaf: l, Envelope: env, Product: "bench", Subjects: []tlog.Hash{d}}
		}
		return es
	}
	// A log of some size first.
	for range 400 {
		if _, _, err := s.Append(ctx, mk()); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	c0 := cpuTime()
	for range b.N {
		if _, _, err := s.Append(ctx, mk()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-c0).Microseconds())/float64(b.N*group), "cpu-us/entry")
}
