#!/usr/bin/env bash
# Every `coffer admin` command end to end against a running server: outputs,
# --json, exit codes, and the effect of key changes on real S3 requests.
# Needs COFFER_BIN, COFFER_SERVER, COFFER_ADMIN_PASSWORD, S3_ENDPOINT (run.sh sets them).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${COFFER_BIN:?}" "${COFFER_SERVER:?}" "${COFFER_ADMIN_PASSWORD:?}" "${S3_ENDPOINT:?}"

# The exact form external scripts use: global flags first.
adm() { "$COFFER_BIN" admin --server "$COFFER_SERVER" --password "$COFFER_ADMIN_PASSWORD" "$@"; }
# s3_as AK SK ARGS...: an AWS CLI call with a given key pair.
s3_as() {
	local ak=$1 sk=$2
	shift 2
	AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk aws s3 --endpoint-url "$S3_ENDPOINT" "$@"
}
T="adm-$RANDOM"

# Help and version.
check_ok "coffer version" "$COFFER_BIN" version
check_contains "$OUT" "coffer" "  ... names the program"
check_ok "coffer admin --help" "$COFFER_BIN" admin --help
for c in "tenant create" "tenant list" "tenant show" "tenant set-quota" "tenant suspend" "tenant resume" \
	"tenant delete" "user create" "user passwd" "user delete" "user list" "volume add" "volume list" \
	"volume remove" "keys generate" "keys rotate" "keys delete" "keys show" drives audit overview "tenant buckets" "scrub now" "master-key rotate" "master-key status"; do
	check_contains "$OUT" "$c" "admin --help lists '$c'"
	# shellcheck disable=SC2086
	if help=$("$COFFER_BIN" admin $c --help 2>&1) && [[ "$help" == *"Usage: coffer admin $c"* ]]; then
		pass "admin $c --help"
	else
		fail "admin $c --help: $help"
	fi
done
check_ok "server --help" "$COFFER_BIN" server --help
check_contains "$OUT" "COFFER_S3_ADDRESS" "server --help shows env variables"

# Authentication and usage errors.
check_fails "wrong operator password" "$COFFER_BIN" admin --server "$COFFER_SERVER" --password wrong tenant list
check_contains "$OUT" "401" "  ... reports HTTP 401"
check_fails "unknown command" adm tenant frobnicate
check_fails "missing argument" adm tenant create
check_fails "unreachable server" "$COFFER_BIN" admin --server http://127.0.0.1:1 --password x tenant list
check_contains "$OUT" "cannot reach" "  ... says it cannot reach the server"
check_ok "env COFFER_SERVER + COFFER_ADMIN_PASSWORD" "$COFFER_BIN" admin tenant list
# The operator API token the server wrote on first start (WORK/data is run.sh's --data).
check_ok "--token-file DATA/operator.token" "$COFFER_BIN" admin --server "$COFFER_SERVER" --token-file "$WORK/data/operator.token" tenant list
check_fails "wrong --token" "$COFFER_BIN" admin --server "$COFFER_SERVER" --token wrong-token-wrong-token-wrong-token-x tenant list
check_contains "$OUT" "invalid operator API token" "  ... says the token is wrong"

