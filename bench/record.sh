#!/usr/bin/env bash
# record.sh: measure consign's recorder against in-toto-golang, sha256sum
# and openssl, and print medians and ratios. See bench/README.md.
#
# Each of COUNT rounds runs the Go benchmarks once (-benchtime=BENCHTIME)
# and then times each external tool once, so that the numbers compared in a
# round share the machine's load at the time; ratios are computed per round
# and their median is printed next to the ratio of the medians.
#
# Environment: COUNT (rounds, default 5), BENCHTIME (go test -benchtime,
# default 3x), CONSIGN_BENCH_DIR (fixture cache, default /tmp/consign-bench),
# BENCH_BIN (a test binary already built with go test -c ./bench, to use
# instead of building one).
# Needs go, find, xargs, sha256sum, openssl and awk; uses hyperfine (as the
# timer) and /usr/bin/time (for the peak RSS of a whole process) when they
# are installed. Installs nothing.
set -euo pipefail

COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-3x}
export CONSIGN_BENCH_DIR=${CONSIGN_BENCH_DIR:-/tmp/consign-bench}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# median reads numbers, one per line, and prints their median.
median() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2
	}'
}

# seconds prints the wall time, in seconds, of one run of a shell command.
seconds() {
	local cmd=$1
	if command -v hyperfine >/dev/null; then
		hyperfine --style none --runs 1 --export-csv "$tmp/hf.csv" "$cmd" >/dev/null
		awk -F, 'NR == 2 { print $2 }' "$tmp/hf.csv" # command,mean,...
		return
	fi
	local start end
	start=$(date +%s.%N)
	bash -c "$cmd" >/dev/null
	end=$(date +%s.%N)
	awk -v s="$start" -v e="$end" 'BEGIN { printf "%.6f\n", e - s }'
}

# bench_values prints, one per line and in run order, a benchmark's metric
# (ns/op, MB/s, ...) from a go test output file.
bench_values() {
	local file=$1 name=$2 unit=$3
	awk -v name="$name" -v unit="$unit" '
		$1 ~ "^" name "(-[0-9]+)?$" { for (i = 3; i < NF; i++) if ($(i + 1) == unit) print $i }
	' "$file"
}

# ratios prints a[i]/b[i] for the lines of two files.
ratios() {
	paste "$1" "$2" | awk '{ printf "%.6f\n", $1 / $2 }'
}

echo "== machine"
echo "date: $(date -u +%Y-%m-%d)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores"
echo "kernel: $(uname -sr)"
echo "go: $(go version)"
echo "openssl: $(openssl version)"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

if [ -n "${BENCH_BIN:-}" ]; then
	echo "== using the test binary $BENCH_BIN"
	cp "$BENCH_BIN" "$tmp/bench.test"
else
	echo "== building the test binary"
	nice go test -c -o "$tmp/bench.test" ./bench/
fi

echo "== building fixtures (once) and warming the page cache (untimed)"
"$tmp/bench.test" -test.run '^$' -test.bench 'RecordTree|HashLargeFile' -test.benchtime 1x -test.v >"$tmp/warm.txt"
# fixture prints the path the benchmarks logged as "fixture: PATH" for a
# fixture whose name matches $1.
fixture() {
	awk -v pat="$1" '{ for (i = 1; i < NF; i++) if ($i == "fixture:" && $(i + 1) ~ pat) { print $(i + 1); exit } }' "$tmp/warm.txt"
}
tree=$(fixture '/tree-')
large=$(fixture '/large-')
[ -d "$tree" ] && [ -f "$large" ] || {
	cat "$tmp/warm.txt" >&2
	echo "record.sh: fixtures not found" >&2
	exit 1
}
size=$(stat -c %s "$large")
echo "tree: $tree ($(find "$tree" -type f | wc -l) files)"
echo "large file: $large ($size bytes)"
sha256sum_cmd="find '$tree' -type f -print0 | xargs -0 sha256sum"
openssl_cmd="openssl dgst -sha256 '$large'"
bash -c "$sha256sum_cmd" >/dev/null
bash -c "$openssl_cmd" >/dev/null
echo

