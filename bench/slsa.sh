#!/bin/sh
# slsa.sh times whole-process verification of one keyless Sigstore bundle,
# offline, consign against the tools it replaces, on the same files:
#
#   consign verify-bundle          vs  cosign verify-blob --bundle
#     (sigstore-conformance's happy-path-v0.3 bundle: a message signature
#      by a GitHub Actions workflow, logged in the public good Rekor)
#   consign slsa verify-artifact   vs  slsa-verifier verify-artifact
#     (slsa-verifier's own fixture: the SLSA generic generator v2.1.0's
#      provenance bundle for a 1.4 MB binary)
#
# all against testdata/sigstore/public-good.trusted_root.json. The peers are
# built from the Go module proxy into $PEERS (default /tmp/consign-peers,
# outside the repository): cosign at the version in go.mod, slsa-verifier
# v2.7.1. Each round runs the four commands once, interleaved, under
# /usr/bin/time -f '%e %U %S %M' (wall s, user s, system s, peak RSS KiB);
# the medians and ratios go to stdout as the Markdown of bench/SLSA.md.
#
# Usage: bench/slsa.sh            (ROUNDS=7)
#        ROUNDS=21 bench/slsa.sh
set -eu

ROUNDS=${ROUNDS:-7}
PEERS=${PEERS:-/tmp/consign-peers}
SLSA_VERIFIER_VERSION=${SLSA_VERIFIER_VERSION:-v2.7.1}
cd "$(dirname "$0")/.."
REPO=$(pwd)
export GOTOOLCHAIN=local
mkdir -p "$PEERS"

echo "building consign, cosign and slsa-verifier into $PEERS..." >&2
nice go build -o "$PEERS/consign" ./cmd/consign
COSIGN_VERSION=$(go list -m -f '{{.Version}}' github.com/sigstore/cosign/v2)
if [ ! -x "$PEERS/cosign" ]; then
	(cd "$PEERS" && GOBIN="$PEERS" nice go install "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_VERSION")
fi
if [ ! -x "$PEERS/slsa-verifier" ]; then
	# 'go install ...@version' asks the proxy for the module's version list
	# (for deprecation notices), which this proxy refuses for
	# slsa-verifier; a throw-away module that requires it builds the same
	# binary.
	mkdir -p "$PEERS/src/sv"
	printf 'module peers/sv\n\ngo 1.23.2\n\nrequire github.com/slsa-framework/slsa-verifier/v2 %s\n' \
		"$SLSA_VERIFIER_VERSION" >"$PEERS/src/sv/go.mod"
	(cd "$PEERS/src/sv" && GOFLAGS=-mod=mod nice go build -o "$PEERS/slsa-verifier" \
		github.com/slsa-framework/slsa-verifier/v2/cli/slsa-verifier)
fi

ROOT=$REPO/testdata/sigstore/public-good.trusted_root.json
HP=$REPO/testdata/sigstore-conformance/happy-path-v0.3
A=$REPO/testdata/sigstore-conformance/a.txt
ID=https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main
ISS=https://token.actions.githubusercontent.com
G=$REPO/testdata/slsa-verifier/gha_generic/v2.1.0
PROV=$G/binary-linux-amd64-workflow_dispatch.intoto.jsonl
ART=$G/binary-linux-amd64
SRC=github.com/slsa-framework/example-package

# No network for anyone: cosign gets an empty TUF cache and a closed proxy.
TMP=$(mktemp -d "${TMPDIR:-/tmp}/consign-slsa-bench.XXXXXX")
trap 'rm -rf "$TMP"' EXIT INT TERM
export HOME="$TMP" TUF_ROOT="$TMP/tuf"
export HTTPS_PROXY="http://127.0.0.1:9" HTTP_PROXY="http://127.0.0.1:9" https_proxy="http://127.0.0.1:9" http_proxy="http://127.0.0.1:9"

run() { # name command...: one timed run, appended to $TMP/name
	name=$1
	shift
	if /usr/bin/time -f '%e %U %S %M' -o "$TMP/t" "$@" >"$TMP/$name.out" 2>&1; then st=ok; else st=fail; fi
	echo "$(cat "$TMP/t" | tail -n1) $st" >>"$TMP/$name"
}

round() {
	run consign-bundle "$PEERS/consign" verify-bundle --bundle "$HP/bundle.sigstore.json" --trusted-root "$ROOT" \
		--certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$A"
	run cosign-blob "$PEERS/cosign" verify-blob --bundle "$HP/bundle.sigstore.json" --new-bundle-format \
		--trusted-root "$ROOT" --offline --certificate-identity "$ID" --certificate-oidc-issuer "$ISS" "$A"
	run consign-slsa "$PEERS/consign" slsa verify-artifact --provenance-path "$PROV" --source-uri "$SRC" \
		--trusted-root "$ROOT" "$ART"
	run slsa-verifier "$PEERS/slsa-verifier" verify-artifact --provenance-path "$PROV" --source-uri "$SRC" "$ART"
}

echo "warm-up and $ROUNDS rounds..." >&2
round
for f in consign-bundle cosign-blob consign-slsa slsa-verifier; do : >"$TMP/$f"; done
i=0
while [ $i -lt "$ROUNDS" ]; do round; i=$((i + 1)); done

median() { # file column
	cut -d' ' -f"$2" "$1" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
cpu() { awk '{print $2+$3}' "$1" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
verdict() { awk '{print $5}' "$1" | sort -u | paste -sd/ -; }

echo "| command | verdict | wall (s) | CPU user+sys (s) | peak RSS (MiB) |"
echo "|---|---|---:|---:|---:|"
for f in consign-bundle cosign-blob consign-slsa slsa-verifier; do
	printf '| %s | %s | %s | %s | %.1f |\n' "$f" "$(verdict "$TMP/$f")" "$(median "$TMP/$f" 1)" "$(cpu "$TMP/$f")" \
		"$(echo "$(median "$TMP/$f" 4) / 1024" | bc -l)"
done
ratio() { echo "scale=2; $1 / $2" | bc -l; }
echo
echo "Ratios (consign / peer, medians; below 1 means consign is faster or smaller):"
echo
for pair in "consign-bundle cosign-blob" "consign-slsa slsa-verifier"; do
	set -- $pair
	printf -- '- %s / %s: wall %s, CPU %s, peak RSS %s\n' "$1" "$2" \
		"$(ratio "$(median "$TMP/$1" 1)" "$(median "$TMP/$2" 1)")" \
		"$(ratio "$(cpu "$TMP/$1")" "$(cpu "$TMP/$2")")" \
		"$(ratio "$(median "$TMP/$1" 4)" "$(median "$TMP/$2" 4)")"
done
echo
for f in cosign-blob slsa-verifier; do
	echo "Last output of $f:"
	echo
	echo '```'
	tail -n 4 "$TMP/$f.out"
	echo '```'
	echo
done
