#!/bin/bash
# gate.sh - the kernel half of the data path, with a stand-in daemon.
#
# fakehsd (no TLS, fixed keys) answers the handshake protocol, so this
# tests what the module itself must guarantee: applications that hammer a
# socket during its hand-over never put plaintext on the wire nor read raw
# records (race), the relay reads exactly one record at a time, kTLS
# carries the connection afterwards, and every failure (daemon's status,
# timeout, daemon gone, plaintext peer) resets the connection with the
# documented errno while the server application reads nothing.
. "$(dirname "$0")/lib.sh"

CG=/sys/fs/cgroup/kmtls-gate
export CG
export -f run_in
T=/kmtls/tests
SINK=/tmp/gate.sink
PCAP=/tmp/gate.pcap

cleanup() {
	stop_daemon
	pkill -f "$T/race" 2>/dev/null
	pkill -f 'socat' 2>/dev/null
	pkill tcpdump 2>/dev/null
	topo_down
	kmtls config set handshake-timeout 10000 2>/dev/null
	kmtls dest del 10.21.0.2:7000-7003 2>/dev/null
	kmtls dest del '[fd21::2]:7000-7003' 2>/dev/null
	for c in client server plain; do
		kmtls identity del cgroup "$CG/$c" 2>/dev/null
		rmdir "$CG/$c" 2>/dev/null
	done
	rmdir "$CG" 2>/dev/null
}
trap cleanup EXIT

DPID=
start_daemon() {
	stop_daemon
	"$T/fakehsd" "$@" >/tmp/fakehsd.out 2>&1 &
	DPID=$!
	for _ in $(seq 50); do
		grep -q attached /tmp/fakehsd.out && return 0
		sleep 0.1
	done
	cat /tmp/fakehsd.out
	return 1
}
stop_daemon() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	DPID=
}

probe() { run_in cli "$1" "$T/tcpprobe" "$2" "$3" "${4:-5000}"; }
tls_tx() { ip netns exec "$1" awk '/^TlsTxSw/ { print $2 }' /proc/net/tls_stat; }
status_field() { kmtls -j status | jq -r ".\"$1\""; }
expect_err() {	# expect_err ERRNO CMD...: CMD prints "ERR ERRNO ..."
	local want=$1 out
	shift
	out=$("$@")
	echo "$out"
	case $out in "ERR $want "*) return 0 ;; esac
	return 1
}

modprobe kmtls 2>/dev/null || insmod /kmtls/kmtls.ko
mkdir -p "$CG/client" "$CG/server" "$CG/plain"
topo_up
kmtls identity add cgroup "$CG/client" spiffe://gate.test/client
kmtls identity add cgroup "$CG/server" spiffe://gate.test/server
kmtls dest add 10.21.0.2:7000-7003
kmtls dest add '[fd21::2]:7000-7003'

# 7000: racing servers (v4, v6); 7001: echo; 7002: a sink that keeps what
# the server application read.
run_in srv server "$T/race" server 7000 >/dev/null &
run_in srv server "$T/race" -6 server 7000 >/dev/null &
run_in srv server socat TCP4-LISTEN:7001,reuseaddr,fork EXEC:cat &
run_in srv server socat TCP6-LISTEN:7001,ipv6only=1,reuseaddr,fork EXEC:cat &
: >"$SINK"
run_in srv server socat -u TCP4-LISTEN:7002,reuseaddr,fork "OPEN:$SINK,append" &
# 7003: an echo server with no identity: only the client's side is meshed
# (one flow, one timeout: the test of the client's timeout is exact).
run_in srv plain socat TCP4-LISTEN:7003,reuseaddr,fork EXEC:cat &
wait_listen srv 6 ':700[0123] '

plan 20

start_daemon keys || { fail "fakehsd attaches"; finish; }
tx0=$(tls_tx cli)
check "race, IPv4: 200 non-blocking connections, none sent in clear, all data intact" \
	run_in cli client "$T/race" client 10.21.0.2 7000 200 8
check "race, IPv6: the same" \
	run_in cli client "$T/race" -6 client fd21::2 7000 200 8
check "race, blocking send(): the same" \
	run_in cli client "$T/race" -b client 10.21.0.2 7000 40 4
check "kTLS carried them: TlsTxSw moved by at least 440 in the client namespace" \
	test $(($(tls_tx cli) - tx0)) -ge 440

