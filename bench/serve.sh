#!/bin/sh
# serve.sh measures consign's attestation server and log (issue 5's targets):
#   - publish throughput (entries/s, every signature checked) and p50/p99
#     latency at 1, 8, 64 (and 256) concurrent clients, one envelope per request,
#     on SQLite and on PostgreSQL, against a real 'consign serve' process
#     over loopback, driven by bench/loadgen (our own load generator);
#   - the same entries appended to a Tessera POSIX log (bench/tessera, a
#     separate Go module), in process, at the same concurrency: the peer;
#   - inclusion-proof time on a log of 1,000,000 entries (SQLite).
# Results: JSON lines in $OUT (default /tmp/consign-serve-bench/results.jsonl);
# bench/SERVE.md holds the last numbers.
#
# Usage: bench/serve.sh                 (10 s per level)
#        DURATION=30s bench/serve.sh
#        PG=postgres://postgres@127.0.0.1:5432/test?sslmode=disable bench/serve.sh
set -eu

DURATION=${DURATION:-10s}
LEVELS=${LEVELS:-1 8 64 256}
N=${N:-600000}
PROOF_N=${PROOF_N:-1000000}
PG=${PG:-${CONSIGN_TEST_POSTGRES:-}}
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
WORK=${WORK:-/tmp/consign-serve-bench}
rm -rf "$WORK"
mkdir -p "$WORK"
OUT=${OUT:-$WORK/results.jsonl}
: >"$OUT"

echo "building consign, loadgen and the Tessera peer..." >&2
nice go build -o "$WORK/consign" ./cmd/consign
nice go build -o "$WORK/loadgen" ./bench/loadgen
(cd bench/tessera && nice go build -o "$WORK/tessera" .)

echo "signing $N envelopes..." >&2
"$WORK/loadgen" gen -n "$N" -out "$WORK/entries.jsonl" -key "$WORK/key.pub"

SERVER_PID=
stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill -INT "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}
trap stop_server EXIT INT TERM

# run_backend NAME DB [LOGKEY]: serve DB, then publish at 1, 8, 64 clients
# (and 8 clients x 100-envelope batches), each level on new envelopes.
run_backend() {
	name=$1 db=$2 logkey=$3
	rm -f "$WORK/url"
	"$WORK/consign" serve --addr 127.0.0.1:0 --db "$db" --log-key "$logkey" --rate -1 --ready-file "$WORK/url" 2>"$WORK/$name.serve.log" &
	SERVER_PID=$!
	while [ ! -s "$WORK/url" ]; do sleep 0.1; done
	url=$(cat "$WORK/url")
	token=$("$WORK/consign" admin token create --db "$db" --product bench --key "$WORK/key.pub" 2>/dev/null)
	skip=0
	for c in $LEVELS; do
		echo "$name: $c client(s) for $DURATION..." >&2
		"$WORK/loadgen" publish -name "$name" -server "$url" -token "$token" -entries "$WORK/entries.jsonl" -skip "$skip" -clients "$c" -duration "$DURATION" | tee -a "$OUT" >&2
		skip=$(tail -1 "$OUT" | sed 's/.*"entries":\([0-9]*\).*/\1/' | awk -v s="$skip" '{print s + $1 + 64}')
	done
	echo "$name: 8 clients, 100 envelopes per request, for $DURATION..." >&2
	"$WORK/loadgen" publish -name "$name-batch100" -server "$url" -token "$token" -entries "$WORK/entries.jsonl" -skip "$skip" -clients 8 -batch 100 -duration "$DURATION" | tee -a "$OUT" >&2
	stop_server
}

run_backend sqlite "sqlite:$WORK/log.db" "$WORK/log.key"

if [ -n "$PG" ]; then
	psql "$PG" -q -c "DROP SCHEMA IF EXISTS consign_bench CASCADE" -c "CREATE SCHEMA consign_bench" >&2
	case "$PG" in *\?*) sep='&' ;; *) sep='?' ;; esac
	run_backend postgres "$PG${sep}search_path=consign_bench" "$WORK/pglog.key"
	psql "$PG" -q -c "DROP SCHEMA consign_bench CASCADE" >&2
else
	echo "PG (or CONSIGN_TEST_POSTGRES) is not set: skipping PostgreSQL" >&2
fi

TLEVELS=$(echo $LEVELS | tr ' ' ',')
echo "tessera: $TLEVELS writers for $DURATION each (default batching: 256 entries or 250 ms)..." >&2
"$WORK/tessera" -entries "$WORK/entries.jsonl" -dir "$WORK/tessera-default" -clients "$TLEVELS" -duration "$DURATION" -name tessera-posix | tee -a "$OUT" >&2
echo "tessera: the same with 10 ms batches, and 1024 writers..." >&2
"$WORK/tessera" -entries "$WORK/entries.jsonl" -dir "$WORK/tessera-10ms" -clients "$TLEVELS,1024" -duration "$DURATION" -batch-age 10ms -name tessera-posix-10ms | tee -a "$OUT" >&2

echo "proofs: filling a SQLite log to $PROOF_N entries..." >&2
"$WORK/loadgen" proofs -db "sqlite:$WORK/proofs.db" -n "$PROOF_N" | tee -a "$OUT" >&2

echo "results in $OUT" >&2
