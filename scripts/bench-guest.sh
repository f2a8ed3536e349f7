#!/bin/bash
# scripts/bench-guest.sh - the kmtls benchmarks, inside the test VM (started
# by scripts/bench; see docs/bench.md).  Prints a result table.
#
# usage: bench-guest.sh [-n CONNS] [-m MBYTES] [-r] [-c CIPHER] [-d DAEMON]
#   -n CONNS    sequential connections per setup measurement (default 200)
#   -m MBYTES   MiB per bulk transfer (default 256)
#   -r          also measure bulk server -> client
#   -c CIPHER   aes-128-gcm (default) | aes-256-gcm | chacha20-poly1305
#   -d DAEMON   handshaked (default) | fakehsd (the stand-in daemon of the
#               selftests: fixed keys, no TLS; for testing the plumbing)
#
# Two hosts (network namespaces cli 10.21.0.1 and srv 10.21.0.2, veth), the
# client programs in cgroup client (identity spiffe://bench.test/client), the
# servers in cgroup server (spiffe://bench.test/server), the socat proxies in
# cgroup proxy (no identity).  Ports on srv:
#   7100  meshed (kmtls dest): connbench server
#   7200  plain:               connbench server
#   7300  plain:               connbench server --ktls (raw kTLS, fixed keys)
#   7500  plain:               connbench server --tls (OpenSSL in-process)
#   7401  plain:               socat OPENSSL-LISTEN -> 127.0.0.1:7200
# and on cli 127.0.0.1:7400: socat TCP-LISTEN -> OPENSSL 10.21.0.2:7401 (the
# sidecar pair).  Files are expected where scripts/bench puts them: this
# script, lib.sh, connbench and fakehsd in its own folder; kmtls, handshaked
# and kmtls-ca in PATH.
set -u
B=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../selftests/lib.sh
. "$B/lib.sh"

conns=200 mbytes=256 reverse='' cipher=aes-128-gcm daemon=handshaked
while getopts "n:m:rc:d:" o; do
	case $o in
	n) conns=$OPTARG ;;
	m) mbytes=$OPTARG ;;
	r) reverse=1 ;;
	c) cipher=$OPTARG ;;
	d) daemon=$OPTARG ;;
	*) sed -n '4,12s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
case $cipher in
aes-128-gcm) suite=TLS_AES_128_GCM_SHA256 ;;
aes-256-gcm) suite=TLS_AES_256_GCM_SHA384 ;;
chacha20-poly1305) suite=TLS_CHACHA20_POLY1305_SHA256 ;;
*) echo "bench: unknown cipher $cipher" >&2; exit 2 ;;
esac
case $daemon in handshaked|fakehsd) ;; *) echo "bench: unknown daemon $daemon" >&2; exit 2 ;; esac

CG=/sys/fs/cgroup/kmtls-bench
W=/tmp/bench
SVID=$W/svid
TD=bench.test
CB=$B/connbench
PIDS=()

log() { echo "# $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	stop_daemon
	wait 2>/dev/null
	topo_down
	kmtls dest del 10.21.0.2:7100 2>/dev/null
	for c in client server proxy; do
		kmtls identity del cgroup "$CG/$c" 2>/dev/null
		rmdir "$CG/$c" 2>/dev/null
	done
	rmdir "$CG" 2>/dev/null
}
trap cleanup EXIT

DPID=
start_daemon() {
	if [ "$daemon" = handshaked ]; then
		handshaked --svid-dir "$SVID" --ciphersuites "$suite" 2>>$W/daemon.log &
	else
		local c
		case $cipher in aes-128-gcm) c=51 ;; aes-256-gcm) c=52 ;; *) c=54 ;; esac
		"$B/fakehsd" -c $c keys >>$W/daemon.log 2>&1 &
	fi
	DPID=$!
	for _ in $(seq 100); do
		[ "$(kmtls -j status | jq -r '."daemon-attached"')" = true ] && return 0
		kill -0 $DPID 2>/dev/null || break
		sleep 0.1
	done
	cat $W/daemon.log >&2
	return 1
}
# shellcheck disable=SC2317
stop_daemon() {
	[ -n "$DPID" ] && kill "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
	DPID=
}

