#!/usr/bin/env bash
# Public access with the AWS CLI and curl: a bucket policy and canned ACLs
# make objects readable without credentials at TENANT:BUCKET addresses.
# Needs S3_ENDPOINT, E2E_TENANT and the tenant's AWS_* keys (run.sh sets them).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${S3_ENDPOINT:?}" "${E2E_TENANT:?}" "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"

s3api() { aws s3api --endpoint-url "$S3_ENDPOINT" --output json "$@"; }
# anon METHOD PATH: status code of an unsigned request (body in $dir/body).
anon() { curl -sk -o "$dir/body" -w '%{http_code}' -X "$1" "$S3_ENDPOINT$2"; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/public.XXXXXX")
trap 'rm -rf "$dir"' EXIT
B="pub-$RANDOM-$RANDOM"
T=$E2E_TENANT

check_ok "create-bucket" s3api create-bucket --bucket "$B"
printf 'public bytes\n' >"$dir/p.txt"
check_ok "put-object" s3api put-object --bucket "$B" --key p.txt --body "$dir/p.txt"

check_eq 403 "$(anon GET "/$T:$B/p.txt")" "anonymous GET before any policy is refused"
check_contains "$(cat "$dir/body")" "<Code>AccessDenied</Code>" "  ... with AccessDenied"
check_eq 403 "$(anon GET "/$T:no-such-$B/p.txt")" "anonymous GET of a missing bucket: the same 403"

policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::'$B'/*"}]}'
check_ok "put-bucket-policy" s3api put-bucket-policy --bucket "$B" --policy "$policy"
check_contains "$(s3api get-bucket-policy --bucket "$B")" "s3:GetObject" "get-bucket-policy returns it"
check_eq true "$(s3api get-bucket-policy-status --bucket "$B" | json_get PolicyStatus.IsPublic)" "get-bucket-policy-status: public"
check_eq 200 "$(anon GET "/$T:$B/p.txt")" "anonymous GET (curl) under the policy"
check_eq "$(cat "$dir/p.txt")" "$(cat "$dir/body")" "  ... returns the object"
check_eq 403 "$(anon GET "/$T:$B?list-type=2")" "bucket/* does not grant listing"
check_fails "a malformed policy is refused" s3api put-bucket-policy --bucket "$B" --policy '{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::'$B'/*"}]}'
check_contains "$OUT" "MalformedPolicy" "  ... with MalformedPolicy"
check_ok "delete-bucket-policy" s3api delete-bucket-policy --bucket "$B"
check_eq 403 "$(anon GET "/$T:$B/p.txt")" "anonymous GET after delete-bucket-policy"

check_ok "put-object --acl public-read" s3api put-object --bucket "$B" --key open.txt --body "$dir/p.txt" --acl public-read
check_eq 200 "$(anon GET "/$T:$B/open.txt")" "anonymous GET of a public-read object"
check_contains "$(s3api get-object-acl --bucket "$B" --key open.txt)" "http://acs.amazonaws.com/groups/global/AllUsers" "get-object-acl shows AllUsers"
check_ok "put-public-access-block IgnorePublicAcls" s3api put-public-access-block --bucket "$B" \
	--public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
check_eq 403 "$(anon GET "/$T:$B/open.txt")" "IgnorePublicAcls makes it private"
check_fails "BlockPublicPolicy refuses a public policy" s3api put-bucket-policy --bucket "$B" --policy "$policy"
check_contains "$OUT" "AccessDenied" "  ... with AccessDenied"
check_ok "delete-public-access-block" s3api delete-public-access-block --bucket "$B"

check_ok "cleanup" s3api delete-object --bucket "$B" --key p.txt
check_ok "cleanup" s3api delete-object --bucket "$B" --key open.txt
check_ok "delete-bucket" s3api delete-bucket --bucket "$B"
summary
