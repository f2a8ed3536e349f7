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

# ---- two hosts: network namespaces cli and srv joined by veth ------------
# cli has 10.21.0.1 and fd21::1, srv 10.21.0.2 and fd21::2.  Workloads run
# in cgroups under $CG (set by the test) with run_in.

topo_up() {
	ip netns add cli
	ip netns add srv
	ip link add veth-c type veth peer name veth-s
	ip link set veth-c netns cli
	ip link set veth-s netns srv
	ip -n cli addr add 10.21.0.1/24 dev veth-c
	ip -n srv addr add 10.21.0.2/24 dev veth-s
	ip -n cli addr add fd21::1/64 dev veth-c nodad
	ip -n srv addr add fd21::2/64 dev veth-s nodad
	for ns in cli srv; do ip -n $ns link set lo up; done
	ip -n cli link set veth-c up
	ip -n srv link set veth-s up
}

topo_down() {
	ip netns del cli 2>/dev/null
	ip netns del srv 2>/dev/null
}

# run_in NS CGROUP CMD...: run CMD in network namespace NS and cgroup
# $CG/CGROUP (joined first: ip netns exec mounts a sysfs of its own,
# without the cgroup2 mount).
run_in() {
	local ns=$1 cg=$2
	shift 2
	bash -c 'echo $$ >"$0/cgroup.procs" && exec ip netns exec "$@"' "$CG/$cg" "$ns" "$@"
}

# wait_listen NS COUNT PATTERN: until COUNT listeners match PATTERN (ss -Hltn).
wait_listen() {
	local i
	for i in $(seq 100); do
		[ "$(ip netns exec "$1" ss -Hltn | grep -cE "$3")" -ge "$2" ] && return 0
		sleep 0.2
	done
	return 1
}
