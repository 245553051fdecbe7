#!/usr/bin/env bash
# Starts the built coffer binary on loopback with a fresh data directory and
# free ports, creates a tenant and key with `coffer admin`, then runs the e2e
# scripts against it (all of them, or those named as arguments). Finally it
# stops the server with SIGTERM and checks that it exits cleanly.
#
#   COFFER_BIN=bin/coffer test/e2e/run.sh [awscli.sh boto3_test.py admin_cli.sh versioning.sh ...]
#   KEEP=1 keeps the work directory for inspection.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
COFFER_BIN=${COFFER_BIN:-$root/bin/coffer}
[ -x "$COFFER_BIN" ] || { echo "run.sh: $COFFER_BIN not built (make build)" >&2; exit 1; }
export COFFER_BIN

WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-e2e.XXXXXX")
export WORK
# shellcheck source=SCRIPTDIR/../lib/server.sh
. "$here/../lib/server.sh" # coffer_start, coffer_stop, coffer_kill, coffer_admin, coffer_make_key
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	coffer_kill
	if [ "${KEEP:-}" = 1 ]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# The AWS tools must not read this machine's profiles.
export AWS_CONFIG_FILE="$WORK/aws-config" AWS_SHARED_CREDENTIALS_FILE="$WORK/aws-credentials"
: >"$AWS_CONFIG_FILE"
: >"$AWS_SHARED_CREDENTIALS_FILE"
unset AWS_PROFILE AWS_ENDPOINT_URL AWS_SESSION_TOKEN || true

# e2e is plain HTTP: sse.sh and boto3_sse_test.py send SSE-C keys over it.
export COFFER_SSE_C_ALLOW_HTTP=true
# admin_cli.sh reads the operator token from WORK/data/operator.token.
coffer_start "$WORK/data" "$WORK" --log-level info
echo "coffer up: S3 $S3_ENDPOINT, console $COFFER_SERVER, work $WORK"

# The tenant the client scripts use, made exactly as an operator would.
export E2E_TENANT=e2e-tenant
coffer_make_key "$E2E_TENANT"
export AWS_ACCESS_KEY_ID=$COFFER_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$COFFER_SECRET_KEY AWS_DEFAULT_REGION=us-east-1

scripts=("$@")
[ ${#scripts[@]} -gt 0 ] || scripts=(awscli.sh boto3_test.py admin_cli.sh clients.sh versioning.sh boto3_versioning_test.py versioning_clients.sh versioning_admin.sh public_access.sh presigned_post.sh sse.sh boto3_sse_test.py cluster.sh)
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
status=0
coffer_stop || status=$?
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
