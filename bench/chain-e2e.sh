#!/usr/bin/env bash
# chain-e2e.sh: verify a whole release one process per command, consign's
# CLI against in-toto-golang's, and print a Markdown table (results go in
# bench/CHAIN.md). bench/chain.sh measures the same work in process.
#
# The release (bench/chainfix): 8 stages in a row with CHAIN.md's artifact
# rules and 10,000 artifacts at 1x (40,000 at 4x), one signed link per
# stage, because in-toto-golang's CLI refuses a step whose links report
# different artifacts. Rows, per size:
#   chain-layout-Nx: consign verify --layout (the in-toto layout and .link
#     files) vs in-toto-golang verify on the same files;
#   chain-policy-Nx: consign verify --policy (the signed policy and the same
#     links as DSSE attestations) vs in-toto-golang verify.
# consign also hashes and checks the final stage's products (1,250 files at
# 1x), which in-toto-golang's verify does not do.
#
# It builds consign from this checkout and in-toto-golang (the version
# go.mod requires) from the Go module proxy into $E2E_DIR/bin, outside the
# repository, makes the fixtures once in $CONSIGN_BENCH_DIR, checks both
# CLIs accept them, then runs each pair COUNT times, A and B interleaved,
# under /usr/bin/time: medians and min-max of wall and CPU (user + system)
# seconds, peak RSS, and the load average before and after each row.
#
# Environment: COUNT (default 5), E2E_DIR (default /tmp/consign-e2e),
# CONSIGN_BENCH_DIR (default /tmp/consign-bench), SIZES (default "1 4"),
# CONSIGN_BIN (a consign binary to measure instead of building one).
set -euo pipefail

COUNT=${COUNT:-5}
E2E_DIR=${E2E_DIR:-/tmp/consign-e2e}
SIZES=${SIZES:-1 4}
CONSIGN_BENCH_DIR=${CONSIGN_BENCH_DIR:-/tmp/consign-bench}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

cd "$(dirname "$0")/.."
repo=$(pwd)
bin=$E2E_DIR/bin
case "$(realpath -m "$E2E_DIR")/" in
"$repo"/*) echo "chain-e2e.sh: E2E_DIR must be outside the repository" >&2; exit 2 ;;
esac
if [ ! -x /usr/bin/time ]; then
	echo "chain-e2e.sh: needs GNU time at /usr/bin/time (apt-get install time)" >&2
	exit 2
fi
mkdir -p "$bin"
consign=${CONSIGN_BIN:-$bin/consign}
[ -n "${CONSIGN_BIN:-}" ] || go build -o "$consign" ./cmd/consign
intoto_v=$(go list -m -f '{{.Version}}' github.com/in-toto/in-toto-golang)
if ! { [ -x "$bin/in-toto-golang" ] && go version -m "$bin/in-toto-golang" | grep -q "[[:space:]]$intoto_v[[:space:]]"; }; then
	echo "building in-toto-golang@$intoto_v" >&2
	GOBIN=$bin go install "github.com/in-toto/in-toto-golang@$intoto_v"
fi
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

# measure FILE DIR CMD: run CMD in DIR under /usr/bin/time; append
# "wall cpu maxrss_kib exit" to FILE.
measure() {
	local t=$results/time
	(cd "$2" && /usr/bin/time -f '%e %U %S %M %x' -o "$t" bash -c "$3" >/dev/null 2>&1) || true
	tail -n1 "$t" | awk '{ printf "%s %.2f %s %s\n", $1, $2 + $3, $4, $5 }' >>"$1"
}
stat() {
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s %s %s\n", m, v[1], v[NR] }'
}
# pair NAME DIR 'CMD A' 'CMD B': COUNT interleaved runs of each, after one
# untimed run of each that must succeed; prints the row.
pair() {
	local name=$1 dir=$2 a=$3 b=$4 load
	(cd "$dir" && bash -c "$a" >/dev/null) || { echo "chain-e2e.sh: $name: A failed: $a" >&2; exit 1; }
	(cd "$dir" && bash -c "$b" >/dev/null) || { echo "chain-e2e.sh: $name: B failed: $b" >&2; exit 1; }
	load=$(cut -d' ' -f1 /proc/loadavg)
	for _ in $(seq "$COUNT"); do
		measure "$results/$name.a" "$dir" "$a"
		measure "$results/$name.b" "$dir" "$b"
	done
	load="$load → $(cut -d' ' -f1 /proc/loadavg)"
	read -r aw awmin awmax < <(stat "$results/$name.a" 1)
	read -r bw bwmin bwmax < <(stat "$results/$name.b" 1)
	read -r ac acmin acmax < <(stat "$results/$name.a" 2)
	read -r bc bcmin bcmax < <(stat "$results/$name.b" 2)
	read -r ar _ _ < <(stat "$results/$name.a" 3)
	read -r br _ _ < <(stat "$results/$name.b" 3)
	awk -v n="$name" -v aw="$aw" -v awmin="$awmin" -v awmax="$awmax" -v bw="$bw" -v bwmin="$bwmin" -v bwmax="$bwmax" \
		-v ac="$ac" -v acmin="$acmin" -v acmax="$acmax" -v bc="$bc" -v bcmin="$bcmin" -v bcmax="$bcmax" \
		-v ar="$ar" -v br="$br" -v ld="$load" -v runs="$COUNT" 'BEGIN {
		printf "| %s | %d | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | **%.2f** | %.2f (%.2f–%.2f) | %.2f (%.2f–%.2f) | **%.2f** | %.0f | %.0f | %s |\n",
			n, runs, aw, awmin, awmax, bw, bwmin, bwmax, (aw > 0 ? bw / aw : 0), ac, acmin, acmax, bc, bcmin, bcmax, (ac > 0 ? bc / ac : 0), ar / 1024, br / 1024, ld }'
}

echo "| row | N | A consign wall s | B in-toto-golang wall s | wall B/A | A CPU s | B CPU s | CPU B/A | A RSS MiB | B RSS MiB | load 1-min before → after |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for size in $SIZES; do
	fix=$CONSIGN_BENCH_DIR/chain-e2e-v1-${size}x
	if [ ! -f "$fix/done" ]; then
		rm -rf "$fix" "$fix.partial"
		go run ./bench/chainfix -out "$fix.partial" -size "$size"
		touch "$fix.partial/done" && mv "$fix.partial" "$fix"
	fi
	intoto="$bin/in-toto-golang verify -l ../intoto/root.layout -k ../owner.pub -d ../intoto/links"
	arts=$(tr '\n' ' ' <"$fix/artifacts.txt")
	pair "chain-layout-${size}x" "$fix/artifacts" \
		"$consign verify --layout ../intoto/root.layout --layout-key ../owner.pub --links ../intoto/links $arts" "$intoto"
	pair "chain-policy-${size}x" "$fix/artifacts" \
		"$consign verify --policy ../policy.json --trust-root ../owner.pub --attestations ../att $arts" "$intoto"
done
