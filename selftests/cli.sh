#!/bin/bash
# cli.sh - the kmtls CLI against the real module: text and JSON agree, the
# settings round-trip, errors are printed as documented with the documented
# exit codes (0 ok, 1 kernel error, 2 usage).
. "$(dirname "$0")/lib.sh"

plan 14
modprobe kmtls 2>/dev/null || insmod /kmtls/kmtls.ko
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"; }
timeout_ms() { kmtls -j config show | jq -r '."handshake-timeout-ms"'; }

check "kmtls -V prints the version" bash -c '[ "$(kmtls -V)" = "kmtls $KMTLS_VERSION" ]'

check "status: text output" bash -c '
	out=$(kmtls status) && grep -qx "version: $KMTLS_VERSION" <<<"$out" &&
	grep -qx "daemon attached: no" <<<"$out" &&
	grep -qx "handshake timeout: 10000 ms" <<<"$out"'

check "status: JSON output with every field" bash -c '
	kmtls -j status | jq -e "
		.version == env.KMTLS_VERSION and .\"daemon-attached\" == false and
		.\"handshake-timeout-ms\" == 10000 and (.flows | type) == \"number\" and
		(.handshakes | type) == \"number\" and (.\"handshakes-failed\" | type) == \"number\" and
		(.\"config-changes\" | type) == \"number\" and
		(.\"refused-no-daemon\" | type) == \"number\" and
		.\"policy-default\" == \"allow\" and (.\"policy-denied\" | type) == \"number\" and
		(.\"policy-would-deny\" | type) == \"number\" and
		(.\"policy-rules\" | type) == \"number\" and (.\"policy-reset\" | type) == \"number\" and
		(.\"plaintext-admitted\" | type) == \"number\" and length == 14"'

check "status: -p is the same JSON, indented" bash -c '
	[ "$(kmtls -p status | jq -c .)" = "$(kmtls -j status | jq -c .)" ] &&
	[ "$(kmtls -p status | wc -l)" -gt 2 ]'

check "status: text and JSON show the same values" bash -c '
	text=$(kmtls status) &&
	for v in $(kmtls -j status | jq -r ".[] | tostring"); do
		[ "$v" = false ] && v=no; [ "$v" = true ] && v=yes
		grep -q -- ": $v\( ms\)\?$" <<<"$text" || { echo "missing $v"; exit 1; }
	done'

before=$(kmtls -j status | jq '."config-changes"')
check "config set handshake-timeout 5000 takes effect" bash -c '
	kmtls config set handshake-timeout 5000 &&
	[ "$(kmtls -j config show | jq ".\"handshake-timeout-ms\"")" = 5000 ]'
check "config-changes counted the change" \
	bash -c "[ \$(kmtls -j status | jq '.\"config-changes\"') = $((before + 1)) ]"

check "config show round-trips through config set" bash -c '
	kmtls config set $(kmtls config show) &&
	[ "$(kmtls config show)" = "$(printf "handshake-timeout 5000\npolicy-default allow")" ]'

out=$(nobody kmtls config set handshake-timeout 3000 2>&1); rc=$?
if [ $rc = 1 ] && [[ $out == "Error: "* ]] && [ "$(timeout_ms)" = 5000 ]; then
	ok "an unprivileged user cannot change settings (exit 1: $out)"
else
	fail "an unprivileged user cannot change settings (exit $rc: $out)"
fi

check "an unprivileged user can read the status" bash -c '
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all kmtls -j status | jq -e .version'

out=$(kmtls config set handshake-timeout 99 2>&1); rc=$?
if [ $rc = 2 ] && [ "$(timeout_ms)" = 5000 ]; then
	ok "an out-of-range value is a usage error and changes nothing (exit 2)"
else
	fail "an out-of-range value is a usage error and changes nothing (exit $rc: $out)"
fi
kmtls config set handshake-timeout 10000

out=$(kmtls bogus 2>&1); rc=$?
if [ $rc = 2 ]; then ok "an unknown object is a usage error (exit 2)"; else fail "unknown object: exit $rc ($out)"; fi

# A node where the module is not installed: the family's module alias
# cannot be loaded on demand.
rmmod kmtls
saved=$(cat /proc/sys/kernel/modprobe)
echo /bin/false >/proc/sys/kernel/modprobe
out=$(kmtls status 2>&1); rc=$?
echo "$saved" >/proc/sys/kernel/modprobe
if [ $rc = 1 ] && [ "$out" = "Error: kmtls module not loaded (modprobe kmtls)" ]; then
	ok "without the module: Error: kmtls module not loaded, exit 1"
else
	fail "without the module (exit $rc: $out)"
fi
check "with the module installed, kmtls loads it on demand (genl family alias)" \
	bash -c 'kmtls status >/dev/null && [ -d /sys/module/kmtls ]'
finish
