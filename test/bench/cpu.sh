#!/usr/bin/env bash
# Server CPU time per MiB (issue 13): starts each build in CPU_BINS on
# loopback with a fresh 4-drive (2+2) data directory, runs test/bench/putcpu
# workloads against it and prints, per build and workload, the median over
# CPU_RUNS runs of the server's CPU time (utime+stime from /proc) per MiB.
# Builds alternate run by run, so load from other work on the machine
# falls on all of them alike.
#
#   test/bench/cpu.sh SPEC...      SPEC is op:size:concurrency:requests,
#                                  e.g. put:16777216:8:64 get:4096:16:3000
#   CPU_BINS="bin/coffer /tmp/old" builds to compare (default bin/coffer)
#   CPU_RUNS=3                     runs per build
#   CPU_TLS=1                      https (self-signed; the SDK then sends its
#                                  default CRC32 as an aws-chunked trailer);
#                                  0: http (payload SHA-256 + CRC32 header)
#   CPU_UNSIGNED=0                 1: UNSIGNED-PAYLOAD, no checksum (s3load's way)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
GO=${GO:-go}
CPU_BINS=${CPU_BINS:-$root/bin/coffer}
CPU_RUNS=${CPU_RUNS:-3}
CPU_TLS=${CPU_TLS:-1}
CPU_UNSIGNED=${CPU_UNSIGNED:-0}
[ $# -gt 0 ] || set -- put:16777216:8:64 put:16777216:1:24
WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-cpu.XXXXXX")
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
"$GO" build -o "$WORK/putcpu" "$here/putcpu"
tls=() ca=() put=()
if [ "$CPU_TLS" = 1 ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
		-keyout "$WORK/key.pem" -out "$WORK/cert.pem" -subj /CN=127.0.0.1 \
		-addext subjectAltName=IP:127.0.0.1 -addext basicConstraints=critical,CA:TRUE 2>/dev/null
	tls=(--tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem")
	ca=(--ca-cert "$WORK/cert.pem")
fi
[ "$CPU_UNSIGNED" = 1 ] && put=(-unsigned)
COFFER_ADMIN_PASSWORD="cpu-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export COFFER_ADMIN_PASSWORD

one_run() { # BIN LABEL
	local bin=$1 label=$2 dir="$WORK/run" out
	rm -rf "$dir"
	mkdir -p "$dir"
	"$bin" server --data "$dir/data" --drives 4 --parity 2 --s3-address 127.0.0.1:0 \
		--console-address 127.0.0.1:0 --log-level warn "${tls[@]}" >"$dir/out" 2>"$dir/log" &
	pid=$!
	for _ in $(seq 1 300); do grep -q '^  Console:' "$dir/out" 2>/dev/null && break; sleep 0.1; done
	local s3 console keys
	s3=$(awk '/^  S3 endpoint:/ {print $3}' "$dir/out")
	console=$(awk '/^  Console:/ {print $2}' "$dir/out")
	[ -n "$s3" ] || { cat "$dir/out" "$dir/log" >&2; exit 1; }
	for _ in $(seq 1 300); do curl -kfsS -o /dev/null "$console/readyz" && break; sleep 0.1; done
	local admin=("$bin" admin --server "$console" --password "$COFFER_ADMIN_PASSWORD" "${ca[@]}")
	"${admin[@]}" tenant create cpu >/dev/null
	keys=$("${admin[@]}" keys generate cpu)
	S3LOAD_ACCESS_KEY=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessKey"])')
	S3LOAD_SECRET_KEY=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secretKey"])')
	export S3LOAD_ACCESS_KEY S3LOAD_SECRET_KEY
	local spec op size conc n b=0
	for spec in "${@:3}"; do
		IFS=: read -r op size conc n <<<"$spec"
		b=$((b + 1))
		out=$("$WORK/putcpu" "${put[@]}" -endpoint "$s3" -pid "$pid" -op "$op" -size "$size" -c "$conc" -n "$n" -bucket "cpu-$b")
		echo "$label $spec $out"
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	pid=""
}

for _ in $(seq 1 "$CPU_RUNS"); do
	for bin in $CPU_BINS; do
		# Not in a pipeline: one_run must set pid in this shell for cleanup.
		one_run "$bin" "$bin" "$@" >"$WORK/last"
		cat "$WORK/last" >&2
		cat "$WORK/last" >>"$WORK/lines"
	done
done
# Median cpu-us/MiB (cpu-us/op for objects under 1 MiB) per build and workload.
python3 - "$WORK/lines" <<'PY'
import re, sys, statistics
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    size = int(f[1].split(":")[1])
    key = "cpu-us/MiB" if size >= 1 << 20 else "cpu-us/op"
    v = float(re.search(key + r"=([0-9.]+)", line).group(1))
    rows.setdefault((f[1], f[0]), []).append(v)
print("| workload | build | median | runs |")
print("|---|---|---|---|")
for (spec, build), vs in rows.items():
    size = int(spec.split(":")[1])
    unit = "µs CPU/MiB" if size >= 1 << 20 else "µs CPU/op"
    print(f"| {spec} | {build} | {statistics.median(vs):.0f} {unit} | {', '.join(f'{v:.0f}' for v in vs)} |")
PY
