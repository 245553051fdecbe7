# shellcheck shell=bash
# Shared assertions of the e2e scripts: source it, call ok/check_*, end with summary.
# Every failed check is counted and printed; an unexpected error stops the script
# at once (set -e) with the line that failed.
set -euo pipefail

PASSED=0
FAILED=0
trap 'echo "FAIL: unexpected error at ${BASH_SOURCE[0]}:${LINENO}: $BASH_COMMAND" >&2; FAILED=$((FAILED+1))' ERR

pass() { PASSED=$((PASSED + 1)); echo "ok   $*"; }
fail() { FAILED=$((FAILED + 1)); echo "FAIL $*" >&2; }

# check_eq WANT GOT WHAT
check_eq() {
	if [ "$1" == "$2" ]; then pass "$3"; else fail "$3: want [$1], got [$2]"; fi
}

# check_nonempty VALUE WHAT
check_nonempty() {
	if [ -n "$1" ]; then pass "$2"; else fail "$2: empty"; fi
}

# check_contains HAYSTACK NEEDLE WHAT
check_contains() {
	if [[ "$1" == *"$2"* ]]; then pass "$3"; else fail "$3: [$2] not in output:"$'\n'"$1"; fi
}

# check_not_contains HAYSTACK NEEDLE WHAT
check_not_contains() {
	if [[ "$1" != *"$2"* ]]; then pass "$3"; else fail "$3: [$2] unexpectedly in output:"$'\n'"$1"; fi
}

# check_fails WHAT CMD...: the command must exit non-zero; its output lands in $OUT.
check_fails() {
	local what=$1
	shift
	if OUT=$("$@" 2>&1); then fail "$what: succeeded but must fail: $OUT"; else pass "$what"; fi
}

# check_ok WHAT CMD...: the command must succeed; its stdout lands in $OUT.
check_ok() {
	local what=$1
	shift
	if OUT=$("$@"); then pass "$what"; else fail "$what: exit $? from: $*"; fi
}

# json_get FIELD: reads JSON on stdin and prints a field (dot path, list index allowed).
json_get() {
	python3 -c '
import json, sys
v = json.load(sys.stdin)
for p in sys.argv[1].split("."):
    if p == "":
        continue
    v = v[int(p)] if isinstance(v, list) else v[p]
print(v if not isinstance(v, (dict, list, bool)) else json.dumps(v))
' "$1"
}

sha256() { sha256sum "$1" | cut -d' ' -f1; }

summary() {
	trap - ERR
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ]
}
