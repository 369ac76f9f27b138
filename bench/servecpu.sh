#!/bin/sh
# servecpu.sh measures the CPU time a 'consign serve' process spends per
# published entry (user + system, read from /proc/PID/stat by bench/loadgen),
# for two consign binaries A and B side by side: both servers stay up, and
# every round runs A then B (then B then A in the next round) at each level,
# on SQLite and on PostgreSQL, so that the shared machine's load falls on
# both alike. Each level publishes envelopes its server has not seen.
#
# Usage: A=/path/to/old/consign B=/path/to/new/consign bench/servecpu.sh
#        PG=postgres://postgres@127.0.0.1:5432/test?sslmode=disable ROUNDS=3 LEVELS="64 256" DURATION=10s ...
# With only B (or neither: the working tree's consign), it measures one binary.
# Results: JSON lines in $OUT (default /tmp/consign-servecpu/results.jsonl),
# with "serverCPUusPerEntry" and "load1"; bench/SERVE.md holds the numbers.
set -eu

DURATION=${DURATION:-10s}
LEVELS=${LEVELS:-256}
ROUNDS=${ROUNDS:-3}
N=${N:-400000}
PG=${PG:-${CONSIGN_TEST_POSTGRES:-}}
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local
WORK=${WORK:-/tmp/consign-servecpu}
mkdir -p "$WORK"
OUT=${OUT:-$WORK/results.jsonl}
: >"$OUT"

nice go build -o "$WORK/loadgen" ./bench/loadgen
if [ -z "${B:-}" ]; then
	nice go build -o "$WORK/consign" ./cmd/consign
	B=$WORK/consign
fi
SIDES=b
if [ -n "${A:-}" ]; then SIDES="a b"; fi
if [ ! -s "$WORK/entries.jsonl" ] || [ "$(wc -l <"$WORK/entries.jsonl")" -lt "$N" ]; then
	echo "signing $N envelopes..." >&2
	"$WORK/loadgen" gen -n "$N" -out "$WORK/entries.jsonl" -key "$WORK/key.pub"
fi

PIDS=
stop_servers() {
	for pid in $PIDS; do
		kill -INT "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	PIDS=
}
trap stop_servers EXIT INT TERM

# start SIDE BACKEND DB: serve DB with side's binary; records its URL, token,
# pid and envelope offset in variables named SIDE_BACKEND_*.
start() {
	side=$1 backend=$2 db=$3
	bin=${A:-}
	if [ "$side" = b ]; then bin=$B; fi
	rm -f "$WORK/$side-$backend.url" "$WORK/$side-$backend.key"
	"$bin" serve --addr 127.0.0.1:0 --db "$db" --log-key "$WORK/$side-$backend.key" --rate -1 --ready-file "$WORK/$side-$backend.url" 2>"$WORK/$side-$backend.log" &
	pid=$!
	PIDS="$PIDS $pid"
	while [ ! -s "$WORK/$side-$backend.url" ]; do sleep 0.1; done
	token=$("$bin" admin token create --db "$db" --product bench --key "$WORK/key.pub" 2>/dev/null)
	eval "${side}_${backend}_url=\$(cat \"\$WORK/\$side-\$backend.url\") ${side}_${backend}_token=\$token ${side}_${backend}_pid=\$pid ${side}_${backend}_skip=0"
}

# publish SIDE BACKEND CLIENTS: one level against that server.
publish() {
	side=$1 backend=$2 c=$3
	eval "url=\$${side}_${backend}_url token=\$${side}_${backend}_token pid=\$${side}_${backend}_pid skip=\$${side}_${backend}_skip"
	"$WORK/loadgen" publish -name "$side-$backend" -server "$url" -token "$token" -pid "$pid" -entries "$WORK/entries.jsonl" -skip "$skip" -clients "$c" -duration "$DURATION" | tee -a "$OUT" >&2
	skip=$(tail -1 "$OUT" | sed 's/.*"entries":\([0-9]*\).*/\1/' | awk -v s="$skip" -v c="$c" '{print s + $1 + c}')
	eval "${side}_${backend}_skip=\$skip"
}

BACKENDS=sqlite
for side in $SIDES; do
	rm -f "$WORK/$side.db" "$WORK/$side.db-wal" "$WORK/$side.db-shm"
	start "$side" sqlite "sqlite:$WORK/$side.db"
done
if [ -n "$PG" ]; then
	BACKENDS="sqlite postgres"
	case "$PG" in *\?*) sep='&' ;; *) sep='?' ;; esac
	for side in $SIDES; do
		psql "$PG" -q -c "DROP SCHEMA IF EXISTS consign_cpu_$side CASCADE" -c "CREATE SCHEMA consign_cpu_$side" >&2
		start "$side" postgres "$PG${sep}search_path=consign_cpu_$side"
	done
else
	echo "PG (or CONSIGN_TEST_POSTGRES) is not set: skipping PostgreSQL" >&2
fi

order=$SIDES
for r in $(seq 1 "$ROUNDS"); do
	for c in $LEVELS; do
		for backend in $BACKENDS; do
			for side in $order; do
				echo "round $r, $c clients, $backend, side $side..." >&2
				publish "$side" "$backend" "$c"
			done
		done
	done
	# The other side goes first in the next round.
	order=$(echo "$order" | awk '{for (i = NF; i > 0; i--) printf "%s%s", $i, (i > 1 ? " " : "")}')
done
stop_servers
if [ -n "$PG" ]; then
	for side in $SIDES; do psql "$PG" -q -c "DROP SCHEMA consign_cpu_$side CASCADE" >&2; done
fi
echo "results in $OUT" >&2
