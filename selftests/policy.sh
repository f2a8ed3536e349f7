#!/bin/bash
# policy.sh - identity-aware policy, enforced on verified SPIFFE IDs.
#
# Three workloads: triage and billing (clients, namespace cli) and postgres
# (a server on 5432, namespace srv), with "only triage may reach
# postgres:5432".  Each end judges a connection at handshake-done, with the
# peer's verified identity, before kTLS is installed: a denied connection is
# reset before a byte flows and the server application reads nothing.
. "$(dirname "$0")/lib.sh"

CG=/sys/fs/cgroup/kmtls-policy
export CG
export -f run_in
T=/kmtls/tests
W=/tmp/policy
SINK=$W/sink
TD=prod.test
PG=spiffe://$TD/postgres
TRIAGE=spiffe://$TD/triage
BILLING=spiffe://$TD/billing

cleanup() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null
	pkill socat 2>/dev/null
	topo_down
	kmtls policy flush 2>/dev/null
	kmtls config set policy-default allow 2>/dev/null
	kmtls dest del 10.21.0.2:5432-5433 2>/dev/null
	for c in triage billing postgres; do
		kmtls identity del cgroup "$CG/$c" 2>/dev/null
		rmdir "$CG/$c" 2>/dev/null
	done
	rmdir "$CG" 2>/dev/null
}
trap cleanup EXIT

probe() { run_in cli "$1" "$T/tcpprobe" 10.21.0.2 "${2:-5432}" 10000; }
expect_err() {	# expect_err ERRNO CMD...: CMD prints "ERR ERRNO ..."
	local want=$1 out
	shift
	out=$("$@")
	echo "$out"
	case $out in "ERR $want "*) return 0 ;; esac
	return 1
}
status() { kmtls -j status | jq -r ".\"$1\""; }

modprobe kmtls 2>/dev/null || insmod /kmtls/kmtls.ko
rm -rf $W && mkdir -p $W
mkdir -p "$CG/triage" "$CG/billing" "$CG/postgres"
topo_up
kmtls-ca init $TD --dir $W/ca >/dev/null
for w in triage billing postgres; do
	kmtls-ca issue spiffe://$TD/$w --ca $W/ca \
		--out "$(kmtls-ca path spiffe://$TD/$w --svid-dir $W/svid)" >/dev/null
	kmtls identity add cgroup "$CG/$w" spiffe://$TD/$w
done
kmtls dest add 10.21.0.2:5432-5433
handshaked --svid-dir $W/svid 2>$W/handshaked.log &
DPID=$!
# 5432: echo; 5433: a sink that keeps what the server application read.
run_in srv postgres socat TCP4-LISTEN:5432,reuseaddr,fork EXEC:cat &
: >"$SINK"
run_in srv postgres socat -u TCP4-LISTEN:5433,reuseaddr,fork "OPEN:$SINK,append" &
wait_listen srv 2 ':543[23] '
for _ in $(seq 50); do [ "$(status daemon-attached)" = true ] && break; sleep 0.1; done

plan 16

check "with no rule (default allow), billing reaches postgres" probe billing

kmtls policy add src $TRIAGE dst $PG port 5432 action allow
denied0=$(status policy-denied)
check "only triage may reach postgres:5432: triage's data round-trips" probe triage
check "... billing's connection is refused (ECONNREFUSED)" \
	expect_err ECONNREFUSED probe billing
kmtls policy add src $TRIAGE dst $PG port 5433 action allow
check "... and on the sink port, the server application read nothing from billing" \
	bash -c "out=\$(run_in cli billing $T/tcpprobe 10.21.0.2 5433 10000); echo \$out;
		case \$out in 'ERR ECONNREFUSED '*) ;; *) exit 1;; esac; sleep 0.5; test ! -s $SINK"
check "the denials are counted" test "$(status policy-denied)" -gt "$denied0"
check "policy show -s counts the allow rule's decisions" bash -c "
	kmtls policy show -s | tee /dev/stderr |
	grep -E '^src $TRIAGE dst $PG port 5432 action allow hits [1-9]'"

# show -> flush -> add again: the same set.
kmtls policy show >$W/rules
check "policy show output is valid policy add input (round trip)" bash -c "
	kmtls policy flush && [ -z \"\$(kmtls policy show)\" ] &&
	while read -r l; do kmtls policy add \$l || exit 1; done <$W/rules &&
	sort $W/rules >$W/rules.a && kmtls policy show | sort >$W/rules.b &&
	diff $W/rules.a $W/rules.b"
kmtls policy del src $TRIAGE dst $PG port 5433 action allow

# Audit: the same allow list in dry run.
kmtls policy del src $TRIAGE dst $PG port 5432 action allow
kmtls policy add src $TRIAGE dst $PG port 5432 action audit
would0=$(status policy-would-deny)
check "audit: triage still reaches postgres" probe triage
check "audit: billing is let through" probe billing
check "audit: billing's connection is recorded as would-deny" \
	test "$(status policy-would-deny)" -gt "$would0"
sleep 4 | run_in cli billing socat - TCP4:10.21.0.2:5432 >/dev/null &
sleep 1.5
check "kmtls flows flags billing's live flow would-deny" bash -c "
	kmtls -j flows | jq -e '[.[] | select(.\"local-id\" == \"$BILLING\" and .\"would-deny\" == true)] | length == 1'"
kmtls policy flush

# deny wins over allow; the node default.
kmtls policy add src '*' dst $PG action allow
kmtls policy add src $BILLING dst "spiffe://$TD/*" action deny
check "a deny rule wins over an allow rule" expect_err ECONNREFUSED probe billing
check "... the others are allowed" probe triage
kmtls policy flush
kmtls config set policy-default deny
check "policy-default deny: a connection no rule allows is refused" \
	expect_err ECONNREFUSED probe triage
kmtls config set policy-default allow

check "a duplicate rule is refused with the kernel's message" bash -c "
	kmtls policy add src $TRIAGE dst $PG action allow &&
	out=\$(kmtls policy add src $TRIAGE dst $PG action allow 2>&1); rc=\$?; echo \"\$out\";
	[ \$rc = 1 ] && echo \"\$out\" | grep -q 'rule already exists'"
check "an unprivileged user cannot change the policy" bash -c "
	! setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		kmtls policy add src $BILLING dst $PG action allow 2>&1 &&
	! kmtls policy show | grep -q 'src $BILLING'"

finish
