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
# built from the cosign/v2 module in go.mod (in a scratch copy of go.mod, as
# its main package needs go.sum entries the repository does not carry), or
# taken from COSIGN_BIN. Neither tool reaches the network: see verify.sh.
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
	mkdir "$TMP/cosignbuild"
	sed 's|^module .*|module cosignbuild|' go.mod >"$TMP/cosignbuild/go.mod"
	cp go.sum "$TMP/cosignbuild/"
	(cd "$TMP/cosignbuild" && GOFLAGS=-mod=mod nice go build -o "$TMP/cosign" github.com/sigstore/cosign/v2/cmd/cosign)
fi

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

time_ms() {
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1
	e=$(date +%s%N)
	echo $(((e - s) / 1000)) | awk '{printf "%.3f\n", $1 / 1000}'
}
median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
# Interleaved rounds, so that both tools of a pair share the machine's load.
bench_pair() { # NAME CMD_A CMD_B
	j=0
	while [ $j -lt "$WARMUP" ]; do $2 >/dev/null 2>&1 || true; $3 >/dev/null 2>&1 || true; j=$((j + 1)); done
	: >"$1.a"
	: >"$1.b"
	j=0
	while [ $j -lt "$N" ]; do
		time_ms $2 >>"$1.a"
		time_ms $3 >>"$1.b"
		j=$((j + 1))
	done
}
bench_pair va "$VA_CONSIGN" "$VA_COSIGN"
bench_pair d "$D_CONSIGN" "$D_COSIGN"
bench_pair v "./consign version" "./cosign version"

report() { # LABEL_A LABEL_B NAME
	a=$(median <"$3.a")
	b=$(median <"$3.b")
	printf '  %-44s %8.2f ms\n' "$1" "$a"
	printf '  %-44s %8.2f ms\n' "$2" "$b"
	printf '  %-44s %8s\n' "ratio (cosign / consign)" "$(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", b / a}')"
}
printf '\nwhole process, median of %s interleaved runs (shell loop, date +%%s%%N, %s warm-up runs)\n' "$N" "$WARMUP"
report "consign verify-attestation --image (1 att.)" "cosign verify-attestation (1 att.)" va
report "consign discover (100 attestations)" "cosign tree (100 attestations)" d
report "consign version (start-up alone)" "cosign version (start-up alone)" v
printf '  binaries: consign %s MB, cosign %s MB\n' "$(du -m consign | cut -f1)" "$(du -m cosign | cut -f1)"
printf '  date %s; %s; %s CPUs; load average %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" \
	"$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//')" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
