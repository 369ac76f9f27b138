#!/usr/bin/env bash
# pack.sh: time 'consign pack' and 'consign verify-pack' on a release of
# 1,000 attestations whose artifact is 1 MiB or 1 GiB, with and without the
# artifact in the pack, gzip and none, and print medians of wall time,
# throughput and peak memory (results go in bench/PACK.md).
#
# Each of COUNT rounds runs, once each:
#   - BenchmarkPack and BenchmarkVerifyPack (pack_test.go): pack.Build +
#     pack.Write and pack.ReadFile + pack.Verify in process, with the peak Go
#     heap and how far the process's peak RSS rose;
#   - the consign binary, one process per command, timed with
#     /usr/bin/time (wall time, user and system CPU, maximum RSS); without it,
#     BenchmarkPackCLI measures the same processes from Go.
# The fixture (release, 1 MiB and 1 GiB artifacts) is built once in
# $CONSIGN_BENCH_DIR; packs are written to a temporary directory, one at a
# time, and removed at the end. Numbers are warm-cache: the artifacts are
# read once before the first round.
#
# Environment: COUNT (rounds, default 3), CONSIGN_BENCH_DIR (default
# /tmp/consign-pack-bench), CONSIGN_BENCH_PACK_LARGE (the large artifact's
# size in bytes; default 1 GiB, or 512 MiB when the disk has less than
# 6 GiB free), CLEAN=1 to remove the fixture too at the end.
set -euo pipefail

COUNT=${COUNT:-3}
export CONSIGN_BENCH_DIR=${CONSIGN_BENCH_DIR:-/tmp/consign-pack-bench}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

cd "$(dirname "$0")/.."
mkdir -p "$CONSIGN_BENCH_DIR"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/consign-pack.XXXXXX")
cleanup() {
	rm -rf "$tmp"
	if [ "${CLEAN:-}" = 1 ]; then rm -rf "$CONSIGN_BENCH_DIR"/pack-v*; fi
}
trap cleanup EXIT

# The disk: the large artifact, plus one pack of about its size at a time.
free_kib=$(df -Pk "$CONSIGN_BENCH_DIR" | awk 'NR == 2 { print $4 }')
tmp_kib=$(df -Pk "$tmp" | awk 'NR == 2 { print $4 }')
if [ -z "${CONSIGN_BENCH_PACK_LARGE:-}" ]; then
	CONSIGN_BENCH_PACK_LARGE=$((1 << 30))
	if [ "$free_kib" -lt $((6 << 20)) ] || [ "$tmp_kib" -lt $((6 << 20)) ]; then
		CONSIGN_BENCH_PACK_LARGE=$((512 << 20))
		echo "note: less than 6 GiB free; the large artifact is 512 MiB, not 1 GiB" >&2
	fi
fi
export CONSIGN_BENCH_PACK_LARGE

echo "== machine"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo)"
echo "kernel: $(uname -sr); $(go version)"
echo "disk free: $((free_kib >> 20)) GiB in $CONSIGN_BENCH_DIR, $((tmp_kib >> 20)) GiB in $tmp"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

echo "== building consign and the benchmark binary" >&2
nice go build -o "$tmp/consign" ./cmd/consign
nice go test -c -o "$tmp/bench.test" ./bench
export CONSIGN_BIN=$tmp/consign

