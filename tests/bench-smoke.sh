#!/bin/sh
# bench-smoke.sh: run every secchat-bench mode once, at a tiny size, against
# a real secchatd in a temporary directory, and check that each printed its
# JSON result with nothing lost, duplicated or reordered.  No timing is
# asserted: this checks that the bench works, not how fast the server is.
#
# Environment: top_builddir (the programs), top_srcdir (unused but accepted).

top_builddir=${top_builddir:-.}
SECCHATD=$top_builddir/secchatd
PASSWD=$top_builddir/secchat-passwd
BENCH=$top_builddir/secchat-bench
WAIT=${SECCHAT_TEST_WAIT:-20}

. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/shdaemon.sh"

for prog in "$SECCHATD" "$PASSWD" "$BENCH"; do
	if [ ! -x "$prog" ]; then
		echo "1..0 # SKIP $prog not built"
		exit 0
	fi
done
if ! command -v timeout >/dev/null 2>&1; then
	echo "1..0 # SKIP timeout(1) not available"
	exit 0
fi

scratch_dir secchat-bench

# The limits a benchmark would otherwise run into at once: every session
# comes from 127.0.0.1 and sends faster than a person types.
daemon_conf <<EOF
MaxSessions 1000
MaxSessionsPerSource 1000
FloodBurst 1000
FloodRate 1000
MaxAuthFailuresPerSource 1000
MaxAuthPending 100
MaxAuthPendingPerSource 100
MaxSessionsPerUser 1000
MaxStartups 1000
PerSourceConnectionRate 0:0
EOF

if ! "$SECCHATD" -G -f "$dir/secchatd.conf" >/dev/null 2>&1; then
	echo "1..0 # SKIP cannot generate a host key"
	exit 0
fi
for i in 0 1 2 3 4; do
	echo "bench-pw" | "$PASSWD" -f "$dir/users" -s -a pbkdf2-sha256 \
	    -r 1000 add "bench$i" >/dev/null 2>&1 || {
		echo "Bail out! cannot add user bench$i"
		exit 1
	}
done

start_daemon
port=$(sed -n 's/.*listening on 127\.0\.0\.1 port \([0-9][0-9]*\).*/\1/p' \
    "$dir/daemon.log" | head -n 1)
ok $([ -n "$port" ]; echo $?) "secchatd started (port ${port:-unknown})"

# bench NAME ARGS...: run the bench, its JSON line to $dir/NAME.json.
bench() {
	name=$1
	shift
	timeout 120 "$BENCH" -p "$port" -k "$dir/host_key.pub" -u bench \
	    -w bench-pw -P "$daemon_pid" "$@" >"$dir/$name.json" \
	    2>"$dir/$name.err"
	echo $? >"$dir/$name.rc"
}

# field NAME KEY: the first number for "KEY": in NAME's result.
field() {
	grep -o "\"$2\":[0-9.e+-]*" "$dir/$1.json" | head -n 1 | cut -d: -f2
}

has() {
	grep -q "$2" "$dir/$1.json"
}

# is NAME KEY VALUE
is() {
	[ "$(field "$1" "$2")" = "$3" ]
}

# positive NAME KEY
positive() {
	v=$(field "$1" "$2")
	[ -n "$v" ] && [ "$v" != 0 ]
}

check_json() {
	ok $([ "$(wc -l <"$dir/$1.json")" -eq 1 ] &&
	    has "$1" "^{\"mode\":\"$2\"" && has "$1" '}$'; echo $?) \
	    "$1: one JSON line for mode $2"
	if [ "$(cat "$dir/$1.rc")" != 0 ] || ! has "$1" '"ok":true'; then
		diag "$dir/$1.err"
	fi
}

# fanout at a steady rate: everything delivered, once, in order.
bench fanout fanout -n 5 -s 2 -t 2 -d 5
check_json fanout fanout
ok $([ "$(cat "$dir/fanout.rc")" = 0 ] && has fanout '"ok":true'; echo $?) \
    "fanout: exit 0, ok"
