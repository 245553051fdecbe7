#!/usr/bin/env bash
# make bench-scale: issue 8's metadata-scale figures. One bucket grows from 0
# to 100,000 to SCALE_OBJECTS objects; at each size the built server (4 drives,
# 2+2, loopback) is measured with s3load:
#   LIST: ListObjectsV2 pages of 1000 keys, 1 client walking the whole bucket
#         (SCALE_LIST_DURATION); a finished pass must see every key;
#   PUT:  4 KiB objects, 16 clients, new keys (SCALE_DURATION);
# then, as a control for machine noise, SCALE_AB_ROUNDS alternating PUT
# rounds in the full bucket and in a fresh empty bucket of the same server. Between sizes the server is stopped and
# test/bench/fill adds 0-byte objects through the storage package
# (storage.Open + PutObject from 256 goroutines), which is several times
# faster than HTTP PUTs; then the server is started again on the same data.
#
#   SCALE_OBJECTS=1000000  SCALE_DURATION=20s  SCALE_LIST_DURATION=45s
#   SCALE_FILL_WORKERS=256  SCALE_AB_ROUNDS=3  BENCH_OUT=DIR keeps the JSON
#   BENCH_PROFILE_DIR=DIR   the server gets --pprof; CPU and allocation
#                           profiles of LIST and PUT at the last size land there
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
COFFER_BIN=${COFFER_BIN:-$root/bin/coffer}
GO=${GO:-go}
SCALE_OBJECTS=${SCALE_OBJECTS:-1000000}
SCALE_DURATION=${SCALE_DURATION:-20s}
SCALE_LIST_DURATION=${SCALE_LIST_DURATION:-45s}
SCALE_FILL_WORKERS=${SCALE_FILL_WORKERS:-256}
SCALE_AB_ROUNDS=${SCALE_AB_ROUNDS:-3}
[ -x "$COFFER_BIN" ] || { echo "bench-scale: $COFFER_BIN not built (make build)" >&2; exit 1; }
if ! { [ "$SCALE_OBJECTS" -ge 1000 ] && [ "$SCALE_OBJECTS" -le 10000000 ]; }; then
	echo "bench-scale: SCALE_OBJECTS must be 1000..10000000" >&2
	exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-bench-scale.XXXXXX")
OUT=${BENCH_OUT:-$WORK}
mkdir -p "$OUT" "$WORK/logs"
# shellcheck source=SCRIPTDIR/../lib/server.sh
. "$here/../lib/server.sh" # coffer_start, coffer_stop, coffer_kill
# shellcheck source=SCRIPTDIR/server.sh
. "$here/server.sh" # bench_key
trap 'coffer_kill; rm -rf "$WORK"' EXIT

"$GO" build -o "$WORK/s3load" "$here/s3load"
"$GO" build -o "$WORK/fill" "$here/fill"
data=$WORK/data
bucket=scale
count=0     # objects in the bucket
fill_next=0 # next fill key number

server_args=()
pprof_url=""
if [ -n "${BENCH_PROFILE_DIR:-}" ]; then
	mkdir -p "$BENCH_PROFILE_DIR"
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	server_args=(--pprof "127.0.0.1:$port")
	pprof_url="http://127.0.0.1:$port"
fi

objects_of() { python3 -c 'import json,sys; print(sum(r["objects"] for r in json.load(open(sys.argv[1]))["results"]))' "$1"; }

# measure SIZE [profile]: LIST (unless the bucket is empty) and PUT at the
# current count; with "profile" and BENCH_PROFILE_DIR, profiles of both.
measure() {
	local size=$1 prof=()
	if [ "${2:-}" = profile ] && [ -n "$pprof_url" ]; then
		prof=(-pprof "$pprof_url" -profile-dir "$BENCH_PROFILE_DIR" -profile "list,put-4k")
	fi
	if [ "$count" -gt 0 ]; then
		"$WORK/s3load" -endpoint "$S3_ENDPOINT" -bucket "$bucket" -workloads list -concurrency 1 -list-keys "$count" \
			-duration "$SCALE_LIST_DURATION" -json "$OUT/list-$size.json" "${prof[@]}" >/dev/null
	fi
	"$WORK/s3load" -endpoint "$S3_ENDPOINT" -bucket "$bucket" -workloads put-4k -key-prefix "put-$size/" \
		-duration "$SCALE_DURATION" -json "$OUT/put-$size.json" "${prof[@]}" >/dev/null
	count=$((count + $(objects_of "$OUT/put-$size.json")))
}

