# tap.sh: TAP output for the shell tests, sourced by each:
#	. "$(dirname "$0")/tap.sh"
# ok STATUS TEXT counts a check that passed when STATUS is 0; skip NAME WHY;
# diag FILE... shows a file as comments; done_testing prints the plan and
# exits non-zero if a check failed.

n=0
failed=0

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

skip() {
	n=$((n + 1))
	echo "ok $n - $1 # SKIP $2"
}

diag() {
	sed 's/^/# /' "$@"
}

done_testing() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
	exit $?
}