echo "== $COUNT rounds (go benchmarks with -benchtime=$BENCHTIME, then each tool once$(command -v hyperfine >/dev/null && echo ', timed by hyperfine'))"
for round in $(seq "$COUNT"); do
	"$tmp/bench.test" -test.run '^$' -test.bench 'RecordTree|HashLargeFile' -test.benchtime "$BENCHTIME" >"$tmp/round.txt"
	grep '^Benchmark' "$tmp/round.txt" | tee -a "$tmp/bench.txt"
	bench_values "$tmp/round.txt" BenchmarkRecordTree/consign ns/op | awk '{ print $1 / 1e9 }' >>"$tmp/consign_tree"
	bench_values "$tmp/round.txt" BenchmarkRecordTree/in-toto-golang ns/op | awk '{ print $1 / 1e9 }' >>"$tmp/intoto_tree"
	bench_values "$tmp/round.txt" BenchmarkHashLargeFile/consign ns/op | awk '{ print $1 / 1e9 }' >>"$tmp/consign_large"
	seconds "$sha256sum_cmd" >>"$tmp/sha256sum"
	seconds "$openssl_cmd" >>"$tmp/openssl"
	echo "round $round: find|xargs sha256sum $(tail -1 "$tmp/sha256sum") s, openssl dgst $(tail -1 "$tmp/openssl") s, load $(cut -d' ' -f1 /proc/loadavg)"
done
echo

rss_time=""
if [ -x /usr/bin/time ]; then
	/usr/bin/time -v "$tmp/bench.test" -test.run '^$' -test.bench 'HashLargeFile' -test.benchtime 1x \
		>/dev/null 2>"$tmp/time.txt" || true
	rss_time=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); printf "%.1f", $2 / 1024 }' "$tmp/time.txt")
fi

consign_tree=$(median <"$tmp/consign_tree")
intoto_tree=$(median <"$tmp/intoto_tree")
sha256sum_s=$(median <"$tmp/sha256sum")
consign_large=$(median <"$tmp/consign_large")
openssl_s=$(median <"$tmp/openssl")
speedup_paired=$(ratios "$tmp/intoto_tree" "$tmp/consign_tree" | median)
throughput_paired=$(ratios "$tmp/openssl" "$tmp/consign_large" | median)
consign_rss=$(bench_values "$tmp/bench.txt" BenchmarkHashLargeFile/consign peak-RSS-MiB | median)
consign_growth=$(bench_values "$tmp/bench.txt" BenchmarkHashLargeFile/consign RSS-growth-MiB | median)

echo "== medians of $COUNT rounds"
awk -v c="$consign_tree" -v i="$intoto_tree" -v s="$sha256sum_s" -v p="$speedup_paired" 'BEGIN {
	printf "record 100k files: consign %.3f s, in-toto-golang %.3f s, find|xargs sha256sum %.3f s\n", c, i, s
	printf "  in-toto-golang / consign time: %.2fx (median of per-round ratios %.2fx; target >= 3x)\n", i / c, p
	printf "  sha256sum / consign time:      %.2fx\n", s / c
}'
awk -v c="$consign_large" -v o="$openssl_s" -v n="$size" -v p="$throughput_paired" 'BEGIN {
	printf "hash 1 GiB file: consign %.3f s (%.0f MB/s), openssl %.3f s (%.0f MB/s)\n", c, n / c / 1e6, o, n / o / 1e6
	printf "  consign / openssl throughput: %.2f (median of per-round ratios %.2f; target >= 0.9)\n", o / c, p
}'
echo "  memory while hashing: RSS grew by ${consign_growth} MiB, to a peak of ${consign_rss} MiB (VmHWM in the benchmark)"
if [ -n "$rss_time" ]; then
	echo "  peak RSS of the whole test binary hashing once: ${rss_time} MiB (/usr/bin/time -v)"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
