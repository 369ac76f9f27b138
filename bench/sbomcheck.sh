#!/usr/bin/env bash
# sbomcheck.sh: 'consign sbom check' of a 10,000-component CycloneDX 1.6 SBOM,
# JSON and XML, whole process, with schema validation on (JSON Schema, XSD)
# and, for comparison, --no-schema; writes bench/SBOMCHECK.md.
#
# The SBOM is generated once in $CONSIGN_BENCH_DIR (default
# /tmp/consign-bench) by python3 from a fixed recipe, as JSON and as the same
# document in XML: every component has a
# supplier, a purl, a CPE, SHA-256 and SHA-512 hashes and a licence (id or
# expression), and a dependency; it is valid, so every rule runs on every
# component. Each of COUNT rounds (default 7) runs both commands once under
# /usr/bin/time; the medians of wall time, user+system CPU and peak RSS are
# reported with the load average, since on a shared machine wall time
# measures the neighbours as much as consign.
#
# Needs go, python3 and /usr/bin/time.
set -euo pipefail

COUNT=${COUNT:-7}
BENCH_DIR=${CONSIGN_BENCH_DIR:-/tmp/consign-bench}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
cd "$(dirname "$0")/.."
mkdir -p "$BENCH_DIR"
sbom=$BENCH_DIR/sbom-check-10k.cdx.json
xmlsbom=$BENCH_DIR/sbom-check-10k.cdx.xml
bin=$BENCH_DIR/consign-sbomcheck
go build -o "$bin" ./cmd/consign

if [ ! -s "$sbom" ] || [ ! -s "$xmlsbom" ]; then
	python3 - "$sbom" "$xmlsbom" <<'PY'
import hashlib, json, sys
from xml.sax.saxutils import escape, quoteattr
n = 10000
lic = ["MIT", "Apache-2.0", "BSD-3-Clause", "GPL-2.0-only WITH Classpath-exception-2.0", "ISC"]
comps, deps = [], [{"ref": "app", "dependsOn": [f"c{i}" for i in range(n)]}]
for i in range(n):
    v = f"1.{i % 50}.{i % 7}"
    comps.append({
        "bom-ref": f"c{i}", "type": "library", "name": f"pkg{i}", "version": v,
        "supplier": {"name": f"Vendor {i % 100}", "url": [f"https://v{i % 100}.example"]},
        "purl": f"pkg:npm/%40scope{i % 30}/pkg{i}@{v}",
        "cpe": f"cpe:2.3:a:vendor{i % 100}:pkg{i}:{v}:*:*:*:*:*:*:*",
        "hashes": [{"alg": "SHA-256", "content": hashlib.sha256(str(i).encode()).hexdigest()},
                   {"alg": "SHA-512", "content": hashlib.sha512(str(i).encode()).hexdigest()}],
        "licenses": [{"expression": lic[i % 5]}] if i % 2 else [{"license": {"id": lic[i % 3]}}],
    })
    deps.append({"ref": f"c{i}", "dependsOn": [f"c{(i + 1) % n}"]})
doc = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
       "serialNumber": "urn:uuid:00000000-0000-0000-0000-000000000001",
       "metadata": {"timestamp": "2026-01-02T03:04:05Z",
                    "tools": {"components": [{"type": "application", "name": "gen", "version": "1"}]},
                    "component": {"bom-ref": "app", "type": "application", "name": "app", "version": "1"}},
       "components": comps, "dependencies": deps}
