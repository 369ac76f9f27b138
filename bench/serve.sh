#!/bin/sh
# serve.sh measures consign's attestation server and log (issue 5's targets):
#   - publish throughput (entries/s, every signature checked) and p50/p99
#     latency at 1, 8, 64 (and 256) concurrent clients, one envelope per request,
#     on SQLite and on PostgreSQL, against a real 'consign serve' process
#     over loopback, driven by bench/loadgen (our own load generator);
#   - the same entries appended to a Tessera POSIX log (bench/tessera, a
#     separate Go module), in process, at the same concurrency: the peer,
#     run right after consign at each level, so that both see one load;
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

SQLITE_PID= PG_PID=
stop_servers() {
	for pid in $SQLITE_PID $PG_PID; do
		kill -INT "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	SQLITE_PID= PG_PID=
}
trap stop_servers EXIT INT TERM

# start_server NAME DB LOGKEY: serve DB in the background; sets URL, TOKEN, PID.
# Each publish level also reports the server's CPU time per entry
# (loadgen -pid); bench/servecpu.sh compares two binaries on it.
start_server() {
	name=$1 db=$2 logkey=$3
	rm -f "$WORK/$name.url"
	"$WORK/consign" serve --addr 127.0.0.1:0 --db "$db" --log-key "$logkey" --rate -1 --ready-file "$WORK/$name.url" 2>"$WORK/$name.serve.log" &
	PID=$!
	while [ ! -s "$WORK/$name.url" ]; do sleep 0.1; done
	URL=$(cat "$WORK/$name.url")
	TOKEN=$("$WORK/consign" admin token create --db "$db" --product bench --key "$WORK/key.pub" 2>/dev/null)
}

# publish NAME URL TOKEN CLIENTS [BATCH]: one level, on envelopes no level
# used before (SKIP is shared, so every level of every backend logs new ones).
SKIP=0
publish() {
	case $1 in postgres*) pid=$PG_PID ;; *) pid=$SQLITE_PID ;; esac
	"$WORK/loadgen" publish -name "$1" -server "$2" -token "$3" -pid "$pid" -entries "$WORK/entries.jsonl" -skip "$SKIP" -clients "$4" -batch "${5:-1}" -duration "$DURATION" | tee -a "$OUT" >&2
	SKIP=$(tail -1 "$OUT" | sed 's/.*"entries":\([0-9]*\).*/\1/' | awk -v s="$SKIP" '{print s + $1 + 64}')
}

# tessera NAME CLIENTS [FLAGS]: the peer at one level, on a new log.
tessera() {
	name=$1 c=$2
	shift 2
	"$WORK/tessera" -entries "$WORK/entries.jsonl" -dir "$WORK/$name-$c" -clients "$c" -duration "$DURATION" -name "$name" "$@" 2>>"$WORK/tessera.log" | tee -a "$OUT" >&2
}

start_server sqlite "sqlite:$WORK/log.db" "$WORK/log.key"
SQLITE_PID=$PID SQLITE_URL=$URL SQLITE_TOKEN=$TOKEN
if [ -n "$PG" ]; then
	psql "$PG" -q -c "DROP SCHEMA IF EXISTS consign_bench CASCADE" -c "CREATE SCHEMA consign_bench" >&2
	case "$PG" in *\?*) sep='&' ;; *) sep='?' ;; esac
	start_server postgres "$PG${sep}search_path=consign_bench" "$WORK/pglog.key"
	PG_PID=$PID PG_URL=$URL PG_TOKEN=$TOKEN
else
	echo "PG (or CONSIGN_TEST_POSTGRES) is not set: skipping PostgreSQL" >&2
fi

# Each level runs every side in turn (SQLite, PostgreSQL, Tessera with its
# default batching of 256 entries or 250 ms, Tessera with 10 ms batches),
# so that the machine's load changes the sides of one level alike.
for c in $LEVELS; do
	echo "level $c: $DURATION each for SQLite, PostgreSQL, Tessera (default), Tessera (10 ms)..." >&2
	publish sqlite "$SQLITE_URL" "$SQLITE_TOKEN" "$c"
	if [ -n "$PG" ]; then publish postgres "$PG_URL" "$PG_TOKEN" "$c"; fi
	tessera tessera-posix "$c"
	tessera tessera-posix-10ms "$c" -batch-age 10ms
done
echo "8 clients x 100 envelopes per request; Tessera (10 ms) at 1024 writers..." >&2
publish sqlite-batch100 "$SQLITE_URL" "$SQLITE_TOKEN" 8 100
if [ -n "$PG" ]; then publish postgres-batch100 "$PG_URL" "$PG_TOKEN" 8 100; fi
tessera tessera-posix-10ms 1024 -batch-age 10ms
stop_servers
if [ -n "$PG" ]; then psql "$PG" -q -c "DROP SCHEMA consign_bench CASCADE" >&2; fi

echo "proofs: filling a SQLite log to $PROOF_N entries..." >&2
"$WORK/loadgen" proofs -db "sqlite:$WORK/proofs.db" -n "$PROOF_N" | tee -a "$OUT" >&2

echo "results in $OUT" >&2