echo "== building the fixture (once) and warming the page cache" >&2
(cd bench && "$tmp/bench.test" -test.run '^$' -test.bench '^BenchmarkPack$/artifact=1MiB/include=no/compress=none' -test.benchtime 1x >/dev/null)
fx=$(ls -d "$CONSIGN_BENCH_DIR"/pack-v1-8x125-1048576-"$CONSIGN_BENCH_PACK_LARGE"-* | head -1)
cat "$fx"/*.bin >/dev/null
large_label=$(awk -v n="$CONSIGN_BENCH_PACK_LARGE" 'BEGIN { if (n % 2^30 == 0) printf "%dGiB", n / 2^30; else printf "%dMiB", n / 2^20 }')
echo "fixture: $fx ($(du -sh "$fx" | cut -f1))"
echo

# cli_round runs consign pack and verify-pack once per variant, appending
# "op variant seconds maxrss-KiB user-s system-s" lines to $tmp/cli.txt.
cli_round() {
	local size include comp name out args file
	for size in 1MiB "$large_label"; do
		file=small.bin
		[ "$size" = 1MiB ] || file=large.bin
		for include in yes no; do
			for comp in gzip none; do
				name="artifact=$size/include=$include/compress=$comp"
				out=$tmp/release.pack
				args=(pack --policy policy.signed.json --trust-root owner.pub --attestations att --force --out "$out" --compress "$comp")
				[ "$include" = no ] || args+=(--include-artifacts)
				(cd "$fx" && nice /usr/bin/time -f '%e %M %U %S' -o "$tmp/time.txt" "$CONSIGN_BIN" "${args[@]}" "$file" 2>/dev/null)
				echo "pack $name $(cat "$tmp/time.txt")" >>"$tmp/cli.txt"
				(cd "$fx" && nice /usr/bin/time -f '%e %M %U %S' -o "$tmp/time.txt" "$CONSIGN_BIN" verify-pack --trust-root owner.pub "$out" >/dev/null)
				echo "verify-pack $name $(cat "$tmp/time.txt")" >>"$tmp/cli.txt"
				rm -f "$out"
			done
		done
	done
}

benches='^Benchmark(Pack|VerifyPack)$'
have_time=1
if ! /usr/bin/time -f '%M' -o /dev/null true 2>/dev/null; then
	have_time=0
	benches='^Benchmark(Pack|VerifyPack|PackCLI)$'
	echo "note: no /usr/bin/time; BenchmarkPackCLI measures the consign processes" >&2
fi
for round in $(seq 1 "$COUNT"); do
	echo "round $round of $COUNT (load $(cut -d' ' -f1 /proc/loadavg))..." >&2
	(cd bench && nice "$tmp/bench.test" -test.run '^$' -test.bench "$benches" -test.benchtime 1x -test.timeout 2h) |
		grep '^Benchmark' >>"$tmp/go.txt"
	if [ "$have_time" = 1 ]; then cli_round; fi
done
if [ "$have_time" = 0 ]; then
	# BenchmarkPackCLI/op=pack/artifact=1MiB/include=yes/compress=gzip-2 1 785523807 ns/op 1.33 MB/s 150.1 maxRSS-MiB ...
	awk '$1 ~ /^BenchmarkPackCLI\// {
		split($1, p, "/"); op = substr(p[2], 4); name = p[3] "/" p[4] "/" p[5]; sub(/-[0-9]+$/, "", name)
		for (i = 4; i < NF; i++) if ($(i + 1) == "maxRSS-MiB") rss = $i * 1024
		print op, name, $3 / 1e9, rss, "nan", "nan"
	}' "$tmp/go.txt" >"$tmp/cli.txt"
fi

# The tables. Sizes in bytes, for MB/s (10^6 bytes per second).
awk -v count="$COUNT" -v large="$CONSIGN_BENCH_PACK_LARGE" -v large_label="$large_label" '
function median(list,    n, a, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { t = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function bytes(name) { return (name ~ /artifact=1MiB/) ? 1048576 : large }
FNR == 1 { file++ }
file == 1 && $1 ~ /^Benchmark(Pack|VerifyPack)\// {
	split($1, p, "/"); bench = (p[1] == "BenchmarkPack") ? "pack" : "verify-pack"
	name = p[2] "/" p[3] "/" p[4]; sub(/-[0-9]+$/, "", name)
	key = bench SUBSEP name
	t[key] = t[key] " " $3 / 1e9
	for (i = 4; i < NF; i++) if ($(i + 1) == "cpu-s/op") cpu[key] = cpu[key] " " $i
	for (i = 4; i < NF; i++) {
		if ($(i + 1) == "peak-heap-MiB") heap[key] = heap[key] " " $i
		if ($(i + 1) == "RSS-growth-MiB") grow[key] = grow[key] " " $i
		if ($(i + 1) == "peak-RSS-MiB") prss[key] = prss[key] " " $i
		if ($(i + 1) == "pack-MiB") psize[name] = $i
	}
	names[name] = 1
}
file == 2 {
	key = $1 SUBSEP $2
	ct[key] = ct[key] " " $3; crss[key] = crss[key] " " $4 / 1024; ccpu[key] = ccpu[key] " " ($5 + $6)
	names[$2] = 1
}
END {
	no = 0
	for (s = 1; s <= 2; s++) for (inc = 1; inc <= 2; inc++) for (c = 1; c <= 2; c++)
		order[++no] = "artifact=" (s == 1 ? "1MiB" : large_label) "/include=" (inc == 1 ? "yes" : "no") "/compress=" (c == 1 ? "gzip" : "none")
	printf "medians of %d rounds; MB/s is the artifact'"'"'s bytes (10^6) per second of wall time of the whole command; CPU is user + system\n\n", count
	printf "consign binary (one process per command; /usr/bin/time, or BenchmarkPackCLI without it)\n\n"
	printf "| artifact | included | compress | pack MiB | pack s | pack CPU s | pack MB/s | pack max RSS MiB | verify-pack s | verify-pack CPU s | verify-pack MB/s | verify-pack max RSS MiB |\n"
	printf "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	for (o = 1; o <= no; o++) {
		name = order[o]; split(name, q, "/"); a = substr(q[1], 10); inc = substr(q[2], 9); comp = substr(q[3], 10)
		pk = "pack" SUBSEP name; vk = "verify-pack" SUBSEP name
		if (!(pk in ct)) continue
		pt = median(ct[pk]); vt = median(ct[vk])
		vmb = (inc == "yes") ? sprintf("%.0f", bytes(name) / vt / 1e6) : "-"
		printf "| %s | %s | %s | %s | %.2f | %.2f | %.0f | %.0f | %.2f | %.2f | %s | %.0f |\n", a, inc, comp, psize[name], pt, median(ccpu[pk]), bytes(name) / pt / 1e6, median(crss[pk]), vt, median(ccpu[vk]), vmb, median(crss[vk])
	}
	printf "\nin process (pack.Build + pack.Write; pack.ReadFile + pack.Verify); heap = peak live Go heap, RSS+ = rise of the peak RSS over the process'"'"'s RSS at the start\n\n"
	printf "| artifact | included | compress | pack s | pack CPU s | pack MB/s | pack heap MiB | pack RSS+ MiB | verify s | verify CPU s | verify MB/s | verify heap MiB | verify RSS+ MiB |\n"
	printf "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
	for (o = 1; o <= no; o++) {
		name = order[o]; split(name, q, "/"); a = substr(q[1], 10); inc = substr(q[2], 9); comp = substr(q[3], 10)
		pk = "pack" SUBSEP name; vk = "verify-pack" SUBSEP name
		if (!(pk in t)) continue
		pt = median(t[pk]); vt = median(t[vk])
		vmb = (inc == "yes") ? sprintf("%.0f", bytes(name) / vt / 1e6) : "-"
		printf "| %s | %s | %s | %.2f | %.2f | %.0f | %.1f | %.1f | %.2f | %.2f | %s | %.1f | %.1f |\n", a, inc, comp, pt, median(cpu[pk]), bytes(name) / pt / 1e6, median(heap[pk]), median(grow[pk]), vt, median(cpu[vk]), vmb, median(heap[vk]), median(grow[vk])
	}
}' "$tmp/go.txt" "$tmp/cli.txt"
printf '\nend: %s; load average %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${CLEAN:-}" != 1 ]; then
	echo "the fixture stays in $fx ($(du -sh "$fx" | cut -f1)); CLEAN=1 removes it after the run"
fi
