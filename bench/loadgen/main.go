// Command loadgen is the load generator of bench/serve.sh and
// bench/servecpu.sh: it makes signed envelopes, publishes them to a running
// 'consign serve' over loopback with N concurrent clients and reports
// throughput and latency, and measures inclusion proofs on a log of a
// million entries. It is a benchmark tool,
// not part of consign.
//
//	loadgen gen    -n N -out entries.jsonl -key key.pub
//	loadgen big    -size BYTES -out big.jsonl -key key.pub   (one envelope of a large step's link)
//	loadgen publish -server URL -token T -entries entries.jsonl -skip K -clients C -duration D [-pid SERVERPID]
//	loadgen proofs -db sqlite:PATH|postgres://... -n 1000000
//	loadgen prove  -server URL -samples 2000   (inclusion proofs from a running server)
//
// Results are JSON lines on stdout. With -pid, publish also reports the
// server process's CPU time per entry (user + system, from /proc/PID/stat)
// and the load average, since on a shared machine throughput alone says
// little.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/consign-dev/consign/internal/attest"
	"github.com/consign-dev/consign/internal/client"
	"github.com/consign-dev/consign/internal/server"
	"github.com/consign-dev/consign/internal/sign"
	"github.com/consign-dev/consign/internal/store"
	"github.com/consign-dev/consign/internal/store/postgres"
	"github.com/consign-dev/consign/internal/store/sqlite"
	"github.com/consign-dev/consign/internal/tlog"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen gen|publish|proofs|prove [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "gen":
		err = gen(os.Args[2:])
	case "big":
		err = big(os.Args[2:])
	case "publish":
		err = publish(os.Args[2:])
	case "proofs":
		err = proofs(os.Args[2:])
	case "prove":
		err = prove(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// statement is a ~1 KB SLSA-like statement about one artifact.
func statement(i int) *attest.Statement {
	pred, _ := json.Marshal(map[string]any{
		"buildDefinition": map[string]any{"buildType": "https://consign.dev/bench/v1", "externalParameters": map[string]any{"run": i, "ref": "refs/heads/main", "pad": strings.Repeat("x", 600)}},
		"runDetails":      map[string]any{"builder": map[string]string{"id": "https://ci.example.com/bench"}},
	})
	var d [32]byte
	d[0], d[1], d[2], d[3] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	st, _ := attest.NewStatement("https://slsa.dev/provenance/v1", []attest.Subject{{Name: fmt.Sprintf("artifact-%d", i), Digest: map[string]string{"sha256": fmt.Sprintf("%x", d[:])}}}, pred)
	return st
}

// newSigner makes an Ed25519 key and writes its public key to keyOut.
func newSigner(keyOut string) (*sign.Signer, error) {
	priv, _ := sign.Generate(sign.Ed25519)
	s, _ := sign.NewSigner(priv)
	pub, _ := sign.MarshalPublicKey(priv.Public())
	return s, os.WriteFile(keyOut, pub, 0o644)
}

// gen writes n signed envelopes (Ed25519), one per line, and the public key.
func gen(args []string) error {
	fs := flag.NewFlagSet("gen", flag.ExitOnError)
	n := fs.Int("n", 100000, "envelopes")
	out := fs.String("out", "entries.jsonl", "output file")
	keyOut := fs.String("key", "key.pub", "public key file")
	fs.Parse(args)
	s, err := newSigner(*keyOut)
	if err != nil {
		return err
	}
	lines := make([][]byte, *n)
	var wg sync.WaitGroup
	per := (*n + runtime.NumCPU() - 1) / runtime.NumCPU()
	for start := 0; start < *n; start += per {
		wg.Add(1)
		go func(start int) {
			defer wg.Done()
			for i := start; i < min(start+per, *n); i++ {
				env, _ := attest.SignStatement(statement(i), s)
				lines[i], _ = json.Marshal(env)
			}
		}(start)
	}
	wg.Wait()
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		w.Write(l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// big writes one signed envelope (Ed25519) of about size bytes, a line of
// its own, and the public key: an in-toto link of a large step, with as many
// files for products (the subjects) as for materials, each named by a
// 64-byte path (the million-file link of bench/README.md is a 392 MB
// envelope). At most limits.Subjects files a side.
func big(args []string) error {
	fs := flag.NewFlagSet("big", flag.ExitOnError)
	size := fs.Int("size", 392_000_000, "envelope size in bytes (about)")
	out := fs.String("out", "big.jsonl", "output file")
	keyOut := fs.String("key", "key.pub", "public key file")
	fs.Parse(args)
	s, err := newSigner(*keyOut)
	if err != nil {
		return err
	}
	name := func(i int) string { return fmt.Sprintf("tree/dir%05d/%-40s.bin", i/1000, fmt.Sprintf("file%07d", i)) }
	entry := func(dst []byte, key string, i int) []byte {
		d := sha256.Sum256([]byte(strconv.Itoa(i)))
		dst = append(dst, `{"`+key+`":"`...)
		dst = append(dst, name(i)...)
		dst = append(dst, `","digest":{"sha256":"`...)
		dst = hex.AppendEncode(dst, d[:])
		return append(dst, `"}}`...)
	}
	per := len(entry(nil, "name", 0)) + len(entry(nil, "uri", 0)) + 2
	n := min(*size/4*3/per, 1_000_000)
	payload := make([]byte, 0, n*per+256)
	payload = append(payload, `{"_type":"https://in-toto.io/Statement/v1","subject":[`...)
	for i := range n {
		if i > 0 {
			payload = append(payload, ',')
		}
		payload = entry(payload, "name", i)
	}
	payload = append(payload, `],"predicateType":"https://in-toto.io/attestation/link/v0.3","predicate":{"name":"build","command":["make"],"materials":[`...)
	for i := range n {
		if i > 0 {
			payload = append(payload, ',')
		}
		payload = entry(payload, "uri", i)
	}
	payload = append(payload, `]}}`...)
	if _, err := attest.ParseStatement(payload); err != nil {
		return err
	}
	env, err := attest.SignPayload(attest.PayloadType, payload, s)
	if err != nil {
		return err
	}
	line, err := env.MarshalJSON()
	if err != nil {
		return err
	}
	return os.WriteFile(*out, append(line, '\n'), 0o644)
}

func readLines(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return bytes.Split(bytes.TrimSpace(data), []byte("\n")), nil
}

// Result is one measurement.
type Result struct {
	Name       string  `json:"name"`
	Clients    int     `json:"clients"`
	Batch      int     `json:"batch"`
	Entries    int64   `json:"entries"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"entriesPerSecond"`
	P50ms      float64 `json:"p50ms"`
	P99ms      float64 `json:"p99ms"`
	Errors     int64   `json:"errors"`
	Note       string  `json:"note,omitempty"`
	TotalItems int64   `json:"logSize,omitempty"`
	// ServerCPUus is the server process's CPU time (user + system, from
	// /proc/PID/stat) per entry in µs, when -pid names it; Load1 is the
	// machine's 1-minute load average at the end of the level.
	ServerCPUus float64 `json:"serverCPUusPerEntry,omitempty"`
	Load1       float64 `json:"load1,omitempty"`
}

// cpuTicks is the user + system CPU time of process pid in clock ticks
// (1/100 s on Linux), from /proc/PID/stat.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count from the last ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var u, s int64
	if _, err := fmt.Sscan(f[11], &u); err != nil {
		return 0, err
	}
	if _, err := fmt.Sscan(f[12], &s); err != nil {
		return 0, err
	}
	return u + s, nil
}

// load1 is the 1-minute load average.
func load1() float64 {
	var l float64
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Sscan(string(b), &l)
	}
	return l
}

func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(float64(len(d)-1) * p)
	return float64(d[i]) / float64(time.Millisecond)
}

// publish runs clients concurrent publishers for duration, each sending
// batch envelopes per request, taking envelopes from the file after skip.
func publish(args []string) error {
	fs := flag.NewFlagSet("publish", flag.ExitOnError)
	url := fs.String("server", "", "server URL")
	token := fs.String("token", os.Getenv("CONSIGN_TOKEN"), "publishing token")
	entries := fs.String("entries", "entries.jsonl", "envelopes from 'gen'")
	skip := fs.Int("skip", 0, "envelopes to skip (already published)")
	clients := fs.Int("clients", 1, "concurrent clients")
	batch := fs.Int("batch", 1, "envelopes per request")
	dur := fs.Duration("duration", 10*time.Second, "how long to publish")
	name := fs.String("name", "publish", "result name")
	pid := fs.Int("pid", 0, "the server's process id, to report its CPU time per entry")
	fs.Parse(args)
	lines, err := readLines(*entries)
	if err != nil {
		return err
	}
	lines = lines[*skip:]
	var next atomic.Int64
	var errs atomic.Int64
	lat := make([][]time.Duration, *clients)
	tr := &http.Transport{MaxIdleConnsPerHost: *clients + 1, MaxConnsPerHost: *clients + 1}
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	var ticks0 int64
	if *pid != 0 {
		if ticks0, err = cpuTicks(*pid); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(*dur)
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < *clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, _ := client.New(client.Config{URL: *url, Token: *token, HTTP: hc})
			for time.Now().Before(deadline) {
				i := int(next.Add(int64(*batch))) - *batch
				if i+*batch > len(lines) {
					return
				}
				t0 := time.Now()
				if _, err := cl.Publish(context.Background(), "", lines[i:i+*batch]); err != nil {
					errs.Add(1)
					fmt.Fprintln(os.Stderr, "publish:", err)
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
	n := int64(len(all) * *batch)
	res := Result{Name: *name, Clients: *clients, Batch: *batch, Entries: n, Seconds: secs,
		PerSecond: float64(n) / secs, P50ms: percentile(all, 0.5), P99ms: percentile(all, 0.99), Errors: errs.Load(), Load1: load1()}
	if *pid != 0 && n > 0 {
		ticks1, err := cpuTicks(*pid)
		if err != nil {
			return err
		}
		res.ServerCPUus = float64(ticks1-ticks0) * 1e4 / float64(n) // 1 tick = 10 ms = 1e4 µs
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// openStore opens -db: sqlite:PATH (or a bare path) or a postgres:// URL.
// On error the store is a nil interface, never a nil *sqlite.Store or
// *postgres.Store inside one, which a caller's Close would dereference.
func openStore(ctx context.Context, spec string) (store.Store, error) {
	if strings.HasPrefix(spec, "postgres://") || strings.HasPrefix(spec, "postgresql://") {
		return nonNil(postgres.Open(ctx, spec))
	}
	path := strings.TrimPrefix(spec, "sqlite:")
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("-db %s is a directory, not a database file: give the SQLite file's path, e.g. -db sqlite:%s", path, filepath.Join(path, "bench.db"))
	}
	return nonNil(sqlite.Open(ctx, path))
}

// nonNil is what a backend's Open returned, as a [store.Store] that is nil
// when err is not.
func nonNil[S store.Store](s S, err error) (store.Store, error) {
	if err != nil {
		return nil, err
	}
	return s, nil
}

// proofs fills a log to n entries straight through the store (in batches
// of 1000, as the sequencer would), then measures inclusion proofs: through
// the HTTP API of an in-process server (cold hash cache: random indexes),
// and straight from the store (no cache at all).
func proofs(args []string) error {
	fs := flag.NewFlagSet("proofs", flag.ExitOnError)
	db := fs.String("db", "", "database")
	n := fs.Int("n", 1_000_000, "log size")
	samples := fs.Int("samples", 2000, "proofs to time")
	fs.Parse(args)
	ctx := context.Background()
	st, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if id, err := st.LogIdentity(ctx); err == nil {
		return fmt.Errorf("the bench database already has a log identity (%s); use a fresh one", id.Origin)
	}
	tree, err := st.Tree(ctx)
	if err != nil {
		return err
	}
	fill := time.Now()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	kid := strings.Repeat("ab", 32)
	for size := int(tree.Size); size < *n; {
		k := min(1000, *n-size)
		es := make([]store.NewEntry, k)
		for i := range es {
			j := size + i
			pae := []byte(fmt.Sprintf("bench statement %d", j))
			leaf, _ := tlog.NewLeaf(t0.Add(time.Duration(j)*time.Millisecond), pae, []tlog.LeafSignature{tlog.SignatureOf(kid, pae)})
			var d tlog.Hash
			d[0], d[1], d[2], d[3] = byte(j>>24), byte(j>>16), byte(j>>8), byte(j)
			es[i] = store.NewEntry{Key: leaf.Key(), Leaf: leaf.Marshal(), Envelope: []byte(`{}`), Product: "bench", Subjects: []tlog.Hash{d}}
		}
		if _, _, err := st.Append(ctx, es); err != nil {
			return err
		}
		size += k
		if size%100_000 == 0 {
			fmt.Fprintf(os.Stderr, "loadgen: %d entries (%.0fs)\n", size, time.Since(fill).Seconds())
		}
	}
	fillSecs := time.Since(fill).Seconds()
	tree, _ = st.Tree(ctx)

	// Straight from the store: tlog.ProveInclusion over store.ReadHashes.
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) { return st.ReadHashes(ctx, idx) })
	var direct []time.Duration
	for i := 0; i < *samples; i++ {
		idx := mrand.Int64N(tree.Size)
		t := time.Now()
		if _, err := tlog.ProveInclusion(idx, tree.Size, r); err != nil {
			return err
		}
		direct = append(direct, time.Since(t))
	}
	// Through HTTP.
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, _ := tlog.NewSigner("bench.example/proofs", priv)
	srv, err := server.New(ctx, server.Config{Store: st, Signer: signer})
	if err != nil {
		return err
	}
	defer srv.Close()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	c, _ := client.New(client.Config{URL: hs.URL, HTTP: hs.Client()})
	var viaHTTP []time.Duration
	for i := 0; i < *samples; i++ {
		idx := uint64(mrand.Int64N(tree.Size))
		t := time.Now()
		p, err := c.Inclusion(ctx, idx, uint64(tree.Size))
		if err != nil {
			return err
		}
		viaHTTP = append(viaHTTP, time.Since(t))
		if i == 0 {
			e, err := st.Entry(ctx, int64(idx))
			if err != nil {
				return err
			}
			if err := tlog.VerifyInclusion(p, idx, uint64(tree.Size), tlog.LeafHash(e.Leaf), tree.Root); err != nil {
				return fmt.Errorf("a proof from the API does not verify: %v", err)
			}
		}
	}
	// Verification alone (what a client does offline).
	p, _ := tlog.ProveInclusion(tree.Size/3, tree.Size, r)
	e, _ := st.Entry(ctx, tree.Size/3)
	vt := time.Now()
	for i := 0; i < *samples; i++ {
		tlog.VerifyInclusion(p, uint64(tree.Size/3), uint64(tree.Size), tlog.LeafHash(e.Leaf), tree.Root)
	}
	verifyUs := float64(time.Since(vt).Microseconds()) / float64(*samples)
	enc := json.NewEncoder(os.Stdout)
	enc.Encode(Result{Name: "fill", Entries: tree.Size, Seconds: fillSecs, PerSecond: float64(*n) / fillSecs, TotalItems: tree.Size, Note: "store.Append in batches of 1000"})
	enc.Encode(Result{Name: "prove-store", Entries: int64(*samples), P50ms: percentile(direct, 0.5), P99ms: percentile(direct, 0.99), TotalItems: tree.Size, Note: "tlog.ProveInclusion over store.ReadHashes, no cache"})
	enc.Encode(Result{Name: "prove-http", Entries: int64(*samples), P50ms: percentile(viaHTTP, 0.5), P99ms: percentile(viaHTTP, 0.99), TotalItems: tree.Size, Note: "GET /api/v1/log/proof/inclusion, random index, loopback"})
	enc.Encode(Result{Name: "verify-inclusion", Entries: int64(*samples), P50ms: verifyUs / 1000, P99ms: verifyUs / 1000, TotalItems: tree.Size, Note: "tlog.VerifyInclusion, mean"})
	return nil
}

// prove times inclusion proofs for random indexes from a running server,
// one at a time, for instance while 'publish' loads it.
func prove(args []string) error {
	fs := flag.NewFlagSet("prove", flag.ExitOnError)
	url := fs.String("server", "", "server URL")
	samples := fs.Int("samples", 2000, "proofs to time")
	name := fs.String("name", "prove-http-under-load", "result name")
	fs.Parse(args)
	ctx := context.Background()
	c, err := client.New(client.Config{URL: *url})
	if err != nil {
		return err
	}
	var lat []time.Duration
	for i := 0; i < *samples; i++ {
		cp, err := c.Checkpoint(ctx)
		if err != nil {
			return err
		}
		size, err := checkpointSize(cp)
		if err != nil {
			return err
		}
		if size == 0 {
			time.Sleep(10 * time.Millisecond)
			continue
		}
		idx := mrand.Uint64N(size)
		t := time.Now()
		if _, err := c.Inclusion(ctx, idx, size); err != nil {
			return err
		}
		lat = append(lat, time.Since(t))
	}
	return json.NewEncoder(os.Stdout).Encode(Result{Name: *name, Entries: int64(len(lat)), P50ms: percentile(lat, 0.5), P99ms: percentile(lat, 0.99), Note: "GET /api/v1/log/proof/inclusion for a random index of the last checkpoint, one at a time"})
}

// checkpointSize reads the tree size from a checkpoint note's second line.
func checkpointSize(note []byte) (uint64, error) {
	lines := strings.SplitN(string(note), "\n", 3)
	if len(lines) < 3 {
		return 0, fmt.Errorf("a checkpoint of %d lines", len(lines))
	}
	var n uint64
	_, err := fmt.Sscan(lines[1], &n)
	return n, err
}