# bg NS CGROUP CMD...: a server in the background.
bg() { run_in "$@" & PIDS+=($!); }
# field NAME LINE: the value of NAME=... in a connbench result line.
field() { sed -n "s/.*\\<$1=\\([0-9.]*\\).*/\\1/p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
status_field() { kmtls -j status | jq -r ".\"$1\""; }
tls_cnt() { ip netns exec "$1" awk -v k="$2" '$1 == k { print $2 }' /proc/net/tls_stat; }

# --- the node -----------------------------------------------------------------
rm -rf $W && mkdir -p $W
modprobe kmtls 2>/dev/null || die "modprobe kmtls failed"
modprobe tls 2>/dev/null
mkdir -p "$CG/client" "$CG/server" "$CG/proxy"
topo_up

kmtls-ca init $TD --dir $W/ca >/dev/null || die "kmtls-ca init failed"
for id in client server; do
	kmtls-ca issue spiffe://$TD/$id --ca $W/ca \
		--out "$(kmtls-ca path spiffe://$TD/$id --svid-dir $SVID)" >/dev/null ||
		die "kmtls-ca issue failed"
done
CLI=$SVID/$TD/client SRV=$SVID/$TD/server
CTLS=(--tls --cert "$CLI/svid.pem" --key "$CLI/svid_key.pem" --ca "$CLI/bundle.pem"
      --peer-id "spiffe://$TD/server")
STLS=(--tls --cert "$SRV/svid.pem" --key "$SRV/svid_key.pem" --ca "$SRV/bundle.pem"
      --peer-id "spiffe://$TD/client")

kmtls identity add cgroup "$CG/client" spiffe://$TD/client
kmtls identity add cgroup "$CG/server" spiffe://$TD/server
kmtls dest add 10.21.0.2:7100
start_daemon || die "$daemon did not attach"

# socat's OpenSSL: TLS 1.3 only, the same cipher suite.  Key exchange
# P-256: socat 1.7.4's server side fixes ECDH to P-256, so a client offering
# an X25519 key share would get a HelloRetryRequest (one more round trip).
cat >$W/openssl.cnf <<EOF
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = TLSv1.3
Ciphersuites = $suite
Groups = P-256
EOF

C=(--cipher "$cipher")
bg srv server "$CB" server 7100 "${C[@]}"
bg srv server "$CB" server 7200 "${C[@]}"
bg srv server "$CB" server 7300 --ktls "${C[@]}"
bg srv server "$CB" server 7500 "${STLS[@]}" "${C[@]}"
# The sidecar pair, TCP_NODELAY on every socket (as Envoy sets it).
bg srv proxy env OPENSSL_CONF=$W/openssl.cnf socat \
	OPENSSL-LISTEN:7401,reuseaddr,fork,nodelay,cert=$SRV/svid.pem,key=$SRV/svid_key.pem,cafile=$SRV/bundle.pem,verify=1 \
	TCP4:127.0.0.1:7200,nodelay
bg cli proxy env OPENSSL_CONF=$W/openssl.cnf socat \
	TCP4-LISTEN:7400,bind=127.0.0.1,reuseaddr,fork,nodelay \
	OPENSSL:10.21.0.2:7401,nodelay,cert=$CLI/svid.pem,key=$CLI/svid_key.pem,cafile=$CLI/bundle.pem,verify=1,openssl-no-sni,openssl-commonname=
wait_listen srv 5 ':7(100|200|300|401|500) ' || die "the servers did not start"
wait_listen cli 1 ':7400 ' || die "the client proxy did not start"

# cli CONNBENCH-ARGS...: the client, in cli/client, killed after 15 minutes.
cli() { run_in cli client timeout 900 "$CB" "$@" "${C[@]}"; }
hs0=$(status_field handshakes) hsf0=$(status_field handshakes-failed)
tx0=$(tls_cnt cli TlsTxSw)
t_start=$SECONDS

# --- 1. connection setup ------------------------------------------------------
# In rounds, the kinds taking turns, so that a change of the host's load
# during the run weighs on every kind alike; each call of connbench makes 3
# untimed connections first.
rounds=4
setup_kind() {	# setup_kind KIND N ARGS...: one round of one kind
	local kind=$1 n=$2 out
	shift 2
	out=$(cli setup "$@" "$n" --samples "$W/setup.$kind") ||
		die "setup $kind failed: $out"
	log "setup $kind: $out"
}
setup_round() {	# setup_round N NODELAY-N
	setup_kind a "$1" 10.21.0.2 7200 --nodelay
	setup_kind b "$1" 10.21.0.2 7100 --nodelay
	setup_kind c "$1" 10.21.0.2 7500 --nodelay "${CTLS[@]}"
	setup_kind d "$1" 127.0.0.1 7400 --nodelay
	# Without TCP_NODELAY: what an application that does not set it sees.
	setup_kind bn "$2" 10.21.0.2 7100
	setup_kind cn "$2" 10.21.0.2 7500 "${CTLS[@]}"
}
nd=$(( conns / 4 < 20 ? 20 : conns / 4 ))
for r in $(seq $rounds); do
	log "setup, round $r of $rounds"
	# The last round takes what the division left.
	if [ "$r" = $rounds ]; then
		setup_round $((conns - conns / rounds * (rounds - 1))) $((nd - nd / rounds * (rounds - 1)))
	else
		setup_round $((conns / rounds)) $((nd / rounds))
	fi
done
S_a='' S_b='' S_c='' S_d='' S_bn='' S_cn=''
for k in a b c d bn cn; do
	v=$("$CB" stats "$W/setup.$k") || die "no statistics for setup $k"
	printf -v "S_$k" '%s' "$v"
done

# --- 2. bulk ------------------------------------------------------------------
# In rounds too: each round moves MBYTES/rounds per row, the rows taking
# turns; a row's MB/s is all its bytes over all its time.
brounds=$(( mbytes < 4 ? mbytes : 4 ))
bulk_kind() {	# bulk_kind TAG KIND MIB ADDR PORT FLAGS...
	local tag=$1 kind=$2 mib=$3 out
	shift 3
	out=$(cli bulk "$1" "$2" "$mib" "${@:3}") || die "bulk $kind ($tag) failed: $out"
	log "bulk $tag $kind: $out"
	printf '%s\n' "$out" >>"$W/bulk.$tag.$kind"
}
bulk_all() {	# bulk_all TAG FLAGS...: every round of every row
	local tag=$1 r mib
	shift
	for r in $(seq $brounds); do
		mib=$((mbytes / brounds))
		[ "$r" = $brounds ] && mib=$((mbytes - mbytes / brounds * (brounds - 1)))
		log "bulk $tag, round $r of $brounds"
		bulk_kind "$tag" a "$mib" 10.21.0.2 7200 "$@"
		bulk_kind "$tag" b "$mib" 10.21.0.2 7300 --ktls "$@"
		bulk_kind "$tag" c "$mib" 10.21.0.2 7100 "$@"
		bulk_kind "$tag" d "$mib" 127.0.0.1 7400 "$@"
	done
}
bulk_result() {	# bulk_result TAG KIND: all its bytes over all its time
	awk '{ for (i = 1; i <= NF; i++) { split($i, f, "="); v[f[1]] += f[2] } }
		END { printf "mbps=%.1f bytes=%d secs=%.3f\n", v["bytes"] / v["secs"] / 1e6, v["bytes"], v["secs"] }' \
		"$W/bulk.$1.$2"
}
# (No process substitution here: the VM has no /dev/fd.)
bulk_all up
B_up=() B_down=()
for k in a b c d; do B_up+=("$(bulk_result up $k)"); done
if [ -n "$reverse" ]; then
	bulk_all down --reverse
	for k in a b c d; do B_down+=("$(bulk_result down $k)"); done
fi

hs=$(( $(status_field handshakes) - hs0 )) hsf=$(( $(status_field handshakes-failed) - hsf0 ))
tx=$(( $(tls_cnt cli TlsTxSw) - tx0 ))

# --- the table ----------------------------------------------------------------
# The AEAD implementation kTLS picks: the highest-priority one of the name.
case $cipher in
chacha20-poly1305) aead='rfc7539(chacha20,poly1305)' ;;
*) aead='gcm(aes)' ;;
esac
drv=$(awk -F': ' -v want="$aead" '/^name/ { n = $2 } /^driver/ { d = $2 } /^priority/ { p = $2 }
	/^$/ { if (n == want && p + 0 > best) { best = p + 0; drv = d } n = "" }
	END { if (drv != "") print drv " (priority " best ")"; else print "none registered" }' /proc/crypto)
case $daemon in
handshaked) dver=$(handshaked --version 2>&1 | head -n1) ;;
fakehsd) dver="fakehsd (stand-in: fixed keys, NO TLS handshake; plumbing test only)" ;;
esac

