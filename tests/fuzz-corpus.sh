#!/bin/sh
# fuzz-corpus.sh: run every fuzz target that was built over its seed corpus,
# one TAP line per target.
#
# In an ordinary build each target is linked with fuzz/driver.c, which
# feeds it every file named on its command line and prints TAP; a target
# passes when it exits 0 and none of its lines is "not ok".  In a libFuzzer
# build (--enable-fuzzing) a target given -runs=0 executes its corpus once
# and exits, non-zero on a crash.  Either way a violated invariant aborts
# the target, so every seed is also a regression test for the decoder.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
corpora=$top_srcdir/fuzz/corpus
# Undefined behaviour is a crash too, not a line in a log.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export UBSAN_OPTIONS
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' 0
trap 'exit 1' HUP INT TERM

# A libFuzzer binary knows its own flags; the replay driver knows none.
is_libfuzzer() {
	grep -a -q print_final_stats "$1"
}

targets=
for bin in "$top_builddir"/fuzz/fuzz-*; do
	case $bin in
	*.c | *.o | *.log | *.trs) continue ;;
	esac
	if [ -f "$bin" ] && [ -x "$bin" ]; then
		targets="$targets $bin"
	fi
done
if [ -z "$targets" ]; then
	echo "1..0 # SKIP no fuzz targets built"
	exit 0
fi

n=0
for bin in $targets; do
	n=$((n + 1))
	name=${bin##*/fuzz-}
	dir=$corpora/$name
	set -- "$dir"/*
	if [ ! -d "$dir" ] || [ ! -e "$1" ]; then
		echo "not ok $n - $name: no seed corpus in $dir"
		continue
	fi
	nfiles=$#
	why=
	if is_libfuzzer "$bin"; then
		# libFuzzer may write to a corpus directory: give it a copy.
		rm -rf "$tmp/corpus"
		mkdir "$tmp/corpus" && cp "$@" "$tmp/corpus/"
		"$bin" -runs=0 "$tmp/corpus" >"$tmp/out" 2>&1
		status=$?
	else
		"$bin" "$@" >"$tmp/out" 2>&1
		status=$?
		# Every file must have been run, and none may have failed.
		ran=$(grep -c '^ok ' "$tmp/out")
		if grep -q '^not ok' "$tmp/out"; then
			why="a file failed"
		elif [ "$ran" -ne "$nfiles" ]; then
			why="$ran of $nfiles files run"
		fi
	fi
	if [ "$status" -ne 0 ]; then
		why="exit status $status"
	fi
	if [ -z "$why" ]; then
		echo "ok $n - $name ($nfiles files)"
	else
		echo "not ok $n - $name ($nfiles files): $why"
		sed -e 's/^/# /' "$tmp/out" | tail -n 20
	fi
done
echo "1..$n"
