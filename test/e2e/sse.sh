#!/usr/bin/env bash
# Server-side encryption with the AWS CLI: SSE-S3 (--sse AES256) and SSE-C
# (--sse-c AES256 --sse-c-key fileb://KEY) up and down, multipart included,
# head-object fields, wrong and missing keys, bucket default encryption,
# SSE-KMS refused, and a master-key rotation that leaves every object
# readable. The server runs with --sse-c-allow-http (run.sh), since e2e is
# plain HTTP. Needs S3_ENDPOINT, AWS_* and, for the rotation, COFFER_BIN,
# COFFER_SERVER, COFFER_ADMIN_PASSWORD (run.sh sets them).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${S3_ENDPOINT:?}" "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"

s3() { aws s3 --endpoint-url "$S3_ENDPOINT" "$@"; }
s3api() { aws s3api --endpoint-url "$S3_ENDPOINT" --output json "$@"; }
adm() { "$COFFER_BIN" admin --server "$COFFER_SERVER" --password "$COFFER_ADMIN_PASSWORD" "$@"; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/sse.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
B="sse-$RANDOM-$RANDOM"
check_ok "s3 mb" s3 mb "s3://$B"

head -c 32 /dev/urandom >key
head -c 32 /dev/urandom >other
ssec=(--sse-c AES256 --sse-c-key fileb://key)
ssec_api=(--sse-customer-algorithm AES256 --sse-customer-key fileb://key)

# SSE-S3, single part.
head -c 300000 /dev/urandom >small.bin
check_ok "cp --sse AES256 up" s3 cp --sse AES256 small.bin "s3://$B/s3/small.bin"
check_ok "head-object of the SSE-S3 object" s3api head-object --bucket "$B" --key s3/small.bin
check_eq AES256 "$(json_get ServerSideEncryption <<<"$OUT")" "  ... ServerSideEncryption AES256"
check_eq 300000 "$(json_get ContentLength <<<"$OUT")" "  ... plaintext ContentLength"
check_ok "cp of the SSE-S3 object down (no key needed)" s3 cp "s3://$B/s3/small.bin" small.got
check_eq "$(sha256 small.bin)" "$(sha256 small.got)" "  ... sha256 equal"

# SSE-C, single part.
check_ok "cp --sse-c up" s3 cp "${ssec[@]}" small.bin "s3://$B/c/small.bin"
check_ok "head-object with the key" s3api head-object --bucket "$B" --key c/small.bin "${ssec_api[@]}"
check_eq AES256 "$(json_get SSECustomerAlgorithm <<<"$OUT")" "  ... SSECustomerAlgorithm AES256"
check_nonempty "$(json_get SSECustomerKeyMD5 <<<"$OUT")" "  ... SSECustomerKeyMD5"
check_ok "cp --sse-c down" s3 cp "${ssec[@]}" "s3://$B/c/small.bin" c-small.got
check_eq "$(sha256 small.bin)" "$(sha256 c-small.got)" "  ... sha256 equal"
check_fails "get-object with another key fails" s3api get-object --bucket "$B" --key c/small.bin \
	--sse-customer-algorithm AES256 --sse-customer-key fileb://other wrong.got
check_contains "$OUT" "AccessDenied" "  ... with AccessDenied"
check_fails "head-object with another key fails" s3api head-object --bucket "$B" --key c/small.bin \
	--sse-customer-algorithm AES256 --sse-customer-key fileb://other
check_contains "$OUT" "403" "  ... with 403"
check_fails "get-object without a key fails" s3api get-object --bucket "$B" --key c/small.bin nokey.got
check_contains "$OUT" "InvalidRequest" "  ... with InvalidRequest"
check_fails "cp down without the key fails" s3 cp "s3://$B/c/small.bin" nokey2.got
check_fails "cp down with another key fails" s3 cp --sse-c AES256 --sse-c-key fileb://other "s3://$B/c/small.bin" wrong2.got
check_contains "$OUT" "403" "  ... with 403"

# Multipart: 100 MiB under SSE-C (the CLI uploads 8 MiB parts, each with the
# key), 20 MiB under SSE-S3.
head -c $((100 << 20)) /dev/urandom >big.bin
check_ok "cp --sse-c 100 MiB up (multipart)" s3 cp "${ssec[@]}" big.bin "s3://$B/c/big.bin"
check_ok "head-object of the multipart SSE-C object" s3api head-object --bucket "$B" --key c/big.bin "${ssec_api[@]}"
check_eq $((100 << 20)) "$(json_get ContentLength <<<"$OUT")" "  ... 100 MiB"
check_contains "$(json_get ETag <<<"$OUT")" "-" "  ... a multipart ETag"
check_ok "cp --sse-c 100 MiB down" s3 cp "${ssec[@]}" "s3://$B/c/big.bin" big.got
check_eq "$(sha256 big.bin)" "$(sha256 big.got)" "  ... sha256 equal"
rm -f big.got
head -c $((20 << 20)) big.bin >mid.bin
check_ok "cp --sse AES256 20 MiB up (multipart)" s3 cp --sse AES256 mid.bin "s3://$B/s3/mid.bin"
check_ok "head-object of the multipart SSE-S3 object" s3api head-object --bucket "$B" --key s3/mid.bin
check_eq AES256 "$(json_get ServerSideEncryption <<<"$OUT")" "  ... ServerSideEncryption AES256"
check_ok "cp of the multipart SSE-S3 object down" s3 cp "s3://$B/s3/mid.bin" mid.got
check_eq "$(sha256 mid.bin)" "$(sha256 mid.got)" "  ... sha256 equal"

# Copy between modes: SSE-C -> SSE-S3.
check_ok "cp s3->s3 from SSE-C to SSE-S3" s3 cp --sse-c-copy-source AES256 --sse-c-copy-source-key fileb://key \
	--sse AES256 "s3://$B/c/small.bin" "s3://$B/s3/from-c.bin"
check_ok "  ... reads without a key" s3 cp "s3://$B/s3/from-c.bin" from-c.got
check_eq "$(sha256 small.bin)" "$(sha256 from-c.got)" "  ... sha256 equal"

# SSE-KMS is not implemented.
check_fails "cp --sse aws:kms is refused" s3 cp --sse aws:kms small.bin "s3://$B/kms.bin"
check_contains "$OUT" "NotImplemented" "  ... with NotImplemented"

# Bucket default encryption.
check_fails "get-bucket-encryption before any is set" s3api get-bucket-encryption --bucket "$B"
check_contains "$OUT" "ServerSideEncryptionConfigurationNotFoundError" "  ... ServerSideEncryptionConfigurationNotFoundError"
check_ok "put-bucket-encryption AES256" s3api put-bucket-encryption --bucket "$B" \
	--server-side-encryption-configuration '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"}}]}'
check_ok "get-bucket-encryption" s3api get-bucket-encryption --bucket "$B"
check_eq AES256 "$(json_get ServerSideEncryptionConfiguration.Rules.0.ApplyServerSideEncryptionByDefault.SSEAlgorithm <<<"$OUT")" "  ... SSEAlgorithm AES256"
check_ok "cp without --sse into the bucket" s3 cp small.bin "s3://$B/default.bin"
check_ok "head-object" s3api head-object --bucket "$B" --key default.bin
check_eq AES256 "$(json_get ServerSideEncryption <<<"$OUT")" "  ... encrypted by the bucket default"
check_ok "delete-bucket-encryption" s3api delete-bucket-encryption --bucket "$B"
check_fails "get-bucket-encryption after the delete" s3api get-bucket-encryption --bucket "$B"
check_contains "$OUT" "ServerSideEncryptionConfigurationNotFoundError" "  ... not found again"
check_ok "cp without --sse after the delete" s3 cp small.bin "s3://$B/plain.bin"
check_ok "head-object" s3api head-object --bucket "$B" --key plain.bin
check_not_contains "$OUT" "ServerSideEncryption" "  ... not encrypted"

# Master-key rotation: every object still reads, under the new key.
if [ -n "${COFFER_BIN:-}" ] && [ -n "${COFFER_SERVER:-}" ] && [ -n "${COFFER_ADMIN_PASSWORD:-}" ]; then
	before=$(adm master-key status --json | json_get current)
	check_ok "coffer admin master-key rotate" adm master-key rotate
	check_contains "$OUT" "Last rotation done" "  ... done"
	check_ok "coffer admin master-key status --json" adm master-key status --json
	after=$(json_get current <<<"$OUT")
	check_eq "[]" "$(json_get retiring <<<"$OUT")" "  ... no key left to retire"
	if [ "$before" != "$after" ] && [ ${#after} -eq 16 ]; then pass "  ... a new current key id"; else fail "  ... key id $before -> $after"; fi
	# After a rotation the key file holds the key as hex digits.
	check_not_contains "$(adm master-key status; adm master-key status --json)" "$(head -c 16 "$WORK/data/master.key")" "  ... status shows no key bytes"
	for pair in s3/small.bin:small.bin s3/mid.bin:mid.bin s3/from-c.bin:small.bin default.bin:small.bin; do
		k=${pair%%:*}
		check_ok "after the rotation: cp $k down" s3 cp "s3://$B/$k" rot.got
		check_eq "$(sha256 "${pair#*:}")" "$(sha256 rot.got)" "  ... sha256 equal"
	done
	check_ok "after the rotation: SSE-C object with its key" s3 cp "${ssec[@]}" "s3://$B/c/small.bin" rot-c.got
	check_eq "$(sha256 small.bin)" "$(sha256 rot-c.got)" "  ... sha256 equal"
fi

check_ok "s3 rb --force" s3 rb --force "s3://$B"
summary