S_names=("plain TCP" "kmtls" "OpenSSL in-process TLS 1.3" "socat proxy pair (sidecars)")
B_names=("plaintext TCP" "raw kTLS (fixed keys)" "kmtls" "socat proxy pair (userspace TLS)")
med() { field median_us "$1"; }
L=(a b c d)

echo
echo "kmtls benchmark (docs/bench.md)"
echo "  kernel:   $(uname -r)"
printf '  %-9s %s\n' "$aead:" "$drv"
echo "  cpu:      $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) vCPUs"
echo "  daemon:   $dver"
echo "  cipher:   $cipher ($suite)"
echo "  kmtls:    $hs handshakes (both ends of each connection), $hsf failed; client kTLS TX sockets +$tx"
echo "  QEMU/TCG emulation: absolute numbers are slow; read the ratios."
echo
echo "1. Connection setup: connect + 1-byte echo + close, $conns sequential connections"
echo "   (in $rounds interleaved rounds), TCP_NODELAY"
printf '   %-34s %10s %10s %10s\n' "" "median us" "p90 us" "mean us"
S=("$S_a" "$S_b" "$S_c" "$S_d")
for i in 0 1 2 3; do
	printf '   %s  %-31s %10s %10s %10s\n' "${L[$i]}" "${S_names[$i]}" \
		"$(field median_us "${S[$i]}")" "$(field p90_us "${S[$i]}")" "$(field mean_us "${S[$i]}")"
