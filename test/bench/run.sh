#!/usr/bin/env bash
# make bench: starts the built coffer binary on loopback with a fresh 4-drive
# (2 data + 2 parity) data directory in a temporary directory, creates a
# tenant and key with `coffer admin`, runs the s3load workloads against it,
# stops the server, and prints a markdown table beside issue 8's figures.
# With BENCH_RUNS > 1 each run gets a fresh server and data directory and the
# table shows the median run.
#
#   COFFER_BIN=bin/coffer test/bench/run.sh
#   BENCH_DURATION=20s  timed phase per workload
#   BENCH_RUNS=1        runs (fresh server each); the table shows the median
#   BENCH_WORKLOADS=    comma list (default all: put-4k,get-4k,put-16m,get-16m,mixed,list)
#   BENCH_PROFILE_DIR=  when set, the server gets --pprof and CPU/alloc profiles
#                       of BENCH_PROFILE (default put-4k,get-16m) land there
#   BENCH_OUT=          directory to keep the per-run JSON (default: the temp dir)
#   BENCH_IDLE=30s      after the workloads, how long the idle server's RSS is
#                       sampled (its RSS is sampled during every workload too)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
COFFER_BIN=${COFFER_BIN:-$root/bin/coffer}
GO=${GO:-go}
BENCH_DURATION=${BENCH_DURATION:-20s}
BENCH_RUNS=${BENCH_RUNS:-1}
BENCH_WORKLOADS=${BENCH_WORKLOADS:-}
BENCH_PROFILE=${BENCH_PROFILE:-put-4k,get-16m}
BENCH_IDLE=${BENCH_IDLE:-30s}
[ -x "$COFFER_BIN" ] || { echo "bench: $COFFER_BIN not built (make build)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-bench.XXXXXX")
OUT=${BENCH_OUT:-$WORK}
mkdir -p "$OUT"
# shellcheck source=SCRIPTDIR/../lib/server.sh
. "$here/../lib/server.sh" # coffer_start, coffer_stop, coffer_kill, coffer_make_key
# shellcheck source=SCRIPTDIR/server.sh
. "$here/server.sh" # bench_key
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	coffer_kill
	rm -rf "$WORK" # the per-run JSON survives only under BENCH_OUT
}
trap cleanup EXIT

"$GO" build -o "$WORK/s3load" "$here/s3load"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

results=()
rc=0
for run in $(seq 1 "$BENCH_RUNS"); do
	dir="$WORK/run$run"
	mkdir -p "$dir"
	pprof_args=()
	pprof_url=""
	if [ -n "${BENCH_PROFILE_DIR:-}" ]; then
		port=$(free_port)
		pprof_args=(--pprof "127.0.0.1:$port")
		pprof_url="http://127.0.0.1:$port"
	fi
	coffer_start "$dir/data" "$dir" --log-level warn "${pprof_args[@]}"
	bench_key bench

	echo "bench: run $run/$BENCH_RUNS against $S3_ENDPOINT (${BENCH_DURATION} per workload)" >&2
	profile_args=()
	if [ -n "$pprof_url" ]; then
		profile_args=(-pprof "$pprof_url" -profile-dir "$BENCH_PROFILE_DIR" -profile "$BENCH_PROFILE")
	fi
	if ! "$WORK/s3load" -endpoint "$S3_ENDPOINT" -duration "$BENCH_DURATION" -workloads "$BENCH_WORKLOADS" \
		-server-pid "$COFFER_PID" -idle "$BENCH_IDLE" -json "$OUT/run$run.json" "${profile_args[@]}" >"$dir/table.md"; then
		rc=1
		tail -20 "$dir/server.log" >&2
	fi
	[ -f "$OUT/run$run.json" ] && results+=("$OUT/run$run.json")
	coffer_stop || true
	rm -rf "$dir/data"
done

if [ ${#results[@]} -gt 0 ]; then
	"$WORK/s3load" -merge "$(IFS=,; echo "${results[*]}")"
fi
exit $rc
