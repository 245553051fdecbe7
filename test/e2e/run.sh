#!/usr/bin/env bash
# Starts the built coffer binary on loopback with a fresh data directory and
# free ports, creates a tenant and key with `coffer admin`, then runs the e2e
# scripts against it (all of them, or those named as arguments). Finally it
# stops the server with SIGTERM and checks that it exits cleanly.
#
#   COFFER_BIN=bin/coffer test/e2e/run.sh [awscli.sh boto3_test.py admin_cli.sh]
#   KEEP=1 keeps the work directory for inspection.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
COFFER_BIN=${COFFER_BIN:-$root/bin/coffer}
[ -x "$COFFER_BIN" ] || { echo "run.sh: $COFFER_BIN not built (make build)" >&2; exit 1; }
export COFFER_BIN

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-e2e.XXXXXX")
export WORK
server_pid=""
cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -KILL "$server_pid" 2>/dev/null || true
	fi
	if [ "${KEEP:-}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# A known operator password; the AWS tools must not read this machine's profiles.
COFFER_ADMIN_PASSWORD="e2e-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
export COFFER_ADMIN_PASSWORD
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_SESSION_TOKEN || true

# Ports :0: the server prints the addresses it got.
"$COFFER_BIN" server --data "$WORK/data" --drives 4 --parity 2 \
	--s3-address 127.0.0.1:0 --console-address 127.0.0.1:0 --log-level info \
	>"$WORK/server.out" 2>"$WORK/server.log" &
server_pid=$!

for _ in $(seq 1 300); do
	grep -q '^  Console:' "$WORK/server.out" 2>/dev/null && break
	kill -0 "$server_pid" 2>/dev/null || { echo "server died:"; cat "$WORK/server.out" "$WORK/server.log"; exit 1; }
	sleep 0.1
done
S3_ENDPOINT=$(awk '/^  S3 endpoint:/ {print $3}' "$WORK/server.out")
COFFER_SERVER=$(awk '/^  Console:/ {print $2}' "$WORK/server.out")
if [ -z "$S3_ENDPOINT" ] || [ -z "$COFFER_SERVER" ]; then
	echo "no addresses in server output:"
	cat "$WORK/server.out" "$WORK/server.log"
	exit 1
fi
export S3_ENDPOINT COFFER_SERVER

for _ in $(seq 1 300); do
	curl -fsS -o /dev/null "$COFFER_SERVER/readyz" && break
	sleep 0.1
done
curl -fsS -o /dev/null "$COFFER_SERVER/readyz" || { echo "server never became ready"; cat "$WORK/server.log"; exit 1; }
echo "coffer up: S3 $S3_ENDPOINT, console $COFFER_SERVER, work $WORK"

# The tenant the client scripts use, made exactly as an operator would.
export E2E_TENANT=e2e-tenant
"$COFFER_BIN" admin --server "$COFFER_SERVER" --password "$COFFER_ADMIN_PASSWORD" tenant create "$E2E_TENANT"
keys=$("$COFFER_BIN" admin --server "$COFFER_SERVER" --password "$COFFER_ADMIN_PASSWORD" keys generate "$E2E_TENANT")
AWS_ACCESS_KEY_ID=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessKey"])')
AWS_SECRET_ACCESS_KEY=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secretKey"])')
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION=us-east-1

scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=(awscli.sh boto3_test.py admin_cli.sh)
failed=()
for s in "${scripts[@]}"; do
	echo
	echo "=== $s"
	case "$s" in
	*.py) cmd=(python3 "$here/$s") ;;
	*) cmd=(bash "$here/$s") ;;
	esac
	if ! (cd "$WORK" && "${cmd[@]}"); then failed+=("$s"); fi
done

echo
echo "=== graceful shutdown"
kill -TERM "$server_pid"
status=0
wait "$server_pid" || status=$?
server_pid=""
if [ "$status" -ne 0 ]; then
	echo "FAIL server exited $status after SIGTERM"
	tail -20 "$WORK/server.log"
	failed+=(shutdown)
fi
if grep -q "$AWS_SECRET_ACCESS_KEY" "$WORK/server.log" "$WORK/server.out"; then
	echo "FAIL the tenant's secret key appears in the server's output"
	failed+=(secret-in-logs)
fi

passed=$((${#scripts[@]} + 2 - ${#failed[@]}))
echo
echo "e2e: $passed passed, ${#failed[@]} failed ${failed[*]:-}"
[ ${#failed[@]} -eq 0 ]
