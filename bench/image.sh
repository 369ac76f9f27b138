#!/bin/sh
# image.sh times whole-process work on a container image in a local
# registry: consign's verify-attestation --image against cosign's
# verify-attestation on the same image and attestation, and consign's
# discover against cosign's tree on an image with 100 attached attestations.
#
# The registry is the distribution registry (Debian's docker-registry
# package) on a free 127.0.0.1 port with its own storage in a temporary
# directory. consign attaches the attestations in cosign's tag scheme
# (--attach-mode tag), which is where cosign v2 looks. The cosign binary is
# installed from the module proxy at the cosign/v2 version in go.mod (into the
# temporary directory), or taken from COSIGN_BIN. Neither tool reaches the
# network: see verify.sh. Each run is timed by a small python3 wrapper (wall
# time, CPU user+system and peak RSS from wait4); the tables give medians.
#
# Usage: bench/image.sh            (N=30 runs each, 3 warm-up runs)
#        N=100 COSIGN_BIN=/path/to/cosign bench/image.sh
set -eu

N=${N:-30}
WARMUP=${WARMUP:-3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
export GOTOOLCHAIN=local
REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}
[ -x "$REGISTRY_BIN" ] || { echo "image.sh needs the distribution registry: apt-get install docker-registry" >&2; exit 1; }

TMP=$(mktemp -d "${TMPDIR:-/tmp}/consign-image-bench.XXXXXX")
REG_PID=""
trap '[ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM

echo "building consign, imagepush and cosign..." >&2
nice go build -o "$TMP/consign" ./cmd/consign
nice go build -o "$TMP/imagepush" ./bench/imagepush
if [ -n "${COSIGN_BIN:-}" ]; then
	cp "$COSIGN_BIN" "$TMP/cosign"
else
	# The cosign/v2 version in go.mod, built from the module proxy outside the repository.
	v=$(go list -m -f '{{.Version}}' github.com/sigstore/cosign/v2)
	(cd "$TMP" && GOBIN="$TMP" GOFLAGS=-mod=mod nice go install "github.com/sigstore/cosign/v2/cmd/cosign@$v")
fi
# Both binaries are copied with cp, so that their pages sit in the page cache
# alike: a file as the linker wrote it maps in larger pieces (peak RSS 104
# MiB for consign version) than the same bytes copied (68 MiB), with fewer
# page faults; see IMAGE.md.
for b in consign cosign; do cp "$TMP/$b" "$TMP/$b.copy" && mv "$TMP/$b.copy" "$TMP/$b"; done

mkdir -p "$TMP/tuf"
export TUF_ROOT="$TMP/tuf" TUF_MIRROR="http://127.0.0.1:9/no-tuf-mirror"
export HTTPS_PROXY="http://127.0.0.1:9" HTTP_PROXY="http://127.0.0.1:9" https_proxy="http://127.0.0.1:9" http_proxy="http://127.0.0.1:9"
unset NO_PROXY no_proxy SIGSTORE_ROOT_FILE SIGSTORE_REKOR_PUBLIC_KEY SIGSTORE_CT_LOG_PUBLIC_KEY_FILE SIGSTORE_TSA_CERTIFICATE_FILE TUF_ROOT_JSON 2>/dev/null || true
export DOCKER_CONFIG="$TMP/docker"

# The registry, on a port the kernel picks for us (bind, read, close).
cd "$TMP"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REG="127.0.0.1:$PORT"
cat >registry.yml <<YML
version: 0.1
log: {level: error, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $TMP/storage}}
http: {addr: $REG}
YML
"$REGISTRY_BIN" serve registry.yml >registry.log 2>&1 &
REG_PID=$!
i=0
until curl --noproxy "*" -sf "http://$REG/v2/" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "the registry did not start" >&2; cat registry.log >&2; exit 1; }
	sleep 0.1
done

CONSIGN_PASSWORD=bench ./consign keygen --out k >/dev/null 2>&1
cat >provenance.json <<JSON
{"buildDefinition":{"buildType":"https://consign.dev/buildtypes/run/v1","externalParameters":{"step":"build"}},"runDetails":{"builder":{"id":"https://consign.dev/builders/local/v1"}}}
JSON
ONE=$(./imagepush "$REG/bench/one:1.0")
MANY=$(./imagepush "$REG/bench/many:1.0")
CONSIGN_PASSWORD=bench ./consign attest --key k.key --type slsa --predicate provenance.json \
	--image "$ONE" --attach-mode tag --insecure-registry 2>/dev/null
echo "attaching 100 attestations..." >&2
i=0
while [ $i -lt 100 ]; do
	CONSIGN_PASSWORD=bench ./consign attest --key k.key --type "https://consign.dev/bench/$i/v1" --predicate provenance.json \
		--image "$MANY" --attach-mode tag --insecure-registry 2>/dev/null
	i=$((i + 1))