done
printf '   ratios of medians: b/a %s   c/a %s   b/c %s   d/a %s\n' \
	"$(ratio "$(med "$S_b")" "$(med "$S_a")")" "$(ratio "$(med "$S_c")" "$(med "$S_a")")" \
	"$(ratio "$(med "$S_b")" "$(med "$S_c")")" "$(ratio "$(med "$S_d")" "$(med "$S_a")")"
printf '   without TCP_NODELAY (%s connections): kmtls median %s us, OpenSSL median %s us\n' \
	"$nd" "$(med "$S_bn")" "$(med "$S_cn")"

table_bulk() {	# table_bulk TITLE RESULT-a RESULT-b RESULT-c RESULT-d
	local title=$1 i a b v
	shift
	local r=("$@")
	a=$(field mbps "${r[0]}") b=$(field mbps "${r[1]}")
	echo
	echo "2. Bulk: one connection, $mbytes MiB $title (in $brounds interleaved"
	echo "   rounds; MB/s = 10^6 bytes/s)"
	printf '   %-34s %10s %10s %12s\n' "" "MB/s" "/ plain" "/ raw kTLS"
	for i in 0 1 2 3; do
		v=$(field mbps "${r[$i]}")
		printf '   %s  %-31s %10s %10s %12s\n' "${L[$i]}" "${B_names[$i]}" \
			"$v" "$(ratio "$v" "$a")" "$(ratio "$v" "$b")"
	done
	printf '   headline: kmtls / raw kTLS = %s\n' "$(ratio "$(field mbps "${r[2]}")" "$b")"
}
table_bulk "client -> server" "${B_up[@]}"
[ -n "$reverse" ] && table_bulk "server -> client" "${B_down[@]}"
echo
echo "(measurements took $((SECONDS - t_start)) s)"
[ "$hsf" = 0 ] || die "$hsf kmtls handshakes failed"
exit 0
