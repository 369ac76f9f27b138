// Command tessera is the peer of bench/serve.sh: it appends the same
// entries consign's server logs (the DSSE envelopes made by 'loadgen gen')
// to a Tessera POSIX log (github.com/transparency-dev/tessera/storage/posix)
// with C concurrent writers, each waiting for its entry's index, and
// reports the append rate and latency as JSON lines. It lives in its own Go
// module so that consign itself does not depend on Tessera.
//
//	tessera -entries entries.jsonl -dir /tmp/tlog -clients 1,8,64 -duration 10s [-batch-age 250ms]
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
)

// Result matches loadgen's.
type Result struct {
	Name      string  `json:"name"`
	Clients   int     `json:"clients"`
	Batch     int     `json:"batch"`
	Entries   int64   `json:"entries"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"entriesPerSecond"`
	P50ms     float64 `json:"p50ms"`
	P99ms     float64 `json:"p99ms"`
	Errors    int64   `json:"errors"`
	Note      string  `json:"note,omitempty"`
}

func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return float64(d[int(float64(len(d)-1)*p)]) / float64(time.Millisecond)
}

func main() {
	entries := flag.String("entries", "entries.jsonl", "entries, one per line")
	dir := flag.String("dir", "", "directory for the POSIX log (must be new)")
	clientsFlag := flag.String("clients", "1,8,64", "concurrency levels, run in turn on one log")
	dur := flag.Duration("duration", 10*time.Second, "how long each level runs")
	batchAge := flag.Duration("batch-age", tessera.DefaultBatchMaxAge, "Tessera's batch max age")
	batchSize := flag.Uint("batch-size", tessera.DefaultBatchMaxSize, "Tessera's batch max size")
	name := flag.String("name", "tessera-posix", "result name")
	flag.Parse()
	if err := run(*entries, *dir, *clientsFlag, *dur, *batchAge, *batchSize, *name); err != nil {
		fmt.Fprintln(os.Stderr, "tessera:", err)
		os.Exit(1)
	}
}

func run(entriesPath, dir, clientsFlag string, dur, batchAge time.Duration, batchSize uint, name string) error {
	data, err := os.ReadFile(entriesPath)
	if err != nil {
		return err
	}
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	ctx := context.Background()
	skey, _, err := note.GenerateKey(rand.Reader, "bench.example/tessera")
	if err != nil {
		return err
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return err
	}
	driver, err := posix.New(ctx, posix.Config{Path: dir})
	if err != nil {
		return err
	}
	opts := tessera.NewAppendOptions().WithCheckpointSigner(signer).WithBatching(batchSize, batchAge).WithCheckpointInterval(time.Second)
	appender, shutdown, _, err := tessera.NewAppender(ctx, driver, opts)
	if err != nil {
		return err
	}
	defer shutdown(ctx)
	var next atomic.Int64
	for _, f := range strings.Split(clientsFlag, ",") {
		clients, err := strconv.Atoi(f)
		if err != nil {
			return err
		}
		var errs atomic.Int64
		lat := make([][]time.Duration, clients)
		deadline := time.Now().Add(dur)
		start := time.Now()
		var wg sync.WaitGroup
		for c := 0; c < clients; c++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(deadline) {
					i := int(next.Add(1)) - 1
					if i >= len(lines) {
						return
					}
					t0 := time.Now()
					if _, err := appender.Add(ctx, tessera.NewEntry(lines[i]))(); err != nil {
						errs.Add(1)
						continue
					}
					lat[c] = append(lat[c], time.Since(t0))
				}
			}()
		}
		wg.Wait()
		secs := time.Since(start).Seconds()
		var all []time.Duration
		for _, l := range lat {
			all = append(all, l...)
		}
		n := int64(len(all))
		json.NewEncoder(os.Stdout).Encode(Result{Name: name, Clients: clients, Batch: 1, Entries: n, Seconds: secs, PerSecond: float64(n) / secs,
			P50ms: percentile(all, 0.5), P99ms: percentile(all, 0.99), Errors: errs.Load(),
			Note: fmt.Sprintf("in-process Add + await index; batching %d/%s; no antispam", batchSize, batchAge)})
	}
	return nil
}
