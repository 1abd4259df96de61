#!/bin/sh
# run-all.sh: fuzz every target of a libFuzzer build for a while.
#
#     fuzz/run-all.sh [SECONDS] [BUILD_DIR]
#
# SECONDS (default 60) is the time each target gets; BUILD_DIR (default
# _build/fuzz) is a tree configured with --enable-fuzzing in which
# `make fuzz-targets` has run.  JOBS=N in the environment runs N targets
# at a time (default 1; each libFuzzer process uses one core).
#
# Each target starts from a temporary copy of its seed corpus, so the
# committed seeds never change.  Its log and any crashing input are kept
# in BUILD_DIR/fuzz-out/NAME/.  The summary gives, per target, the
# executions (libFuzzer's stat::number_of_executed_units) and the crashes;
# the exit status is non-zero if any target crashed.

seconds=${1:-60}
builddir=${2:-_build/fuzz}
jobs=${JOBS:-1}
srcdir=$(cd "$(dirname "$0")/.." && pwd) || exit 2
targets="frame hello handshake wire ipc config users knownhosts keys transport
server"

case $seconds in
'' | *[!0-9]*)
	echo "usage: $0 [SECONDS] [BUILD_DIR]" >&2
	exit 2
	;;
esac
case $jobs in
'' | *[!0-9]* | 0)
	echo "$0: JOBS must be a positive number" >&2
	exit 2
	;;
esac
if [ ! -d "$builddir/fuzz" ]; then
	echo "$0: no fuzz targets in $builddir (run make fuzz-targets there)" >&2
	exit 2
fi
outdir=$(cd "$builddir" && pwd)/fuzz-out
# Undefined behaviour is a crash too, not a line in a log.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' 0
trap 'exit 1' HUP INT TERM

# fuzz NAME: one target, for the time given; leaves NAME.status in $tmp.
fuzz() {
	name=$1
	bin=$builddir/fuzz/fuzz-$name
	out=$outdir/$name
	rm -rf "$out" "$tmp/$name"
	mkdir -p "$out" "$tmp/$name"
	cp "$srcdir/fuzz/corpus/$name"/* "$tmp/$name/" 2>/dev/null
	"$bin" -max_total_time="$seconds" -timeout=30 -print_final_stats=1 \
	    -artifact_prefix="$out/" "$tmp/$name" >"$out/log" 2>&1
	echo $? >"$tmp/$name.status"
}

# Is bin a libFuzzer binary (not the seed replay driver)?
is_libfuzzer() {
	[ -x "$1" ] && grep -a -q print_final_stats "$1"
}

for name in $targets; do
	if ! is_libfuzzer "$builddir/fuzz/fuzz-$name"; then
		echo "$0: $builddir/fuzz/fuzz-$name: not a libFuzzer target" \
		    "(configure with --enable-fuzzing)" >&2
		exit 2
	fi
done

echo "fuzzing each target for $seconds s, $jobs at a time, in $builddir"
running=0
for name in $targets; do
	fuzz "$name" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

crashed=0
printf '%-12s %14s  %s\n' target executions result
for name in $targets; do
	out=$outdir/$name
	status=$(cat "$tmp/$name.status" 2>/dev/null || echo '?')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/log" |
	    tail -n 1)
	artifacts=$(find "$out" -type f ! -name log | wc -l)
	if [ "$status" = 0 ] && [ "$artifacts" -eq 0 ]; then
		result="no crash"
	else
		result="CRASH (exit $status, $artifacts inputs in $out)"
		crashed=$((crashed + 1))
	fi
	printf '%-12s %14s  %s\n' "$name" "${execs:-?}" "$result"
done
if [ "$crashed" -gt 0 ]; then
	echo "$crashed target(s) crashed; see the logs in $outdir"
	exit 1
fi
exit 0