ok $(positive fanout received; echo $?) "fanout: messages were received"
ok $(is fanout missing 0 && is fanout duplicated 0 &&
    is fanout out_of_order 0 && is fanout misattributed 0; echo $?) \
    "fanout: none missing, duplicated, out of order or misattributed"
ok $([ "$(field fanout expected)" = "$(field fanout received)" ]; echo $?) \
    "fanout: received exactly what was expected"
ok $(positive fanout count; echo $?) "fanout: latency samples taken"
ok $(has fanout '"server_cpu":{"total_s"'; echo $?) \
    "fanout: the daemon's CPU time was measured"

# fanout flat out: the closed loop must not lose anything either.
bench flat fanout -n 5 -s 2 -r 0 -t 2 -d 5
check_json flat fanout
ok $(is flat missing 0 && is flat duplicated 0 && is flat out_of_order 0 &&
    positive flat received; echo $?) "fanout -r 0: nothing lost or reordered"

# Several ports and daemons (-p A,B -P A,B -X): here the one daemon twice,
# and itself as the "other" process; the sessions are spread, the CPU
# counted, the extra reported beside it.
timeout 120 "$BENCH" -p "$port,$port" -k "$dir/host_key.pub" -u bench \
    -w bench-pw -P "$daemon_pid,$daemon_pid" -X "$daemon_pid" \
    fanout -n 4 -s 2 -t 2 -d 5 >"$dir/multi.json" 2>"$dir/multi.err"
echo $? >"$dir/multi.rc"
check_json multi fanout
ok $([ "$(cat "$dir/multi.rc")" = 0 ] && is multi missing 0 &&
    is multi ports 2 && positive multi received &&
    positive multi per_delivery_with_extra_us &&
    has multi "\"port\":\"$port,$port\""; echo $?) \
    "fanout over two ports with -X: all delivered, the extra CPU reported"

# logins
bench logins logins -c 2 -t 2 -n 5
check_json logins logins
ok $([ "$(cat "$dir/logins.rc")" = 0 ] && has logins '"ok":true' &&
    positive logins logins && is logins failed 0; echo $?) \
    "logins: logins completed, none failed"

# A wrong password must show up as failures: the checks above can fail.
timeout 60 "$BENCH" -p "$port" -k "$dir/host_key.pub" -u bench \
    -w wrong-pw logins -c 1 -t 1 -n 1 >"$dir/wrongpw.json" 2>/dev/null
rc=$?
ok $([ $rc = 1 ] && has wrongpw '"ok":false' &&
    has wrongpw 'login failed'; echo $?) \
    "logins with a wrong password: reported as failed"

# memory
bench memory memory -n 5 -W 1
check_json memory memory
if positive memory unreadable; then
	# The sandboxed processes are not dumpable: only root reads them.
	skip "memory: 5 workers measured" "cannot read their memory (not root?)"
else
	ok $([ "$(cat "$dir/memory.rc")" = 0 ] && is memory workers 5 &&
	    positive memory pss_kib_per_session; echo $?) \
	    "memory: 5 workers measured"
fi

# scale, with 5 accounts for 20 sessions
timeout 120 "$BENCH" -p "$port" -k "$dir/host_key.pub" -u bench \
    -w bench-pw -U 5 -P "$daemon_pid" scale -n 20 -i 10 -W 1 \
    >"$dir/scale.json" 2>"$dir/scale.err"
echo $? >"$dir/scale.rc"
check_json scale scale
ok $(is scale held 20 && has scale '"limit":"cap reached'; echo $?) \
    "scale: 20 sessions held up to the cap"

# The wrong server key: every session must stop before logging in.
printf 'secchat-x25519 %s\n' \
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" >"$dir/other.pub"
timeout 60 "$BENCH" -p "$port" -k "$dir/other.pub" -u bench -w bench-pw \
    fanout -n 2 -s 1 -t 1 -T 5 >"$dir/badkey.json" 2>/dev/null
rc=$?
ok $([ $rc = 1 ] && has badkey '"ok":false' &&
    has badkey 'not the expected one'; echo $?) \
    "a wrong server key: no session gets in"

ok $(kill -0 "$daemon_pid" 2>/dev/null; echo $?) "secchatd survived it all"

done_testing
