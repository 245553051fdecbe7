#!/usr/bin/env bash
# Browser end-to-end test of the Coffer console: Playwright (playwright-core)
# driving Debian's Chromium against the built coffer binary on loopback,
# started by test/lib/server.sh (the launcher of every shell suite). After
# the tests it stops the server and checks that it exits cleanly.
# Called by `make e2e`; exits non-zero on any failure.
#
#   COFFER_BIN=bin/coffer test/browser/run.sh     (builds bin/coffer if COFFER_BIN is unset)
#   CHROMIUM=/path/to/chromium, KEEP=1 keeps the server's work directory,
#   SPECS="uploads.test.mjs" runs only those spec files (default: all).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ -z "${COFFER_BIN:-}" ]; then
	(cd "$root" && go build -o bin/coffer ./cmd/coffer)
	COFFER_BIN=$root/bin/coffer
fi
[ -x "$COFFER_BIN" ] || { echo "run.sh: $COFFER_BIN is not an executable" >&2; exit 1; }
export COFFER_BIN

chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "run.sh: $chromium not found (apt-get install -y chromium)" >&2; exit 1; }
command -v aws >/dev/null || { echo "run.sh: the AWS CLI (aws) is required" >&2; exit 1; }

cd "$here"
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
	npm ci --no-audit --no-fund </dev/null
fi

COFFER_WORK=$(mktemp -d "${TMPDIR:-/tmp}/coffer-browser.XXXXXX")
export COFFER_WORK
# shellcheck source=SCRIPTDIR/../lib/server.sh
. "$here/../lib/server.sh" # coffer_start, coffer_stop, coffer_kill
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	coffer_kill
	if [ "${KEEP:-}" = 1 ]; then echo "work directory kept: $COFFER_WORK"; else rm -rf "$COFFER_WORK"; fi
}
trap cleanup EXIT
coffer_start "$COFFER_WORK/data" "$COFFER_WORK"

rc=0
# shellcheck disable=SC2086 # SPECS is a list of file names
node --test --test-concurrency=1 --test-reporter=spec ${SPECS:-names.test.mjs console.test.mjs uploads.test.mjs versioning.test.mjs objects.test.mjs container-settings.test.mjs cors.test.mjs usage.test.mjs polish.test.mjs account.test.mjs admin-overview.test.mjs cluster.test.mjs} || rc=$?

status=0
coffer_stop || status=$?
if [ "$status" -ne 0 ]; then
	echo "FAIL coffer exited $status after SIGTERM:" >&2
	tail -n 40 "$COFFER_WORK/server.log" >&2
	rc=1
fi
exit "$rc"