# Tenants.
check_ok "tenant create with quotas" adm tenant create "$T" --quota-objects 1000 --quota-bytes 10GiB
check_contains "$OUT" "$T" "  ... names the tenant"
check_fails "tenant create twice" adm tenant create "$T"
check_contains "$OUT" "409" "  ... conflict"
check_fails "tenant create with an invalid name" adm tenant create "Bad_Name"
check_contains "$(adm tenant list)" "$T" "tenant list table"
json=$(adm tenant list --json)
check_eq 1 "$(printf '%s' "$json" | python3 -c "import json,sys; d=json.load(sys.stdin); print(sum(1 for t in d['tenants'] if t['name']=='$T'))")" "tenant list --json"
show=$(adm tenant show "$T" --json)
check_eq 1000 "$(printf '%s' "$show" | json_get quota.objects)" "tenant show: quota objects"
check_eq 10737418240 "$(printf '%s' "$show" | json_get quota.bytes)" "tenant show: quota bytes 10GiB"
check_contains "$(adm tenant show "$T")" "Tenant:" "tenant show table"
check_ok "tenant set-quota --bytes 500MB" adm tenant set-quota "$T" --bytes 500MB
show=$(adm tenant show "$T" --json)
check_eq 500000000 "$(printf '%s' "$show" | json_get quota.bytes)" "set-quota: bytes 500MB"
check_eq 1000 "$(printf '%s' "$show" | json_get quota.objects)" "set-quota: objects kept"
check_ok "tenant set-quota --objects 0" adm tenant set-quota "$T" --objects 0 --bytes 0
show=$(adm tenant show "$T" --json)
check_eq "0 0" "$(printf '%s' "$show" | json_get quota.objects) $(printf '%s' "$show" | json_get quota.bytes)" "set-quota 0 clears both limits"
check_ok "tenant set-quota --buckets 2 --uploads 3" adm tenant set-quota "$T" --buckets 2 --uploads 3
show=$(adm tenant show "$T" --json)
check_eq "2 3" "$(printf '%s' "$show" | json_get quota.buckets) $(printf '%s' "$show" | json_get quota.uploads)" "set-quota: bucket and upload limits"
check_eq "2 3" "$(printf '%s' "$show" | json_get usage.containerLimit) $(printf '%s' "$show" | json_get usage.uploadLimit)" "set-quota: limits in force"
check_contains "$(adm tenant show "$T")" "Uploads:      0 of 3" "tenant show: uploads against the limit"
check_ok "tenant set-quota --buckets 0 --uploads 0" adm tenant set-quota "$T" --buckets 0 --uploads 0
check_contains "$(adm tenant show "$T")" "(server default)" "set-quota 0: back to the server defaults"
check_fails "set-quota with a negative upload limit" adm tenant set-quota "$T" --uploads -1
check_fails "set-quota with a bad size" adm tenant set-quota "$T" --bytes 12XB
check_fails "set-quota on a missing tenant" adm tenant set-quota "no-such-$T" --objects 1
check_contains "$OUT" "404" "  ... 404"

