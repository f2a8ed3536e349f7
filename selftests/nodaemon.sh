#!/bin/bash
# nodaemon.sh - classification and fail-closed without a handshake daemon.
#
# Two hosts (network namespaces cli and srv joined by veth), workloads in
# cgroups.  With identities and declared destinations but no handshake
# daemon attached, a meshed connection must fail at once and put nothing
# on the wire; connections kmtls does not mesh must work as before.
. "$(dirname "$0")/lib.sh"

CG=/sys/fs/cgroup/kmtls-nodaemon
PCAP=/tmp/nodaemon.pcap

cleanup() {
	pkill -f 'socat TCP' 2>/dev/null
	pkill tcpdump 2>/dev/null
	topo_down
	kmtls dest del 10.21.0.2:7000 2>/dev/null
	kmtls dest del '[fd21::2]:7000' 2>/dev/null
	for c in client server plain; do
		kmtls identity del cgroup "$CG/$c" 2>/dev/null
		rmdir "$CG/$c" 2>/dev/null
	done
	rmdir "$CG" 2>/dev/null
}
trap cleanup EXIT

modprobe kmtls 2>/dev/null || insmod /kmtls/kmtls.ko
mkdir -p "$CG/client" "$CG/server" "$CG/plain"
echo "+cpu" >/dev/null

topo_up

# Echo servers: 7000 (to be meshed) and 7001 (never declared), v4 and v6.
for p in 7000 7001; do
	run_in srv server socat TCP4-LISTEN:$p,reuseaddr,fork EXEC:cat &
	run_in srv server socat TCP6-LISTEN:$p,ipv6only=1,reuseaddr,fork EXEC:cat &
done
# Wait for the four listeners (the debug kernel is slow to start them).
wait_listen srv 4 ':700[01] '

probe() { run_in cli "$1" /kmtls/tests/tcpprobe "$2" "$3" 3000; }
passive_opens() { ip netns exec srv awk '/^Tcp: [0-9]/ { print $7 }' /proc/net/snmp; }

plan 18

# Before anything is declared, everything works.
check "undeclared: a client with no identity reaches :7000" probe plain 10.21.0.2 7000
check "undeclared: IPv6 too" probe plain fd21::2 7000

kmtls identity add cgroup "$CG/client" spiffe://test.example/client
kmtls identity add cgroup "$CG/server" spiffe://test.example/server
kmtls dest add 10.21.0.2:7000
kmtls dest add '[fd21::2]:7000'

check "identity show lists both identities, in the form add takes" bash -c '
	out=$(kmtls identity show) &&
	grep -qx "cgroup /kmtls-nodaemon/client spiffe://test.example/client" <<<"$out" &&
	grep -qx "cgroup /kmtls-nodaemon/server spiffe://test.example/server" <<<"$out" &&
	[ "$(kmtls -j identity show | jq "[.[] | select(.cgroup | startswith(\"/kmtls-nodaemon/\"))] | length")" = 2 ] &&
	[ "$(kmtls -j identity show | jq ".[] | select(.cgroup == \"/kmtls-nodaemon/client\") | .\"cgroup-id\"")" = \
	  "$(stat -c %i /sys/fs/cgroup/kmtls-nodaemon/client)" ]'
check "dest show lists both destinations, in the form add takes" bash -c '
	out=$(kmtls dest show) && grep -qx "10.21.0.2:7000 mode strict" <<<"$out" &&
	grep -qx "\[fd21::2\]:7000 mode strict" <<<"$out"'

rm -f $PCAP
refused() { kmtls -j status | jq '."refused-no-daemon"'; }
refused0=$(refused)
ip netns exec srv tcpdump -Z root --immediate-mode -U -n -i veth-s -w $PCAP 2>/dev/null &
# tcpdump writes the file header once it captures.
for i in $(seq 100); do
	[ "$(stat -c %s $PCAP 2>/dev/null || echo 0)" -ge 24 ] && break
	sleep 0.2
done
sleep 0.5

for a in 10.21.0.2 fd21::2; do
	out=$(probe client $a 7000)
	read -r res err ms <<<"$out"
	if [ "$res" = ERR ] && [ "$err" = ECONNREFUSED ] && [ "$ms" -lt 500 ]; then
		ok "meshed client to $a:7000 without a daemon: ECONNREFUSED at once ($ms ms)"
	else
		fail "meshed client to $a:7000 without a daemon: got '$out'"
	fi
done

before=$(passive_opens)
for a in 10.21.0.2 fd21::2; do
	out=$(probe plain $a 7000)
	read -r res err ms <<<"$out"
	if [ "$res" = ERR ] && [ "$err" = ECONNREFUSED ] && [ "$ms" -lt 500 ]; then
		ok "plaintext client to the meshed server $a:7000 without a daemon: refused ($ms ms)"
	else
		fail "plaintext client to the meshed server $a:7000 without a daemon: got '$out'"
	fi
done
# A SYN behind an IPv6 extension header must not slip past.
out=$(run_in cli plain /kmtls/tests/tcpprobe -x fd21::2 7000 3000)
read -r res err ms <<<"$out"
if [ "$res" = ERR ] && [ "$err" = ECONNREFUSED ]; then
	ok "a SYN behind an IPv6 destination-options header is refused too"
else
	fail "a SYN behind an IPv6 destination-options header is refused too (got '$out')"
fi
after=$(passive_opens)
if [ "$before" = "$after" ]; then
	ok "the meshed server accepted no connection (PassiveOpens $before -> $after)"
else
	fail "the meshed server accepted no connection (PassiveOpens $before -> $after)"
fi

# The capture saw the plaintext clients' three SYNs (v4, v6, v6 with an
# extension header: each answered by a reset, so never retransmitted) and
# nothing of the meshed client's two attempts.
sleep 0.5
pkill tcpdump; sleep 0.5
n=$(tcpdump -Z root -r $PCAP -n 2>/dev/null | grep -cE '[. ]7000: Flags \[S\]')
if [ "$n" = 3 ]; then
	ok "on the wire: only the plaintext clients' 3 SYNs, none of the meshed client's"
else
	fail "on the wire: expected the plaintext clients' 3 SYNs only, saw $n"
	tcpdump -Z root -r $PCAP -n 2>/dev/null | sed 's/^/#   /'
fi

refused1=$(refused)
if [ $((refused1 - refused0)) = 5 ]; then
	ok "kmtls status counted the 5 refusals ($refused0 -> $refused1)"
else
	fail "kmtls status counted the 5 refusals ($refused0 -> $refused1)"
fi

check "meshed client to an undeclared port (7001) is left alone" probe client 10.21.0.2 7001
check "IPv6 too" probe client fd21::2 7001
check "a client without identity to an undeclared port is left alone" probe plain 10.21.0.2 7001
check "an IPv6 extension header to an undeclared port is left alone" \
	run_in cli plain /kmtls/tests/tcpprobe -x fd21::2 7001 3000

kmtls dest del 10.21.0.2:7000
before=$(passive_opens)
check "after dest del, the meshed client reaches 10.21.0.2:7000 again" probe client 10.21.0.2 7000
after=$(passive_opens)
if [ "$after" -gt "$before" ]; then
	ok "PassiveOpens counts a real connection ($before -> $after)"
else
	fail "PassiveOpens counts a real connection ($before -> $after)"
fi

finish
