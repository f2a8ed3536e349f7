#!/bin/bash
# policy.sh - identity-aware policy, enforced on verified SPIFFE IDs.
#
# Three workloads: triage and billing (clients, namespace cli) and postgres
# (a server on 5432, namespace srv), with "only triage may reach
# postgres:5432".  Each end judges a connection at handshake-done, with the
# peer's verified identity, before kTLS is installed: a denied connection is
# reset before a byte flows and the server application reads nothing.
#
# Then: a policy change resets the established flows it denies (or keeps
# them); policy restore replaces the set atomically (round trip, errors,
# under a connect loop); modes per destination (strict refuses a
# plaintext client, permissive admits and flags it, disabled leaves the
# destination alone); a destination that declares its identity is judged
# before its SYN leaves; 100,000 rules.
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
	kmtls dest del 10.21.0.2:5433 2>/dev/null
	kmtls dest del 10.21.0.2:5432-5433 2>/dev/null
	for c in triage billing postgres plain; do
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
# Connections the srv namespace accepted (TCP PassiveOpens).
passive() { ip netns exec srv awk '/^Tcp:/ && !h { h = 1; for (i = 1; i <= NF; i++) c[$i] = i; next } /^Tcp:/ { print $c["PassiveOpens"] }' /proc/net/snmp; }

modprobe kmtls 2>/dev/null || insmod /kmtls/kmtls.ko
rm -rf $W && mkdir -p $W
mkdir -p "$CG/triage" "$CG/billing" "$CG/postgres" "$CG/plain"
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

plan 56

check "with no rule (default allow), billing reaches postgres" probe billing

kmtls policy add src $TRIAGE dst $PG port 5432 action allow
denied0=$(status policy-denied)
check "only triage may reach postgres:5432: triage's data round-trips" probe triage
po0=$(passive); hs0=$(status handshakes)
check "... billing's connection is refused (ECONNREFUSED)" \
	expect_err ECONNREFUSED probe billing
check "... at connect(), on this node: no SYN reached postgres, no handshake ran" bash -c "
	[ $(passive) = $po0 ] && [ $(status handshakes) = $hs0 ]"
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
kmtls policy add src $BILLING dst "spiffe://$TD/*" action deny >/dev/null
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
check "... nor restore a set" bash -c "
	echo 'src $BILLING dst $PG action allow' >$W/unpriv.rules && chmod 644 $W/unpriv.rules &&
	! setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		kmtls policy restore $W/unpriv.rules 2>&1 &&
	! kmtls policy show | grep -q 'src $BILLING'"

# ---- a policy change and established flows ------------------------------
kmtls policy flush >/dev/null
# A long-lived client NAME in cgroup CG to PORT: lines written to fd NAME_fd
# are echoed into $W/NAME.out; socat's warnings (a reset) go to $W/NAME.err.
longconn() {
	rm -f "$W/$1.in" "$W/$1.out" && mkfifo "$W/$1.in"
	run_in cli "$2" socat -d -t 30 - TCP4:10.21.0.2:"$3" <"$W/$1.in" >"$W/$1.out" 2>"$W/$1.err" &
	eval "${1}_pid=$!"
	eval "exec {${1}_fd}>\"$W/$1.in\""
}
say() { local fd="${1}_fd"; echo "$2" >&"${!fd}"; }
heard() {	# heard NAME LINE: within 5 s
	for _ in $(seq 50); do grep -qx "$2" "$W/$1.out" && return 0; sleep 0.1; done
	cat "$W/$1.out" "$W/$1.err"
	return 1
}
export -f heard
export W
longconn t triage 5432
longconn b billing 5432
say t one; say b one
check "two established flows, triage's and billing's, echo" bash -c "heard t one && heard b one"
reset0=$(status policy-reset)
kmtls -j policy add src "$BILLING" dst "$PG" action deny >$W/flip.json
check "a deny for billing resets its established flow, both ends (reply: reset 2)" \
	jq -e '.reset == 2 and .kept == 0' $W/flip.json
say t two
check "... triage's flow keeps working" heard t two
say b two 2>/dev/null
check "... billing's client sees its connection reset, and no echo" bash -c "
	for _ in \$(seq 50); do [ -s $W/b.err ] && break; sleep 0.1; done
	cat $W/b.err; grep -q 'Connection reset by peer' $W/b.err && ! grep -qx two $W/b.out"
check "... kmtls status counts the reset flows" test "$(status policy-reset)" = $((reset0 + 2))
exec {b_fd}>&-
kmtls policy del src "$BILLING" dst "$PG" action deny >/dev/null

longconn b billing 5432
say b three
check "keep: a new billing flow echoes" heard b three
kmtls -j policy add src "$BILLING" dst "$PG" action deny keep >$W/keep.json
check "keep: the deny leaves the established flow open and says so (kept 2)" \
	jq -e '.reset == 0 and .kept == 2' $W/keep.json
