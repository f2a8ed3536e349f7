#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# handshaked end to end, in the test VM, with the real module: two network
# namespaces joined by veth, a client and a server workload in cgroups with
# SPIFFE IDs, SVIDs from kmtls-ca, and handshaked running the handshakes.
# Run from the top of the tree (builds nothing; needs kmod/kmtls.ko built for
# the kernel, or KO=path):
#   userspace/handshaked/tests/vm-e2e.sh [6.1|6.12|debug]
# Inside the VM (this same file with --in-vm) it prints TAP.
set -u

if [ "${1:-}" != --in-vm ]; then
	top=$(cd "$(dirname "$0")/../../.." && pwd)
	k=${1:-6.1}
	ko=${KO:-$top/kmod/kmtls.ko}
	exec "$top/scripts/vm" -q -k "$k" -t 600 -m "$ko" \
		--add "$top/userspace/kmtls/kmtls:/usr/sbin/kmtls" \
		--add "$top/userspace/handshaked/handshaked:/usr/sbin/handshaked" \
		--add "$top/scripts/kmtls-ca:/usr/sbin/kmtls-ca" \
		--add "$0:/kmtls/vm-e2e.sh" \
		-- /kmtls/vm-e2e.sh --in-vm "${FIN_DELAY:-2}"
fi

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }

CG=/sys/fs/cgroup/hs-e2e
SVID=/tmp/svid
LOG=/tmp/handshaked.log
TD=e2e.test

run_in() {	# run_in NS CGROUP CMD...
	local ns=$1 cg=$2
	shift 2
	bash -c 'echo $$ >"$0/cgroup.procs" && exec ip netns exec "$@"' "$CG/$cg" "$ns" "$@"
}

DPID=
start_daemon() {
	stop_daemon
	: >"$LOG"
	handshaked -v --svid-dir "$SVID" "$@" 2>"$LOG" &
	DPID=$!
	for _ in $(seq 50); do
		grep -q attached "$LOG" && return 0
		sleep 0.1
	done
	cat "$LOG"
	return 1
}
stop_daemon() {
	local st=0
	if [ -n "$DPID" ]; then
		kill "$DPID" 2>/dev/null
		wait "$DPID" 2>/dev/null
		st=$?
	fi
	DPID=
	return $st
}

cleanup() {
	stop_daemon
	pkill socat 2>/dev/null
	ip netns del cli 2>/dev/null
	ip netns del srv 2>/dev/null
}
trap cleanup EXIT

modprobe kmtls 2>/dev/null || { modprobe -a tls nf_reject_ipv4 nf_reject_ipv6; insmod /kmtls/kmtls.ko; } || exit 1
mkdir -p "$CG/client" "$CG/server"
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

kmtls identity add cgroup "$CG/client" spiffe://$TD/client
kmtls identity add cgroup "$CG/server" spiffe://$TD/server
kmtls dest add 10.21.0.2:7001
kmtls dest add '[fd21::2]:7001'
kmtls-ca init $TD --dir /tmp/ca >/dev/null 2>&1
for id in client server; do
	kmtls-ca issue spiffe://$TD/$id --ca /tmp/ca --out $SVID/$TD/$id --days 2 >/dev/null 2>&1
done

run_in srv server socat TCP4-LISTEN:7001,reuseaddr,fork EXEC:cat &
run_in srv server socat TCP6-LISTEN:7001,ipv6only=1,reuseaddr,fork EXEC:cat &
for _ in $(seq 50); do
	[ "$(ip netns exec srv ss -Hltn | grep -c ':7001 ')" -ge 2 ] && break
	sleep 0.1
done

# A client that half-closes at once (FIN right behind its first bytes) can
# reach the server before the server's handshake-done: kTLS then cannot
# attach to the server socket (CLOSE_WAIT, ENOTCONN), a kernel-side matter.
# FIN_DELAY (seconds, default 2) keeps the daemon's part of the test apart
# from it; FIN_DELAY=0 (outside: FIN_DELAY=0 vm-e2e.sh)
# shows it.
FIN_DELAY=${2:-2}

echo "1..18"
echo_through() {	# echo_through ADDR WORD: the echo server sends WORD back
	local out
	local addr=$1
	case $addr in *:*) addr="[$addr]" ;; esac
	# The client half-closes ${FIN_DELAY}s after its line (see below).
	out=$( { echo "$2"; sleep "$FIN_DELAY"; } |
		run_in cli client timeout 10 socat -t 2 - "TCP:$addr:7001" 2>&1)
	[ "$out" = "$2" ] && return 0
	echo "# got: $out"
	if [ -z "${dumped:-}" ]; then
		dumped=1
		sed 's/^/# log: /' "$LOG"
		dmesg | grep -i kmtls | tail -20 | sed 's/^/# dmesg: /'
	fi
	return 1
}
tls_stat() { ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/tls_stat; }

for suite in TLS_AES_128_GCM_SHA256:aes-128-gcm \
	     TLS_AES_256_GCM_SHA384:aes-256-gcm \
	     TLS_CHACHA20_POLY1305_SHA256:chacha20-poly1305; do
	name=${suite%%:*} kname=${suite##*:}
	start_daemon --ciphersuites "$name" || { fail "handshaked attaches"; continue; }
	tx0=$(tls_stat cli TlsTxSw) rx0=$(tls_stat srv TlsRxSw)
	check "$name: bytes echo through, IPv4" echo_through 10.21.0.2 "hello-$name"
	check "$name: and IPv6" echo_through fd21::2 "hello6-$name"
	check "$name: kTLS carried them (TlsTxSw in cli, TlsRxSw in srv moved)" \
		test "$(tls_stat cli TlsTxSw)" -ge $((tx0 + 2)) -a "$(tls_stat srv TlsRxSw)" -ge $((rx0 + 2))
	check "$name: the daemon logged both ends established" \
		test "$(grep -c "established, $name" "$LOG")" -ge 4
done
kmtls -j flows | jq -c '.[] | {role, state, "local-id", "peer-id", cipher}' | sort | uniq -c | sed 's/^/# /'

start_daemon
out=$(handshaked --svid-dir "$SVID" 2>&1); st=$?
check "a second daemon: exit 1, another handshake daemon is attached (EBUSY)" \
	test $st = 1 -a "$out" = "handshaked: another handshake daemon is attached (EBUSY)"

# The server's SVID goes away: it refuses, the client's connection is reset.
mv $SVID/$TD/server /tmp/server-svid
sleep 1.1
out=$(echo x | run_in cli client timeout 10 socat -t 2 - TCP:10.21.0.2:7001 2>&1)
echo "# client: $out"
grep 'handshake failed' "$LOG" | sed 's/^/# /'
check "no SVID for the server: the server's handshake fails with ECONNREFUSED, logged" \
	grep -q "local spiffe://$TD/server peer ?: handshake failed (ECONNREFUSED): no SVID" "$LOG"
check "the client application gets no echo" test "$out" != x
mv /tmp/server-svid $SVID/$TD/server
sleep 1.1
check "the SVID back: handshakes work again" echo_through 10.21.0.2 again
stop_daemon; st=$?
check "SIGTERM: exit 0" test $st = 0
check "status: no daemon attached after it stopped" \
	test "$(kmtls -j status | jq -r '."daemon-attached"')" = false
[ $failed = 0 ]
