#!/usr/bin/env bash
# The AWS CLI against a running coffer with its default settings, as a tenant
# uses it. Needs S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (run.sh sets them).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${S3_ENDPOINT:?}" "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"

s3() { aws s3 --endpoint-url "$S3_ENDPOINT" "$@"; }
s3api() { aws s3api --endpoint-url "$S3_ENDPOINT" --output json "$@"; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/awscli.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
B="cli-$RANDOM-$RANDOM"

# Buckets.
check_ok "s3 mb" s3 mb "s3://$B"
check_contains "$(s3 ls)" "$B" "s3 ls lists the new bucket"
check_fails "s3 mb of an existing bucket fails" s3 mb "s3://$B"
check_contains "$OUT" "BucketAlreadyOwnedByYou" "  ... with BucketAlreadyOwnedByYou"

# cp up and down.
printf 'hello coffer\n' >hello.txt
check_ok "s3 cp upload" s3 cp hello.txt "s3://$B/dir/hello.txt"
check_ok "s3 cp download" s3 cp "s3://$B/dir/hello.txt" got.txt
check_eq "$(sha256 hello.txt)" "$(sha256 got.txt)" "downloaded bytes equal uploaded"
check_contains "$(s3 ls "s3://$B/dir/")" "hello.txt" "s3 ls of a prefix"

# The product page's profile form: aws configure --profile my-storage.
aws configure set aws_access_key_id "$AWS_ACCESS_KEY_ID" --profile my-storage
aws configure set aws_secret_access_key "$AWS_SECRET_ACCESS_KEY" --profile my-storage
aws configure set region us-east-1 --profile my-storage
aws configure set output json --profile my-storage
check_contains "$(env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY aws s3 ls --profile my-storage --endpoint-url "$S3_ENDPOINT")" "$B" "product page: aws s3 ls --profile my-storage"
check_ok "product page: aws s3 cp myfile.txt" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	aws s3 cp hello.txt "s3://$B/" --profile my-storage --endpoint-url "$S3_ENDPOINT"

# sync both ways, with nested directories.
mkdir -p data/a/b data/c
for i in 1 2 3 4 5; do head -c $((i * 1000)) /dev/urandom >"data/a/f$i"; done
head -c 777 /dev/urandom >data/a/b/deep.bin
printf 'x' >data/c/one.txt
check_ok "s3 sync up" s3 sync ./data "s3://$B/data"
check_eq 7 "$(s3 ls --recursive "s3://$B/data/" | wc -l | tr -d ' ')" "s3 ls --recursive counts the synced files"
check_ok "s3 sync again uploads nothing" s3 sync ./data "s3://$B/data"
check_eq "" "$OUT" "  ... second sync is a no-op"
check_ok "s3 sync down" s3 sync "s3://$B/data" ./data-back
check_ok "synced tree identical" diff -r data data-back

# mv.
check_ok "s3 mv" s3 mv "s3://$B/dir/hello.txt" "s3://$B/moved/hello.txt"
check_fails "moved source is gone" s3api head-object --bucket "$B" --key dir/hello.txt
check_contains "$OUT" "404" "  ... head-object answers 404"

# presign + curl.
url=$(s3 presign "s3://$B/moved/hello.txt" --expires-in 300)
check_eq "hello coffer" "$(curl -fsS "$url")" "presigned URL fetched with curl"
bad=$(python3 -c 'import sys,re; u=sys.argv[1]; print(re.sub(r"(Signature=)(.)", lambda m: m.group(1) + ("1" if m.group(2) == "0" else "0"), u, count=1))' "$url")
check_eq 403 "$(curl -s -o /dev/null -w '%{http_code}' "$bad")" "tampered presigned URL refused with 403"

# s3api calls.
check_eq 7 "$(s3api list-objects-v2 --bucket "$B" --prefix data/ --no-paginate | json_get KeyCount)" "s3api list-objects-v2 KeyCount"
check_eq 7 "$(s3api list-objects-v2 --bucket "$B" --prefix data/ --page-size 2 | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Contents"]))')" "s3api list-objects-v2 paginated by 2"
lst=$(s3api list-objects-v2 --bucket "$B" --delimiter / --prefix data/)
check_contains "$lst" '"data/a/"' "list-objects-v2 with delimiter has common prefix data/a/"
check_eq 13 "$(s3api head-object --bucket "$B" --key moved/hello.txt | json_get ContentLength)" "s3api head-object ContentLength"
check_ok "s3api copy-object" s3api copy-object --bucket "$B" --key copy.txt --copy-source "$B/moved/hello.txt" \
	--metadata-directive REPLACE --metadata color=blue --content-type text/plain