say b four
check "... and it still echoes" heard b four
check "... while a new billing connection is refused" expect_err ECONNREFUSED probe billing
kmtls -j policy flush >$W/flush.json
check "flush: nothing left to deny, nothing reset" jq -e '.reset == 0' $W/flush.json
exec {t_fd}>&- {b_fd}>&-
wait "$t_pid" "$b_pid" 2>/dev/null

# ---- policy restore ------------------------------------------------------
{
	echo "# the payments team's rules"
	echo "src $TRIAGE dst $PG port 5432 action allow"
	echo
	echo "src $BILLING dst spiffe://$TD/* action deny"
	echo "src spiffe://$TD/ns/a/* dst $PG port 6000-6010 action audit"
} >$W/set.rules
check "policy restore FILE loads a set (comments, blank lines), replacing the old one" bash -c "
	kmtls policy add src '*' dst '*' action deny >/dev/null &&
	kmtls -j policy restore $W/set.rules | tee /dev/stderr | jq -e '.rules == 3' &&
	[ \"\$(kmtls policy show | wc -l)\" = 3 ] && ! kmtls policy show | grep -qF 'src * dst * '"
kmtls policy show >$W/shown
# same_set: the rule set is still the one in $W/shown (the VM has no /dev/fd)
same_set() { sort $W/shown >$W/shown.a && kmtls policy show | sort >$W/shown.b && diff $W/shown.a $W/shown.b; }
export -f same_set
check "show -> restore (stdin) -> show: the same set" bash -c "
	kmtls policy flush >/dev/null && kmtls policy restore <$W/shown >/dev/null &&
	same_set"
kmtls policy show -s >$W/shown-s
check "... show -s output restores too" bash -c "
	kmtls policy restore $W/shown-s >/dev/null && same_set"
printf 'src %s dst %s action allow\nsrc %s dst %s action allow\n' "$TRIAGE" "$PG" "$TRIAGE" "$PG" >$W/dup.rules
check "a bad set (a duplicate on line 2) names the line, exits 1 and changes nothing" bash -c "
	out=\$(kmtls policy restore $W/dup.rules 2>&1); rc=\$?; echo \"\$out\";
	[ \$rc = 1 ] && echo \"\$out\" | grep -q '$W/dup.rules:2:.*already exists' &&
	same_set"
printf 'src %s dst spiffe://UPPER/x action allow\n' "$TRIAGE" >$W/bad.rules
check "a malformed SPIFFE ID is refused with its line, and changes nothing" bash -c "
	out=\$(kmtls policy restore $W/bad.rules 2>&1); rc=\$?; echo \"\$out\";
	[ \$rc = 1 ] && echo \"\$out\" | grep -q '$W/bad.rules:1:' &&
	same_set"

# Atomic: a connect loop while the same 3,001-rule set is restored over and
# over, with default deny.  Judged by a half-loaded set, triage would be
# refused.
{
	echo "src $TRIAGE dst $PG port 5432 action allow"
	seq 3000 | awk -v td=$TD '{ printf "src spiffe://%s/ns/n%d/sa/c dst spiffe://%s/ns/n%d/sa/s port %d action allow\n", td, $1 % 97, td, $1, 1000 + $1 }'
} >$W/big.rules
kmtls policy restore $W/big.rules >/dev/null
kmtls config set policy-default deny
denied0=$(status policy-denied)
rm -f $W/restores.done
(for _ in $(seq 8); do kmtls policy restore $W/big.rules >/dev/null || echo restore-failed; done; touch $W/restores.done) >$W/restores.log 2>&1 &
rpid=$!
n=0; bad=0
while [ ! -e $W/restores.done ] && [ $n -lt 2000 ]; do
	out=$(probe triage)
	n=$((n + 1))
	case $out in OK*) ;; *) bad=$((bad + 1)); echo "$out" >>$W/loop.log ;; esac
done
wait $rpid
check "restore under a connect loop: $n connections, none judged by a mix ($bad refused)" \
	bash -c "cat $W/loop.log $W/restores.log 2>/dev/null; [ $bad = 0 ] && [ $n -ge 3 ] &&
		[ ! -s $W/restores.log ] && [ $(status policy-denied) = $denied0 ]"
check "... billing, which the set does not allow, is still refused" expect_err ECONNREFUSED probe billing
kmtls config set policy-default allow
kmtls policy flush >/dev/null

# ---- modes per destination -----------------------------------------------
check "strict (the default): a plaintext client is refused" \
	expect_err ECONNRESET probe plain
kmtls dest del 10.21.0.2:5432-5433
kmtls dest add 10.21.0.2:5432-5433 mode permissive
plain0=$(status plaintext-admitted)
check "permissive: a plaintext client is admitted, its data round-trips" probe plain
check "... and counted" test "$(status plaintext-admitted)" -gt "$plain0"
check "permissive: a plaintext client that sends and half-closes at once is admitted" bash -c "
	: >$SINK; echo halfclose-ok | run_in cli plain socat -u - TCP4:10.21.0.2:5433; sleep 0.5; grep -q halfclose-ok $SINK"
