#!/bin/bash
# scripts/bench-policy.sh - policy scale, inside the test VM (started by
# scripts/bench; see docs/bench.md).  Side by side at 10, 1,000 and 100,000
# rules: how long `kmtls policy restore` takes to load the set, the kernel
# memory the rules take, and the time of one policy decision (what each
# connection pays at handshake-done), measured in the kernel by
# `kmtls policy check ... repeat N`.  Prints a result table.
#
# usage: bench-policy.sh [-r ROUNDS] [-n REPEAT]
#   -r ROUNDS   interleaved rounds over the sizes (default 3; medians)
#   -n REPEAT   decisions per measurement (default 200000)
#
# The rules look like a cluster's: source spiffe://bench.test/ns/nI/sa/cJ,
# destination spiffe://bench.test/ns/nK/sa/sL, one port each.  Decisions
# measured: "allowed", a pair an exact rule allows; "denied", a source
# that rules list (for another destination) towards a destination an allow
# rule names: its pair is probed and misses, then the destination's names
# decide (the longest path).  Both IDs exist at every size, so each size
# does the same lookups.
set -u

rounds=3 repeat=200000
while getopts "r:n:" o; do
	case $o in
	r) rounds=$OPTARG ;;
	n) repeat=$OPTARG ;;
	*) sed -n '9,11s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done

W=/tmp/bench-policy
TD=bench.test
SIZES=(10 1000 100000)
ALLOW_SRC=spiffe://$TD/ns/n5/sa/c5 ALLOW_DST=spiffe://$TD/ns/n5/sa/s5 PORT=6
DENY_SRC=spiffe://$TD/ns/n1/sa/c1

log() { echo "# $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# Kernel memory in kB that rules can take: unreclaimable slab and vmalloc.
kmem_kb() { awk '/^SUnreclaim:|^VmallocUsed:/ { s += $2 } END { print s }' /proc/meminfo; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# ns per decision: check SRC DST
decide_ns() {
	kmtls -j policy check src "$1" dst "$2" port $PORT repeat "$repeat" |
		jq -r --argjson n "$repeat" '."elapsed-ns" / $n | floor'
}
verdict() { kmtls -j policy check src "$1" dst "$2" port $PORT | jq -r .action; }

rm -rf $W && mkdir -p $W
modprobe kmtls 2>/dev/null || die "modprobe kmtls failed"
for n in "${SIZES[@]}"; do
	seq "$n" | awk -v td=$TD '{ printf "src spiffe://%s/ns/n%d/sa/c%d dst spiffe://%s/ns/n%d/sa/s%d port %d action allow\n", td, $1 % 997, $1 % 13, td, $1, $1 % 7, 1 + $1 % 60000 }' >$W/$n.rules
done
kmtls policy flush >/dev/null || die "policy flush failed"
sleep 1
kmem0=$(kmem_kb)

for r in $(seq "$rounds"); do
	for n in "${SIZES[@]}"; do
		t0=$(now_ms)
		kmtls policy restore $W/$n.rules >/dev/null || die "restoring $n rules failed"
		t1=$(now_ms)
		echo $((t1 - t0)) >>$W/load.$n
		[ "$(kmtls -j status | jq -r '."policy-rules"')" = "$n" ] || die "$n rules did not load"
		[ "$(verdict $ALLOW_SRC $ALLOW_DST)" = allow ] || die "$n rules: the allowed pair is not allowed"
		[ "$(verdict $DENY_SRC $ALLOW_DST)" = deny ] || die "$n rules: the denied pair is not denied"
		decide_ns $ALLOW_SRC $ALLOW_DST >>$W/allow.$n
		decide_ns $DENY_SRC $ALLOW_DST >>$W/deny.$n
		if [ "$n" = 100000 ] && [ "$r" = 1 ]; then
			sleep 1
			echo $(( ($(kmem_kb) - kmem0) * 1024 / n )) >$W/bytes_per_rule
		fi
		log "round $r: $n rules loaded in $((t1 - t0)) ms"
	done
done
kmtls policy flush >/dev/null

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
echo
echo "3. Policy scale: $rounds interleaved rounds, medians; decisions timed in the"
echo "   kernel over $repeat repeats (kmtls policy check ... repeat N)"
printf '   %-10s %12s %16s %16s\n' "rules" "load ms" "allowed ns/dec" "denied ns/dec"
for n in "${SIZES[@]}"; do
	printf '   %-10s %12s %16s %16s\n' "$n" "$(median <$W/load.$n)" \
		"$(median <$W/allow.$n)" "$(median <$W/deny.$n)"
done
a10=$(median <$W/allow.10) a100k=$(median <$W/allow.100000)
d10=$(median <$W/deny.10) d100k=$(median <$W/deny.100000)
printf '   decision time at 100,000 rules / at 10: allowed %s, denied %s (target: within 1.10)\n' \
	"$(ratio "$a100k" "$a10")" "$(ratio "$d100k" "$d10")"
printf '   100,000 rules load in %s ms (target: under 2000)\n' "$(median <$W/load.100000)"
printf '   kernel memory per rule at 100,000 rules: %s bytes (slab + vmalloc)\n' "$(cat $W/bytes_per_rule)"
exit 0
