#!/bin/bash
# modload.sh - the module as DKMS built it loads, says who it is, and
# survives 100 load/unload cycles without warnings or leaked memory.
#
# Expects (from ./env, written by scripts/check): KMTLS_VERSION and
# KMTLS_SRCVERSION, the srcversion of the DKMS-built kmtls.ko that the host
# put under /lib/modules/<release>/updates/dkms.
. "$(dirname "$0")/lib.sh"

CYCLES=${CYCLES:-100}
# Unreclaimable slab may grow this much over all cycles before we call it a
# leak (kernel-internal caches fill up the first few times round).
SLAB_SLACK_KB=${SLAB_SLACK_KB:-256}

plan 10

rel=$(uname -r)
depmod -a

path=$(modinfo -n kmtls 2>&1)
case $path in
*/updates/dkms/kmtls.ko*) ok "modprobe finds the DKMS-installed module ($path)" ;;
*) fail "modprobe finds the DKMS-installed module (got: $path)" ;;
esac

check "modinfo: license GPL, version $KMTLS_VERSION, description, srcversion" bash -c '
	[ "$(modinfo -F license kmtls)" = GPL ] &&
	[ "$(modinfo -F version kmtls)" = "$KMTLS_VERSION" ] &&
	[ -n "$(modinfo -F description kmtls)" ] &&
	[ "$(modinfo -F srcversion kmtls)" = "$KMTLS_SRCVERSION" ] &&
	[ "$(modinfo -F vermagic kmtls | cut -d" " -f1)" = "$(uname -r)" ]'

check "modprobe kmtls loads it" modprobe kmtls
check "the loaded module is the DKMS build (srcversion $KMTLS_SRCVERSION)" \
	bash -c '[ "$(cat /sys/module/kmtls/srcversion)" = "$KMTLS_SRCVERSION" ] &&
		 [ "$(cat /sys/module/kmtls/version)" = "$KMTLS_VERSION" ]'
check "the kmtls generic netlink family is registered" \
	bash -c 'kmtls status >/dev/null'
check "rmmod kmtls unloads it" bash -c 'rmmod kmtls && [ ! -e /sys/module/kmtls ]'

meminfo() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
settle() { sync; echo 3 >/proc/sys/vm/drop_caches; sleep 0.2; }

kmemleak=/sys/kernel/debug/kmemleak
# One warm-up cycle, so one-time allocations do not count as a leak.
modprobe kmtls && rmmod kmtls
settle
[ -w $kmemleak ] && echo clear >$kmemleak
slab0=$(meminfo SUnreclaim)
avail0=$(meminfo MemAvailable)
bad=0
for i in $(seq 1 "$CYCLES"); do
	if ! modprobe kmtls; then bad=1; diag "load $i failed"; break; fi
	if [ $((i % 10)) = 0 ] && ! kmtls status >/dev/null; then
		bad=1; diag "cycle $i: no answer from the family"; break
	fi
	if ! rmmod kmtls; then bad=1; diag "unload $i failed"; break; fi
done
settle
slab1=$(meminfo SUnreclaim)
avail1=$(meminfo MemAvailable)
diag "SUnreclaim ${slab0} -> ${slab1} kB, MemAvailable ${avail0} -> ${avail1} kB over $CYCLES cycles"
if [ $bad = 0 ]; then ok "$CYCLES load/unload cycles"; else fail "$CYCLES load/unload cycles"; fi
if dmesg | grep -q 'KernelAddressSanitizer initialized'; then
	# KASAN keeps freed objects in its quarantine, so slab only grows;
	# kmemleak (below) is the leak check on such a kernel.
	skip "no unreclaimable slab growth over $CYCLES cycles" \
		"KASAN's quarantine holds freed memory here; kmemleak checks leaks on this kernel"
elif [ $((slab1 - slab0)) -le "$SLAB_SLACK_KB" ]; then
	ok "no unreclaimable slab growth over $CYCLES cycles ($((slab1 - slab0)) kB <= $SLAB_SLACK_KB kB)"
else
	fail "no unreclaimable slab growth over $CYCLES cycles ($((slab1 - slab0)) kB > $SLAB_SLACK_KB kB)"
fi
if [ -w $kmemleak ]; then
	# kmemleak reports an object once two scans found it unreferenced.
	echo scan >$kmemleak; sleep 1; echo scan >$kmemleak
	leaks=$(grep -c '^unreferenced object' $kmemleak)
	if [ "$leaks" = 0 ]; then
		ok "kmemleak: no unreferenced objects after $CYCLES cycles"
	else
		fail "kmemleak: $leaks unreferenced objects after $CYCLES cycles"
		head -40 $kmemleak | sed 's/^/#   /'
	fi
else
	skip "kmemleak: no unreferenced objects" "this kernel has no kmemleak (the debug kernel run checks it)"
fi
check "no warning, oops or BUG in dmesg" bash -c '! dmesg | grep -E "WARNING:|BUG:|Oops|refcount_t|list_(add|del) corruption"'
modprobe kmtls
finish
