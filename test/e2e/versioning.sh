#!/usr/bin/env bash
# S3 versioning and Object Lock (issue 14) through the AWS CLI, as a tenant
# uses them: every version kept, listed, addressed and protected as AWS does.
# Needs S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (run.sh sets them).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${S3_ENDPOINT:?}" "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"
# Keep going after an unexpected error (lib.sh's ERR trap counts and prints
# each one), so one run reports every check of this long flow.
set +e
# An error is an answer to check, not something to retry (a 501 or 500 would
# otherwise cost five attempts with backoff each).
export AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard

s3() { aws s3 --endpoint-url "$S3_ENDPOINT" "$@"; }
s3api() { aws s3api --endpoint-url "$S3_ENDPOINT" --output json "$@"; }

# jv EXPR: evaluates a Python expression over the JSON document on stdin,
# bound to j (an empty answer, which the CLI prints as nothing, is {}), and
# prints the result: lists, dicts and booleans as JSON, None as nothing.
jv() {
	python3 -c '
import json, sys
raw = sys.stdin.read().strip()
j = json.loads(raw) if raw else {}
v = eval(sys.argv[1], {"j": j})
print("" if v is None else json.dumps(v) if isinstance(v, (dict, list, bool)) else v)
' "$1"
}

# check_error WHAT CODE CMD...: the command must fail with the S3 error CODE
# (the CLI prints "An error occurred (CODE) when calling ..."; HEAD has no
# body, so there CODE is the status).
check_error() {
	local what=$1 code=$2
	shift 2
	if OUT=$("$@" 2>&1); then
		fail "$what: succeeded but must fail with $code: $OUT"
		return
	fi
	check_contains "$OUT" "An error occurred ($code)" "$what"
}

# check_same WANT GOT WHAT: check_eq for a WANT taken from an earlier answer,
# which must not be empty (an id that was never given cannot match).
check_same() {
	if [ -z "$1" ]; then fail "$3: nothing to compare (an earlier answer lacked it)"; else check_eq "$@"; fi
}

# iso_in SECONDS: the UTC time SECONDS from now, as the CLI takes it.
iso_in() { date -u -d "+$1 seconds" +%Y-%m-%dT%H:%M:%SZ; }

# same_time A B [SECONDS]: whether two ISO 8601 times are less than SECONDS
# (1 unless given) apart.
same_time() {
	python3 -c '
import sys
from datetime import datetime
a, b = (datetime.fromisoformat(s.replace("Z", "+00:00")) for s in sys.argv[1:3])
d = abs((a - b).total_seconds())
print("%s and %s are %.1f s apart" % (a, b, d))
sys.exit(0 if d < float(sys.argv[3]) else 1)
' "$1" "$2" "${3:-1}"
}

