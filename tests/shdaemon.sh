# shdaemon.sh: a secchatd for the shell tests, sourced after tap.sh:
#	. "$(dirname "$0")/shdaemon.sh"
# scratch_dir NAME makes $dir (mode 755, with the empty privilege
# separation directory $dir/empty) and removes it, and stops the daemon,
# on exit; daemon_conf writes $dir/secchatd.conf, the settings every such
# daemon has (loopback, a port the kernel picks, files in $dir) and then
# whatever comes on its standard input; start_daemon starts $SECCHATD on $dir/secchatd.conf, logging to
# $dir/daemon.log, and waits until it is ready (WAIT seconds at most), or
# bails out.

daemon_pid=

scratch_dir() {
	dir=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 1
	chmod 755 "$dir"
	mkdir "$dir/empty"
	chmod 755 "$dir/empty"
	trap shdaemon_cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

shdaemon_cleanup() {
	if [ -n "$daemon_pid" ]; then
		kill -TERM "$daemon_pid" 2>/dev/null
		i=0
		while kill -0 "$daemon_pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -KILL "$daemon_pid" 2>/dev/null
	fi
	rm -rf "$dir"
}

daemon_conf() {
	{
		cat <<EOF
ListenAddress 127.0.0.1
Port 0
HostKey $dir/host_key
UsersFile $dir/users
PidFile $dir/secchatd.pid
ControlSocket none
PrivsepUser nobody
PrivsepDirectory $dir/empty
EOF
		cat
	} >"$dir/secchatd.conf"
}

start_daemon() {
	"$SECCHATD" -D -e -f "$dir/secchatd.conf" </dev/null >/dev/null \
	    2>"$dir/daemon.log" &
	daemon_pid=$!
	i=0
	while ! grep -q '^ready$' "$dir/daemon.log" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt $((WAIT * 10)) ] ||
		    ! kill -0 "$daemon_pid" 2>/dev/null; then
			echo "Bail out! secchatd did not start"
			diag "$dir/daemon.log"
			exit 1
		fi
		sleep 0.1
	done
}
