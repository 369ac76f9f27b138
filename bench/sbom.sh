#!/usr/bin/env bash
# sbom.sh: 'consign sbom' against syft's own library with its default
# configuration, side by side, on real scan targets; writes bench/SBOM.md.
#
# Targets, built once and cached in $CONSIGN_BENCH_DIR (default
# /tmp/consign-bench), outside the repository:
#   sbom-go-tree           this repository's last commit, with its consign binary built in bin/
#   sbom-node-project      a Node project (webpack, eslint, jest) after 'npm install': 300+ packages
#   sbom-python-site-packages  a copy of this machine's Python site-packages
# Each of COUNT rounds (default 5) scans every target once with each tool,
# in a process of its own under /usr/bin/time (wall, user+system CPU,
# peak RSS): syft's library (BenchmarkSBOMSyft), consign's defaults
# (BenchmarkSBOMConsign) and consign with the Go toolchain
# (BenchmarkSBOMConsignGoToolchain, syft's golang.use-packages-lib). Both
# tools run from one test binary (bench/sbom_test.go), and write CycloneDX
# 1.7 JSON. Medians and per-round ratios are printed and written to
# bench/SBOM.md with the package counts per type and a comparison of the
# package sets.
#
# Needs go, git, jq, /usr/bin/time, npm (the first time, to reach the npm
# registry) and python3. Installs nothing outside $CONSIGN_BENCH_DIR.
set -euo pipefail

COUNT=${COUNT:-5}
BENCH_DIR=${CONSIGN_BENCH_DIR:-/tmp/consign-bench}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
cd "$(dirname "$0")/.."
repo=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$BENCH_DIR"

# fixture NAME BUILDER: builds $BENCH_DIR/NAME with BUILDER DIR in a
# temporary sibling, renamed into place when complete.
fixture() {
	local name=$1 build=$2 dst=$BENCH_DIR/$1
	if [ ! -d "$dst" ]; then
		echo "building fixture $dst (once)" >&2
		rm -rf "$dst.partial"
		mkdir -p "$dst.partial"
		"$build" "$dst.partial"
		mv "$dst.partial" "$dst"
	fi
	echo "$dst"
}

build_go_tree() {
	git -C "$repo" archive --format=tar HEAD | tar -x -C "$1"
	(cd "$1" && GOFLAGS=-mod=mod go build -trimpath -o bin/consign ./cmd/consign)
}

build_node_project() {
	cat >"$1/package.json" <<'JSON'
{
  "name": "consign-bench-node",
  "version": "1.0.0",
  "private": true,
  "description": "A Node project for consign's SBOM benchmark: a few large development dependencies",
  "dependencies": {
    "webpack": "5.94.0",
    "eslint": "8.57.0",
    "jest": "29.7.0"
  }
}
JSON
	(cd "$1" && npm install --no-audit --no-fund --ignore-scripts >/dev/null)
}

build_python_site_packages() {
	local site
	site=$(python3 -c 'import site; print(site.getsitepackages()[0])')
	cp -a "$site/." "$1/"
}

targets=(
	"$(fixture sbom-go-tree build_go_tree)"
	"$(fixture sbom-node-project build_node_project)"
	"$(fixture sbom-python-site-packages build_python_site_packages)"
)
tools=(Syft Consign ConsignGoToolchain)

go test -c -o "$tmp/bench.test" ./bench
go build -o "$tmp/consign" ./cmd/consign

# run TOOL TARGET ROUND: one scan; appends "wall cpu rss" to a file.
run() {
	local tool=$1 target=$2 round=$3 key
	key=$(basename "$target")-$tool
	CONSIGN_SBOM_BENCH_TARGET=$target CONSIGN_SBOM_BENCH_OUT=$tmp/$key.json \
		/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" \
		"$tmp/bench.test" -test.run='^$' -test.bench="^BenchmarkSBOM$tool\$" -test.benchtime=1x >"$tmp/out" 2>&1 ||
		{ cat "$tmp/out" >&2; exit 1; }
	awk '{ printf "%s %.2f %d\n", $1, $2 + $3, $4 }' "$tmp/time" >>"$tmp/$key.runs"
	echo "round $round: $key $(tail -1 "$tmp/$key.runs")" >&2
}

for round in $(seq "$COUNT"); do
	for target in "${targets[@]}"; do
		# Alternate the order, so that neither tool always runs first.
		if [ $((round % 2)) -eq 1 ]; then order=("${tools[@]}"); else order=(ConsignGoToolchain Consign Syft); fi
		for tool in "${order[@]}"; do run "$tool" "$target" "$round"; done
	done
done

median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$1" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
# roundratio A B COL: the median of the per-round ratios A/B in column COL
# (runs of one round share the machine's load at the time).
roundratio() { paste "$1" "$2" | awk -v c="$3" '{ printf "%.6f\n", $c / $(c + 3) }' | median | awk '{ printf "%.2f", $1 }'; }