# listed_order BUCKET KEY: the version ids of KEY's versions (not delete
# markers: the CLI's JSON keeps those in a list of their own) in the order
# the server lists them.
listed_order() {
	s3api list-object-versions --bucket "$1" --prefix "$2" | K="$2" jv '" ".join(v["VersionId"] for v in j.get("Versions", []) if v["Key"] == __import__("os").environ["K"])'
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/versioning.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
V="ver-$RANDOM-$RANDOM"
L="lock-$RANDOM-$RANDOM"
P="plain-$RANDOM-$RANDOM"

# --- A never-versioned bucket lists its objects as the null version. ---
check_ok "create-bucket" s3api create-bucket --bucket "$V"
check_ok "get-bucket-versioning on a new bucket" s3api get-bucket-versioning --bucket "$V"
check_eq "" "$(printf '%s' "$OUT" | jv 'j.get("Status")')" "  ... no Status before versioning was ever set"
printf 'before versioning\n' >v0.txt
check_ok "put-object on the unversioned bucket" s3api put-object --bucket "$V" --key old.txt --body v0.txt
check_eq "null true" "$(s3api list-object-versions --bucket "$V" | jv '" ".join("%s %s" % (v["VersionId"], str(v["IsLatest"]).lower()) for v in j.get("Versions", []))')" \
	"list-object-versions on an unversioned bucket: VersionId null, IsLatest"

# --- Enabled: every PUT is a new version. ---
check_ok "put-bucket-versioning Enabled" s3api put-bucket-versioning --bucket "$V" --versioning-configuration Status=Enabled
check_eq "Enabled" "$(s3api get-bucket-versioning --bucket "$V" | jv 'j.get("Status")')" "get-bucket-versioning: Enabled"
ids=()
for n in 1 2 3; do
	head -c $((1000 * n + 7)) /dev/urandom >"v$n.bin"
	ids+=("$(s3api put-object --bucket "$V" --key doc.bin --body "v$n.bin" | jv 'j.get("VersionId")')")
done
check_eq 3 "$(printf '%s\n' "${ids[@]}" | grep -v -e '^null$' -e '^$' | sort -u | wc -l | tr -d ' ')" \
	"three put-objects of one key answer three distinct VersionIds (${ids[*]})"
lov=$(s3api list-object-versions --bucket "$V" --prefix doc.bin)
check_eq "${ids[2]} ${ids[1]} ${ids[0]}" "$(printf '%s' "$lov" | jv '" ".join(v["VersionId"] for v in j.get("Versions", []))')" \
	"list-object-versions: newest version first"
check_eq "true false false" "$(printf '%s' "$lov" | jv '" ".join(str(v["IsLatest"]).lower() for v in j.get("Versions", []))')" \
	"list-object-versions: IsLatest only on the newest"
check_eq "3007 2007 1007" "$(printf '%s' "$lov" | jv '" ".join(str(v["Size"]) for v in j.get("Versions", []))')" \
	"list-object-versions: each version's Size"
check_eq 0 "$(printf '%s' "$lov" | jv 'len(j.get("DeleteMarkers", []))')" "list-object-versions: no DeleteMarkers yet"
check_eq "null" "$(s3api list-object-versions --bucket "$V" --prefix old.txt | jv '" ".join(v["VersionId"] for v in j.get("Versions", []))')" \
	"the object written before versioning stays the null version"
check_same "$lov" "$(s3api list-object-versions --bucket "$V" --prefix doc.bin --page-size 1)" \
	"list-object-versions paged one by one (key/version-id markers) equals the whole listing"

check_ok "get-object --version-id of the oldest" s3api get-object --bucket "$V" --key doc.bin --version-id "${ids[0]}" got1.bin
check_eq "$(sha256 v1.bin)" "$(sha256 got1.bin)" "get-object --version-id: the older content's bytes"
check_same "${ids[0]}" "$(printf '%s' "$OUT" | jv 'j.get("VersionId")')" "get-object --version-id answers that VersionId"
check_ok "get-object of the current version" s3api get-object --bucket "$V" --key doc.bin got3.bin
check_eq "$(sha256 v3.bin)" "$(sha256 got3.bin)" "get-object without a version: the newest bytes"
check_same "${ids[2]}" "$(printf '%s' "$OUT" | jv 'j.get("VersionId")')" "get-object without a version answers the current VersionId"
check_eq 2007 "$(s3api head-object --bucket "$V" --key doc.bin --version-id "${ids[1]}" | jv 'j.get("ContentLength")')" \
	"head-object --version-id: that version's length"

# A version addressed in a copy source and in tagging.
check_ok "copy-object from a specific version" s3api copy-object --bucket "$V" --key copy.bin --copy-source "$V/doc.bin?versionId=${ids[0]}"
check_same "${ids[0]}" "$(printf '%s' "$OUT" | jv 'j.get("CopySourceVersionId")')" "copy-object answers CopySourceVersionId"
s3api get-object --bucket "$V" --key copy.bin copy.bin >/dev/null
check_eq "$(sha256 v1.bin)" "$(sha256 copy.bin)" "copy-object from a version copies that version's bytes"
check_ok "put-object-tagging --version-id" s3api put-object-tagging --bucket "$V" --key doc.bin --version-id "${ids[0]}" \
	--tagging 'TagSet=[{Key=era,Value=first}]'
check_eq '[{"Key": "era", "Value": "first"}]' "$(s3api get-object-tagging --bucket "$V" --key doc.bin --version-id "${ids[0]}" | jv 'j.get("TagSet")')" \
	"get-object-tagging --version-id: the version's tags"
check_eq '[]' "$(s3api get-object-tagging --bucket "$V" --key doc.bin | jv 'j.get("TagSet", [])')" "the current version has no tags"

# A multipart upload (the CLI's own, above 8 MiB) makes a version too.
head -c $((9 * 1024 * 1024)) /dev/urandom >v4.bin
check_ok "s3 cp of 9 MiB (multipart) onto the versioned key" s3 cp v4.bin "s3://$V/doc.bin"
check_eq 4 "$(s3api list-object-versions --bucket "$V" --prefix doc.bin | jv 'len(j.get("Versions", []))')" "CompleteMultipartUpload added a fourth version"
ids+=("$(s3api head-object --bucket "$V" --key doc.bin | jv 'j.get("VersionId")')")
check_eq "${ids[3]} ${ids[2]} ${ids[1]} ${ids[0]}" "$(listed_order "$V" doc.bin)" "the multipart version is the newest"

# --- Delete markers. ---
check_ok "delete-object without a version" s3api delete-object --bucket "$V" --key doc.bin
check_eq "true" "$(printf '%s' "$OUT" | jv 'j.get("DeleteMarker")')" "delete-object answers DeleteMarker true"
dm=$(printf '%s' "$OUT" | jv 'j.get("VersionId")')
check_nonempty "${dm#null}" "delete-object answers the delete marker's VersionId (not null)"
lov=$(s3api list-object-versions --bucket "$V" --prefix doc.bin)
check_eq "$dm true" "$(printf '%s' "$lov" | jv '" ".join("%s %s" % (d["VersionId"], str(d["IsLatest"]).lower()) for d in j.get("DeleteMarkers", []))')" \
	"list-object-versions: one DeleteMarker, IsLatest"
check_eq "4 0" "$(printf '%s' "$lov" | jv '"%d %d" % (len(j.get("Versions", [])), sum(v["IsLatest"] for v in j.get("Versions", [])))')" \
	"list-object-versions: all four versions kept, none latest"
check_error "get-object of a key whose latest is a delete marker" NoSuchKey s3api get-object --bucket "$V" --key doc.bin gone.bin
check_error "head-object of it" 404 s3api head-object --bucket "$V" --key doc.bin
check_error "get-object --version-id of the delete marker" MethodNotAllowed s3api get-object --bucket "$V" --key doc.bin --version-id "$dm" dm.bin
check_error "head-object --version-id of the delete marker" 405 s3api head-object --bucket "$V" --key doc.bin --version-id "$dm"
check_not_contains "$(s3api list-objects-v2 --bucket "$V" | jv '[o["Key"] for o in j.get("Contents", [])]')" '"doc.bin"' \
	"list-objects-v2 hides a key whose latest is a delete marker"
check_ok "an older version still reads under the marker" s3api get-object --bucket "$V" --key doc.bin --version-id "${ids[1]}" got2.bin
check_eq "$(sha256 v2.bin)" "$(sha256 got2.bin)" "  ... with its bytes"

check_ok "delete-object --version-id of the delete marker (undelete)" s3api delete-object --bucket "$V" --key doc.bin --version-id "$dm"
check_same "true $dm" "$(printf '%s' "$OUT" | jv '"%s %s" % (str(j.get("DeleteMarker")).lower(), j.get("VersionId"))')" "  ... answers DeleteMarker true and its VersionId"
s3api get-object --bucket "$V" --key doc.bin back.bin >/dev/null
check_eq "$(sha256 v4.bin)" "$(sha256 back.bin)" "removing the marker makes the newest version current again"

# --- Permanent deletes of one version. ---
check_ok "delete-object --version-id of a middle version" s3api delete-object --bucket "$V" --key doc.bin --version-id "${ids[1]}"
check_same "${ids[1]}" "$(printf '%s' "$OUT" | jv 'j.get("VersionId")')" "  ... answers that VersionId"
check_eq "${ids[3]} ${ids[2]} ${ids[0]}" "$(listed_order "$V" doc.bin)" "the deleted version is gone from list-object-versions"
check_error "get-object --version-id of the removed version" NoSuchVersion s3api get-object --bucket "$V" --key doc.bin --version-id "${ids[1]}" x.bin
check_ok "delete-object --version-id of the current version" s3api delete-object --bucket "$V" --key doc.bin --version-id "${ids[3]}"
check_eq "${ids[2]} true" "$(s3api list-object-versions --bucket "$V" --prefix doc.bin | jv '" ".join("%s %s" % (v["VersionId"], str(v["IsLatest"]).lower()) for v in j.get("Versions", [])[:1])')" \
	"deleting the current version promotes the next newest to IsLatest"
s3api get-object --bucket "$V" --key doc.bin cur.bin >/dev/null
check_eq "$(sha256 v3.bin)" "$(sha256 cur.bin)" "  ... and get-object reads it"
check_error "get-object with a malformed version id" InvalidArgument s3api get-object --bucket "$V" --key doc.bin --version-id "not/a version" x.bin

# Keys the URL encoding must carry, a delimiter, CommonPrefixes.
printf 'odd' >odd.txt
check_ok "put-object of a key with spaces, + and %" s3api put-object --bucket "$V" --key "dir/a b+c%.txt" --body odd.txt
lst=$(s3api list-object-versions --bucket "$V" --prefix dir/)
check_eq "dir/a b+c%.txt" "$(printf '%s' "$lst" | jv '" ".join(v["Key"] for v in j.get("Versions", []))')" \
	"list-object-versions (encoding-type url) round-trips an odd key"
check_eq '["dir/"]' "$(s3api list-object-versions --bucket "$V" --delimiter / | jv '[p["Prefix"] for p in j.get("CommonPrefixes", [])]')" \
	"list-object-versions with a delimiter: CommonPrefixes"

# --- Suspended: writes replace the null version, older versions stay. ---
check_ok "put-bucket-versioning Suspended" s3api put-bucket-versioning --bucket "$V" --versioning-configuration Status=Suspended
check_eq "Suspended" "$(s3api get-bucket-versioning --bucket "$V" | jv 'j.get("Status")')" "get-bucket-versioning: Suspended"
printf 'suspended one\n' >s1.txt
printf 'suspended two, longer\n' >s2.txt
check_ok "put-object while suspended" s3api put-object --bucket "$V" --key doc.bin --body s1.txt
check_ok "put-object again while suspended" s3api put-object --bucket "$V" --key doc.bin --body s2.txt
check_eq "null ${ids[2]} ${ids[0]}" "$(listed_order "$V" doc.bin)" "suspended writes replaced one null version; the older versions stay"
s3api get-object --bucket "$V" --key doc.bin --version-id null null.txt >/dev/null
check_eq "$(sha256 s2.txt)" "$(sha256 null.txt)" "get-object --version-id null: the last suspended write"
check_ok "put-bucket-versioning Enabled again" s3api put-bucket-versioning --bucket "$V" --versioning-configuration Status=Enabled
check_ok "put-object after re-enabling" s3api put-object --bucket "$V" --key doc.bin --body v1.bin
new=$(printf '%s' "$OUT" | jv 'j.get("VersionId")')
check_eq "$new null ${ids[2]} ${ids[0]}" "$(listed_order "$V" doc.bin)" "re-enabled: a new version on top, the null version kept as noncurrent"

# --- DeleteBucket refuses a bucket whose only key is a delete marker over a version. ---
check_ok "create-bucket (for DeleteBucket)" s3api create-bucket --bucket "$P-del"
s3api put-bucket-versioning --bucket "$P-del" --versioning-configuration Status=Enabled >/dev/null
pid=$(s3api put-object --bucket "$P-del" --key k --body v1.bin | jv 'j.get("VersionId")')
pdm=$(s3api delete-object --bucket "$P-del" --key k | jv 'j.get("VersionId")')
check_eq "" "$(s3api list-objects-v2 --bucket "$P-del" | jv 'j.get("Contents")')" "list-objects-v2 shows no object"
check_error "delete-bucket with a noncurrent version and a delete marker" BucketNotEmpty s3api delete-bucket --bucket "$P-del"
check_ok "delete-object --version-id of the version" s3api delete-object --bucket "$P-del" --key k --version-id "$pid"
check_error "delete-bucket with a delete marker left" BucketNotEmpty s3api delete-bucket --bucket "$P-del"
check_ok "delete-object --version-id of the marker" s3api delete-object --bucket "$P-del" --key k --version-id "$pdm"
check_ok "delete-bucket once every version is gone" s3api delete-bucket --bucket "$P-del"

# --- DeleteBucket of a bucket holding only an unfinished upload aborts it (AWS). ---
s3api create-bucket --bucket "$P-mpu" >/dev/null
s3api create-multipart-upload --bucket "$P-mpu" --key pending >/dev/null
check_ok "delete-bucket of a bucket holding only an unfinished upload" s3api delete-bucket --bucket "$P-mpu"

# Clean up the versioned bucket: every version and marker, then the bucket.
s3api list-object-versions --bucket "$V" | jv '"\n".join("%s\t%s" % (v["Key"], v["VersionId"]) for v in j.get("Versions", []) + j.get("DeleteMarkers", []))' >all.tsv
while IFS=$'\t' read -r k id; do
	[ -n "$k" ] && s3api delete-object --bucket "$V" --key "$k" --version-id "$id" >/dev/null
done <all.tsv
check_ok "list-object-versions after deleting every version by id" s3api list-object-versions --bucket "$V"
check_eq "0 0" "$(printf '%s' "$OUT" | jv '"%d %d" % (len(j.get("Versions", [])), len(j.get("DeleteMarkers", [])))')" "  ... lists nothing"
check_ok "delete-bucket of the emptied versioned bucket" s3api delete-bucket --bucket "$V"

# --- Object Lock. ---
check_ok "create-bucket --object-lock-enabled-for-bucket" s3api create-bucket --bucket "$L" --object-lock-enabled-for-bucket
check_eq "Enabled" "$(s3api get-bucket-versioning --bucket "$L" | jv 'j.get("Status")')" "Object Lock turns versioning on"
check_eq "Enabled" "$(s3api get-object-lock-configuration --bucket "$L" | jv 'j["ObjectLockConfiguration"].get("ObjectLockEnabled")')" \
	"get-object-lock-configuration: ObjectLockEnabled"
check_error "versioning cannot be suspended on an Object Lock bucket" InvalidBucketState \
	s3api put-bucket-versioning --bucket "$L" --versioning-configuration Status=Suspended

printf 'governed\n' >g.txt
gid=$(s3api put-object --bucket "$L" --key g.txt --body g.txt | jv 'j.get("VersionId")')
until=$(iso_in 86400)
check_ok "put-object-retention GOVERNANCE" s3api put-object-retention --bucket "$L" --key g.txt --version-id "$gid" \
	--retention "{\"Mode\":\"GOVERNANCE\",\"RetainUntilDate\":\"$until\"}"
ret=$(s3api get-object-retention --bucket "$L" --key g.txt --version-id "$gid")
check_eq GOVERNANCE "$(printf '%s' "$ret" | jv 'j["Retention"]["Mode"]')" "get-object-retention: Mode"
check_ok "get-object-retention: RetainUntilDate as set" same_time "$until" "$(printf '%s' "$ret" | jv 'j["Retention"]["RetainUntilDate"]')"
check_eq GOVERNANCE "$(s3api head-object --bucket "$L" --key g.txt --version-id "$gid" | jv 'j.get("ObjectLockMode")')" "head-object shows ObjectLockMode"
check_error "delete-object --version-id of a GOVERNANCE version" AccessDenied s3api delete-object --bucket "$L" --key g.txt --version-id "$gid"
check_contains "$OUT" "object lock" "  ... the message says Object Lock protects it"
check_error "shortening GOVERNANCE retention without bypass" AccessDenied s3api put-object-retention --bucket "$L" --key g.txt --version-id "$gid" \
	--retention "{\"Mode\":\"GOVERNANCE\",\"RetainUntilDate\":\"$(iso_in 3600)\"}"
check_ok "delete-object without a version on a locked object adds a marker" s3api delete-object --bucket "$L" --key g.txt
gdm=$(printf '%s' "$OUT" | jv 'j.get("VersionId")')
check_ok "  ... and the marker can be removed" s3api delete-object --bucket "$L" --key g.txt --version-id "$gdm"
check_ok "delete-object --version-id --bypass-governance-retention" s3api delete-object --bucket "$L" --key g.txt --version-id "$gid" --bypass-governance-retention
check_error "  ... the version is gone" NoSuchVersion s3api get-object --bucket "$L" --key g.txt --version-id "$gid" x.txt

printf 'held\n' >h.txt
hid=$(s3api put-object --bucket "$L" --key h.txt --body h.txt | jv 'j.get("VersionId")')
check_ok "put-object-legal-hold ON" s3api put-object-legal-hold --bucket "$L" --key h.txt --version-id "$hid" --legal-hold Status=ON
check_eq ON "$(s3api get-object-legal-hold --bucket "$L" --key h.txt --version-id "$hid" | jv 'j["LegalHold"]["Status"]')" "get-object-legal-hold: ON"
check_eq ON "$(s3api head-object --bucket "$L" --key h.txt --version-id "$hid" | jv 'j.get("ObjectLockLegalHoldStatus")')" "head-object shows the legal hold"
check_error "a legal hold blocks delete --version-id even with bypass" AccessDenied \
	s3api delete-object --bucket "$L" --key h.txt --version-id "$hid" --bypass-governance-retention
check_ok "put-object-legal-hold OFF" s3api put-object-legal-hold --bucket "$L" --key h.txt --version-id "$hid" --legal-hold Status=OFF
check_ok "  ... then delete-object --version-id succeeds" s3api delete-object --bucket "$L" --key h.txt --version-id "$hid"

check_ok "put-object-lock-configuration with a default retention" s3api put-object-lock-configuration --bucket "$L" \
	--object-lock-configuration '{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}'
check_eq "GOVERNANCE 1" "$(s3api get-object-lock-configuration --bucket "$L" | jv '"%s %s" % (j["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Mode"], j["ObjectLockConfiguration"]["Rule"]["DefaultRetention"].get("Days"))')" \
	"get-object-lock-configuration: the default retention"
did=$(s3api put-object --bucket "$L" --key d.txt --body g.txt | jv 'j.get("VersionId")')
head=$(s3api head-object --bucket "$L" --key d.txt --version-id "$did")
check_eq GOVERNANCE "$(printf '%s' "$head" | jv 'j.get("ObjectLockMode")')" "a new version gets the default retention mode"
check_ok "  ... retained until a day from now" same_time "$(iso_in 86400)" "$(printf '%s' "$head" | jv 'j.get("ObjectLockRetainUntilDate")')" 60
check_error "the default retention protects the version" AccessDenied s3api delete-object --bucket "$L" --key d.txt --version-id "$did"
check_ok "  ... bypassed in GOVERNANCE" s3api delete-object --bucket "$L" --key d.txt --version-id "$did" --bypass-governance-retention
check_ok "put-object-lock-configuration without a default" s3api put-object-lock-configuration --bucket "$L" \
	--object-lock-configuration '{"ObjectLockEnabled":"Enabled"}'

# COMPLIANCE for 20 s (enough for the CLI calls below on a loaded
# machine): no bypass, no weakening, extension allowed; deletable once the
# date has passed (a bounded wait).
printf 'compliant\n' >c.txt
cuntil=$(iso_in 20)
cid=$(s3api put-object --bucket "$L" --key c.txt --body c.txt --object-lock-mode COMPLIANCE --object-lock-retain-until-date "$cuntil" | jv 'j.get("VersionId")')
check_eq COMPLIANCE "$(s3api head-object --bucket "$L" --key c.txt --version-id "$cid" | jv 'j.get("ObjectLockMode")')" \
	"put-object --object-lock-mode COMPLIANCE"
check_error "COMPLIANCE: delete --version-id with bypass is refused" AccessDenied \
	s3api delete-object --bucket "$L" --key c.txt --version-id "$cid" --bypass-governance-retention
check_error "COMPLIANCE cannot become GOVERNANCE" AccessDenied s3api put-object-retention --bucket "$L" --key c.txt --version-id "$cid" \
	--bypass-governance-retention --retention "{\"Mode\":\"GOVERNANCE\",\"RetainUntilDate\":\"$cuntil\"}"
check_error "COMPLIANCE cannot be shortened" AccessDenied s3api put-object-retention --bucket "$L" --key c.txt --version-id "$cid" \
	--retention "{\"Mode\":\"COMPLIANCE\",\"RetainUntilDate\":\"$(iso_in 5)\"}"
cuntil=$(python3 -c 'import sys; from datetime import datetime, timedelta; print((datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00")) + timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$cuntil")
check_ok "COMPLIANCE can be extended" s3api put-object-retention --bucket "$L" --key c.txt --version-id "$cid" \
	--retention "{\"Mode\":\"COMPLIANCE\",\"RetainUntilDate\":\"$cuntil\"}"
check_ok "  ... get-object-retention shows the new date" same_time "$cuntil" \
	"$(s3api get-object-retention --bucket "$L" --key c.txt --version-id "$cid" | jv 'j["Retention"]["RetainUntilDate"]')"
deleted=no
deadline=$((SECONDS + 45))
while [ "$SECONDS" -lt "$deadline" ]; do
	if s3api delete-object --bucket "$L" --key c.txt --version-id "$cid" >/dev/null 2>&1; then
		deleted=yes
		break
	fi
	sleep 0.5
done
check_eq yes "$deleted" "a COMPLIANCE version is deletable once its date has passed"

# Lock requests on a bucket without Object Lock.
check_ok "create-bucket without Object Lock" s3api create-bucket --bucket "$P"
check_ok "put-object there" s3api put-object --bucket "$P" --key p.txt --body g.txt
check_error "put-object-retention on a bucket without Object Lock" InvalidRequest s3api put-object-retention --bucket "$P" --key p.txt \
	--retention "{\"Mode\":\"GOVERNANCE\",\"RetainUntilDate\":\"$until\"}"
check_contains "$OUT" "Object Lock Configuration" "  ... 'Bucket is missing Object Lock Configuration'"
check_error "put-object --object-lock-mode on a bucket without Object Lock" InvalidRequest s3api put-object --bucket "$P" --key p2.txt --body g.txt \
	--object-lock-mode GOVERNANCE --object-lock-retain-until-date "$until"
check_error "put-object-legal-hold on a bucket without Object Lock" InvalidRequest s3api put-object-legal-hold --bucket "$P" --key p.txt --legal-hold Status=ON
check_error "get-object-lock-configuration on a bucket without Object Lock" ObjectLockConfigurationNotFoundError s3api get-object-lock-configuration --bucket "$P"
check_error "put-object-lock-configuration on an unversioned bucket" InvalidBucketState s3api put-object-lock-configuration --bucket "$P" \
	--object-lock-configuration '{"ObjectLockEnabled":"Enabled"}'

# Clean up what is not locked (the lock bucket holds only deletable versions now).
s3api delete-object --bucket "$P" --key p.txt >/dev/null
s3api delete-bucket --bucket "$P" >/dev/null
s3api list-object-versions --bucket "$L" | jv '"\n".join("%s\t%s" % (v["Key"], v["VersionId"]) for v in j.get("Versions", []) + j.get("DeleteMarkers", []))' >lock.tsv
while IFS=$'\t' read -r k id; do
	[ -n "$k" ] && s3api delete-object --bucket "$L" --key "$k" --version-id "$id" --bypass-governance-retention >/dev/null
done <lock.tsv
check_ok "delete-bucket of the emptied Object Lock bucket" s3api delete-bucket --bucket "$L"

summary || exit 1
