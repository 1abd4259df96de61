#!/bin/sh
# debian-package.sh: the Debian packages, as README.md says to build them.
#
#   1. dpkg-buildpackage -us -uc -b in a clean copy of the sources, which
#      runs the unit tests against the package's own build
#   2. what each package holds, and lintian: no errors (warnings are shown)
#   3. only where this machine may be changed (SECCHAT_DEB_INSTALL=1, as
#      root: .ci/run sets it on its fresh machine): apt-get install of both
#      packages; the user, the chroot directory, the host key, the unit and
#      the configuration the maintainer scripts leave; one chat through the
#      installed daemon and client; an upgrade that keeps an edited
#      configuration and the host key; and a purge that removes them.
#
# Usage: tests/debian-package.sh [WORKDIR]   (default: _build/deb)
# One "PASS: ...", "FAIL: ..." or "SKIP: ..." line per check, which
# build-aux/test-all counts; diagnostics are "# " lines.  Exits 1 if a
# check failed.  Not part of make check, since it installs packages.
#
# Environment: JOBS (default 2); DEB_BUILD_TIMEOUT (default 900) bounds the
# package build, in seconds; lintian and each apt-get get 300, the daemon
# 60 and each client 30.

# Functions that only check() and trap call are not unreachable.
# shellcheck disable=SC2317
set -u
top=$(cd "$(dirname "$0")/.." && pwd -P)
work=${1:-$top/_build/deb}
# Absolute: the daemon's configuration below names files in it.
mkdir -p "$work" && work=$(cd "$work" && pwd -P)
JOBS=${JOBS:-2}
DEB_BUILD_TIMEOUT=${DEB_BUILD_TIMEOUT:-900}
PRIVSEP_USER=_secchatd
PRIVSEP_DIR=/var/empty/secchatd
CONF=/etc/secchat/secchatd.conf
failed=0

pass() { printf 'PASS: deb: %s\n' "$*"; }
fail() { failed=$((failed + 1)); printf 'FAIL: deb: %s\n' "$*"; }
skip() { printf 'SKIP: deb: %s\n' "$*"; }
diag() { sed 's/^/# /'; }
check() {	# check DESCRIPTION COMMAND...: PASS if the command succeeds
	what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}
finish() {
	[ "$failed" -eq 0 ]
	exit
}

# wait_for FILE REGEX [PID]: until a line of FILE matches, for at most
# 30 s, or until PID has exited.
wait_for() {
	n=0
	while ! grep -q -E -- "$2" "$1" 2>/dev/null; do
		if [ $n -ge 300 ] || { [ -n "${3:-}" ] &&
		    ! kill -0 "$3" 2>/dev/null; }; then
			return 1
		fi
		n=$((n + 1))
		sleep 0.1
	done
}

if [ ! -f "$top/debian/control" ]; then
	skip "no debian/ directory in $top (a release tarball)"
	finish
fi
for tool in dpkg-buildpackage dpkg-checkbuilddeps dh lintian; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		skip "$tool is not installed (build-aux/deps-install test)"
		finish
	fi
done

# ---------------------------------------------------------------- build
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
upstream=${version%-*}
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
src=$work/secchat-$upstream
rm -rf "$work"
mkdir -p "$src"
# The sources as they are now, without anything built from them: the
# tracked and new files of a git checkout, else the directory less _build
# (build-aux/test-all's copy of the sources, inside the checkout's _build,
# is not a checkout of its own).
if [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
	    (cd "$top" && tar --null --files-from=- --ignore-failed-read -cf -) |
	    tar -C "$src" -xf -
else
	tar -C "$top" --exclude=./_build -cf - . | tar -C "$src" -xf -
fi

if (cd "$src" && dpkg-checkbuilddeps) >"$work/builddeps.log" 2>&1; then
	pass "build dependencies (debian/control) are installed"
else
	fail "build dependencies (debian/control) are installed"
	diag <"$work/builddeps.log"
fi

if (cd "$src" &&
    DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS:+$DEB_BUILD_OPTIONS }parallel=$JOBS" \
    timeout "$DEB_BUILD_TIMEOUT" dpkg-buildpackage -us -uc -b) \
    >"$work/build.log" 2>&1; then
	pass "dpkg-buildpackage -us -uc -b (log: $work/build.log)"
else
	fail "dpkg-buildpackage -us -uc -b (log: $work/build.log)"
	tail -40 "$work/build.log" | diag
	finish
fi
server_deb=$work/secchat-server_${version}_$arch.deb
client_deb=$work/secchat-client_${version}_$arch.deb
changes=$work/secchat_${version}_$arch.changes

check "the package's build has no test hooks" \
    grep -q -E '^ +test hooks: +no$' "$work/build.log"
case " ${DEB_BUILD_OPTIONS:-} " in
*" nocheck "*)
	skip "the unit tests in the package's build (nocheck)" ;;
