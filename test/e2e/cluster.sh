#!/usr/bin/env bash
# Cluster mode (issue 18) as an operator and a tenant meet it: `coffer
# cluster dev` starts three nodes on loopback; the AWS CLI writes through
# one node and boto3 through another, each reads what the other wrote;
# `coffer admin cluster` shows the nodes; one node is killed (SIGKILL) and
# everything reads back through the other two, which also keep taking
# writes. Starts its own cluster: needs only COFFER_BIN (run.sh sets it).
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${COFFER_BIN:?}"
set +e
export AWS_MAX_ATTEMPTS=3 AWS_RETRY_MODE=standard

dir=$(mktemp -d "${TMPDIR:-/tmp}/coffer-cluster-e2e.XXXXXX")
"$COFFER_BIN" cluster dev --dir "$dir/c" --nodes 3 >"$dir/dev.out" 2>&1 &
dev=$!
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	kill -TERM "$dev" 2>/dev/null
	wait "$dev" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

for _ in $(seq 1 900); do
	[ -s "$dir/c/cluster.json" ] && break
	if ! kill -0 "$dev" 2>/dev/null; then
		cat "$dir/dev.out" >&2
		fail "coffer cluster dev exited before the cluster was ready"
		summary
		exit 1
	fi
	sleep 0.1
done
if [ ! -s "$dir/c/cluster.json" ]; then
	fail "no cluster.json within 90 s"
	tail -20 "$dir"/c/node*/server.log >&2
	summary
	exit 1
fi
pass "coffer cluster dev wrote cluster.json"

# node FIELD INDEX: a field of the INDEXth node of cluster.json.
node() { json_get "nodes.$2.$1" <"$dir/c/cluster.json"; }
s3_1=$(node s3 0)
s3_2=$(node s3 1)
s3_3=$(node s3 2)
console_1=$(node console 0)
console_2=$(node console 1)
pid_3=$(node pid 2)
check_nonempty "$s3_1$s3_2$s3_3" "three S3 endpoints"
check_eq "node1 node2 node3" "$(node name 0) $(node name 1) $(node name 2)" "node names"

admin1() { "$COFFER_BIN" admin --server "$console_1" --token-file "$dir/c/node1/data/operator.token" "$@"; }
admin2() { "$COFFER_BIN" admin --server "$console_2" --token-file "$dir/c/node2/data/operator.token" "$@"; }
check_ok "tenant created through node1" admin1 tenant create cluster-e2e
check_ok "keys generated through node2 (one auth store)" admin2 keys generate cluster-e2e
AWS_ACCESS_KEY_ID=$(printf '%s' "$OUT" | json_get accessKey)
AWS_SECRET_ACCESS_KEY=$(printf '%s' "$OUT" | json_get secretKey)
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_DEFAULT_REGION=us-east-1

OUT=$(admin2 cluster)
check_contains "$OUT" "4 data + 2 parity shards over 6 drives of 3 nodes" "admin cluster shows the set"
check_contains "$OUT" "node3  up" "admin cluster shows node3 up"
OUT=$("$COFFER_BIN" admin --server "$console_1" --password "$(json_get operatorPassword <"$dir/c/cluster.json")" cluster 2>&1)
check_contains "$OUT" "node1  up" "the operator password of cluster.json works"

head -c 3000000 /dev/urandom >"$dir/cli.bin"
check_ok "aws s3 mb through node1" aws s3 mb s3://shared --endpoint-url "$s3_1"
check_ok "aws s3 cp up through node1" aws s3 cp "$dir/cli.bin" s3://shared/cli.bin --endpoint-url "$s3_1"
check_ok "boto3 put through node2, reads the CLI's object through node2" python3 - "$s3_2" "$dir/cli.bin" <<'PY'
import boto3, hashlib, sys
from botocore.config import Config
ep, path = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=ep, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))
body = open(path, "rb").read()
got = s3.get_object(Bucket="shared", Key="cli.bin")["Body"].read()
assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest(), "cli.bin differs through node2"
s3.put_object(Bucket="shared", Key="boto.txt", Body=b"written by boto3 through node2\n")
PY
check_ok "aws s3 cp down through node1 of boto3's object" aws s3 cp s3://shared/boto.txt "$dir/boto.txt" --endpoint-url "$s3_1"
check_eq "written by boto3 through node2" "$(cat "$dir/boto.txt")" "boto3's object read through node1"

# One node gone: reads through the other two, writes go on.
kill -KILL "$pid_3"
pass "node3 (pid $pid_3) killed"
down=""
for _ in $(seq 1 150); do
	if admin1 cluster 2>/dev/null | grep -q "node3  down"; then
		down=yes
		break
	fi
	sleep 0.1
done
check_eq yes "$down" "admin cluster shows node3 down within 15 s"
check_ok "aws s3 cp down through node1 with node3 gone" aws s3 cp s3://shared/cli.bin "$dir/cli.1" --endpoint-url "$s3_1"
check_eq "$(sha256 "$dir/cli.bin")" "$(sha256 "$dir/cli.1")" "the CLI's object read back through node1"
check_ok "boto3 through node2 with node3 gone: reads both, writes a new one" python3 - "$s3_2" "$dir/cli.bin" <<'PY'
import boto3, hashlib, sys
from botocore.config import Config
ep, path = sys.argv[1], sys.argv[2]
s3 = boto3.client("s3", endpoint_url=ep, config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))
body = open(path, "rb").read()
got = s3.get_object(Bucket="shared", Key="cli.bin")["Body"].read()
assert hashlib.sha256(got).digest() == hashlib.sha256(body).digest(), "cli.bin differs through node2"
assert s3.get_object(Bucket="shared", Key="boto.txt")["Body"].read() == b"written by boto3 through node2\n"
s3.put_object(Bucket="shared", Key="after-kill.txt", Body=b"after the kill\n")
PY
check_eq "after the kill" "$(aws s3 cp s3://shared/after-kill.txt - --endpoint-url "$s3_1")" "a write after the kill, read through node1"

summary
