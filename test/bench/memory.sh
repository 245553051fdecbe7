#!/usr/bin/env bash
# make bench-memory: issue 8's memory figures. Starts the built coffer binary
# on loopback with a fresh 4-drive (2+2) data directory, then s3load -memory
# streams one MEMORY_STREAM_SIZE object in (PutObject from a generator) and
# out (GetObject, hashed and discarded), then PUTs MEMORY_UPLOADS objects of
# MEMORY_UPLOAD_SIZE at once, sampling the server's VmRSS every 250 ms (and
# VmHWM, reset before each phase). Fails if a phase breaks its bound (128 MiB
# streaming, 512 MiB concurrent) or moves wrong bytes. Needs about
# 2 x MEMORY_STREAM_SIZE free under TMPDIR (2+2 erasure doubles the data).
#
#   MEMORY_STREAM_SIZE=5368709120  MEMORY_UPLOADS=64  MEMORY_UPLOAD_SIZE=67108864
#   BENCH_OUT=DIR keeps memory.json
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
COFFER_BIN=${COFFER_BIN:-$root/bin/coffer}
GO=${GO:-go}
MEMORY_STREAM_SIZE=${MEMORY_STREAM_SIZE:-5368709120}
MEMORY_UPLOADS=${MEMORY_UPLOADS:-64}
MEMORY_UPLOAD_SIZE=${MEMORY_UPLOAD_SIZE:-67108864}
[ -x "$COFFER_BIN" ] || { echo "bench-memory: $COFFER_BIN not built (make build)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-bench-memory.XXXXXX")
OUT=${BENCH_OUT:-$WORK}
mkdir -p "$OUT"
# shellcheck source=SCRIPTDIR/../lib/server.sh
. "$here/../lib/server.sh" # coffer_start, coffer_kill
# shellcheck source=SCRIPTDIR/server.sh
. "$here/server.sh" # bench_key
trap 'coffer_kill; rm -rf "$WORK"' EXIT

need=$(( (2 * MEMORY_STREAM_SIZE > 2 * MEMORY_UPLOADS * MEMORY_UPLOAD_SIZE ? 2 * MEMORY_STREAM_SIZE : 2 * MEMORY_UPLOADS * MEMORY_UPLOAD_SIZE) / 1024 + 1048576 ))
avail=$(df -Pk "$WORK" | awk 'NR==2 {print $4}')
if [ "$avail" -lt "$need" ]; then
	echo "bench-memory: $((avail / 1024)) MiB free under $WORK, need $((need / 1024)) MiB" >&2
	exit 1
fi
df -h "$WORK" >&2

"$GO" build -o "$WORK/s3load" "$here/s3load"
mkdir -p "$WORK/logs"
# The write caps (128 in all, 32 per tenant by default) would answer 503 to
# most of the concurrent uploads: let all of them in, it is their memory
# that is measured.
coffer_start "$WORK/data" "$WORK/logs" --log-level warn \
	--max-inflight-writes "$MEMORY_UPLOADS" --max-inflight-writes-per-tenant "$MEMORY_UPLOADS" "$@"
bench_key bench
echo "bench-memory: server pid $COFFER_PID at $S3_ENDPOINT" >&2
"$WORK/s3load" -memory -endpoint "$S3_ENDPOINT" -server-pid "$COFFER_PID" -stream-size "$MEMORY_STREAM_SIZE" \
	-uploads "$MEMORY_UPLOADS" -upload-size "$MEMORY_UPLOAD_SIZE" -json "$OUT/memory.json"
