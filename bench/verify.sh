#!/bin/sh
# verify.sh times whole-process verification of one attestation: consign's
# verify-attestation against cosign's verify-blob-attestation, on the same
# DSSE envelope (ECDSA P-256, a ~2 KB SLSA Provenance v1 statement about one
# artifact), made by consign.
#
# It builds both binaries from this module (cosign v2.6.5 is a dependency in
# go.mod: `go build github.com/sigstore/cosign/v2/cmd/cosign`), checks that
# both accept the envelope and both reject it for a tampered artifact, then
# times N runs of each (hyperfine if installed, else a shell loop) and prints
# the medians and their ratio. Results go in bench/VERIFY.md.
#
# Neither tool touches the network. consign never does. cosign, given a key
# and no trusted root, first looks for Sigstore's TUF trusted root; here it
# gets an empty TUF_ROOT and a non-default TUF_MIRROR, so it finds no cached
# root.json and gives up before making any request, then verifies with the key
# alone (it prints a warning saying so). The proxy variables point at a closed
# port as a second fence.
#
# Usage: bench/verify.sh            (N=30 runs each, 3 warm-up runs)
#        N=100 bench/verify.sh
set -eu

N=${N:-30}
WARMUP=${WARMUP:-3}
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

TMP=$(mktemp -d "${TMPDIR:-/tmp}/consign-verify-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM

echo "building consign and cosign..." >&2
nice go build -o "$TMP/consign" ./cmd/consign
nice go build -o "$TMP/cosign" github.com/sigstore/cosign/v2/cmd/cosign

# cosign's environment: no TUF fetch, no network (see above).
mkdir -p "$TMP/tuf"
export TUF_ROOT="$TMP/tuf" TUF_MIRROR="http://127.0.0.1:9/no-tuf-mirror"
export HTTPS_PROXY="http://127.0.0.1:9" HTTP_PROXY="http://127.0.0.1:9" https_proxy="http://127.0.0.1:9" http_proxy="http://127.0.0.1:9"
unset NO_PROXY no_proxy SIGSTORE_ROOT_FILE SIGSTORE_REKOR_PUBLIC_KEY SIGSTORE_CT_LOG_PUBLIC_KEY_FILE SIGSTORE_TSA_CERTIFICATE_FILE TUF_ROOT_JSON 2>/dev/null || true

# The fixture: a key, a 27 KB artifact, a ~2 KB SLSA provenance statement
# about it signed by consign (the same shape as BenchmarkVerifyEnvelope).
cd "$TMP"
CONSIGN_PASSWORD=bench ./consign keygen --out k >/dev/null 2>&1
i=0
while [ $i -lt 1000 ]; do echo "consign benchmark artifact"; i=$((i + 1)); done >artifact
deps=""
i=0
while [ $i -lt 12 ]; do
	d=$(printf '%064x' $((i * 7919 + 1)))
	deps="$deps${deps:+,}{\"name\":\"src/pkg$(printf %02d $i)/file.go\",\"digest\":{\"sha256\":\"$d\"}}"
	i=$((i + 1))
done
cat >provenance.json <<EOF
{"buildDefinition":{"buildType":"https://consign.dev/buildtypes/run/v1","externalParameters":{"step":"build","command":["go","build","-trimpath","-o","dist/app","./cmd/app"],"excludePatterns":[]},"internalParameters":{"exitCode":0},"resolvedDependencies":[$deps]},"runDetails":{"builder":{"id":"https://consign.dev/builders/local/v1"},"metadata":{"startedOn":"2026-01-02T03:04:05Z","finishedOn":"2026-01-02T03:04:09Z"},"byproducts":[]}}
EOF
CONSIGN_PASSWORD=bench ./consign attest --key k.key --type slsa --predicate provenance.json --subject artifact --out env.intoto.jsonl 2>/dev/null
statement=$(sed 's/.*"payload":"\([^"]*\)".*/\1/' env.intoto.jsonl | base64 -d | wc -c)
cp artifact tampered && echo "!" >>tampered

CONSIGN_CMD="./consign verify-attestation --key k.pub --type slsa --subject artifact env.intoto.jsonl"
COSIGN_CMD="./cosign verify-blob-attestation --key k.pub --insecure-ignore-tlog --type slsaprovenance1 --signature env.intoto.jsonl artifact"

# Both must accept the envelope, and both must reject a tampered artifact.
$CONSIGN_CMD >/dev/null 2>&1 || { echo "consign rejects the envelope" >&2; $CONSIGN_CMD; exit 1; }
$COSIGN_CMD >/dev/null 2>&1 || { echo "cosign rejects the envelope" >&2; $COSIGN_CMD; exit 1; }
if ./consign verify-attestation --key k.pub --type slsa --subject tampered env.intoto.jsonl >/dev/null 2>&1; then
	echo "consign accepts a tampered artifact" >&2
	exit 1
fi
if ./cosign verify-blob-attestation --key k.pub --insecure-ignore-tlog --type slsaprovenance1 --signature env.intoto.jsonl tampered >/dev/null 2>&1; then
	echo "cosign accepts a tampered artifact" >&2
	exit 1
fi

echo "envelope: $(wc -c <env.intoto.jsonl) bytes, statement $statement bytes; N=$N, warm-up $WARMUP" >&2
if command -v hyperfine >/dev/null 2>&1; then
	hyperfine -N --warmup "$WARMUP" --runs "$N" --export-csv times.csv \
		-n consign "$CONSIGN_CMD" -n cosign "$COSIGN_CMD" >&2
	# CSV columns: command,mean,stddev,median,user,system,min,max (seconds).
	med_consign=$(awk -F, '$1 == "consign" {printf "%.3f", $4 * 1000}' times.csv)
	med_cosign=$(awk -F, '$1 == "cosign" {printf "%.3f", $4 * 1000}' times.csv)
	method="hyperfine $(hyperfine --version | cut -d' ' -f2), -N, $WARMUP warm-up runs"
else
	# One run's wall time in ms, from date +%s%N (GNU date).
	time_ms() {
		s=$(date +%s%N)
		"$@" >/dev/null 2>&1
		e=$(date +%s%N)
		echo $(((e - s) / 1000)) | awk '{printf "%.3f\n", $1 / 1000}'
	}
	median() { sort -n | awk '{a[NR] = $1} END {if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
	for cmd in consign cosign; do
		case $cmd in
		consign) line=$CONSIGN_CMD ;;
		cosign) line=$COSIGN_CMD ;;
		esac
		j=0
		while [ $j -lt "$WARMUP" ]; do $line >/dev/null 2>&1 || true; j=$((j + 1)); done
		j=0
		while [ $j -lt "$N" ]; do time_ms $line; j=$((j + 1)); done >"$cmd.times"
	done
	med_consign=$(median <consign.times)
	med_cosign=$(median <cosign.times)
	method="shell loop, date +%s%N, $WARMUP warm-up runs"
fi

ratio=$(awk -v a="$med_cosign" -v b="$med_consign" 'BEGIN {printf "%.2f", a / b}')
printf '\nwhole-process verification, median of %s runs (%s)\n' "$N" "$method"
printf '  consign verify-attestation        %8.2f ms\n' "$med_consign"
printf '  cosign verify-blob-attestation    %8.2f ms\n' "$med_cosign"
printf '  ratio cosign / consign            %8s\n' "$ratio"
printf '  binaries: consign %s MB, cosign %s MB\n' "$(du -m consign | cut -f1)" "$(du -m cosign | cut -f1)"
printf '  date %s; %s; %s CPUs; load average %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" \
	"$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2 | sed 's/^ *//')" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
