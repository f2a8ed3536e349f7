#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Tests of scripts/kmtls-ca, the development CA: what it writes is checked
# with openssl x509 and openssl verify.  TAP output; exit 1 if anything
# failed.  Needs bash and the openssl CLI, nothing else; any user.
#
# usage: scripts/tests/kmtls-ca.sh [PATH-TO-kmtls-ca]
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
CA=${1:-$here/../kmtls-ca}
n=0
failed=0
tmp=$(mktemp -d)
cap=$(mktemp -d)	# what the commands under test print
trap 'rm -rf "$tmp" "$cap"' EXIT
cd "$tmp" || exit 1

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for l in "$@"; do echo "#   $l"; done
}

# t NAME CMD...: CMD succeeds
t() {
	local name=$1
	shift
	if out=$("$@" 2>&1); then pass "$name"
	else fail "$name" "command: $*" "output: $(echo "$out" | head -n 5)"; fi
}

# exits NAME WANT CMD...: CMD exits WANT; its stderr is left in $err
exits() {
	local name=$1 want=$2 got
	shift 2
	"$@" >"$cap/out" 2>"$cap/err"
	got=$?
	err=$(cat "$cap/err")
	if [ "$got" = "$want" ]; then pass "$name"
	else fail "$name" "exit $got, want $want" "stderr: $(head -c 300 "$cap/err")"; fi
}

# is NAME GOT WANT
is() {
	if [ "$2" = "$3" ]; then pass "$1"
	else fail "$1" "got:  $2" "want: $3"; fi
}

# like NAME TEXT PATTERN: TEXT matches the extended regex PATTERN
like() {
	if printf '%s' "$2" | grep -Eq -- "$3"; then pass "$1"
	else fail "$1" "got:  $(printf '%s' "$2" | head -n 3)" "want: /$3/"; fi
}

# verify DIR: openssl verify of DIR's SVID against DIR's bundle
verify() {
	openssl verify -CAfile "$1/bundle.pem" "$1/svid.pem" 2>&1
}

# ext CERT NAME: the extension on one line, "X509v3 Key Usage: critical
# Digital Signature" ("" when absent)
ext() {
	openssl x509 -in "$1" -noout -ext "$2" 2>&1 | sed 's/^ *//; s/ *$//' |
		paste -sd ' '
}
# san CERT: the subject alternative names, without the header
san() {
	openssl x509 -in "$1" -noout -ext subjectAltName 2>&1 | sed -n '2,$s/^ *//p'
}
mode() { stat -c %a "$1"; }

# ---- init --------------------------------------------------------------------

t "init makes a CA" "$CA" init a.test --dir ca
is "ca.pem and ca_key.pem written" "$(ls ca)" "ca.pem
ca_key.pem"
is "the CA key is 0600" "$(mode ca/ca_key.pem)" 600
like "the CA is CA:TRUE, critical" "$(ext ca/ca.pem basicConstraints)" \
	': critical CA:TRUE$'
like "the CA may sign certificates" "$(ext ca/ca.pem keyUsage)" \
	': critical Certificate Sign, CRL Sign$'
is "the CA's URI SAN is the trust domain's SPIFFE ID" \
	"$(san ca/ca.pem)" "URI:spiffe://a.test"
t "the CA is valid for 9 years and more" \
	openssl x509 -in ca/ca.pem -noout -checkend $((9 * 365 * 86400))
t "the CA is self-signed and verifies" \
	openssl verify -CAfile ca/ca.pem ca/ca.pem
t "the CA key is EC P-256" \
	bash -c "openssl pkey -in ca/ca_key.pem -noout -text | grep -q 'NIST CURVE: P-256'"
cp ca/ca.pem "$cap/ca-first.pem"
exits "a second init is refused (exit 1)" 1 "$CA" init a.test --dir ca
like "  ... and says --force" "$err" 'exists.*--force'
is "  ... and keeps the CA" "$(cmp -s ca/ca.pem "$cap/ca-first.pem" && echo same)" same
t "init --force replaces it" "$CA" init a.test --dir ca --force
is "  ... with a new CA" "$(cmp -s ca/ca.pem "$cap/ca-first.pem" || echo new)" new
exits "init of a bad trust domain exits 2" 2 "$CA" init A.test --dir ca2
like "  ... and says why" "$err" 'lower case'
exits "init without a trust domain exits 2" 2 "$CA" init --dir ca2
is "  ... and writes nothing" "$(ls -d ca2 2>/dev/null)" ""