*)
	p=$(sed -n 's/^# PASS: *//p' "$work/build.log" | head -1)
	f=$(sed -n 's/^# FAIL: *//p' "$work/build.log" | head -1)
	e=$(sed -n 's/^# ERROR: *//p' "$work/build.log" | head -1)
	check "the package's build ran ${p:-no} tests, ${f:-?} failed" \
	    test "${p:-0}" -gt 0 -a "${f:-1}" = 0 -a "${e:-1}" = 0 ;;
esac

# ---------------------------------------------------------------- contents
# contains DEB PATH...: every PATH (without ./) is in DEB.
contains() {
	deb=$1
	shift
	dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./||' \
	    >"$work/contents"
	missing=
	for path in "$@"; do
		grep -q -x -F "$path" "$work/contents" || missing="$missing $path"
	done
	if [ -z "$missing" ]; then
		return 0
	fi
	echo "missing:$missing" | diag
	return 1
}
unit=$(dpkg-deb -c "$server_deb" | awk '{ print $6 }' |
    sed -n 's|^\./\(.*/systemd/system/secchatd\.service\)$|\1|p')
server_files="usr/sbin/secchatd usr/sbin/secchat-passwd $CONF
usr/share/man/man8/secchatd.8.gz usr/share/man/man8/secchat-passwd.8.gz
usr/share/man/man5/secchatd.conf.5.gz ${unit:-lib/systemd/system/secchatd.service}"
# The control tool, once it is in the tree.
if [ -f "$top/src/ctl/secchatctl.c" ]; then
	server_files="$server_files usr/sbin/secchatctl
usr/share/man/man8/secchatctl.8.gz"
fi
server_files=$(echo "$server_files" | tr "\n" " " | sed "s|^/||; s| /| |g")
# shellcheck disable=SC2086
check "secchat-server holds the daemon, secchat-passwd, the unit and the manual pages" \
    contains "$server_deb" $server_files
check "secchat-client holds secchat and its manual page" \
    contains "$client_deb" usr/bin/secchat usr/share/man/man1/secchat.1.gz
check "the configuration is a conffile" \
    test "$(dpkg-deb -I "$server_deb" conffiles 2>/dev/null)" = "$CONF"
# debian/rules configures --with-static-libbsd=yes: the packaged daemon
# carries libbsd and libmd itself, the other programs load them.
rm -rf "$work/server-root"
dpkg-deb -x "$server_deb" "$work/server-root"
check "the packaged secchatd needs neither libbsd nor libmd at run time" \
    sh -c "objdump -p '$work/server-root/usr/sbin/secchatd' |
     grep -q 'NEEDED *libc\.so' &&
     ! objdump -p '$work/server-root/usr/sbin/secchatd' |
     grep -q -E 'NEEDED *lib(bsd|md)\.so'"

timeout 300 lintian "$changes" >"$work/lintian.log" 2>&1
if grep -q '^E: ' "$work/lintian.log"; then
	fail "lintian: errors"
else
	pass "lintian: no errors ($(grep -c '^W: ' "$work/lintian.log") warnings)"
fi
grep -E '^[EW]: ' "$work/lintian.log" | diag

# ---------------------------------------------------------------- install
if [ "${SECCHAT_DEB_INSTALL:-0}" != 1 ] || [ "$(id -u)" -ne 0 ]; then
	skip "installing the packages on this machine (as root, with" \
	    "SECCHAT_DEB_INSTALL=1, on a machine that may be changed)"
	finish
