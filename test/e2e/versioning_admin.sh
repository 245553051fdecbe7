#!/usr/bin/env bash
# The operator's and the console's side of versioning and Object Lock
# (issue 14): usage and the noncurrent metrics count every version and
# delete marker; a COMPLIANCE
# version blocks the tenant's deletion and the container's force delete,
# with a message naming it, until its date has passed.
# Needs COFFER_BIN, COFFER_SERVER, COFFER_ADMIN_PASSWORD, S3_ENDPOINT and
# COFFER_METRICS_TOKEN_FILE (run.sh sets them).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${COFFER_BIN:?}" "${COFFER_SERVER:?}" "${COFFER_ADMIN_PASSWORD:?}" "${S3_ENDPOINT:?}" "${COFFER_METRICS_TOKEN_FILE:?}"
# Keep going after an unexpected error (lib.sh's ERR trap counts each one).
set +e
export AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard

adm() { "$COFFER_BIN" admin --server "$COFFER_SERVER" --password "$COFFER_ADMIN_PASSWORD" "$@"; }
T="vadm-$RANDOM"
U="vadm-user-$RANDOM"
UP="vadm-user-password-$RANDOM"

dir=$(mktemp -d "${TMPDIR:-/tmp}/vadmin.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"

check_ok "tenant create" adm tenant create "$T"
keys=$(adm keys generate "$T")
AK=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["accessKey"])')
SK=$(printf '%s' "$keys" | python3 -c 'import json,sys; print(json.load(sys.stdin)["secretKey"])')
s3api() { AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK aws s3api --endpoint-url "$S3_ENDPOINT" --output json "$@"; }
field() { python3 -c 'import json,sys; raw=sys.stdin.read().strip(); v=(json.loads(raw) if raw else {}).get(sys.argv[1]); print("" if v is None else v)' "$1"; }
# usage: "objects bytes" of the tenant as `tenant list --json` shows them.
usage() {
	adm tenant list --json | T="$T" python3 -c '
import json, os, sys
for t in json.load(sys.stdin)["tenants"]:
    if t["name"] == os.environ["T"]:
        print(t["usage"]["objects"], t["usage"]["bytes"])'
}

# noncurrent: "objects bytes" of coffer_tenant_noncurrent_{objects,bytes} for the tenant.
noncurrent() {
	curl -sS -H "Authorization: Bearer $(cat "$COFFER_METRICS_TOKEN_FILE")" "$COFFER_SERVER/metrics" | T="$T" python3 -c '
import os, re, sys
vals = {}
for line in sys.stdin:
    m = re.match(r"coffer_tenant_noncurrent_(objects|bytes)\{[^}]*tenant=\"%s\"[^}]*\} (\S+)" % re.escape(os.environ["T"]), line)
    if m:
        vals[m.group(1)] = int(float(m.group(2)))
print(vals.get("objects", "none"), vals.get("bytes", "none"))'
}

# Usage counts every version and delete marker.
check_ok "create-bucket" s3api create-bucket --bucket "$T-v"
check_ok "put-bucket-versioning Enabled" s3api put-bucket-versioning --bucket "$T-v" --versioning-configuration Status=Enabled
ids=()
for n in 1 2 3; do
	head -c $((1000 * n)) /dev/urandom >"b$n"
	ids+=("$(s3api put-object --bucket "$T-v" --key k --body "b$n" | field VersionId)")
done
check_ok "delete-object (a delete marker)" s3api delete-object --bucket "$T-v" --key k
check_eq "4 6000" "$(usage)" "tenant list: usage counts three versions (6000 bytes) and the delete marker"
check_eq "4 6000" "$(noncurrent)" "/metrics: all of it is noncurrent (three versions under a delete marker, and the marker)"
check_ok "delete-object --version-id of the 2000-byte version" s3api delete-object --bucket "$T-v" --key k --version-id "${ids[1]}"
check_eq "3 4000" "$(usage)" "  ... usage drops by that version"
check_eq "3 4000" "$(noncurrent)" "  ... and so do the noncurrent metrics"

# A COMPLIANCE version blocks the tenant's deletion and the force delete.
check_ok "create-bucket --object-lock-enabled-for-bucket" s3api create-bucket --bucket "$T-l" --object-lock-enabled-for-bucket
until=$(date -u -d '+30 seconds' +%Y-%m-%dT%H:%M:%SZ) # the checks below fit in it on a loaded machine
printf 'kept by law\n' >c.txt
cid=$(s3api put-object --bucket "$T-l" --key c.txt --body c.txt --object-lock-mode COMPLIANCE --object-lock-retain-until-date "$until" | field VersionId)
check_nonempty "$cid" "put-object COMPLIANCE answers a VersionId"
check_fails "tenant delete is refused while a COMPLIANCE version is retained" adm tenant delete "$T" --confirm "$T"
check_contains "$OUT" "c.txt@$cid" "  ... the message names the locked version (key@versionId)"
check_ok "  ... and the refused delete left the tenant's S3 key working" s3api list-buckets

check_ok "user create (console login)" adm user create "$T" "$U" --password "$UP"
jar="$dir/cookies"
login=$(curl -sS -c "$jar" -H 'Content-Type: application/json' \
	-d "{\"username\":\"$U\",\"password\":\"$UP\"}" "$COFFER_SERVER/api/login")
csrf=$(printf '%s' "$login" | field csrfToken)
check_nonempty "$csrf" "console login"
code=$(curl -sS -b "$jar" -o fd.out -w '%{http_code}' -X DELETE -H "X-CSRF-Token: $csrf" \
	"$COFFER_SERVER/api/containers/$T-l?force=true&confirm=$T-l")
case "$code" in
403 | 409 | 423) pass "console force delete of the Object Lock container is refused ($code)" ;;
*) fail "console force delete of the Object Lock container: status [$code], want a refusal (403/409/423): $(cat fd.out)" ;;
esac
check_contains "$(cat fd.out)" "c.txt@$cid" "  ... the message names the locked version"
check_ok "the locked version is still there" s3api get-object --bucket "$T-l" --key c.txt --version-id "$cid" c.back
check_eq "$(sha256 c.txt)" "$(sha256 c.back)" "  ... with its bytes"

# Once the date has passed, the tenant goes with everything in it (a bounded wait).
gone=no
deadline=$((SECONDS + 60))
while [ "$SECONDS" -lt "$deadline" ]; do
	if adm tenant delete "$T" --confirm "$T" >/dev/null 2>&1; then
		gone=yes
		break
	fi
	sleep 1
done
check_eq yes "$gone" "tenant delete succeeds once the retention date has passed"
check_fails "  ... the tenant is gone" adm tenant show "$T"

summary || exit 1
