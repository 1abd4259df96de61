#!/bin/sh
# bench-irc.sh: secchat-bench's irc mode, where it is built (configure
# found OpenSSL): its help, its refusals, and one small fan-out over TLS
# against tests/irc-relay.py, a stand-in that relays channel messages (no
# IRC server is needed).  Where the mode is not built, that it says so.
#
# Environment: top_builddir (the programs), top_srcdir (irc-relay.py).

top_builddir=${top_builddir:-.}
top_srcdir=${top_srcdir:-.}
BENCH=$top_builddir/secchat-bench
PYTHON=${PYTHON3:-python3}

. "$(dirname "$0")/tap.sh"

if [ ! -x "$BENCH" ]; then
	echo "1..0 # SKIP $BENCH not built"
	exit 0
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/secchat-bench-irc.XXXXXX") || exit 1
relay_pid=
cleanup() {
	[ -n "$relay_pid" ] && kill "$relay_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

"$BENCH" help 2>"$dir/help"
if grep -q 'Not built here' "$dir/help"; then
	"$BENCH" irc -n 2 >/dev/null 2>"$dir/notbuilt"
	rc=$?
	ok $([ $rc = 2 ] && grep -q 'irc mode is not built' "$dir/notbuilt"
	    echo $?) "irc mode not built: it says so and exits 2"
	echo "1..$n"
	[ "$failed" -eq 0 ]
	exit $?
fi

ok $(grep -q '^  irc ' "$dir/help"; echo $?) "help lists the irc mode"
"$BENCH" irc -n 1 >/dev/null 2>&1
ok $([ $? = 2 ]; echo $?) "irc with one session: a usage error"
"$BENCH" irc -n 2 -r 0 >/dev/null 2>&1
ok $([ $? = 2 ]; echo $?) "irc -r 0: refused"
"$BENCH" irc -n 2 -m 401 >/dev/null 2>&1
ok $([ $? = 2 ]; echo $?) "irc -m 401: longer than an IRC line holds"

if ! command -v "$PYTHON" >/dev/null 2>&1 ||
    ! command -v openssl >/dev/null 2>&1 ||
    ! command -v timeout >/dev/null 2>&1; then
	echo "ok $((n + 1)) - irc fan-out over TLS # SKIP needs python3, openssl, timeout"
	echo "1..$((n + 1))"
	[ "$failed" -eq 0 ]
	exit $?
fi
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 1 -subj /CN=localhost -keyout "$dir/key.pem" \
    -out "$dir/cert.pem" >/dev/null 2>&1
"$PYTHON" "$top_srcdir/tests/irc-relay.py" "$dir/port" "$dir/cert.pem" \
    "$dir/key.pem" 2>"$dir/relay.err" &
relay_pid=$!
i=0
while [ ! -s "$dir/port" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
port=$(cat "$dir/port" 2>/dev/null)
ok $([ -n "$port" ]; echo $?) "the stand-in relay listens (TLS)"

timeout 60 "$BENCH" -p "${port:-1}" -u t -P "$relay_pid" irc -n 5 -s 2 \
    -r 5 -t 2 -W 1 -d 5 >"$dir/irc.json" 2>"$dir/irc.err"
rc=$?
field() {
	grep -o "\"$1\":[0-9.e+-]*" "$dir/irc.json" | head -n 1 | cut -d: -f2
}
ok $([ $rc = 0 ] && [ "$(wc -l <"$dir/irc.json")" -eq 1 ] &&
    grep -q '^{"mode":"irc"' "$dir/irc.json" && grep -q '"ok":true' \
    "$dir/irc.json"; echo $?) "irc fan-out over TLS: one JSON line, ok"
[ $rc = 0 ] || sed 's/^/# /' "$dir/irc.err"
ok $([ "$(field expected)" = "$(field received)" ] &&
    [ "$(field received)" != 0 ] && [ "$(field missing)" = 0 ] &&
    [ "$(field duplicated)" = 0 ] && [ "$(field out_of_order)" = 0 ] &&
    [ "$(field misattributed)" = 0 ]; echo $?) \
    "irc: everything expected arrived, once, in order, from the right nick"
ok $(grep -q '"suite":"TLSv1' "$dir/irc.json" &&
    grep -q '"server_cpu":{"total_s"' "$dir/irc.json" &&
    grep -q '"server_mem":{"processes"' "$dir/irc.json"; echo $?) \
    "irc: TLS negotiated; the server's CPU and memory measured"

done_testing