fi
export DEBIAN_FRONTEND=noninteractive
apt_get() {	# apt_get LOGNAME apt-get-arguments...
	log=$work/apt-$1.log
	shift
	(cd "$work" && timeout 300 apt-get -y -q -o Dpkg::Use-Pty=0 "$@") \
	    </dev/null >"$log" 2>&1 && return 0
	tail -30 "$log" | diag
	return 1
}
daemon_pid=''
client_pid=''
cleanup() {
	for pid in $client_pid $daemon_pid; do
		kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	done
	if dpkg-query -W -f='${Status}' secchat-server 2>/dev/null |
	    grep -q installed; then
		apt_get cleanup purge secchat-server secchat-client
	fi
}
trap cleanup 0
trap 'exit 1' HUP INT TERM

if getent passwd "$PRIVSEP_USER" >/dev/null; then
	user_before=1
	echo "$PRIVSEP_USER exists before the installation" | diag
else
	user_before=0
fi
if ! apt_get install install --allow-downgrades \
    "./$(basename "$server_deb")" \
    "./$(basename "$client_deb")"; then
	fail "apt-get install ./secchat-server_*.deb ./secchat-client_*.deb"
	finish
fi
pass "apt-get install ./secchat-server_*.deb ./secchat-client_*.deb"
for p in secchat-server secchat-client; do
	check "$p is installed and configured (dpkg -s)" sh -c \
	    "dpkg-query -W -f='\${Status}' $p | grep -q -x 'install ok installed'"
done

# The privilege-separation user: a system user, with its group, no shell.
if [ "$user_before" = 1 ]; then
	skip "the postinst creates $PRIVSEP_USER (it existed before)"
fi
pw=$(getent passwd "$PRIVSEP_USER")
uid=$(echo "$pw" | cut -d: -f3)
check "the user $PRIVSEP_USER exists: $pw" test -n "$pw"
check "...is a system user with no login shell" sh -c \
    "[ ${uid:-99999} -lt 1000 ] && [ '$(echo "$pw" | cut -d: -f7)' = /usr/sbin/nologin ]"
gid=$(echo "$pw" | cut -d: -f4)
check "...with a group of its own" \
    test -n "$gid" -a "$(getent group "$PRIVSEP_USER" | cut -d: -f3)" = "$gid"
