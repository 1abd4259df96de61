#!/bin/sh
# vectors-tamper.sh: prove that the vector runners can fail.  For each vector
# in turn, one hex digit of one expected ciphertext (or derived key) is
# changed in a copy of the file; the runner must then exit non-zero and
# report "not ok" for exactly that vector while every other vector passes.

: "${top_srcdir:=.}"
: "${top_builddir:=.}"
vectors=$top_srcdir/tests/vectors
noise_file=$vectors/noise-cacophony.txt
pbkdf2_file=$vectors/pbkdf2-sha256-rfc7914.txt
noise_runner=$top_builddir/tests/noise-vectors
pbkdf2_runner=$top_builddir/tests/pbkdf2-vectors
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' 0
trap 'exit 1' HUP INT TERM

n=0
failures=0

ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}

not_ok() {
	n=$((n + 1))
	failures=$((failures + 1))
	echo "not ok $n - $*"
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

# tamper_noise IN OUT V: copy IN to OUT with one digit of one ciphertext of
# vector V (1-based) changed.  Which message and which digit vary with V, so
# that handshake and transport messages both get their turn.  Prints the
# vector's protocol name and the message number changed.
tamper_noise() {
	awk -v target="$3" -v out="$2" '
	/^vector$/ { v++; m = 0 }
	/^protocol_name / && v == target { name = $2 }
	/^message / && v == target { msgs++ }
	{ lines[NR] = $0 }
	END {
		if (msgs == 0)
			exit 1
		pick = (target - 1) % msgs + 1
		v = 0
		for (i = 1; i <= NR; i++) {
			line = lines[i]
			if (line ~ /^vector$/) {
				v++
				m = 0
			}
			if (v == target && line ~ /^message /) {
				m++
				if (m == pick) {
					split(line, w, " ")
					ct = w[3]
					pos = (target * 7) % length(ct) + 1
					c = substr(ct, pos, 1)
					c = (c == "0") ? "1" : "0"
					ct = substr(ct, 1, pos - 1) c \
					    substr(ct, pos + 1)
					line = w[1] " " w[2] " " ct
				}
			}
			print line > out
		}
		print name, pick
	}' "$1"
}

# tamper_pbkdf2 IN OUT V: change one digit of the derived key of vector V.
# Prints the vector's iteration count.
tamper_pbkdf2() {
	awk -v target="$3" -v out="$2" '
	/^pbkdf2 / && ++v == target {
		pos = (target * 5) % length($6) + 1
		c = substr($6, pos, 1)
		c = (c == "0") ? "1" : "0"
		$6 = substr($6, 1, pos - 1) c substr($6, pos + 1)
		iter = $4
	}
	{ print > out }
	END {
		if (iter == "")
			exit 1
		print iter
	}' "$1"
}

# verdict OUTPUT STATUS VECTOR TOTAL MUST: why the run is wrong, or nothing
# if exactly test VECTOR failed (and its line contains MUST) and the other
# TOTAL-1 vectors passed.
verdict() {
	awk -v status="$2" -v want="$3" -v total="$4" -v must="$5" '
	/^not ok [0-9]+/ {
		bad++
		if ($3 == want && index($0, must) > 0)
			hit = 1
		next
	}
	/^ok [0-9]+/ { good++ }
	END {
		if (status == 0)
			print "the runner exited 0"
		else if (bad != 1 || !hit)
			print bad + 0 " not ok lines, the tampered vector " \
			    (hit ? "among them" : "not among them")
		else if (good != total - 1)
			print good + 0 " vectors passed, expected " total - 1
	}' "$1"
}

# skipped OUTPUT: the test numbers the runner skipped, space-separated.
skipped() {
	awk '/^ok [0-9]+ .*# SKIP/ { printf " %s", $2 } END { print " " }' "$1"
}

# baseline LABEL RUNNER FILE TOTAL: the untouched copy passes completely.
baseline() {
	"$2" "$3" >"$tmp/base.out" 2>&1
	status=$?
	bad=$(awk '/^not ok/ { n++ } END { print n + 0 }' "$tmp/base.out")
	good=$(awk '/^ok/ { n++ } END { print n + 0 }' "$tmp/base.out")
	if [ "$status" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$good" -eq "$4" ]
	then
		ok "$1: the untouched vectors pass ($good of $4)"
	else
		not_ok "$1: the untouched vectors do not pass" \
		    "(exit $status, $good ok, $bad not ok)"
	fi
	skips=$(skipped "$tmp/base.out")
}

is_skipped() {
	case "$skips" in
	*" $1 "*)	return 0 ;;
	*)		return 1 ;;
	esac
}

# ---------------------------------------------------------------- Noise
cp "$noise_file" "$tmp/noise.txt" || exit 99
total=$(awk '/^vector$/ { n++ } END { print n + 0 }' "$tmp/noise.txt")
baseline noise-vectors "$noise_runner" "$tmp/noise.txt" "$total"
v=1
while [ "$v" -le "$total" ]; do
	if ! info=$(tamper_noise "$tmp/noise.txt" "$tmp/bad.txt" "$v"); then
		not_ok "noise vector $v: nothing to tamper with"
		v=$((v + 1))
		continue
	fi
	name=${info% *}
	msg=${info##* }
	what="noise vector $v ($name), message $msg changed"
	if is_skipped "$v"; then
		skip "$what" "the runner skips this vector"
		v=$((v + 1))
		continue
	fi
	"$noise_runner" "$tmp/bad.txt" >"$tmp/bad.out" 2>&1
	status=$?
	why=$(verdict "$tmp/bad.out" "$status" "$v" "$total" "$name")
	if [ -z "$why" ]; then
		ok "$what: caught, the others pass"
	else
		not_ok "$what: $why"
		sed 's/^/# /' "$tmp/bad.out"
	fi
	v=$((v + 1))
done

# ---------------------------------------------------------------- PBKDF2
cp "$pbkdf2_file" "$tmp/pbkdf2.txt" || exit 99
total=$(awk '/^pbkdf2 / { n++ } END { print n + 0 }' "$tmp/pbkdf2.txt")
baseline pbkdf2-vectors "$pbkdf2_runner" "$tmp/pbkdf2.txt" "$total"
v=1
while [ "$v" -le "$total" ]; do
	if ! iter=$(tamper_pbkdf2 "$tmp/pbkdf2.txt" "$tmp/bad.txt" "$v"); then
		not_ok "pbkdf2 vector $v: nothing to tamper with"
		v=$((v + 1))
		continue
	fi
	what="pbkdf2 vector $v (iterations=$iter), derived key changed"
	"$pbkdf2_runner" "$tmp/bad.txt" >"$tmp/bad.out" 2>&1
	status=$?
	why=$(verdict "$tmp/bad.out" "$status" "$v" "$total" \
	    "iterations=$iter ")
	if [ -z "$why" ]; then
		ok "$what: caught, the others pass"
	else
		not_ok "$what: $why"
		sed 's/^/# /' "$tmp/bad.out"
	fi
	v=$((v + 1))
done

echo "1..$n"
test "$failures" -eq 0
