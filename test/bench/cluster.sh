#!/usr/bin/env bash
# S3 load on a local cluster (docs/cluster.md, docs/benchmarks.md): starts
# `coffer cluster dev` with 3 nodes (2 drives each, EC 4+2) on loopback,
# creates a tenant and key with `coffer admin`, and runs s3load's PUT and
# GET of 4 KiB and 16 MiB objects first through node1 alone, then through
# all three nodes (requests round robin), printing a markdown table each.
#
#   COFFER_BIN=bin/coffer test/bench/cluster.sh
#   BENCH_DURATION=10s   timed phase per workload
#   BENCH_WORKLOADS=put-4k,get-4k,put-16m,get-16m
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
COFFER_BIN=${COFFER_BIN:-$root/bin/coffer}
GO=${GO:-go}
BENCH_DURATION=${BENCH_DURATION:-10s}
BENCH_WORKLOADS=${BENCH_WORKLOADS:-put-4k,get-4k,put-16m,get-16m}
[ -x "$COFFER_BIN" ] || { echo "bench: $COFFER_BIN not built (make build)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-bench-cluster.XXXXXX")
dev=""
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	if [ -n "$dev" ]; then
		kill -TERM "$dev" 2>/dev/null || true
		wait "$dev" 2>/dev/null || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

"$GO" build -o "$WORK/s3load" "$here/s3load"
"$COFFER_BIN" cluster dev --dir "$WORK/c" --nodes 3 >"$WORK/dev.out" 2>&1 &
dev=$!
for _ in $(seq 1 900); do
	[ -s "$WORK/c/cluster.json" ] && break
	kill -0 "$dev" 2>/dev/null || { cat "$WORK/dev.out" >&2; exit 1; }
	sleep 0.1
done
[ -s "$WORK/c/cluster.json" ] || { echo "bench: the cluster was not ready within 90 s" >&2; exit 1; }

field() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$WORK/c/cluster.json" "$1"; }
console=$(field 'd["nodes"][0]["console"]')
one=$(field 'd["nodes"][0]["s3"]')
all=$(field '",".join(n["s3"] for n in d["nodes"])')
admin() { "$COFFER_BIN" admin --server "$console" --token-file "$WORK/c/node1/data/operator.token" "$@"; }
admin tenant create bench >/dev/null
keys=$(admin keys generate bench)
S3LOAD_ACCESS_KEY=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessKey"])')
S3LOAD_SECRET_KEY=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secretKey"])')
export S3LOAD_ACCESS_KEY S3LOAD_SECRET_KEY

echo "### Through one node ($one)"
"$WORK/s3load" -endpoint "$one" -duration "$BENCH_DURATION" -workloads "$BENCH_WORKLOADS" -bucket-prefix one
echo
echo "### Through all three nodes ($all)"
"$WORK/s3load" -endpoint "$all" -duration "$BENCH_DURATION" -workloads "$BENCH_WORKLOADS" -bucket-prefix all
