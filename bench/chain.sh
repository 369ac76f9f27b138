#!/usr/bin/env bash
# chain.sh: verify a whole release with consign and with in-toto-golang, in
# one run, and print medians and ratios (results go in bench/CHAIN.md).
#
# The release (see BenchmarkVerifyChain in verify_chain_test.go): 8 stages,
# at 1x 1,000 signed link attestations and 10,000 artifacts in the artifact
# rules; 4x and 16x multiply both. consign verifies a signed policy and
# .intoto.jsonl files (two variants: "keys", with the in-toto release's
# 1,000 keys (at 1x) and keyid hints; "ci", one key per stage as consign writes
# envelopes); in-toto-golang verifies the equivalent signed layout and .link
# files with its own functions. Fixtures are built once, in
# $CONSIGN_BENCH_DIR (default /tmp/consign-bench).
#
# Each of COUNT rounds runs every benchmark for BENCHTIME; the median over
# rounds is printed for wall time and for CPU time per verification, with
# the ratios in-toto-golang / consign and the growth from 1x.
#
# Environment: COUNT (default 5), BENCHTIME (default 3x), BENCH_BIN (a test
# binary built with 'go test -c ./bench', to use instead of building one).
set -euo pipefail

COUNT=${COUNT:-5}
BENCHTIME=${BENCHTIME:-3x}
export CONSIGN_BENCH_DIR=${CONSIGN_BENCH_DIR:-/tmp/consign-bench}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bin=${BENCH_BIN:-}
if [ -z "$bin" ]; then
	echo "building the benchmark binary..." >&2
	nice go test -c -o "$tmp/bench.test" ./bench
	bin=$tmp/bench.test
fi

for round in $(seq 1 "$COUNT"); do
	echo "round $round of $COUNT..." >&2
	(cd bench && nice "$bin" -test.run '^$' -test.bench '^BenchmarkVerifyChain$' -test.benchtime "$BENCHTIME" -test.timeout 2h) |
		grep '^BenchmarkVerifyChain/' >>"$tmp/results.txt"
done

# Lines look like:
# BenchmarkVerifyChain/size=1x/tool=consign-ci-2  3  395570866 ns/op  10000 artifacts  1000 attestations  292.7 cpu-ms/op
awk -v count="$COUNT" -v benchtime="$BENCHTIME" '
function median(list,    n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
	split($1, p, "/"); size = substr(p[2], 6); tool = substr(p[3], 6); sub(/-[0-9]+$/, "", tool)
	key = size SUBSEP tool
	wall[key] = wall[key] " " $3 / 1e6
	for (i = 4; i < NF; i++) if ($(i + 1) == "cpu-ms/op") cpu[key] = cpu[key] " " $i
	for (i = 4; i < NF; i++) if ($(i + 1) == "attestations") att[size] = $i
	for (i = 4; i < NF; i++) if ($(i + 1) == "artifacts") art[size] = $i
	sizes[size] = 1; tools[tool] = 1
}
END {
	printf "median of %d rounds (-benchtime %s each), milliseconds per verification\n\n", count, benchtime
	printf "| size | attestations | artifacts | tool | wall ms | CPU ms | wall ratio in-toto/tool | CPU ratio | wall growth vs 1x |\n"
	printf "|---|---:|---:|---|---:|---:|---:|---:|---:|\n"
	ns = split("1x 4x 16x", order, " ")
	nt = split("consign-keys consign-ci in-toto-golang", torder, " ")
	for (s = 1; s <= ns; s++) {
		size = order[s]
		if (!(size in sizes)) continue
		iw = median(wall[size, "in-toto-golang"]); ic = median(cpu[size, "in-toto-golang"])
		for (t = 1; t <= nt; t++) {
			tool = torder[t]
			if (!((size, tool) in wall)) continue
			w = median(wall[size, tool]); c = median(cpu[size, tool])
			base = median(wall["1x", tool])
			printf "| %s | %d | %d | %s | %.1f | %.1f | %.2f | %.2f | %.2f |\n", size, att[size], art[size], tool, w, c, iw / w, ic / c, w / base
		}
	}
}' "$tmp/results.txt"
printf '\n%s; %s; %s CPUs; load average %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" \
	"$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//')" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
