#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The command line of handshaked: help, version, usage errors (exit 2), and
# a clear one-line runtime error (exit 1) when it cannot attach.
#   sh tests/cli.sh PATH-TO-HANDSHAKED VERSION
bin=$1
version=$2
n=0
failed=0

check() {	# check NAME WANT-STATUS GOT-STATUS [GREP-PATTERN OUTPUT]
	n=$((n + 1))
	if [ "$2" = "$3" ] && { [ -z "${4:-}" ] || printf '%s' "$5" | grep -q -- "$4"; }; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "#   status $3 (want $2), output: $5"
		failed=$((failed + 1))
	fi
}

out=$("$bin" --version 2>&1); check "--version" 0 $? "^handshaked $version\$" "$out"
out=$("$bin" -V 2>&1); check "-V" 0 $? "^handshaked $version\$" "$out"
out=$("$bin" --help 2>&1); check "--help" 0 $? "--svid-dir DIR" "$out"
out=$("$bin" -h 2>&1); check "-h mentions the exit codes" 0 $? "Exit status" "$out"
out=$("$bin" --bogus 2>&1); check "unknown option: 2" 2 $? 'unknown option "--bogus"' "$out"
out=$("$bin" -x 2>&1); check "unknown short option: 2" 2 $? 'unknown option "-x"' "$out"
out=$("$bin" extra 2>&1); check "stray argument: 2" 2 $? 'unexpected argument "extra"' "$out"
out=$("$bin" --svid-dir 2>&1); check "missing argument: 2" 2 $? 'needs an argument' "$out"
out=$("$bin" --svid-dir '' 2>&1); check "empty --svid-dir: 2" 2 $? 'needs a directory' "$out"
out=$("$bin" --ciphersuites TLS_AES_128_CCM_SHA256 2>&1)
check "a cipher suite kTLS does not get: 2" 2 $? 'not one of' "$out"
out=$("$bin" --ciphersuites TLS_AES_128_GCM_SHA256 --svid-dir /nonexistent --bogus 2>&1)
check "good options then a bad one: 2" 2 $? 'unknown option' "$out"

# Without the module (the host), or without CAP_NET_ADMIN, or with another
# daemon attached: exit 1 and one line that says which.  If a daemon could
# attach here, stop it and skip.
out=$(timeout -s TERM 3 "$bin" --svid-dir /nonexistent 2>&1)
st=$?
if [ $st = 0 ] || [ $st = 124 ]; then
	n=$((n + 1)); echo "ok $n # SKIP the kmtls module is loaded here and the daemon attached"
else
	check "cannot attach: 1 and a clear reason" 1 $st \
		'kmtls module not loaded\|need CAP_NET_ADMIN\|another handshake daemon is attached' "$out"
fi

echo "1..$n"
[ $failed = 0 ]
