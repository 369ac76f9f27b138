#!/usr/bin/env bash
# e2e.sh: consign as users run it, one process per command, side by side
# with the peers' CLIs, and writes bench/E2E.md. See bench/README.md.
#
# It builds consign from this checkout and the peers from the Go module
# proxy (the versions go.mod requires) into $E2E_DIR/bin, outside the
# repository; builds the fixtures (bench/e2efix, cached in
# $CONSIGN_BENCH_DIR); then runs every pair of commands COUNT times,
# interleaved (A, B, A, B, ...), each under bench/rusage for its wall time,
# CPU time (user + system, to the microsecond) and peak RSS, and writes the
# medians, min-max and ratios with the machine and its load average.
#
# Environment: COUNT (runs of each command, default 5), E2E_DIR (binaries
# and scratch files, default /tmp/consign-e2e), CONSIGN_BENCH_DIR (fixture
# cache, default /tmp/consign-bench), ROWS (a regular expression: only the
# pairs whose name matches; ROWS='^$' only rewrites the report from the results
# kept in $E2E_DIR/results), E2E_OUT (the report, default bench/E2E.md).
#
# Adding a row: one line, `pair NAME 'COMMAND A' 'COMMAND B'`, run by bash
# in $work; PREP='...' before it names an untimed command run before every
# run of either (to remove an output that would otherwise grow).
set -euo pipefail

COUNT=${COUNT:-5}
E2E_DIR=${E2E_DIR:-/tmp/consign-e2e}
ROWS=${ROWS:-.}
export CONSIGN_BENCH_DIR=${CONSIGN_BENCH_DIR:-/tmp/consign-bench}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}

