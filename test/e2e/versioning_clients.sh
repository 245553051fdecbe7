#!/usr/bin/env bash
# rclone and restic (Debian's packages, as in clients.sh) against versioned
# buckets (issue 14): rclone sees and reads old versions (--s3-versions,
# --s3-version-at) and cleans them up; a restic repository on a versioned
# bucket survives an `aws s3 rm --recursive` by removing the new delete
# markers. Needs what run.sh exports (S3_ENDPOINT, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY). A client that is not installed is skipped and said so.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
: "${S3_ENDPOINT:?}" "${AWS_ACCESS_KEY_ID:?}" "${AWS_SECRET_ACCESS_KEY:?}"
# Keep going after an unexpected error (lib.sh's ERR trap counts each one).
set +e

s3api() { aws s3api --endpoint-url "$S3_ENDPOINT" --output json "$@"; }

# markers BUCKET: the version ids of the bucket's delete markers, one a line.
markers() {
	s3api list-object-versions --bucket "$1" |
		python3 -c 'import json,sys; raw=sys.stdin.read().strip(); [print(d["VersionId"]) for d in (json.loads(raw) if raw else {}).get("DeleteMarkers", [])]'
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/vclients.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"

if command -v rclone >/dev/null; then
	export RCLONE_CONFIG_COFFER_TYPE=s3 RCLONE_CONFIG_COFFER_PROVIDER=Other \
		RCLONE_CONFIG_COFFER_ENDPOINT="$S3_ENDPOINT" \
		RCLONE_CONFIG_COFFER_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" \
		RCLONE_CONFIG_COFFER_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"
	# rclone's AWS SDK cannot combine AWS_CA_BUNDLE with its own transport; plain HTTP needs none.
	rc=(env -u AWS_CA_BUNDLE rclone --config /dev/null)
	RB="rclone-vers-$RANDOM"
	check_ok "rclone mkdir" "${rc[@]}" mkdir "coffer:$RB"
	check_ok "rclone backend versioning Enabled" "${rc[@]}" backend versioning "coffer:$RB" Enabled
	check_eq Enabled "$("${rc[@]}" backend versioning "coffer:$RB")" "rclone backend versioning reads Enabled back"
	for n in 1 2 3; do
		head -c $((20000 * n + 11)) /dev/urandom >"gen$n.bin"
		check_ok "rclone copyto, generation $n" "${rc[@]}" copyto "gen$n.bin" "coffer:$RB/file.bin"
		if [ "$n" = 1 ]; then after1=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ); fi
		# rclone names an old version by its LastModified to the millisecond;
		# a second apart keeps the names distinct even at 1 s resolution.
		sleep 1.1
	done
	check_eq "file.bin" "$("${rc[@]}" lsf "coffer:$RB")" "rclone lsf: only the current file"
	check_ok "rclone lsf --s3-versions" "${rc[@]}" lsf --s3-versions "coffer:$RB"
	printf '%s\n' "$OUT" >versions.txt
	check_eq 3 "$(grep -c . versions.txt)" "rclone lsf --s3-versions lists the current file and two old versions"
	want=$(for n in 1 2; do sha256 "gen$n.bin"; done | sort)
	got=$(grep -v '^file\.bin$' versions.txt | while read -r name; do
		"${rc[@]}" --s3-versions cat "coffer:$RB/$name" | sha256sum | cut -d' ' -f1
	done | sort)
	check_eq "$want" "$got" "rclone cat of each old version: the bytes of generations 1 and 2"
	check_eq "$(sha256 gen3.bin)" "$("${rc[@]}" cat "coffer:$RB/file.bin" | sha256sum | cut -d' ' -f1)" "rclone cat of the current file: generation 3"
	check_eq "$(sha256 gen1.bin)" "$("${rc[@]}" --s3-version-at "$after1" cat "coffer:$RB/file.bin" | sha256sum | cut -d' ' -f1)" \
		"rclone --s3-version-at (after the first upload): generation 1"
	check_ok "rclone delete" "${rc[@]}" delete "coffer:$RB/file.bin"
	check_eq "" "$("${rc[@]}" lsf "coffer:$RB")" "rclone lsf after delete: nothing current"
	check_eq 3 "$("${rc[@]}" lsf --s3-versions "coffer:$RB" | grep -c .)" "rclone lsf --s3-versions after delete: all three generations kept"
	check_ok "rclone backend cleanup-hidden" "${rc[@]}" backend cleanup-hidden "coffer:$RB"
	check_eq "" "$("${rc[@]}" lsf --s3-versions "coffer:$RB")" "after cleanup-hidden no old version is left"
	check_eq 0 "$(s3api list-object-versions --bucket "$RB" | python3 -c 'import json,sys; raw=sys.stdin.read().strip(); print(len((json.loads(raw) if raw else {}).get("Versions", [])))')" \
		"  ... list-object-versions agrees: no version"
else
	echo "skip rclone: not installed"
fi

if command -v restic >/dev/null; then
	RS="restic-vers-$RANDOM"
	check_ok "create-bucket for restic" s3api create-bucket --bucket "$RS"
	check_ok "put-bucket-versioning Enabled" s3api put-bucket-versioning --bucket "$RS" --versioning-configuration Status=Enabled
	export RESTIC_REPOSITORY="s3:$S3_ENDPOINT/$RS" RESTIC_PASSWORD=e2e-restic-versioned
	mkdir -p tree/sub
	head -c 300000 /dev/urandom >tree/a.bin
	head -c 4000 /dev/urandom >tree/sub/b.bin
	check_ok "restic init on a versioned bucket" restic init
	check_ok "restic backup" restic backup --quiet tree
	head -c 200000 /dev/urandom >tree/sub/c.bin
	printf 'changed\n' >>tree/a.bin
	check_ok "restic backup of the changed tree" restic backup --quiet tree
	check_ok "restic forget --keep-last 1 --prune (deletes in a versioned bucket)" restic forget --keep-last 1 --prune
	check_ok "restic check --read-data" restic check --read-data
	check_ok "restic restore" restic restore latest --target r1
	check_ok "  ... the restored tree equals the source" diff -r tree r1/tree
	check_nonempty "$(markers "$RS")" "restic's deletes left delete markers over the old versions"

	# Ransomware drill: every object deleted; removing the new markers
	# brings the repository back whole.
	markers "$RS" | sort >markers.before
	check_ok "aws s3 rm --recursive of the repository" aws s3 --endpoint-url "$S3_ENDPOINT" rm --recursive --quiet "s3://$RS"
	check_fails "restic snapshots on the emptied repository fails" restic snapshots
	markers "$RS" | sort >markers.after
	comm -13 markers.before markers.after >markers.new
	check_nonempty "$(head -1 markers.new)" "the deletes made new delete markers"
	s3api list-object-versions --bucket "$RS" | python3 -c '
import json, sys
new = set(open("markers.new").read().split())
for d in json.load(sys.stdin).get("DeleteMarkers", []):
    if d["VersionId"] in new:
        print("%s\t%s" % (d["Key"], d["VersionId"]))' >undo.tsv
	undone=0
	while IFS=$'\t' read -r k id; do
		s3api delete-object --bucket "$RS" --key "$k" --version-id "$id" >/dev/null && undone=$((undone + 1))
	done <undo.tsv
	check_eq "$(grep -c . markers.new)" "$undone" "every new delete marker removed by version id"
	check_ok "restic check --read-data after the undelete" restic check --read-data
	check_ok "restic restore after the undelete" restic restore latest --target r2
	check_ok "  ... the restored tree equals the source" diff -r tree r2/tree
else
	echo "skip restic: not installed"
fi

summary || exit 1
