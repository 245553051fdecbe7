#!/usr/bin/env bash
# Browser-style uploads from the command line: boto3's generate_presigned_post
# signs a POST policy (SigV4, a key prefix and a size range), curl sends the
# form as a browser would, and the AWS CLI reads the object back. Then an
# unsigned form allowed by a bucket policy, the bucket's CORS rules via the
# AWS CLI and a curl preflight, and bucket tags.
# Uses what run.sh exports (S3_ENDPOINT, E2E_TENANT, AWS_* keys).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${S3_ENDPOINT:?}" "${E2E_TENANT:?}" "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"

bucket=post-box
awsc=(aws --endpoint-url "$S3_ENDPOINT")
check_ok "create bucket" "${awsc[@]}" s3api create-bucket --bucket "$bucket"

# presign KEY_PREFIX MAX_BYTES [SIGNATURE_VERSION]: prints the presigned
# POST as JSON (boto3's default signature is SigV2's for POST policies).
presign() {
	python3 - "$S3_ENDPOINT" "$bucket" "$1" "$2" "${3:-}" <<'PY'
import json, sys
import boto3
from botocore.config import Config
endpoint, bucket, prefix, limit, sigv = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
cfg = Config(signature_version=sigv) if sigv else None
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", config=cfg)
post = s3.generate_presigned_post(
    bucket, prefix + "${filename}",
    Fields={"success_action_status": "201", "Content-Type": "text/plain"},
    Conditions=[["starts-with", "$key", prefix], ["content-length-range", 1, limit],
                {"success_action_status": "201"}, {"Content-Type": "text/plain"}],
    ExpiresIn=600)
print(json.dumps(post))
PY
}

# post_form JSON FILE: sends the presigned form with FILE last, as browsers
# do; prints the status line's code and then the body.
post_form() {
	local url args=()
	url=$(printf '%s' "$1" | json_get url)
	while IFS= read -r field; do
		args+=(--form-string "$field")
	done < <(printf '%s' "$1" | python3 -c 'import json,sys; [print(k + "=" + v) for k, v in json.load(sys.stdin)["fields"].items()]')
	curl -sS -o post-body.txt -w '%{http_code}' "${args[@]}" -F "file=@$2;type=text/plain" "$url"
	echo
	cat post-body.txt
}

printf 'uploaded by curl with a boto3 presigned POST\n' >note.txt
form=$(presign "v2/" 1024)
check_contains "$form" '"AWSAccessKeyId"' "boto3's default presigned POST is SigV2"
out=$(post_form "$form" note.txt)
check_eq 201 "$(head -n1 <<<"$out")" "curl POST upload with the SigV2 form answers 201"
check_contains "$out" "<Key>v2/note.txt</Key>" "and stores v2/note.txt"

form=$(presign "inbox/" 1024 s3v4)
check_contains "$form" '"x-amz-signature"' "boto3 signs the s3v4 POST policy with SigV4"
out=$(post_form "$form" note.txt)
check_eq 201 "$(head -n1 <<<"$out")" "curl POST upload answers 201"
check_contains "$out" "<Key>inbox/note.txt</Key>" "the answer names the key with \${filename} expanded"
"${awsc[@]}" s3 cp "s3://$bucket/inbox/note.txt" got.txt >/dev/null
check_eq "$(sha256sum <note.txt | cut -d' ' -f1)" "$(sha256sum <got.txt | cut -d' ' -f1)" "the AWS CLI reads the uploaded bytes back"
check_eq text/plain "$("${awsc[@]}" s3api head-object --bucket "$bucket" --key inbox/note.txt | json_get ContentType)" "the form's Content-Type is stored"

head -c 2048 /dev/urandom >big.txt
out=$(post_form "$form" big.txt)
check_eq 400 "$(head -n1 <<<"$out")" "a file over the policy's range is refused"
check_contains "$out" "<Code>EntityTooLarge</Code>" "with EntityTooLarge"
check_fails "and nothing is stored" "${awsc[@]}" s3api head-object --bucket "$bucket" --key inbox/big.txt