cd "$(dirname "$0")/.."
repo=$(pwd)
out=${E2E_OUT:-$repo/bench/E2E.md}
bin=$E2E_DIR/bin
work=$E2E_DIR/work
results=$E2E_DIR/results
case "$(realpath -m "$E2E_DIR")/" in
"$repo"/*) echo "e2e.sh: E2E_DIR must be outside the repository" >&2; exit 2 ;;
esac
mkdir -p "$bin" "$work" "$results"
# consign verify --policy remembers the policy versions it has verified per
# product (--state, in the user's config directory by default). The runs keep
# theirs in $E2E_DIR, as a user's repeated verifications would, so that a
# policy verified elsewhere for the same product name can neither refuse a run
# as a rollback nor be rolled forward by one.
export XDG_CONFIG_HOME=$E2E_DIR/config

# ---- Build ----
version() { go list -m -f '{{.Version}}' "$1"; }
# install MODULE/PACKAGE VERSION: go install into $bin, unless the binary
# there was built from that version already.
install() {
	local pkg=$1 v=$2 name=${1##*/}
	if [ -x "$bin/$name" ] && go version -m "$bin/$name" | grep -q "[[:space:]]$v[[:space:]]"; then
		return
	fi
	echo "building $pkg@$v" >&2
	GOBIN=$bin go install "$pkg@$v"
}
go build -o "$bin/consign" ./cmd/consign
go build -o "$bin/rusage" ./bench/rusage
intoto_v=$(version github.com/in-toto/in-toto-golang)
cosign_v=$(version github.com/sigstore/cosign/v2)
syft_v=$(version github.com/anchore/syft)
# Each peer is built only if a row that runs it is selected.
selected() {
	local row
	for row in "${@:2}"; do
		if [[ $row =~ $ROWS ]]; then return 0; fi
	done
	return 1
}
! selected intoto run-100k-100k run-100k-40k chain-layout-1x chain-policy-1x chain-layout-4x chain-policy-4x || install github.com/in-toto/in-toto-golang "$intoto_v"
! selected cosign verify-attestation-1GiB-vs-cosign || install github.com/sigstore/cosign/v2/cmd/cosign "$cosign_v"
! selected syft sbom-go-tree sbom-node sbom-python || install github.com/anchore/syft/cmd/syft "$syft_v"
# 'consign sbom TARGET' runs consign-sbom from next to consign (the consign
# binary links no syft); the sbom rows' times include both processes.
! selected consign-sbom sbom-go-tree sbom-node sbom-python || go build -o "$bin/consign-sbom" ./cmd/consign-sbom
# Every binary is copied with cp before timing, so that all sit in the page
# cache alike: a file as the linker wrote it maps in other pieces than the
# same bytes written by cp, which moves peak RSS and page-fault time (see
# bench/IMAGE.md, "Peak RSS"); image.sh does the same.
for b in "$bin"/*; do
	cp "$b" "$b.copy" && mv "$b.copy" "$b"
done
export PATH=$bin:$PATH

# ---- Fixtures ----
eval "$(go run ./bench/e2efix)" # TREE LARGE NODE PYTHON
gotree=$E2E_DIR/gotree
if [ ! -f "$gotree/go.mod" ]; then
	rm -rf "$gotree" && mkdir -p "$gotree"
	git archive HEAD | tar -x -C "$gotree" # this module's own tree, as shipped
fi
tree=$(basename "$TREE")
treedir=$(dirname "$TREE") # run rows run there: both CLIs record paths as given
products40k=()                 # 40 of the 100 leaf directories: 40,000 files
for d in d00 d01 d02 d03; do products40k+=(--products "$tree/$d"); done
intoto40k=()
for d in d00 d01 d02 d03; do intoto40k+=(-p "$tree/$d"); done
cd "$work"
consign keygen --unencrypted-unsafe --force --out ci >/dev/null 2>&1 # PKCS #8 PEM: both CLIs read it
ln -sfn "$LARGE" large.bin
echo '{"buildDefinition":{"buildType":"https://example.com/b","externalParameters":{}},"runDetails":{"builder":{"id":"https://example.com/builder"}}}' >prov.json
rm -f large.jsonl
consign attest --key ci.key --type https://slsa.dev/provenance/v1 --predicate prov.json --subject large.bin --out large.jsonl 2>/dev/null
head -n1 large.jsonl >large.envelope.json # cosign reads one envelope, not JSON Lines
mkdir -p links

# ---- Measuring ----
# measure FILE CMD: run CMD with bash in $work under bench/rusage (GNU time
# prints CPU seconds to 10 ms only) and append "wall cpu maxrss_kib exit" to
# FILE.
measure() {
	local file=$1 cmd=$2 t
	t=$(mktemp)
	set +e
	"$bin/rusage" -o "$t" bash -c "$cmd" >/dev/null 2>>"$results/stderr.log"
	set -e
	tail -n1 "$t" | awk '{ printf "%.3f %.3f %s %s\n", $1, $2 + $3, $4, $5 }' >>"$file"
	rm -f "$t"
}

# pair NAME 'CMD A' 'CMD B': COUNT interleaved runs of each. The results
# of the rows not selected by ROWS stay from earlier runs, so that a row
# can be measured again (with a larger COUNT, say) and the report still
# holds every row.
all_rows=()
pair() {
	local name=$1 a=$2 b=$3
	all_rows+=("$name")
	if ! [[ $name =~ $ROWS ]]; then
		PREP=
		return
	fi
	rm -f "$results/$name".*
	grep -qx "$name" "$results/order" 2>/dev/null || echo "$name" >>"$results/order"
	printf '%s\n' "$a" >"$results/$name.cmd.a"
	printf '%s\n' "$b" >"$results/$name.cmd.b"
	cut -d' ' -f1-3 /proc/loadavg >"$results/$name.load"
	# One untimed run of each warms the page cache.
	[ -z "${PREP:-}" ] || bash -c "$PREP"
	bash -c "$a" >/dev/null 2>&1 || true
	[ -z "${PREP:-}" ] || bash -c "$PREP"
	bash -c "$b" >/dev/null 2>&1 || true
	for _ in $(seq "$COUNT"); do
		[ -z "${PREP:-}" ] || bash -c "$PREP"
		measure "$results/$name.a" "$a"
		[ -z "${PREP:-}" ] || bash -c "$PREP"
		measure "$results/$name.b" "$b"
	done
	cut -d' ' -f1-3 /proc/loadavg >>"$results/$name.load"
	PREP=
	echo "e2e: $name done" >&2
}

# ---- Rows ----
PREP='rm -f run.jsonl links/*.link'
pair run-100k-100k \
	"cd $treedir && consign run --key $work/ci.key --name build --materials $tree --products $tree --out $work/run.jsonl -- true" \
	"cd $treedir && in-toto-golang run -n build -k $work/ci.key -m $tree -p $tree -d $work/links -- true"
PREP='rm -f run.jsonl links/*.link'
pair run-100k-40k \
	"cd $treedir && consign run --key $work/ci.key --name build --materials $tree ${products40k[*]} --out $work/run.jsonl -- true" \
	"cd $treedir && in-toto-golang run -n build -k $work/ci.key -m $tree ${intoto40k[*]} -d $work/links -- true"
pair verify-attestation-1GiB-vs-openssl \
	"consign verify-attestation --key ci.pub --subject large.bin large.jsonl" \
	"openssl dgst -sha256 large.bin"
pair verify-attestation-1GiB-vs-cosign \
	"consign verify-attestation --key ci.pub --subject large.bin large.jsonl" \
	"COSIGN_MAX_ATTACHMENT_SIZE=2147483648 cosign verify-blob-attestation --key ci.pub --insecure-ignore-tlog --type https://slsa.dev/provenance/v1 --signature large.envelope.json large.bin"
PREP='rm -f attest.jsonl'
pair attest-1GiB-vs-openssl \
	"consign attest --key ci.key --type https://slsa.dev/provenance/v1 --predicate prov.json --subject large.bin --out attest.jsonl" \
	"openssl dgst -sha256 large.bin"
# sbom: each CLI with its defaults, CycloneDX JSON both. syft runs the Go
# toolchain ('go list', golang.use-packages-lib) on the Go tree, and
# GOPROXY=off keeps that offline (the module cache holds this module's
# dependencies: the build above needed them); a go-installed syft has no
# version, so it never checks for an update, and SYFT_CHECK_FOR_APP_UPDATE
# says so for any other.
export SYFT_CHECK_FOR_APP_UPDATE=false
pair sbom-go-tree \
	"consign sbom $gotree -o cyclonedx-json=sbom.json" \
	"GOPROXY=off syft scan dir:$gotree -q -o cyclonedx-json=sbom.json"
pair sbom-node \
	"consign sbom $NODE -o cyclonedx-json=sbom.json" \
	"syft scan dir:$NODE -q -o cyclonedx-json=sbom.json"
pair sbom-python \
	"consign sbom $PYTHON -o cyclonedx-json=sbom.json" \
	"syft scan dir:$PYTHON -q -o cyclonedx-json=sbom.json"
# Chain verification (bench/CHAIN.md): the release of bench/chainfix, one
# link per stage (in-toto-golang's CLI refuses a step whose links report
# different artifacts), 10,000 artifacts at 1x; consign also hashes the
# final stage's products, named on its command line (s8/*).
for size in 1 4; do
	selected chain "chain-layout-${size}x" "chain-policy-${size}x" || continue
	fix=$CONSIGN_BENCH_DIR/chain-e2e-v1-${size}x
	if [ ! -f "$fix/done" ]; then
		rm -rf "$fix" "$fix.partial"
		(cd "$repo" && go run ./bench/chainfix -out "$fix.partial" -size "$size")
		touch "$fix.partial/done" && mv "$fix.partial" "$fix"
	fi
	intoto="in-toto-golang verify -l ../intoto/root.layout -k ../owner.pub -d ../intoto/links"
	pair "chain-layout-${size}x" \
		"cd $fix/artifacts && consign verify --layout ../intoto/root.layout --layout-key ../owner.pub --links ../intoto/links s8/*" \
		"cd $fix/artifacts && $intoto"
	pair "chain-policy-${size}x" \
		"cd $fix/artifacts && consign verify --policy ../policy.json --trust-root ../owner.pub --attestations ../att s8/*" \
		"cd $fix/artifacts && $intoto"
done

# ---- Report ----
# stat FILE COLUMN: "median min max" of a column of a results file.
stat() {
	awk -v c="$2" '{ print $c }' "$1" | sort -g | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "%s %s %s\n", m, v[1], v[NR] }'
}
fails() { awk '$4 != 0 { n++ } END { print n + 0 }' "$1"; }
{
	echo "# Whole-process measurements (bench/e2e.sh)"
	echo
	echo "Written by \`bench/e2e.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'): N runs of each command, A and B"
	echo "interleaved, after one untimed run of each (warm page cache). Wall and CPU (user + system)"
	echo "seconds (to the millisecond) and peak RSS from bench/rusage (wait4); medians, with min-max. Ratios: B's median over A's"
	echo "for time (above 1: consign is faster), A's over B's for memory (below 1: consign uses less)."
	echo
	echo "Machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'),"
	echo "$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), $(uname -sr), $(go version | cut -d' ' -f3),"
	echo "$(openssl version | cut -d' ' -f1-2); SHA-NI: $(grep -q -m1 sha_ni /proc/cpuinfo && echo yes || echo no)."
	peers=""
	[ ! -x "$bin/in-toto-golang" ] || peers+="in-toto-golang $intoto_v, "
	[ ! -x "$bin/cosign" ] || peers+="cosign $cosign_v, "
	[ ! -x "$bin/syft" ] || peers+="syft $syft_v, "
	echo "Peers: ${peers%, } (go install from the module proxy)."
	echo
	echo "| row | A: consign | B: peer | N | A wall s | B wall s | wall B/A | A CPU s | B CPU s | CPU B/A | A RSS MiB | B RSS MiB | RSS A/B | load before → after |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	while read -r name; do
		a=$results/$name.a b=$results/$name.b
		read -r aw awmin awmax < <(stat "$a" 1)
		read -r bw bwmin bwmax < <(stat "$b" 1)
		read -r ac acmin acmax < <(stat "$a" 2)
		read -r bc bcmin bcmax < <(stat "$b" 2)
		read -r ar _ _ < <(stat "$a" 3)
		read -r br _ _ < <(stat "$b" 3)
		load=$(paste -sd'>' "$results/$name.load" | sed 's/>/ → /')
		fa=$(fails "$a") fb=$(fails "$b")
		note=""
		[ "$fa$fb" = 00 ] || note=" (failed runs: A $fa, B $fb)"
		awk -v n="$name$note" -v ca="$(sed 's/^cd [^&]*&& //' "$results/$name.cmd.a" | cut -d' ' -f1-2)" -v cb="$(sed 's/^cd [^&]*&& //; s/^[A-Z_]*=[^ ]* //' "$results/$name.cmd.b" | cut -d' ' -f1-2)" \
			-v aw="$aw" -v awmin="$awmin" -v awmax="$awmax" -v bw="$bw" -v bwmin="$bwmin" -v bwmax="$bwmax" \
			-v ac="$ac" -v acmin="$acmin" -v acmax="$acmax" -v bc="$bc" -v bcmin="$bcmin" -v bcmax="$bcmax" \
			-v ar="$ar" -v br="$br" -v ld="$load" -v runs="$(wc -l <"$a")" 'BEGIN {
			printf "| %s | `%s` | `%s` | %d | %.3f (%.3f–%.3f) | %.3f (%.3f–%.3f) | **%.2f** | %.3f (%.3f–%.3f) | %.3f (%.3f–%.3f) | **%.2f** | %.0f | %.0f | %.2f | %s |\n",
				n, ca, cb, runs, aw, awmin, awmax, bw, bwmin, bwmax, (aw > 0 ? bw / aw : 0), ac, acmin, acmax, bc, bcmin, bcmax, (ac > 0 ? bc / ac : 0), ar / 1024, br / 1024, (br > 0 ? ar / br : 0), ld }'
	done <"$results/order"
	echo
	missing=""
	for name in "${all_rows[@]}"; do
		grep -qx "$name" "$results/order" || missing+=" $name"
	done
	if [ -n "$missing" ]; then
		echo "Rows not measured for this report:$missing."
		echo
	fi
	busy=$(awk -v n="$(nproc)" '$1 > n { b = 1 } END { print b + 0 }' "$results"/*.load)
	if [ "$busy" = 1 ]; then
		echo "**The machine was busy** (load average above its $(nproc) CPUs, see the last column: other"
		echo "work shared it). Wall times then measure the scheduler as much as the programs, and a"
		echo "program that uses both cores (consign hashes on all of them) loses its edge; CPU times are"
		echo "the steadier measure, though shared caches inflate them too. Re-run on an idle machine"
		echo "before drawing fine conclusions from wall times."
		echo
	fi
	echo "Commands, run by bash in \`\$E2E_DIR/work\`:"
	echo
	while read -r name; do
		echo "- $name: A \`$(cat "$results/$name.cmd.a")\`; B \`$(cat "$results/$name.cmd.b")\`"
	done <"$results/order"
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "e2e: wrote $out" >&2
