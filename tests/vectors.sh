#!/bin/sh
# vectors.sh: run the shipped public test vectors (Noise and PBKDF2) through
# their runners and merge the runners' TAP output into one stream.
#
# Each runner's test lines are renumbered into this stream.  After each
# runner one more test checks the runner itself: that its plan matches the
# lines it printed, that it reported every vector in the file, and that its
# exit status agrees with its results (a crash is never a pass).

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
vectors=$top_srcdir/tests/vectors
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' 0
trap 'exit 1' HUP INT TERM

count=0
failures=0

# run LABEL EXPECTED PROGRAM FILE: EXPECTED is the number of vectors in FILE.
run() {
	label=$1
	expected=$2
	shift 2
	"$@" >"$tmp/out" 2>&1
	status=$?
	awk -v start="$count" -v label="$label" -v expected="$expected" \
	    -v status="$status" -v countfile="$tmp/count" '
	/^(not )?ok [0-9]+/ {
		n++
		tests++
		if ($1 == "not")
			failed++
		sub(/^(not )?ok [0-9]+/, ($1 == "not" ? "not ok " : "ok ") \
		    (start + n))
		print
		next
	}
	/^1\.\.[0-9]+$/ {
		plan = substr($0, 4) + 0
		planned = 1
		next
	}
	{ print "# " label ": " $0 }
	END {
		why = ""
		if (!planned)
			why = "no plan (did it crash?)"
		else if (plan != tests)
			why = "plan 1.." plan " but " tests " tests"
		else if (tests != expected)
			why = tests " results for " expected " vectors"
		else if ((status != 0) != (failed > 0))
			why = "exit status " status " with " failed + 0 \
			    " failures"
		n++
		if (why == "")
			print "ok " start + n " - " label ": every vector " \
			    "reported, exit status " status
		else
			print "not ok " start + n " - " label ": " why
		if (why != "")
			failed++
		print start + n, failed + 0 > countfile
	}' "$tmp/out"
	read -r count nfailed <"$tmp/count"
	failures=$((failures + nfailed))
}

# The vectors in a file: one protocol_name per Noise vector, one line per
# PBKDF2 vector.
nnoise=$(awk '/^protocol_name /{n++} END{print n+0}' \
    "$vectors/noise-cacophony.txt")
npbkdf2=$(awk '/^pbkdf2 /{n++} END{print n+0}' \
    "$vectors/pbkdf2-sha256-rfc7914.txt")

run noise-vectors "$nnoise" \
    "$top_builddir/tests/noise-vectors" "$vectors/noise-cacophony.txt"
run pbkdf2-vectors "$npbkdf2" \
    "$top_builddir/tests/pbkdf2-vectors" "$vectors/pbkdf2-sha256-rfc7914.txt"

echo "1..$count"
test "$failures" -eq 0
