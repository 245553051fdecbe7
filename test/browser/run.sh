#!/usr/bin/env bash
# Browser end-to-end test of the Coffer console: Playwright (playwright-core)
# driving Debian's Chromium against the built coffer binary on loopback.
# Called by `make e2e`; exits non-zero on any failure.
#
#   COFFER_BIN=bin/coffer test/browser/run.sh     (builds bin/coffer if COFFER_BIN is unset)
#   CHROMIUM=/path/to/chromium, KEEP=1 keeps the server's work directory.
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
exec node --test --test-concurrency=1 --test-reporter=spec names.test.mjs console.test.mjs