hs0=$(status handshakes)
check "permissive: a meshed client still gets mutual TLS" probe triage
check "... (a handshake ran)" test "$(status handshakes)" -gt "$hs0"
longconn p plain 5432
say p five
check "... a plaintext flow echoes" heard p five
check "kmtls flows flags the plaintext flow (no peer ID, no cipher)" bash -c "
	kmtls -j flows | tee /dev/stderr | jq -e '[.[] | select(.plaintext == true and .role == \"server\" and (has(\"peer-id\") | not) and (has(\"cipher\") | not))] | length == 1'"
exec {p_fd}>&-
wait "$p_pid" 2>/dev/null
kmtls policy add src "$TRIAGE" dst "$PG" action allow >/dev/null
: >"$SINK"
check "permissive + an allow list for postgres: a plaintext client has no identity, so it is refused" \
	expect_err ECONNRESET run_in cli plain $T/tcpprobe 10.21.0.2 5433 10000
check "... and the server application read nothing" bash -c "sleep 0.5; test ! -s $SINK"
kmtls dest add 10.21.0.2:5433 mode disabled
check "disabled (inside the wider declaration): a plaintext client reaches 5433 untouched" bash -c "
	echo disabled-ok | run_in cli plain socat -u - TCP4:10.21.0.2:5433; sleep 0.5; grep -q disabled-ok $SINK"
check "... and kmtls tracks no flow to it" bash -c "
	kmtls -j flows | jq -e '[.[] | select(.\"local-port\" == 5433 or .\"peer-port\" == 5433)] | length == 0'"
kmtls dest show >$W/dests
check "dest show prints the modes; its output is valid dest add input" bash -c "
	cat $W/dests; grep -q 'mode disabled' $W/dests && grep -q 'mode permissive' $W/dests &&
	kmtls dest del 10.21.0.2:5433 && kmtls dest del 10.21.0.2:5432-5433 &&
	while read -r l; do kmtls dest add \${l#dest } || exit 1; done <$W/dests &&
	sort $W/dests >$W/dests.a && kmtls dest show | sort >$W/dests.b && diff $W/dests.a $W/dests.b"
kmtls policy flush >/dev/null
kmtls dest del 10.21.0.2:5433
kmtls dest del 10.21.0.2:5432-5433

# ---- a destination that declares its identity ----------------------------
kmtls dest add 10.21.0.2:5432-5433 identity "$PG"
kmtls policy add src "$TRIAGE" dst "$PG" port 5432 action allow >/dev/null
po0=$(passive); hs0=$(status handshakes); den0=$(status policy-denied)
check "declared identity: billing's connect() is refused at once (ECONNREFUSED)" \
	expect_err ECONNREFUSED probe billing
check "... no SYN reached postgres, no handshake ran, the denial counted" bash -c "
	[ $(passive) = $po0 ] && [ $(status handshakes) = $hs0 ] && [ $(status policy-denied) -gt $den0 ]"
check "... triage, allowed, round-trips" probe triage
kmtls dest del 10.21.0.2:5432-5433
kmtls dest add 10.21.0.2:5432-5433 identity "spiffe://$TD/not-postgres"
kmtls policy flush >/dev/null
check "a server that proves another identity than the declared one: ECONNREFUSED" \
	expect_err ECONNREFUSED probe triage
kmtls dest del 10.21.0.2:5432-5433
kmtls dest add 10.21.0.2:5432-5433

# ---- 100,000 rules --------------------------------------------------------
seq 100000 | awk -v td=$TD '{ printf "src spiffe://%s/ns/n%d/sa/c dst spiffe://%s/ns/n%d/sa/s port %d action allow\n", td, $1 % 997, td, $1, 1 + $1 % 60000 }' >$W/100k.rules
echo "src $TRIAGE dst $PG port 5432 action allow" >>$W/100k.rules
t0=$(date +%s%N)
kmtls policy restore $W/100k.rules >/dev/null
t1=$(date +%s%N)
diag "100,001 rules restored in $(( (t1 - t0) / 1000000 )) ms (scripts/bench measures this)"
check "100,001 rules load; status counts them" test "$(status policy-rules)" = 100001
check "at 100,001 rules: triage reaches postgres" probe triage
check "... billing is refused" expect_err ECONNREFUSED probe billing
check "... and policy check agrees (n5/sa/c -> n5/sa/s:6 allowed, n6 denied)" bash -c "
	kmtls policy check src spiffe://$TD/ns/n5/sa/c dst spiffe://$TD/ns/n5/sa/s port 6 | grep -qx allow &&
	kmtls policy check src spiffe://$TD/ns/n6/sa/c dst spiffe://$TD/ns/n5/sa/s port 6 | grep -qx deny"
kmtls policy flush >/dev/null

finish