# fill_to N: stops the server, adds 0-byte objects until the bucket holds N, starts it.
fill_to() {
	local want=$1 add=$(( $1 - count ))
	coffer_stop || true
	if [ "$add" -gt 0 ]; then
		echo "bench-scale: filling $add objects (bucket has $count)" >&2
		"$WORK/fill" -data "$data" -drives 4 -parity 2 -tenant bench -bucket "$bucket" \
			-from "$fill_next" -to $((fill_next + add)) -workers "$SCALE_FILL_WORKERS" | tee -a "$OUT/fill.txt" >&2
		fill_next=$((fill_next + add))
		count=$want
	fi
	coffer_start "$data" "$WORK/logs" --log-level warn "${server_args[@]}"
}

coffer_start "$data" "$WORK/logs" --log-level warn "${server_args[@]}"
bench_key bench
echo "bench-scale: server at $S3_ENDPOINT; measuring at 0 objects" >&2
measure 0
sizes=()
[ "$SCALE_OBJECTS" -gt 100000 ] && sizes+=(100000)
sizes+=("$SCALE_OBJECTS")
for size in "${sizes[@]}"; do
	fill_to "$size"
	echo "bench-scale: measuring at $count objects" >&2
	echo "$count" >"$OUT/count-$size"
	if [ "$size" = "$SCALE_OBJECTS" ]; then measure "$size" profile; else measure "$size"; fi
done
for r in $(seq 1 "$SCALE_AB_ROUNDS"); do
	echo "bench-scale: A/B round $r: PUT in the full bucket, then in an empty one" >&2
	"$WORK/s3load" -endpoint "$S3_ENDPOINT" -bucket "$bucket" -workloads put-4k -key-prefix "ab-$r/" \
		-duration "$SCALE_DURATION" -json "$OUT/ab-full-$r.json" >/dev/null
	"$WORK/s3load" -endpoint "$S3_ENDPOINT" -bucket "$bucket-empty-$r" -workloads put-4k \
		-duration "$SCALE_DURATION" -json "$OUT/ab-empty-$r.json" >/dev/null
done
du -sh "$data" >&2
coffer_stop || true

python3 - "$OUT" "$SCALE_AB_ROUNDS" 0 "${sizes[@]}" <<'PY'
import json, os, statistics, sys
out, rounds, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def res(name):
    p = os.path.join(out, name)
    return json.load(open(p))["results"][0] if os.path.exists(p) else None
base = res("put-0.json")["objPerSec"]
print("| objects in bucket | PUT 4 KiB, 16 concurrent | vs 0 | PUT p50 / p99 ms | LIST page of 1000, p50 / p90 / p99 ms | LIST pages/s (1 client) |")
print("|---|---|---|---|---|---|")
for s in sizes:
    put, lst = res(f"put-{s}.json"), res(f"list-{s}.json")
    at = "0 (empty)" if s == "0" else f"{int(open(os.path.join(out, 'count-' + s)).read()):,}"
    l = f"{lst['latency']['p50ms']:.1f} / {lst['latency']['p90ms']:.1f} / {lst['latency']['p99ms']:.1f}" if lst else "—"
    lr = f"{lst['opsPerSec']:.1f}" if lst else "—"
    print(f"| {at} | {put['objPerSec']:,.0f} obj/s | {100*put['objPerSec']/base:.0f}% | {put['latency']['p50ms']:.1f} / {put['latency']['p99ms']:.1f} | {l} | {lr} |")
if rounds:
    full = [res(f"ab-full-{r}.json")["objPerSec"] for r in range(1, rounds + 1)]
    empty = [res(f"ab-empty-{r}.json")["objPerSec"] for r in range(1, rounds + 1)]
    f, e = statistics.median(full), statistics.median(empty)
    print()
    print(f"A/B, {rounds} alternating rounds on the same server: PUT 4 KiB, 16 concurrent, in the full bucket "
          f"{f:,.0f} obj/s (median; rounds {', '.join(f'{x:,.0f}' for x in full)}) vs a fresh empty bucket "
          f"{e:,.0f} obj/s ({', '.join(f'{x:,.0f}' for x in empty)}): full/empty = {100*f/e:.0f}%")
PY
