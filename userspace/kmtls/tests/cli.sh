#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Checks of the kmtls binary itself: exit codes and where messages go.
# Usage: cli.sh ./kmtls VERSION
# Works with or without the module loaded.  TAP output.

KMTLS=${1:?usage: cli.sh KMTLS VERSION}
VERSION=${2:?usage: cli.sh KMTLS VERSION}
n=0
failed=0
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# check NAME WANT_EXIT CMD... : run CMD, compare the exit code
check() {
	name=$1 want=$2
	shift 2
	"$@" >"$out" 2>"$err"
	got=$?
	n=$((n + 1))
	if [ "$got" = "$want" ]; then
		echo "ok $n - $name"
	else
		echo "not ok $n - $name"
		echo "#   exit $got, want $want; stderr: $(head -c 200 "$err")"
		failed=$((failed + 1))
	fi
}

# expect NAME FILE TEXT : FILE's first line is TEXT
expect() {
	n=$((n + 1))
	if [ "$(head -n 1 "$2")" = "$3" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "#   got: $(head -n 1 "$2")"
		failed=$((failed + 1))
	fi
}

check "-V exits 0" 0 "$KMTLS" -V
expect "-V prints the version" "$out" "kmtls $VERSION"
check "--version exits 0" 0 "$KMTLS" --version
check "help exits 0" 0 "$KMTLS" help
expect "help goes to stdout" "$out" "Usage: kmtls [OPTIONS] OBJECT [COMMAND [ARGS]]"
check "config help exits 0" 0 "$KMTLS" config help
check "bogus object exits 2" 2 "$KMTLS" bogus
expect "usage error on stderr" "$err" 'kmtls: unknown object "bogus"'
check "no object exits 2" 2 "$KMTLS"
check "unknown option exits 2" 2 "$KMTLS" -q status
check "bad number exits 2" 2 "$KMTLS" config set handshake-timeout 12abc
check "negative number exits 2" 2 "$KMTLS" config set handshake-timeout -1

check "bad destination exits 2" 2 "$KMTLS" dest add 10.0.0.5/8
expect "bad destination explained" "$err" 'kmtls: invalid destination "10.0.0.5/8": host bits set (did you mean 10.0.0.0/8?)'
check "bad cgroup path exits 2" 2 "$KMTLS" identity add cgroup /a/../b spiffe://a/b
check "bad SPIFFE ID exits 2" 2 "$KMTLS" identity add cgroup /a spiffe://a
check "flows help exits 0" 0 "$KMTLS" flows help
expect "flows help goes to stdout" "$out" "Usage: kmtls flows [ show | list ]"
check "help flow finds flows" 0 "$KMTLS" help flow
expect "  ... its help" "$out" "Usage: kmtls flows [ show | list ]"
check "flows with an argument exits 2" 2 "$KMTLS" flows show 10.0.0.1
expect "  ... and points at its help" "$err" 'kmtls: unexpected argument "10.0.0.1"'

check "policy help exits 0" 0 "$KMTLS" policy help
expect "  ... on stdout" "$out" "Usage: kmtls policy [ show | list ] [ -s ]"
check "help pol finds policy" 0 "$KMTLS" help pol
expect "  ... its help" "$out" "Usage: kmtls policy [ show | list ] [ -s ]"
check "policy add help exits 0" 0 "$KMTLS" policy add help
check "policy add without action exits 2" 2 "$KMTLS" policy add src 'spiffe://a/b' dst '*'
expect "  ... and says what is missing" "$err" 'kmtls: missing "action allow|deny|audit"'
check "policy add, unknown action exits 2" 2 "$KMTLS" policy add action permit
expect "  ... explained" "$err" 'kmtls: invalid action "permit": expected allow, deny or audit'
check "policy add, bad pattern exits 2" 2 "$KMTLS" policy add dst 'spiffe://a/b*' action deny
expect "  ... explained" "$err" 'kmtls: invalid dst pattern "spiffe://a/b*": "*" only stands alone or as the whole last path segment (spiffe://TRUST-DOMAIN/*, spiffe://TRUST-DOMAIN/PATH/*)'
check "policy add, upper-case trust domain exits 2" 2 "$KMTLS" policy add src 'spiffe://Prod/*' action allow
check "policy add, port 0 exits 2" 2 "$KMTLS" policy add port 0 action allow
check "policy add, port 65536 exits 2" 2 "$KMTLS" policy add port 65536 action allow
check "policy add, inverted ports exit 2" 2 "$KMTLS" policy add port 90-80 action allow
check "policy add, port garbage exits 2" 2 "$KMTLS" policy add port 80x action allow
check "policy add, a word twice exits 2" 2 "$KMTLS" policy add action allow src '*' src '*'
expect "  ... explained" "$err" 'kmtls: src given twice'
check "policy del, unknown keyword exits 2" 2 "$KMTLS" policy del action deny hits 3
check "policy flush with an argument exits 2" 2 "$KMTLS" policy flush now
check "policy show with an argument exits 2" 2 "$KMTLS" policy show all
rules=$(mktemp)
printf '# a comment\naction allow\n\nsrc web action deny\n' >"$rules"
check "policy restore, a mistake in the file exits 1" 1 "$KMTLS" policy restore "$rules"
expect "  ... as FILE:LINE: message" "$err" "$rules:4: invalid src pattern \"web\": a pattern is \"*\", spiffe://TRUST-DOMAIN/*, spiffe://TRUST-DOMAIN/PATH/* or a SPIFFE ID"
check "policy restore from stdin, a mistake exits 1" 1 sh -c "printf 'action deny keep\n' | \"$KMTLS\" policy restore keep -"
expect "  ... named <stdin>" "$err" '<stdin>:1: "keep" is not a word of a rule; give it to restore ("kmtls policy restore keep FILE")'
rm -f "$rules"
check "policy restore, two files exit 2" 2 "$KMTLS" policy restore a b
check "policy restore, a missing file exits 1" 1 "$KMTLS" policy restore /nonexistent/rules
check "policy check, a pattern exits 2" 2 "$KMTLS" policy check src 'spiffe://a/*' dst spiffe://a/b port 80
check "policy check, port 0 exits 2" 2 "$KMTLS" policy check src spiffe://a/b dst spiffe://a/c port 0
check "policy check, repeat out of range exits 2" 2 "$KMTLS" policy check src spiffe://a/b dst spiffe://a/c port 1 repeat 1000001
expect "  ... explained" "$err" 'kmtls: repeat "1000001" out of range 1..1000000'
check "policy flush, keep and more exits 2" 2 "$KMTLS" policy flush keep now
check "dest add, unknown mode exits 2" 2 "$KMTLS" dest add 10.0.0.0/8 mode open
expect "  ... explained" "$err" 'kmtls: invalid mode "open": expected strict, permissive or disabled'
check "dest add, a pattern as identity exits 2" 2 "$KMTLS" dest add 10.0.0.0/8 identity 'spiffe://a/*'
check "dest del with a mode exits 2" 2 "$KMTLS" dest del 10.0.0.0/8 mode strict
check "config set policy-default bogus exits 2" 2 "$KMTLS" config set policy-default maybe
expect "  ... explained" "$err" 'kmtls: invalid policy-default "maybe": expected allow, deny or audit'

# works CMD... : works (module loaded) or fails with exit 1, never 2.
works() {
	"$KMTLS" "$@" >"$out" 2>"$err"
	rc=$?
	n=$((n + 1))
	case $rc in
	0)	echo "ok $n - $* works (module loaded)" ;;
	1)	if head -n 1 "$err" | grep -q '^Error: '; then
			echo "ok $n - $* fails with Error: ($(head -n 1 "$err"))"
		else
			echo "not ok $n - $* exit 1 without Error: line"
			failed=$((failed + 1))
		fi ;;
	*)	echo "not ok $n - $* exit $rc"
		failed=$((failed + 1)) ;;
	esac
}

works status
works identity show
works -j dest list
works flows
works -j flow
works policy
works policy show -s
works -j policy list
works -p policy -s

[ -w /dev/full ] && {
	"$KMTLS" help >/dev/full 2>"$err"
	rc=$?
	n=$((n + 1))
	if [ $rc = 1 ]; then echo "ok $n - help to /dev/full exits 1"
	else echo "not ok $n - help to /dev/full exits $rc"; failed=$((failed + 1)); fi
}

echo "1..$n"
[ "$failed" = 0 ]