json.dump(doc, open(sys.argv[1], "w"), indent=1)
# The same document in CycloneDX 1.6 XML, elements in the XSD's order.
with open(sys.argv[2], "w") as x:
    x.write('<?xml version="1.0" encoding="UTF-8"?>\n<bom xmlns="http://cyclonedx.org/schema/bom/1.6" serialNumber="urn:uuid:00000000-0000-0000-0000-000000000001" version="1">\n')
    x.write('  <metadata>\n    <timestamp>2026-01-02T03:04:05Z</timestamp>\n    <tools><components><component type="application"><name>gen</name><version>1</version></component></components></tools>\n')
    x.write('    <component type="application" bom-ref="app"><name>app</name><version>1</version></component>\n  </metadata>\n  <components>\n')
    for c in comps:
        x.write(f'    <component type="library" bom-ref="{c["bom-ref"]}">\n')
        x.write(f'      <supplier><name>{escape(c["supplier"]["name"])}</name><url>{escape(c["supplier"]["url"][0])}</url></supplier>\n')
        x.write(f'      <name>{c["name"]}</name>\n      <version>{c["version"]}</version>\n      <hashes>\n')
        for h in c["hashes"]:
            x.write(f'        <hash alg="{h["alg"]}">{h["content"]}</hash>\n')
        x.write('      </hashes>\n      <licenses>')
        l = c["licenses"][0]
        if "expression" in l:
            x.write(f'<expression>{escape(l["expression"])}</expression>')
        else:
            x.write(f'<license><id>{l["license"]["id"]}</id></license>')
        x.write(f'</licenses>\n      <cpe>{escape(c["cpe"])}</cpe>\n      <purl>{escape(c["purl"])}</purl>\n    </component>\n')
    x.write('  </components>\n  <dependencies>\n')
    for d in deps:
        x.write(f'    <dependency ref="{d["ref"]}">' + "".join(f'<dependency ref="{r}"/>' for r in d["dependsOn"]) + '</dependency>\n')
    x.write('  </dependencies>\n</bom>\n')
PY
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in "$sbom" "$xmlsbom"; do
	"$bin" sbom check "$f" >"$tmp/check.txt"
	grep -q '^  valid ' "$tmp/check.txt" || { echo "the benchmark SBOM $f does not validate" >&2; exit 1; }
done
for _ in $(seq "$COUNT"); do
	for mode in schema no-schema xml-schema xml-no-schema; do
		flags=()
		file=$sbom
		case $mode in *no-schema) flags=(--no-schema) ;; esac
		case $mode in xml-*) file=$xmlsbom ;; esac
		/usr/bin/time -a -o "$tmp/$mode" -f '%e %U %S %M' "$bin" sbom check "${flags[@]}" "$file" >/dev/null
	done
	cut -d' ' -f1 /proc/loadavg >>"$tmp/load"
done

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
row() {
	local f=$tmp/$1
	printf '| %s | %s | %s | %s |\n' "$2" \
		"$(awk '{print $1}' "$f" | median)" \
		"$(awk '{printf "%.2f\n", $2+$3}' "$f" | median)" \
		"$(awk '{printf "%.0f\n", $4/1024}' "$f" | median)"
}
{
	echo '# `consign sbom check` of a 10,000-component SBOM'
	echo
	echo "Measured by \`bench/sbomcheck.sh\` on $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, $(go env GOVERSION)."
	echo "$COUNT rounds; each number is the median of one process per round (/usr/bin/time). One-minute load average after each round: $(paste -sd' ' "$tmp/load"); at the end $(cut -d' ' -f1-3 /proc/loadavg)."
	echo "The SBOM: CycloneDX 1.6, 10,000 components each with a supplier, purl, CPE, two hashes, a licence and a dependency; JSON $(du -h "$sbom" | cut -f1), the same document in XML $(du -h "$xmlsbom" | cut -f1)."
	echo
	echo '| command | wall s | CPU s (user+system) | peak RSS MiB |'
	echo '|---|---:|---:|---:|'
	row schema 'JSON: consign sbom check (JSON Schema, licences, purls, CPEs, hashes; coverage)'
	row no-schema 'JSON: consign sbom check --no-schema (coverage only)'
	row xml-schema 'XML: consign sbom check (XSD, licences, purls, CPEs, hashes; coverage)'
	row xml-no-schema 'XML: consign sbom check --no-schema (coverage only)'
	echo
	echo 'Validation and decoding run side by side, so on an idle machine the wall time is about the larger of'
	echo 'the two, below the CPU time. When the load average is above the core count, wall time measures the'
	echo 'queue for the CPU, and CPU time is the number to compare with the one-second budget.'
	echo 'The XML rows decode with cyclonedx-go and validate with consign'"'"'s own streaming XSD validator'
	echo '(internal/sbomdoc/xsd*.go); the XSD of the version is compiled in each process, as the JSON Schema is.'
} > bench/SBOMCHECK.md
cat bench/SBOMCHECK.md