# packages FILE: "type name version" of every package in a CycloneDX SBOM.
# A component is a package when syft gave it a package type (file entries
# and the operating system have none). The subject (metadata.component) is
# a package too when it carries a package URL: consign's subject for a Go
# module's directory is that module (pkg:golang/...), which syft, with the
# Go toolchain, lists among its components instead; its type is the one
# syft gives that package URL type. syft's "UNKNOWN" version is its stub
# for none (cataloging.UnknownStubValue), so it counts as no version.
packages() {
	jq -r '
		def norm: if . == "UNKNOWN" then "" else . end;
		def syfttype: {"golang": "go-module", "npm": "npm", "pypi": "python", "gem": "gem", "cargo": "rust-crate", "maven": "java-archive"}[.] // .;
		( .components[]? | select(.properties != null)
			| [(.properties[] | select(.name == "syft:package:type") | .value), ((if .group then .group + "/" else "" end) + .name), ((.version // "") | norm)]
			| select(.[0] != null) | join(" ") ),
		( .metadata.component? | select(.purl != null)
			| [(.purl | ltrimstr("pkg:") | split("/")[0] | syfttype), .name, ((.version // "") | norm)] | join(" ") )' "$1" | sort
}
# list: lines joined with "; ", the first 12 of them and a count of the rest.
list() { awk 'NR <= 12 { printf "%s%s", (NR > 1 ? "; " : ""), $0 } END { if (NR > 12) printf "; ... and %d more", NR - 12 }'; }
bytype() { packages "$1" | awk '{ n[$1]++ } END { for (t in n) printf "%s %d, ", t, n[t] }' | sed 's/, $//'; }

out=bench/SBOM.md
{
	echo "# SBOM generation: consign vs syft's library"
	echo
	echo "Measured by \`bench/sbom.sh\` on $(date -u +%Y-%m-%d), $(nproc)-core $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(go version | awk '{ print $3 }'), syft $(go list -m -f '{{.Version}}' github.com/anchore/syft)."
	echo "$COUNT rounds; each number is the median of one process per round (wall time, user+system CPU, peak RSS from /usr/bin/time)."
	echo "Ratios are consign / syft: below 1.00 consign is faster or smaller."
	echo
	echo "| target | tool | wall s | CPU s | peak RSS MiB | wall ratio | wall ratio per round | CPU ratio | RSS ratio | packages by type |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"
	for target in "${targets[@]}"; do
		name=$(basename "$target")
		sw=$(col "$tmp/$name-Syft.runs" 1)
		sr=$(col "$tmp/$name-Syft.runs" 3)
		for tool in "${tools[@]}"; do
			f=$tmp/$name-$tool.runs
			w=$(col "$f" 1) c=$(col "$f" 2) r=$(col "$f" 3)
			label=$tool
			case $tool in Syft) label="syft library, default config" ;; Consign) label="consign sbom" ;; ConsignGoToolchain) label="consign sbom --go-toolchain" ;; esac
			sc=$(col "$tmp/$name-Syft.runs" 2)
			wr=$(ratio "$w" "$sw") rr=$(ratio "$r" "$sr") cr=$(ratio "$c" "$sc") pr=$(roundratio "$f" "$tmp/$name-Syft.runs" 1)
			[ "$tool" = Syft ] && wr=1.00 && rr=1.00 && cr=1.00 && pr=1.00
			echo "| $name | $label | $w | $c | $(awk -v k="$r" 'BEGIN { printf "%.0f", k / 1024 }') | $wr | $pr | $cr | $rr | $(bytype "$tmp/$name-$tool.json") |"
		done
	done
	echo
	echo "## Package sets"
	echo
	for target in "${targets[@]}"; do
		name=$(basename "$target")
		packages "$tmp/$name-Syft.json" >"$tmp/syft.keys"
		for tool in Consign ConsignGoToolchain; do
			packages "$tmp/$name-$tool.json" >"$tmp/consign.keys"
			if cmp -s "$tmp/syft.keys" "$tmp/consign.keys"; then
				echo "- $name, $tool: the same $(wc -l <"$tmp/syft.keys") packages as syft."
			else
				onlysyft=$(comm -13 "$tmp/consign.keys" "$tmp/syft.keys" | list)
				onlyconsign=$(comm -23 "$tmp/consign.keys" "$tmp/syft.keys" | list)
				echo "- $name, $tool: $(wc -l <"$tmp/consign.keys") packages, syft $(wc -l <"$tmp/syft.keys"); only syft: ${onlysyft:-none}; only consign: ${onlyconsign:-none}."
			fi
		done
	done
	echo
	echo "## What the SBOMs hold"
	echo
	echo "The share of components with each element, from \`consign sbom check\` of each tool's SBOM of the last round."
	echo
	echo "| target | tool | components | supplier | licences | hashes | dependencies |"
	echo "|---|---|---:|---:|---:|---:|---:|"
	for target in "${targets[@]}"; do
		name=$(basename "$target")
		for tool in "${tools[@]}"; do
			"$tmp/consign" sbom check --output json "$tmp/$name-$tool.json" | jq -r --arg t "$name" --arg tool "$tool" '
				(.coverage | map({(.element): (.percent | . * 10 | round / 10 | tostring + "%")}) | add) as $c
				| "| \($t) | \($tool) | \(.components) | \($c.supplier) | \($c.licenses) | \($c.hashes) | \($c.dependencies) |"'
		done
	done
} >"$out.new"
cat "$out.new"
echo "(tables written to $out; the notes below them are kept)" >&2
# Keep the hand-written analysis after the generated part.
if [ -f "$out" ] && grep -q '^## Analysis' "$out"; then
	sed -n '/^## Analysis/,$p' "$out" >>"$out.new.tail"
	{ cat "$out.new"; echo; cat "$out.new.tail"; } >"$out"
	rm -f "$out.new.tail"
else
	mv "$out.new" "$out"
fi
rm -f "$out.new"