done

VA_CONSIGN="./consign verify-attestation --key k.pub --type slsa --insecure-registry --image $ONE"
VA_COSIGN="./cosign verify-attestation --key k.pub --type slsaprovenance1 --insecure-ignore-tlog $ONE"
D_CONSIGN="./consign discover --insecure-registry $MANY"
D_COSIGN="./cosign tree $MANY"

# Both must accept, and both must refuse another key.
CONSIGN_PASSWORD=bench ./consign keygen --out other >/dev/null 2>&1
for c in "$VA_CONSIGN" "$VA_COSIGN" "$D_CONSIGN" "$D_COSIGN"; do
	$c >/dev/null 2>&1 || { echo "refused: $c" >&2; $c; exit 1; }
done
for c in "./consign verify-attestation --key other.pub --type slsa --insecure-registry --image $ONE" \
	"./cosign verify-attestation --key other.pub --type slsaprovenance1 --insecure-ignore-tlog $ONE"; do
	if $c >/dev/null 2>&1; then echo "accepted another key: $c" >&2; exit 1; fi
done
n_consign=$($D_CONSIGN 2>/dev/null | grep -c '^  attestation')
n_cosign=$($D_COSIGN 2>/dev/null | grep -c 'sha256:')
echo "discover lists $n_consign attestations; cosign tree lists $n_cosign digests" >&2

# run.py runs a command once and prints its wall time and CPU time (user +
# system, from wait4) in ms and its peak RSS in KiB.
cat >run.py <<'PY'
import os, subprocess, sys, time
t0 = time.perf_counter()
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, ru = os.wait4(p.pid, 0)
wall = (time.perf_counter() - t0) * 1000
print("%.3f %.3f %d %d" % (wall, (ru.ru_utime + ru.ru_stime) * 1000, ru.ru_maxrss, status))
PY
median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# Interleaved rounds, so that both tools of a pair share the machine's load.
bench_pair() { # NAME CMD_A CMD_B
	j=0
	while [ $j -lt "$WARMUP" ]; do $2 >/dev/null 2>&1 || true; $3 >/dev/null 2>&1 || true; j=$((j + 1)); done
	: >"$1.a"
	: >"$1.b"
	j=0
	while [ $j -lt "$N" ]; do
		python3 run.py $2 >>"$1.a"
		python3 run.py $3 >>"$1.b"
		j=$((j + 1))
	done
	if awk '$4 != 0 {bad = 1} END {exit !bad}' "$1.a" "$1.b"; then echo "a timed run failed: $1" >&2; exit 1; fi
}
bench_pair va "$VA_CONSIGN" "$VA_COSIGN"
bench_pair d "$D_CONSIGN" "$D_COSIGN"
bench_pair v "./consign version" "./cosign version"

col() { awk -v c="$1" '{print $c}' "$2" | median; }
report() { # LABEL_A LABEL_B NAME
	for k in 1 2 3; do
		eval "a$k=\$(col $k $3.a)"
		eval "b$k=\$(col $k $3.b)"
	done
	printf '| %s | %.1f | %.1f | %.1f |\n' "$1" "$a1" "$a2" "$(awk -v r="$a3" 'BEGIN {print r / 1024}')"
	printf '| %s | %.1f | %.1f | %.1f |\n' "$2" "$b1" "$b2" "$(awk -v r="$b3" 'BEGIN {print r / 1024}')"
	printf '| ratio cosign / consign | %s | %s | %s |\n' "$(awk -v a="$a1" -v b="$b1" 'BEGIN {printf "%.2f", b / a}')" \
		"$(awk -v a="$a2" -v b="$b2" 'BEGIN {printf "%.2f", b / a}')" "$(awk -v a="$a3" -v b="$b3" 'BEGIN {printf "%.2f", b / a}')"
}
printf '\nwhole process, medians of %s interleaved runs (%s warm-up runs each)\n\n' "$N" "$WARMUP"
echo "| command | wall (ms) | CPU user+sys (ms) | peak RSS (MiB) |"
echo "|---|---|---|---|"
report "consign verify-attestation --image (1 att.)" "cosign verify-attestation (1 att.)" va
report "consign discover (100 attestations)" "cosign tree (100 attestations)" d
report "consign version (start-up alone)" "cosign version (start-up alone)" v
printf '\nbinaries: consign %s MB, cosign %s MB (%s)\n' "$(du -m consign | cut -f1)" "$(du -m cosign | cut -f1)" "$(./cosign version 2>/dev/null | awk '/GitVersion/ {print $2}')"
printf '%s; %s; %s CPUs; load average %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" \
	"$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//')" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