# The default CADIR is ./kmtls-ca.
(mkdir -p def && cd def && "$CA" init b.test >/dev/null 2>&1)
is "the default CADIR is ./kmtls-ca" "$(ls def/kmtls-ca 2>&1)" "ca.pem
ca_key.pem"

# ---- issue ---------------------------------------------------------------------

id=spiffe://a.test/ns/web/Front_end-1.2
t "issue makes an SVID" "$CA" issue "$id" --out out/web --ca ca
is "svid.pem, svid_key.pem and bundle.pem written, nothing else" \
	"$(ls -A out/web)" "bundle.pem
svid.pem
svid_key.pem"
is "the key is 0600" "$(mode out/web/svid_key.pem)" 600
is "the certificates are 0644" \
	"$(mode out/web/svid.pem) $(mode out/web/bundle.pem)" "644 644"
is "bundle.pem is the CA certificate" \
	"$(cmp -s out/web/bundle.pem ca/ca.pem && echo same)" same
like "the SVID verifies against bundle.pem" "$(verify out/web)" ': OK$'
is "its only SAN is the URI SAN of the SPIFFE ID" \
	"$(san out/web/svid.pem)" "URI:$id"
like "it is CA:FALSE, critical" "$(ext out/web/svid.pem basicConstraints)" \
	': critical CA:FALSE$'
like "key usage: digital signature only, critical" \
	"$(ext out/web/svid.pem keyUsage)" ': critical Digital Signature$'
like "extended key usage: server and client auth" \
	"$(ext out/web/svid.pem extendedKeyUsage)" \
	': TLS Web Server Authentication, TLS Web Client Authentication$'
t "the key matches the certificate" bash -c \
	"[ \"\$(openssl x509 -in out/web/svid.pem -noout -pubkey)\" = \"\$(openssl pkey -in out/web/svid_key.pem -pubout)\" ]"
like "the key is PKCS#8, as spiffe-helper writes it" \
	"$(head -n 1 out/web/svid_key.pem)" '^-----BEGIN PRIVATE KEY-----$'
t "it is valid now and in 23 hours" \
	openssl x509 -in out/web/svid.pem -noout -checkend $((23 * 3600))
exits "  ... but not in 25 (--days 1 is the default)" 1 \
	openssl x509 -in out/web/svid.pem -noout -checkend $((25 * 3600))
t "the chain verifies for TLS clients and servers" bash -c \
	"openssl verify -purpose sslclient -CAfile out/web/bundle.pem out/web/svid.pem && openssl verify -purpose sslserver -CAfile out/web/bundle.pem out/web/svid.pem"

s1=$(openssl x509 -in out/web/svid.pem -noout -serial)
"$CA" issue "$id" --out out/web --ca ca --days 30 2>/dev/null
s2=$(openssl x509 -in out/web/svid.pem -noout -serial)
t "issue --days 30: valid in 29 days" \
	openssl x509 -in out/web/svid.pem -noout -checkend $((29 * 86400))
like "a new issue replaces the files in place" "$(verify out/web)" ': OK$'
t "serials are random" test "$s1" != "$s2"
left=(out/web/.*[!.]*)
is "no temporary files are left behind" "${left[*]}" "out/web/.*[!.]*"

t "issue --expired" "$CA" issue "$id" --out out/exp --ca ca --expired
like "  ... fails verification: certificate has expired" "$(verify out/exp)" \
	'certificate has expired'
t "issue --not-yet-valid" "$CA" issue "$id" --out out/fut --ca ca --not-yet-valid
like "  ... fails verification: not yet valid" "$(verify out/fut)" \
	'not yet valid'
t "issue --no-uri" "$CA" issue "$id" --out out/nouri --ca ca --no-uri
like "  ... has no URI SAN" "$(ext out/nouri/svid.pem subjectAltName)" \
	'^(No extensions.*)?$'
t "issue --is-ca" "$CA" issue "$id" --out out/isca --ca ca --is-ca
like "  ... is CA:TRUE" "$(ext out/isca/svid.pem basicConstraints)" ': critical CA:TRUE$'
t "issue --key rsa" "$CA" issue "$id" --out out/rsa --ca ca --key rsa
t "  ... is RSA 2048" bash -c \
	"openssl x509 -in out/rsa/svid.pem -noout -text | grep -q 'Public-Key: (2048 bit)'"
like "  ... with key encipherment" "$(ext out/rsa/svid.pem keyUsage)" \
	': critical Digital Signature, Key Encipherment$'
like "  ... and verifies" "$(verify out/rsa)" ': OK$'
is "  ... its key is 0600" "$(mode out/rsa/svid_key.pem)" 600