# An unsigned form is an anonymous PutObject: refused until the bucket's
# policy lets anyone put under drop/, and only at the TENANT:BUCKET address.
anon_post() {
	curl -sS -o /dev/null -w '%{http_code}' -F "key=$1" -F "file=@note.txt;type=text/plain" "$S3_ENDPOINT/$2"
}
check_eq 403 "$(anon_post drop/a.txt "$E2E_TENANT:$bucket")" "an unsigned form without a policy is refused"
cat >drop-policy.json <<JSON
{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::$bucket/drop/*"}]}
JSON
check_ok "put-bucket-policy (anyone may put under drop/)" "${awsc[@]}" s3api put-bucket-policy --bucket "$bucket" --policy file://drop-policy.json
check_eq 204 "$(anon_post drop/a.txt "$E2E_TENANT:$bucket")" "an unsigned form at TENANT:BUCKET is allowed by the policy"
check_eq 403 "$(anon_post other/a.txt "$E2E_TENANT:$bucket")" "outside the policy's resource it is refused"
check_eq 403 "$(anon_post drop/b.txt "$bucket")" "without the tenant in the address it is refused"
"${awsc[@]}" s3 cp "s3://$bucket/drop/a.txt" got-anon.txt >/dev/null
check_eq "$(sha256sum <note.txt | cut -d' ' -f1)" "$(sha256sum <got-anon.txt | cut -d' ' -f1)" "the anonymous upload is stored"
check_ok "delete-bucket-policy" "${awsc[@]}" s3api delete-bucket-policy --bucket "$bucket"

# CORS: rules set and read with the AWS CLI; a preflight by curl to the
# tenant:bucket address (preflights carry no credentials).
cat >cors.json <<'JSON'
{"CORSRules": [{"AllowedOrigins": ["https://app.example"], "AllowedMethods": ["GET", "POST"], "AllowedHeaders": ["*"], "MaxAgeSeconds": 300}]}
JSON
check_ok "put-bucket-cors" "${awsc[@]}" s3api put-bucket-cors --bucket "$bucket" --cors-configuration file://cors.json
check_ok "get-bucket-cors" "${awsc[@]}" s3api get-bucket-cors --bucket "$bucket"
check_eq https://app.example "$(printf '%s' "$OUT" | json_get CORSRules.0.AllowedOrigins.0)" "get-bucket-cors returns the rule"
pre=$(curl -sS -o /dev/null -D - -X OPTIONS -H 'Origin: https://app.example' -H 'Access-Control-Request-Method: POST' \
	"$S3_ENDPOINT/$E2E_TENANT:$bucket/inbox/x" | tr -d '\r')
check_contains "$pre" "HTTP/1.1 200" "an allowed preflight answers 200"
check_contains "$pre" "Access-Control-Allow-Origin: https://app.example" "and allows the origin"
code=$(curl -sS -o /dev/null -w '%{http_code}' -X OPTIONS -H 'Origin: https://evil.example' -H 'Access-Control-Request-Method: POST' \
	"$S3_ENDPOINT/$E2E_TENANT:$bucket/inbox/x")
check_eq 403 "$code" "a preflight from another origin is refused"
check_ok "delete-bucket-cors" "${awsc[@]}" s3api delete-bucket-cors --bucket "$bucket"
check_fails "get-bucket-cors after delete" "${awsc[@]}" s3api get-bucket-cors --bucket "$bucket"
check_contains "$OUT" "NoSuchCORSConfiguration" "answers NoSuchCORSConfiguration"

# Bucket tags.
check_ok "put-bucket-tagging" "${awsc[@]}" s3api put-bucket-tagging --bucket "$bucket" --tagging 'TagSet=[{Key=team,Value=web}]'
check_eq web "$("${awsc[@]}" s3api get-bucket-tagging --bucket "$bucket" | json_get TagSet.0.Value)" "get-bucket-tagging returns the tag"
check_ok "delete-bucket-tagging" "${awsc[@]}" s3api delete-bucket-tagging --bucket "$bucket"
check_fails "get-bucket-tagging after delete" "${awsc[@]}" s3api get-bucket-tagging --bucket "$bucket"
check_contains "$OUT" "NoSuchTagSet" "answers NoSuchTagSet"

summary
