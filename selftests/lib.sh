# selftests/lib.sh - small TAP helpers for the shell selftests.
# Source it, call plan N, then ok/fail/check for each test, and finish.

_n=0
_failed=0

plan() { echo "1..$1"; }

ok() { _n=$((_n + 1)); echo "ok $_n - $*"; }

fail() { _n=$((_n + 1)); _failed=$((_failed + 1)); echo "not ok $_n - $*"; }

skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }

# check NAME CMD...: a test passes when CMD exits 0; its output is shown as
# comments when it fails.
check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		ok "$name"
	else
		fail "$name"
		printf '%s\n' "$out" | sed 's/^/#   /'
		echo "#   (exit status $rc)"
	fi
}

diag() { echo "# $*"; }

finish() { [ $_failed = 0 ]; exit $?; }
