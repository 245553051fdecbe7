#!/bin/sh
# fuzz-long.sh runs every fuzz target of the module (found with
# `go test -list '^Fuzz' ./...`) for FUZZTIME each (default 10m) and keeps
# the corpus: inputs the fuzzer found interesting are copied from the Go
# cache into the package's testdata/fuzz/<Target>/, so the next plain
# `go test` replays them. A summary line per target (execs, new interesting
# inputs) goes to stdout and to FUZZ_SUMMARY (default fuzz-summary.txt under
# the system temp directory). FUZZ_KEEP=0 leaves the testdata directories
# alone.
#
# FUZZ_PKGS (an extended regexp, default: all) limits the run to matching
# package paths. FUZZ_JOBS (default 1) targets run at once, each with FUZZ_PARALLEL fuzzing
# workers (go test -parallel; default: GOMAXPROCS). On a 2-core machine
# FUZZ_JOBS=2 FUZZ_PARALLEL=1 halves the wall time; every target still runs
# for the full FUZZTIME.
set -eu
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10m}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_PARALLEL=${FUZZ_PARALLEL:-}
SUMMARY=${FUZZ_SUMMARY:-${TMPDIR:-/tmp}/fuzz-summary.txt}
cache="$($GO env GOCACHE)/fuzz"
: >"$SUMMARY"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
: >"$work/failed"

# fuzz_one PKG TARGET: one target for FUZZTIME; its output goes to a log
# that is printed whole when it ends (jobs do not interleave lines).
fuzz_one() {
	pkg=$1 target=$2
	dir=$($GO list -f '{{.Dir}}' "$pkg")
	log="$work/$(echo "$pkg.$target" | tr '/' '_').log"
	par=""
	[ -n "$FUZZ_PARALLEL" ] && par="-parallel $FUZZ_PARALLEL"
	{
		echo "== $pkg $target ($FUZZTIME)"
		# shellcheck disable=SC2086 # par is empty or two words
		if $GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" $par "$pkg" 2>&1; then
			echo "rc=0"
		else
			echo "rc=$?"
		fi
	} >"$log"
	cat "$log"
	if ! grep -q '^rc=0$' "$log"; then
		echo "$pkg $target" >>"$work/failed"
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
	echo "$pkg $target: $last; corpus files added: $kept" >>"$SUMMARY"
	echo "$pkg $target: $last; corpus files added: $kept"
}

$GO test -list '^Fuzz' ./... | awk '
	/^Fuzz/ { targets = targets " " $1; next }
	/^(ok|\?)[ \t]/ { if (targets != "") print $2 targets; targets = "" }
	/^FAIL[ \t]/ { print "FAIL " $2; targets = "" }
' | { grep -E "^(FAIL )?[^ ]*(${FUZZ_PKGS:-.})" || true; } >"$work/targets"

running=0
while read -r pkg targets; do
	if [ "$pkg" = FAIL ]; then
		echo "== $targets does not build: its fuzz targets cannot run"
		echo "$targets (build failed)" >>"$work/failed"
		continue
	fi
	for target in $targets; do
		if [ "$running" -ge "$FUZZ_JOBS" ]; then
			wait # the batch ends together: targets take FUZZTIME each
			running=0
		fi
		fuzz_one "$pkg" "$target" </dev/null & # keep the targets list off its stdin
		running=$((running + 1))
	done
done <"$work/targets"
wait

if [ -s "$work/failed" ]; then
	echo "fuzz-long: failing targets:"
	cat "$work/failed"
	exit 1
fi
