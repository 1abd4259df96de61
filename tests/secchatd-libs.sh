#!/bin/sh
# secchatd-libs.sh: secchatd is linked the way configure chose
# (--with-static-libbsd, configure.ac).  Linked statically, libbsd and
# libmd are not among the shared objects secchatd needs, their functions
# are in the program itself, and setproctitle(3) from the archive still
# titles the master and the re-executed children.  The client programs
# stay dynamically linked.
#
# Environment: top_builddir (the programs); STATIC_LIBBSD, yes or no,
# configure's choice (Makefile.am's AM_TESTS_ENVIRONMENT).

top_builddir=${top_builddir:-.}
SECCHATD=$top_builddir/secchatd
SECCHAT=$top_builddir/secchat
WAIT=${SECCHAT_TEST_WAIT:-20}

. "$(dirname "$0")/tap.sh"
. "$(dirname "$0")/shdaemon.sh"

for prog in "$SECCHATD" "$SECCHAT"; do
	if [ ! -x "$prog" ]; then
		echo "1..0 # SKIP $prog not built"
		exit 0
	fi
done
case ${STATIC_LIBBSD:-} in
yes | no) ;;
*)	echo "1..0 # SKIP configure's choice unknown (run through make check)"
	exit 0 ;;
esac

# needed PROGRAM: the shared objects PROGRAM names, one a line.
if command -v readelf >/dev/null 2>&1; then
	needed() {
		readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'
	}
elif command -v objdump >/dev/null 2>&1; then
	needed() {
		objdump -p "$1" | sed -n 's/^ *NEEDED *//p'
	}
else
	echo "1..0 # SKIP neither readelf nor objdump (binutils)"
	exit 0
fi

scratch_dir secchat-libs

needed "$SECCHATD" >"$dir/secchatd.needed"
needed "$SECCHAT" >"$dir/secchat.needed"
ok "$(test -s "$dir/secchatd.needed"; echo $?)" \
    "secchatd is a dynamically linked program (it needs the C library)"

if [ "$STATIC_LIBBSD" = yes ]; then
	grep -E '^lib(bsd|md)\.so' "$dir/secchatd.needed" >"$dir/bad"
	ok "$(test ! -s "$dir/bad"; echo $?)" \
	    "secchatd needs neither libbsd nor libmd at run time"
	diag "$dir/bad"
	if command -v nm >/dev/null 2>&1; then
		nm "$SECCHATD" >"$dir/nm" 2>/dev/null
		missing=
		for f in setproctitle setproctitle_init strlcpy strtonum; do
			# The archive keeps libbsd's symbol versions
			# (setproctitle@@LIBBSD_0.5).
			grep -q -E "^[0-9a-f]+ [TtWw] $f(@.*)?\$" "$dir/nm" ||
			    missing="$missing $f"
		done
		ok "$(test -z "$missing"; echo $?)" \
		    "libbsd's functions are in secchatd itself${missing:+ (missing:$missing)}"
	else
		skip "libbsd's functions are in secchatd itself" "no nm"
	fi
	# The tools run once per user: linking them statically would only
	# keep them from a fixed libbsd.
	ok "$(grep -q '^libbsd\.so' "$dir/secchat.needed"; echo $?)" \
	    "secchat still links libbsd dynamically"
else
	for t in "secchatd needs neither libbsd nor libmd at run time" \
	    "libbsd's functions are in secchatd itself" \
	    "secchat still links libbsd dynamically"; do
		skip "$t" "configure chose to link libbsd dynamically"
	done
fi

# setproctitle(3), whichever libbsd it comes from: the master's title and
# a re-executed child's (the broker's), as ps(1) shows them.
daemon_conf </dev/null
: >"$dir/users"
if ! "$SECCHATD" -G -f "$dir/secchatd.conf" >/dev/null 2>&1; then
	skip "the master's and the broker's process titles" \
	    "cannot generate a host key"
	done_testing
fi
start_daemon
# /proc/PID/cmdline: the title, NUL-padded; the blanks spawn.c appends to
# a child's arguments for room trail it.
title() {
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | sed 's/ *$//'
}
master=$(title "$daemon_pid")
ok "$(case $master in "secchatd: master ["*) echo 0 ;; *) echo 1 ;; esac)" \
    "the master's title: $master"
broker=
for p in $(ps -o pid= --ppid "$daemon_pid" 2>/dev/null); do
	t=$(title "$p")
	case $t in "secchatd: broker") broker=$t ;; esac
done
ok "$(test -n "$broker"; echo $?)" "a child, re-executed, titles itself: ${broker:-no broker}"
done_testing