head=$(s3api head-object --bucket "$B" --key copy.txt)
check_eq blue "$(printf '%s' "$head" | json_get Metadata.color)" "copy-object REPLACE sets metadata"
check_contains "$(printf '%s' "$head" | json_get ContentType)" "text/plain" "copy-object REPLACE sets content type"
s3api get-object --bucket "$B" --key copy.txt copy.out >/dev/null
check_eq "$(sha256 hello.txt)" "$(sha256 copy.out)" "copied object has the source bytes"
s3api get-object --bucket "$B" --key data/a/f5 --range bytes=100-199 range.out >/dev/null
check_eq "$(head -c 200 data/a/f5 | tail -c 100 | sha256sum | cut -d' ' -f1)" "$(sha256 range.out)" "ranged get-object"

# Low-level multipart: two parts (5 MiB + 1 MiB).
head -c $((5 * 1024 * 1024)) /dev/urandom >part1
head -c $((1024 * 1024)) /dev/urandom >part2
cat part1 part2 >mp.whole
upload=$(s3api create-multipart-upload --bucket "$B" --key mp/object | json_get UploadId)
check_nonempty "$upload" "create-multipart-upload returns an UploadId"
e1=$(s3api upload-part --bucket "$B" --key mp/object --upload-id "$upload" --part-number 1 --body part1 | json_get ETag)
e2=$(s3api upload-part --bucket "$B" --key mp/object --upload-id "$upload" --part-number 2 --body part2 | json_get ETag)
check_eq 2 "$(s3api list-parts --bucket "$B" --key mp/object --upload-id "$upload" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Parts"]))')" "s3api list-parts"
check_contains "$(s3api list-multipart-uploads --bucket "$B")" "$upload" "s3api list-multipart-uploads"
printf '{"Parts":[{"PartNumber":1,"ETag":%s},{"PartNumber":2,"ETag":%s}]}' \
	"$(printf '%s' "$e1" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" \
	"$(printf '%s' "$e2" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')" >parts.json
check_ok "s3api complete-multipart-upload" s3api complete-multipart-upload --bucket "$B" --key mp/object \
	--upload-id "$upload" --multipart-upload file://parts.json
check_contains "$(s3api head-object --bucket "$B" --key mp/object | json_get ETag)" '-2"' "multipart ETag ends in -2"
s3 cp "s3://$B/mp/object" mp.back >/dev/null
check_eq "$(sha256 mp.whole)" "$(sha256 mp.back)" "multipart object reads back"
upload=$(s3api create-multipart-upload --bucket "$B" --key mp/aborted | json_get UploadId)
check_ok "s3api abort-multipart-upload" s3api abort-multipart-upload --bucket "$B" --key mp/aborted --upload-id "$upload"

# 100 MiB through the CLI's own multipart transfer, compared by sha256.
head -c $((100 * 1024 * 1024)) /dev/urandom >big.bin
check_ok "s3 cp 100 MiB up" s3 cp big.bin "s3://$B/big.bin"
check_ok "s3 cp 100 MiB down" s3 cp "s3://$B/big.bin" big.back
check_eq "$(sha256 big.bin)" "$(sha256 big.back)" "100 MiB round trip sha256"
rm -f big.bin big.back

# Errors a user meets.
check_fails "cp from a missing key fails" s3 cp "s3://$B/nope" nope
check_fails "rb of a non-empty bucket fails" s3 rb "s3://$B"
check_contains "$OUT" "BucketNotEmpty" "  ... with BucketNotEmpty"
check_fails "ls of a missing bucket fails" s3 ls "s3://no-such-$B"
check_contains "$OUT" "NoSuchBucket" "  ... with NoSuchBucket"
check_fails "a wrong secret is refused" env AWS_SECRET_ACCESS_KEY=wrongwrongwrongwrongwrongwrongwrongwrong aws s3 ls --endpoint-url "$S3_ENDPOINT"
check_contains "$OUT" "SignatureDoesNotMatch" "  ... with SignatureDoesNotMatch"

# rm --recursive and rb.
check_ok "s3 rm --recursive" s3 rm "s3://$B" --recursive
check_eq "" "$(s3 ls --recursive "s3://$B")" "bucket empty after rm --recursive"
check_ok "s3 rb" s3 rb "s3://$B"
check_not_contains "$(s3 ls)" "$B" "bucket gone after rb"

summary
