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
. "$here/server.sh"
trap 'stop_server; rm -rf "$WORK"' EXIT

need=$(( (2 * MEMORY_STREAM_SIZE > 2 * MEMORY_UPLOADS * MEMORY_UPLOAD_SIZE ? 2 * MEMORY_STREAM_SIZE : 2 * MEMORY_UPLOADS * MEMORY_UPLOAD_SIZE) / 1024 + 1048576 ))
avail=$(df -Pk "$WORK" | awk 'NR==2 {print $4}')
if [ "$avail" -lt "$need" ]; then
	echo "bench-memory: $((avail / 1024)) MiB free under $WORK, need $((need / 1024)) MiB" >&2
	exit 1
fi
df -h "$WORK" >&2

"$GO" build -o "$WORK/s3load" "$here/s3load"
COFFER_ADMIN_PASSWORD="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export COFFER_ADMIN_PASSWORD
mkdir -p "$WORK/logs"
start_server "$WORK/data" "$WORK/logs" "$@"
make_key bench
echo "bench-memory: server pid $server_pid at $s3" >&2
"$WORK/s3load" -memory -endpoint "$s3" -server-pid "$server_pid" -stream-size "$MEMORY_STREAM_SIZE" \
	-uploads "$MEMORY_UPLOADS" -upload-size "$MEMORY_UPLOAD_SIZE" -json "$OUT/memory.json"