check "$PRIVSEP_DIR exists, root:root 0755, empty" sh -c \
    "[ \"\$(stat -c '%U:%G %a' $PRIVSEP_DIR)\" = 'root:root 755' ] &&
     [ -z \"\$(ls -A $PRIVSEP_DIR)\" ]"
hostkey=$(secchatd -T -f "$CONF" | sed -n 's/^hostkey //p')
check "the host key ${hostkey:-?} exists, root, mode 0600" sh -c \
    "[ \"\$(stat -c '%U %a' '$hostkey')\" = 'root 600' ]"
check "secchatd -n -f $CONF accepts the installed configuration" \
    secchatd -n -f "$CONF"
check "the installed daemon's defaults are the package's" sh -c \
    "secchatd -T -f $CONF | grep -q -x 'privsepuser $PRIVSEP_USER' &&
     secchatd -T -f $CONF | grep -q -x 'privsepdirectory $PRIVSEP_DIR'"
if out=$(systemd-analyze verify "/$unit" 2>&1) &&
    ! echo "$out" | grep -q secchatd; then
	pass "systemd-analyze verify /$unit"
else
	fail "systemd-analyze verify /$unit"
	echo "$out" | diag
fi
check "the service is enabled (multi-user.target.wants)" \
    test -L /etc/systemd/system/multi-user.target.wants/secchatd.service

# ---------------------------------------------------------------- one chat
# The installed daemon with the package's user and chroot directory, in a
# directory of its own, on a free loopback port; two installed clients.
s=$work/chat
mkdir -p "$s/alice" "$s/bob"
chmod 755 "$work" "$s"
cat >"$s/secchatd.conf" <<EOF
ListenAddress 127.0.0.1
Port 0
HostKey $s/host_key
UsersFile $s/users
PidFile $s/secchatd.pid
EOF
# A daemon with a control socket gets none here: its default is the
# system's, in /run.
if secchatd -T -f "$s/secchatd.conf" 2>/dev/null |
    grep -q '^controlsocket '; then
	echo "ControlSocket none" >>"$s/secchatd.conf"
fi
for u in alice bob; do
	echo "$u-pw" >"$s/$u/password"
	chmod 600 "$s/$u/password"
	secchat-passwd -f "$s/users" -s add "$u" <"$s/$u/password" \
	    >>"$s/passwd.log" 2>&1
done
timeout 60 secchatd -D -e -f "$s/secchatd.conf" 2>"$s/secchatd.log" &
daemon_pid=$!
if wait_for "$s/secchatd.log" '^ready$' "$daemon_pid"; then
	pass "the installed secchatd starts"
else
	fail "the installed secchatd starts"
	diag <"$s/secchatd.log"
	finish
fi
# timeout(1) is the daemon's parent: the master is its child.
master=$(ps -o pid= --ppid "$daemon_pid" | tr -d ' ')
children=$(ps -o pid= --ppid "${master:-0}")
bad=
for c in $children; do
	[ "$(ps -o uid= -p "$c" | tr -d ' ')" = "$uid" ] &&
	    [ "$(readlink "/proc/$c/root")" = "$PRIVSEP_DIR" ] ||
	    bad="$bad $c"
done
check "its broker and checker run as $PRIVSEP_USER, chrooted to $PRIVSEP_DIR" \
    test -n "$children" -a -z "$bad"
port=$(sed -n 's/^listening on 127\.0\.0\.1 port \([0-9]*\)$/\1/p' \
    "$s/secchatd.log")
client() {	# client USER: the installed secchat in pipe mode
	HOME=$s/$1 XDG_CONFIG_HOME=$s/$1 timeout 30 secchat -p "$port" \
	    -u "$1" -P "$s/$1/password" -o StrictHostKeyChecking=accept-new \
	    127.0.0.1
}
mkfifo "$s/bob.in"
client bob <"$s/bob.in" >"$s/bob.out" 2>"$s/bob.err" &
client_pid=$!
exec 3>"$s/bob.in"
wait_for "$s/bob.out" ' login bob$' "$client_pid"
echo "hello from the package" | client alice >"$s/alice.out" 2>"$s/alice.err"
alice_status=$?
if wait_for "$s/bob.out" ' message lobby alice hello from the package$' \
    "$client_pid" && [ "$alice_status" = 0 ]; then
	pass "alice's line reaches bob through the installed daemon"
else
	fail "alice's line reaches bob through the installed daemon"
	cat "$s/secchatd.log" "$s/alice.err" "$s/bob.out" "$s/bob.err" | diag
fi
exec 3>&-
wait "$client_pid"
check "bob's client ends with status 0 at the end of its input" test $? = 0
client_pid=
kill "$daemon_pid" 2>/dev/null
wait "$daemon_pid"
daemon_pid=

# ---------------------------------------------------------------- upgrade
# The same package under a later version: dpkg runs the upgrade path of
# every maintainer script.  An edited configuration and the host key stay.
echo "LogLevel VERBOSE" >>"$CONF"
fingerprint=$(secchatd -F -f "$CONF")
rm -rf "$work/upgrade"
dpkg-deb -R "$server_deb" "$work/upgrade"
sed -i "s/^Version: .*/Version: $version+upgrade1/" \
    "$work/upgrade/DEBIAN/control"
upgrade_deb=secchat-server_$version+upgrade1_$arch.deb
dpkg-deb --root-owner-group -b "$work/upgrade" "$work/$upgrade_deb" \
    >/dev/null
check "apt-get install of a later secchat-server (an upgrade)" \
    apt_get upgrade install "./$upgrade_deb"
check "...keeps the edited configuration, with no .dpkg-* beside it" sh -c \
    "grep -q -x 'LogLevel VERBOSE' $CONF && ! ls $CONF.dpkg-* 2>/dev/null"
check "...and the host key" \
    test "$(secchatd -F -f "$CONF")" = "$fingerprint"

# ---------------------------------------------------------------- purge
check "apt-get purge secchat-server secchat-client" \
    apt_get purge purge secchat-server secchat-client
check "the purge removes the user $PRIVSEP_USER and its group" sh -c \
    "! getent passwd $PRIVSEP_USER >/dev/null &&
     ! getent group $PRIVSEP_USER >/dev/null"
check "...the host key, $PRIVSEP_DIR and /etc/secchat" sh -c \
    "[ ! -e '$hostkey' ] && [ ! -e $PRIVSEP_DIR ] && [ ! -e /etc/secchat ]"
check "...and the service's enablement" \
    test ! -L /etc/systemd/system/multi-user.target.wants/secchatd.service
finish