start_daemon relay || fail "fakehsd attaches (relay)"
check "relay, IPv4: one record each way through the kernel, then kTLS" \
	run_in cli client "$T/race" client 10.21.0.2 7000 100 4
check "relay, IPv6: the same" \
	run_in cli client "$T/race" -6 client fd21::2 7000 100 4

# A live connection, to look at it.
start_daemon keys
rm -f /tmp/gate.fifo && mkfifo /tmp/gate.fifo
(sleep 15 >/tmp/gate.fifo 2>/dev/null &)
run_in cli client socat -u OPEN:/tmp/gate.fifo TCP4:10.21.0.2:7001 &
# Until both ends are listed (the debug kernel takes seconds to get there).
check "flows lists both ends, established, with the peers' identities" bash -c '
	for i in $(seq 50); do
		j=$(kmtls -j flows) &&
		echo "$j" | jq -e "[.[] | select(.\"peer-port\" == 7001 and .role == \"client\" and
			.state == \"established\" and .\"peer-id\" == \"spiffe://fake.test/server\" and
			.\"local-id\" == \"spiffe://gate.test/client\" and .cipher == \"aes-128-gcm\")] | length == 1" >/dev/null &&
		echo "$j" | jq -e "[.[] | select(.\"local-port\" == 7001 and .role == \"server\" and
			.state == \"established\" and .\"peer-id\" == \"spiffe://fake.test/client\")] | length == 1" >/dev/null &&
		exit 0
		sleep 0.2
	done; echo "$j"; exit 1'

# Bytes on the wire are TLS records; the probe's line never appears.
ip netns exec srv tcpdump -Z root --immediate-mode -U -s0 -i veth-s -w "$PCAP" tcp port 7001 2>/dev/null &
TD=$!
sleep 1
probe client 10.21.0.2 7001 >/dev/null
probe client fd21::2 7001 >/dev/null
sleep 0.5
kill $TD; wait $TD 2>/dev/null
check "on the wire: only TLS records, no plaintext marker" "$T/tlswire" -p 7001 -m kmtls-probe "$PCAP"

# TCP Fast Open would carry the first bytes in (or right behind) the SYN.
check "a TCP Fast Open client (sendto MSG_FASTOPEN) is refused: ECONNREFUSED" \
	expect_err ECONNREFUSED run_in cli client "$T/tcpprobe" -f 10.21.0.2 7002 5000
check "... and the server application read nothing" test ! -s "$SINK"

# Failures.
start_daemon fail 111
check "the daemon fails the handshake: the client's first I/O fails with ECONNREFUSED" \
	expect_err ECONNREFUSED probe client 10.21.0.2 7002
check "... and the server application read nothing" test ! -s "$SINK"

kmtls config set handshake-timeout 1000
start_daemon hang
probe client 10.21.0.2 7003 >/tmp/gate.probe &
P=$!
sleep 0.3
check "unloading the module with a handshake in flight is refused" bash -c '! rmmod kmtls'
wait $P
check "no answer from the daemon: ETIMEDOUT after the timeout" \
	expect_err ETIMEDOUT cat /tmp/gate.probe
kmtls config set handshake-timeout 10000

start_daemon die
out=$(probe client 10.21.0.2 7003)
check "the daemon dies mid-handshake: ECONNREFUSED at once, not at the timeout" bash -c '
	echo "$1"; set -- $1; [ "$1 $2" = "ERR ECONNREFUSED" ] && [ "$3" -lt 3000 ]' _ "$out"
check "status says no daemon is attached" test "$(status_field daemon-attached)" = false

# The server side reads the first record itself: "kmtls-probe" is no TLS.
start_daemon relay
check "a plaintext client (no identity) to a meshed server is reset" \
	expect_err ECONNRESET probe plain 10.21.0.2 7002
check "... and the server application read nothing" test ! -s "$SINK"

# Leaks: every flow goes once its socket is closed.
pkill -f "$T/race"
pkill -f socat
stop_daemon
check "all flows are gone once the sockets are closed" bash -c '
	for i in $(seq 50); do
		[ "$(kmtls -j status | jq -r .flows)" = 0 ] && exit 0; sleep 0.2
	done; kmtls flows; exit 1'
topo_down
check "the module unloads once its sockets are gone (netns deleted)" bash -c '
	for i in $(seq 50); do rmmod kmtls 2>/dev/null && exit 0; sleep 0.2; done
	cat /sys/module/kmtls/refcnt; exit 1'
modprobe kmtls

finish
