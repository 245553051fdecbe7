#!/usr/bin/env bash
# rclone, s3cmd and restic (Debian's packages) with their default settings
# against the running server: what run.sh exports (S3_ENDPOINT,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). A client that is not installed
# is skipped and said so; .ci/run installs all three.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${S3_ENDPOINT:?}" "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"

host=${S3_ENDPOINT#http://}
dd if=/dev/urandom of=small.bin bs=1k count=64 status=none
dd if=/dev/urandom of=big.bin bs=1M count=24 status=none
mkdir -p tree/sub
for i in 1 2 3; do head -c $((i * 1000)) big.bin >"tree/f$i"; done
cp small.bin tree/sub/s.bin

if command -v rclone >/dev/null; then
	export RCLONE_CONFIG_COFFER_TYPE=s3 RCLONE_CONFIG_COFFER_PROVIDER=Other \
		RCLONE_CONFIG_COFFER_ENDPOINT="$S3_ENDPOINT" \
		RCLONE_CONFIG_COFFER_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" \
		RCLONE_CONFIG_COFFER_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"
	# rclone's AWS SDK cannot combine AWS_CA_BUNDLE with its own transport; plain HTTP needs none.
	rc=(env -u AWS_CA_BUNDLE rclone --config /dev/null)
	check_ok "rclone mkdir" "${rc[@]}" mkdir coffer:rclone-box
	check_ok "rclone copy (24 MiB: multipart)" "${rc[@]}" copy big.bin coffer:rclone-box/
	check_ok "rclone sync of a tree" "${rc[@]}" sync tree coffer:rclone-box/tree
	check_ok "rclone check (hashes)" "${rc[@]}" check tree coffer:rclone-box/tree
	check_ok "rclone lsf" "${rc[@]}" lsf -R coffer:rclone-box
	check_contains "$OUT" "tree/sub/s.bin" "rclone lists the nested key"
	check_eq "$(head -c 2000 big.bin | sha256sum | cut -d' ' -f1)" "$("${rc[@]}" cat coffer:rclone-box/tree/f2 | sha256sum | cut -d' ' -f1)" "rclone reads the bytes back"
	"${rc[@]}" copyto coffer:rclone-box/big.bin rclone-big.bin
	check_eq "$(sha256 big.bin)" "$(sha256 rclone-big.bin)" "rclone 24 MiB round trip"
	check_ok "rclone purge" "${rc[@]}" purge coffer:rclone-box
else
	echo "skip rclone: not installed"
fi

if command -v s3cmd >/dev/null; then
	cat >s3cfg <<EOF
[default]
access_key = $AWS_ACCESS_KEY_ID
secret_key = $AWS_SECRET_ACCESS_KEY
host_base = $host
host_bucket = $host
use_https = False
EOF
	sc=(s3cmd -c s3cfg --no-progress)
	check_ok "s3cmd mb" "${sc[@]}" mb s3://s3cmd-box
	check_ok "s3cmd put (24 MiB: multipart)" "${sc[@]}" put big.bin s3://s3cmd-box/big.bin
	check_ok "s3cmd put with metadata" "${sc[@]}" put --add-header=x-amz-meta-color:blue small.bin s3://s3cmd-box/small.bin
	check_ok "s3cmd info" "${sc[@]}" info s3://s3cmd-box/small.bin
	check_contains "$OUT" "x-amz-meta-color: blue" "s3cmd sees the metadata"
	check_ok "s3cmd ls" "${sc[@]}" ls s3://s3cmd-box
	check_contains "$OUT" "s3://s3cmd-box/big.bin" "s3cmd lists the object"
	"${sc[@]}" get --force s3://s3cmd-box/big.bin s3cmd-big.bin >/dev/null
	check_eq "$(sha256 big.bin)" "$(sha256 s3cmd-big.bin)" "s3cmd 24 MiB round trip"
	check_ok "s3cmd sync" "${sc[@]}" sync tree/ s3://s3cmd-box/tree/
	check_ok "s3cmd del" "${sc[@]}" del --recursive --force s3://s3cmd-box
	check_ok "s3cmd rb" "${sc[@]}" rb s3://s3cmd-box
else
	echo "skip s3cmd: not installed"
fi

if command -v restic >/dev/null; then
	export RESTIC_REPOSITORY="s3:$S3_ENDPOINT/restic-box" RESTIC_PASSWORD=e2e-restic-password
	check_ok "restic init" restic init
	check_ok "restic backup" restic backup --quiet tree big.bin
	check_ok "restic backup again (dedup)" restic backup --quiet tree big.bin
	check_ok "restic snapshots" restic snapshots --json
	check_eq 2 "$(printf '%s' "$OUT" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" "restic has two snapshots"
	check_ok "restic check --read-data" restic check --read-data
	check_ok "restic restore" restic restore latest --target restored
	check_eq "$(sha256 big.bin)" "$(sha256 restored/big.bin)" "restic restores the bytes"
	check_ok "restic forget --prune" restic forget --keep-last 1 --prune
else
	echo "skip restic: not installed"
fi

summary