exits "issue without a CA exits 1" 1 "$CA" issue "$id" --out out/x --ca nowhere
like "  ... and says init" "$err" 'no CA in nowhere.*init'
exits "issue without --out exits 2" 2 "$CA" issue "$id" --ca ca
exits "issue --days 0 exits 2" 2 "$CA" issue "$id" --out out/x --ca ca --days 0
exits "issue --days x exits 2" 2 "$CA" issue "$id" --out out/x --ca ca --days x
exits "issue --key dsa exits 2" 2 "$CA" issue "$id" --out out/x --ca ca --key dsa
exits "--expired with --not-yet-valid exits 2" 2 \
	"$CA" issue "$id" --out out/x --ca ca --expired --not-yet-valid
exits "an unknown option exits 2" 2 "$CA" issue "$id" --out out/x --ca ca --bogus
exits "an unknown command exits 2" 2 "$CA" bogus
exits "no command exits 2" 2 "$CA"
is "nothing was written for the refused commands" "$(ls -d out/x 2>/dev/null)" ""
exits "help exits 0" 0 "$CA" help
like "  ... and prints the usage" "$(cat "$cap/out")" '^Usage: kmtls-ca init'
exits "--help exits 0" 0 "$CA" --help
exits "issue --help exits 0" 0 "$CA" issue --help

# SPIFFE IDs kmtls refuses, and why.
long="spiffe://a.test/$(printf 'x%.0s' $(seq 1 2033))"
while IFS='|' read -r bad why; do
	short=$bad
	[ "${#bad}" -le 60 ] || short="${bad:0:40}... (${#bad} bytes)"
	exits "bad ID refused (exit 2): $short" 2 "$CA" issue "$bad" --out out/bad --ca ca
	like "  ... $why" "$err" "$why"
done <<EOF
http://a.test/web|must start with "spiffe://"
spiffe://a.test|a path is needed
spiffe://a.test/|empty segment
spiffe:///web|trust domain is empty
spiffe://A.test/web|lower case
spiffe://a.test:443/web|port
spiffe://u@a.test/web|userinfo
spiffe://a.test/web?x=1|query or fragment
spiffe://a.test/web#f|query or fragment
spiffe://a.test/a//b|empty segment
spiffe://a.test/a/./b|"\." and "\.\." path segments
spiffe://a.test/a/..|"\." and "\.\." path segments
spiffe://a.test/a b|may only hold
spiffe://a.test/caf$(printf '\xc3\xa9')|may only hold
spiffe://a_b+c/web|trust domain may only hold
$long|longer than 2048 bytes
EOF
is "nothing was written for the bad IDs" "$(ls -d out/bad 2>/dev/null)" ""
ok2048="spiffe://a.test/$(printf 'x%.0s' $(seq 1 2032))"
exits "an ID of exactly 2048 bytes is taken" 0 \
	"$CA" issue "$ok2048" --out out/long --ca ca
is "  ... and is the URI SAN" \
	"$(san out/long/svid.pem)" "URI:$ok2048"
"$CA" issue spiffe://other.test/x --out out/other --ca ca 2>"$cap/err" >/dev/null
like "an ID of another trust domain is issued with a warning" \
	"$(cat "$cap/err")" "warning: .*not in the CA's trust domain a.test"

# ---- path ----------------------------------------------------------------------

is "path: DIR/TRUST-DOMAIN/PATH" \
	"$("$CA" path spiffe://a.test/ns/web --svid-dir /run/svid)" \
	/run/svid/a.test/ns/web
is "path: the default DIR is /etc/kmtls/svid" \
	"$("$CA" path spiffe://a.test/web)" /etc/kmtls/svid/a.test/web
is "path: a trailing slash on DIR is dropped" \
	"$("$CA" path spiffe://a.test/web --svid-dir /d/)" /d/a.test/web
exits "path of a bad ID exits 2" 2 "$CA" path spiffe://a.test/../etc
t "issue --out \"\$(path ...)\" creates the directories" bash -c \
	"\"$CA\" issue spiffe://a.test/ns/db --ca ca --out \"\$(\"$CA\" path spiffe://a.test/ns/db --svid-dir \"$tmp/svid\")\""
like "  ... and the SVID is there and verifies" "$(verify "$tmp/svid/a.test/ns/db")" ': OK$'
is "  ... the directories are 0755" \
	"$(mode "$tmp/svid") $(mode "$tmp/svid/a.test/ns/db")" "755 755"

echo "1..$n"
[ "$failed" = 0 ]
