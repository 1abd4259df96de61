#!/bin/sh
# Run integration tests with the daemon (all its processes) and the client
# under valgrind memcheck; any error or definite leak fails.  Not part of
# make check (it is slow).  Usage, from the source tree:
#     tests/valgrind.sh [TEST.py ...]
# It builds into _build/valgrind with --without-seccomp (valgrind's own
# system calls are not on the sandbox's allow-list) and --enable-test-hooks.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/_build/valgrind"
logs="$build/valgrind-logs"
tests=${*:-"test_chat.py test_auth.py test_tamper.py test_admin.py test_alive.py test_hostkey.py"}
command -v valgrind >/dev/null || { echo "valgrind is not installed"; exit 1; }
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi) || exit 1
mkdir -p "$build"
if [ ! -f "$build/Makefile" ]; then
	(cd "$build" && "$top/configure" -q --without-seccomp \
	    --enable-test-hooks CFLAGS="-O1 -g") || exit 1
fi
make -C "$build" -s -j2 || exit 1
rm -rf "$logs"
mkdir -p "$logs"
export top_builddir="$build" top_srcdir="$top"
export SECCHAT_TEST_VALGRIND=1 SECCHAT_TEST_WAIT=120
export SECCHAT_TEST_WRAP="valgrind -q --vgdb=no --trace-children=yes --leak-check=full \
--errors-for-leak-kinds=definite --show-leak-kinds=definite \
--log-file=$logs/vg.%p.log"
status=0
for t in $tests; do
	echo "== $t"
	/usr/bin/python3 "$top/tests/integration/$t" >"$logs/$t.tap" 2>&1 ||
		status=1
	grep -E '^(not ok|1\.\.)' "$logs/$t.tap"
done
n=$(ls "$logs"/vg.*.log 2>/dev/null | wc -l)
bad=$(find "$logs" -name 'vg.*.log' -size +0 | wc -l)
echo "$n processes ran under valgrind; $bad reported errors or leaks"
for f in $(find "$logs" -name 'vg.*.log' -size +0); do
	echo "--- $f"
	head -40 "$f"
done
[ "$bad" -eq 0 ] && [ "$status" -eq 0 ]