# Keys: generate prints exactly {"accessKey": "...", "secretKey": "..."}.
keys=$(adm keys generate "$T")
if [[ "$keys" =~ ^\{\"accessKey\":\ \"[A-Za-z0-9]{20}\",\ \"secretKey\":\ \"[^\"]{40}\"\}$ ]]; then pass "keys generate JSON form"; else fail "keys generate JSON form: $keys"; fi
ak1=$(printf '%s' "$keys" | json_get accessKey)
sk1=$(printf '%s' "$keys" | json_get secretKey)
check_fails "keys generate twice" adm keys generate "$T"
check_contains "$OUT" "409" "  ... conflict"
check_ok "new key works at once" s3_as "$ak1" "$sk1" mb "s3://$T-bucket"
check_contains "$(adm keys show "$T")" "$ak1" "keys show prints the access key"
check_not_contains "$(adm keys show "$T" --json)" "$sk1" "keys show never prints the secret"
check_not_contains "$(adm tenant show "$T" --json)" "$sk1" "tenant show never prints the secret"
keys=$(adm keys rotate "$T")
ak2=$(printf '%s' "$keys" | json_get accessKey)
sk2=$(printf '%s' "$keys" | json_get secretKey)
if [ "$ak2" != "$ak1" ] && [ "$sk2" != "$sk1" ]; then pass "keys rotate makes a new pair"; else fail "keys rotate: same pair"; fi
check_fails "old key refused right after rotate" s3_as "$ak1" "$sk1" ls
check_contains "$OUT" "InvalidAccessKeyId" "  ... InvalidAccessKeyId"
check_ok "rotated key works" s3_as "$ak2" "$sk2" ls
check_contains "$OUT" "$T-bucket" "  ... and sees the tenant's bucket"

# Suspend and resume.
check_ok "tenant suspend" adm tenant suspend "$T"
check_eq True "$(adm tenant show "$T" --json | json_get suspended | sed 's/true/True/')" "suspended flag set"
check_fails "suspended tenant's key refused" s3_as "$ak2" "$sk2" ls
check_ok "tenant resume" adm tenant resume "$T"
check_ok "resumed tenant's key works" s3_as "$ak2" "$sk2" ls

# Users.
check_ok "user create" adm user create "$T" "$T-alice" --password 'correct horse battery'
check_fails "user create twice" adm user create "$T" "$T-alice" --password 'correct horse battery'
check_fails "user create without --password" adm user create "$T" "$T-bob"
check_contains "$(adm user list "$T")" "$T-alice" "user list"
login() {
	curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-d "{\"username\":\"$1\",\"password\":\"$2\"}" "$COFFER_SERVER/api/login"
}
check_eq 200 "$(login "$T-alice" 'correct horse battery')" "created user can log in to the console"
check_ok "user passwd" adm user passwd "$T" "$T-alice" --password 'new horse battery staple'
check_eq 200 "$(login "$T-alice" 'new horse battery staple')" "new password works"
check_ok "user delete" adm user delete "$T" "$T-alice"
check_not_contains "$(adm user list "$T" --json)" "$T-alice" "deleted user not listed"

# Volumes.
check_ok "volume add" adm volume add "$T" --name data-1 --size 100GiB --server web-01
check_ok "volume add 2" adm volume add "$T" --name data-2 --size 500MB --server web-02
vols=$(adm volume list "$T")
check_contains "$vols" "data-1" "volume list shows data-1"
check_contains "$vols" "100 GiB" "volume list shows the size"
check_contains "$vols" "web-01" "volume list shows the server"
check_contains "$(adm volume list "$T" --json)" "107374182400" "volume list --json has sizeBytes"
check_fails "volume add without --size" adm volume add "$T" --name data-3 --server web-03
check_ok "volume remove" adm volume remove "$T" data-2
check_not_contains "$(adm volume list "$T")" "data-2" "removed volume not listed"
check_fails "volume remove twice" adm volume remove "$T" data-2

# Drives and audit.
drv=$(adm drives)
check_eq 4 "$(printf '%s\n' "$drv" | grep -c ' online ')" "drives: 4 online"
check_eq 4 "$(adm drives --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["drives"]))')" "drives --json"
aud=$(adm audit --tenant "$T" --json)
check_contains "$aud" "$T" "audit --tenant has the tenant's events"
check_not_contains "$aud" "$sk2" "audit never holds a secret"
check_ok "audit table" adm audit --tenant "$T" --limit 5
check_contains "$(adm audit --tenant "$T")" "bucket.create" "audit has the S3 CreateBucket"

# Overview, a tenant's containers, a scrub pass.
check_ok "overview" adm overview
check_contains "$OUT" "Drives:    4 of 4 online" "overview shows the drives"
check_contains "$OUT" "Top tenants by bytes:" "overview ranks tenants"
check_ok "tenant buckets" adm tenant buckets "$T"
check_contains "$OUT" "$T-bucket" "tenant buckets lists the bucket"
check_ok "scrub now" adm scrub now
check_contains "$OUT" "Scrub pass done" "scrub now reports the pass"

# Key delete revokes all S3 access.
s3_as "$ak2" "$sk2" rb "s3://$T-bucket" >/dev/null
check_ok "keys delete" adm keys delete "$T"
check_fails "deleted key refused" s3_as "$ak2" "$sk2" ls
check_contains "$OUT" "InvalidAccessKeyId" "  ... InvalidAccessKeyId"
check_fails "keys delete twice" adm keys delete "$T"
check_fails "keys show after delete" adm keys show "$T"

# Tenant delete needs the typed confirmation.
check_fails "tenant delete without --confirm" adm tenant delete "$T"
check_fails "tenant delete with a wrong --confirm" adm tenant delete "$T" --confirm "x$T"
check_ok "tenant delete" adm tenant delete "$T" --confirm "$T"
check_fails "deleted tenant is gone" adm tenant show "$T"
check_contains "$OUT" "404" "  ... 404"

summary
