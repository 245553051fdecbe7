#!/bin/sh
# fuzz-long.sh runs every fuzz target of the module (found with
# `go test -list '^Fuzz' ./...`) for FUZZTIME each (default 10m), one target
# at a time, and keeps the corpus: inputs the fuzzer found interesting are
# copied from the Go cache into the package's testdata/fuzz/<Target>/, so the
# next plain `go test` replays them. A summary line per target (execs, new
# interesting inputs) goes to stdout and to FUZZ_SUMMARY (default
# fuzz-summary.txt under the system temp directory). FUZZ_KEEP=0 leaves the
# testdata directories alone.
set -eu
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10m}
SUMMARY=${FUZZ_SUMMARY:-${TMPDIR:-/tmp}/fuzz-summary.txt}
cache="$($GO env GOCACHE)/fuzz"
: >"$SUMMARY"
failed=$(mktemp)
$GO test -list '^Fuzz' ./... | awk '
	/^Fuzz/ { targets = targets " " $1; next }
	/^(ok|\?)[ \t]/ { if (targets != "") print $2 targets; targets = "" }
	/^FAIL[ \t]/ { print "FAIL " $2; targets = "" }
' | while read -r pkg targets; do
	if [ "$pkg" = FAIL ]; then
		echo "== $targets does not build: its fuzz targets cannot run"
		echo "$targets (build failed)" >>"$failed"
		continue
	fi
	dir=$($GO list -f '{{.Dir}}' "$pkg")
	for target in $targets; do
		echo "== $pkg $target ($FUZZTIME)"
		log=$(mktemp)
		{ $GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1; echo "rc=$?"; } | tee "$log"
		if ! grep -q '^rc=0$' "$log"; then
			echo "$pkg $target" >>"$failed"
			echo "FAILED: $pkg $target (the failing input is in $dir/testdata/fuzz/$target)"
		fi
		last=$(grep -E 'fuzz: elapsed: .*execs' "$log" | tail -n 1 || true)
		kept=0
		if [ "${FUZZ_KEEP:-1}" = 1 ] && [ -d "$cache/$pkg/$target" ]; then
			mkdir -p "$dir/testdata/fuzz/$target"
			for f in "$cache/$pkg/$target"/*; do
				[ -f "$f" ] || continue
				b=$(basename "$f")
				if [ ! -e "$dir/testdata/fuzz/$target/$b" ]; then
					cp "$f" "$dir/testdata/fuzz/$target/$b"
					kept=$((kept + 1))
				fi
			done
		fi
		echo "$pkg $target: $last; corpus files added: $kept" | tee -a "$SUMMARY"
		rm -f "$log"
	done
done
if [ -s "$failed" ]; then
	echo "fuzz-long: failing targets:"
	cat "$failed"
	rm -f "$failed"
	exit 1
fi
rm -f "$failed"
