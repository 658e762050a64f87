#!/usr/bin/env bash
# relay_bench.sh - 6in4-relay throughput for small packets, side by side in
# the same run with the kernel forwarding same-size IPv6 frames between two
# veths (plain IPv6 forwarding in a namespace: the closest kernel path this
# machine has, which lacks sit).  tcpreplay offers 100-octet frames at top
# speed for RELAY_BENCH_SECS seconds (default 3) to each path; what comes
# out the other side is counted on the receiving veth.
#
#   kernel:  gen g0 --veth-- f0 fwd f1 --veth-- s0 sink       (IPv6 forwarding)
#   relay:   gen h0 --veth-- r0 relay (v6kit 6in4-relay, mode 6in4 back to h0)
#
# Prints offered and delivered packets/s of both and the ratio relay/kernel.
# Needs root; exits 0 with a note when no lab can be built (numbers only:
# a benchmark fails on a wrong result, never on speed).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${V6KIT:=$TOP/build/v6kit}"
SECS=${RELAY_BENCH_SECS:-3}
# shellcheck source=../lib/lab.bash
. "$TOP/tests/lib/lab.bash"
trap lab_cleanup EXIT

skip() { echo "# relay_bench: skipped: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root"
command -v tcpreplay >/dev/null || skip "needs tcpreplay"
[ -x "$V6KIT" ] || { echo "relay_bench: $V6KIT not built" >&2; exit 1; }
lab_require 2>/dev/null || skip "${LAB_UNAVAILABLE:-no lab}"

die() { echo "relay_bench: $*" >&2; exit 1; }

lab_ns gen && lab_ns fwd forward && lab_ns sink && lab_ns relay || die "namespaces"
lab_link gen g0 fwd f0 && lab_link fwd f1 sink s0 && lab_link gen h0 relay r0 || die "veths"
lab_addr fwd f0 2001:db8:1::ff/64 && lab_addr fwd f1 2001:db8:2::ff/64 || die "addresses"
lab_addr relay r0 192.0.2.2/24 || die "addresses"
F0=$(lab_mac fwd f0) S0=$(lab_mac sink s0) R0=$(lab_mac relay r0) H0=$(lab_mac gen h0)
lab_exec fwd ip -6 neigh add 2001:db8:2::2 lladdr "$S0" dev f1 nud permanent || die "neighbour"

# 100-octet frames on both paths: Ethernet + IPv6 + UDP + 38 octets, and
# Ethernet + IPv4 + IPv6 + UDP + 18 octets.
/usr/bin/python3 - "$LAB_DIR" "$F0" "$R0" <<'EOF' || die "scapy"
import sys
from scapy.all import Ether, IP, IPv6, UDP, wrpcap
d, f0, r0 = sys.argv[1:]
k = [Ether(dst=f0, src="02:00:00:00:01:01") / IPv6(src="2001:db8:1::1", dst="2001:db8:2::2", hlim=64) /
     UDP(sport=1024 + i, dport=9) / (b"k" * 38) for i in range(1000)]
r = [Ether(dst=r0, src="02:00:00:00:01:02") / IP(src="198.51.100.1", dst="192.0.2.2", proto=41, ttl=64) /
     IPv6(src="2001:db8:ffff::1", dst="2001:db8:1::a", hlim=64) / UDP(sport=1024 + i, dport=9) / (b"r" * 18)
     for i in range(1000)]
assert len(k[0]) == len(r[0]) == 100, (len(k[0]), len(r[0]))
wrpcap(d + "/kernel.pcap", k)
wrpcap(d + "/relay.pcap", r)
EOF

rx() { lab_exec "$1" cat "/sys/class/net/$2/statistics/rx_packets"; }

# offer NS IF PCAP -> "offered_pps elapsed_s" (tcpreplay's own figures)
offer() {
	local out
	out=$(lab_exec "$1" timeout $((SECS + 5)) tcpreplay -q -K -i "$2" --topspeed --duration="$SECS" \
		--loop=0 "$3" 2>&1)
	awk '/Rated:/ { for (i = 1; i <= NF; i++) if ($i ~ /pps/) pps = $(i - 1) }
	     /Actual:/ { for (i = 1; i <= NF; i++) if ($i == "seconds") s = $(i - 1) }
	     END { gsub(/[(),]/, "", pps); gsub(/[(),]/, "", s); print pps + 0, s + 0 }' <<<"$out"
}

# Kernel forwarding.
before=$(rx sink s0)
read -r k_off k_secs < <(offer gen g0 "$LAB_DIR/kernel.pcap")
sleep 0.2
k_got=$(( $(rx sink s0) - before ))

touch "$LAB_DIR/pids"	# lab_bg counts its lines
# The relay (mode 6in4 back to the generator's veth, where it is counted).
lab_bg relay "$V6KIT" 6in4-relay -i r0 -l 192.0.2.2 --tunnel-server 198.51.100.1 \
	--dest "2001:db8:1::a 192.0.2.10 $H0 6in4" --json -v
RELAY_PID=$LAB_BG_PID RELAY_OUT=$LAB_BG_OUT RELAY_ERR=$LAB_BG_ERR
lab_wait 10 grep -q "relaying protocol 41" "$RELAY_ERR" || die "relay did not start: $(cat "$RELAY_ERR")"
before=$(rx gen h0)
read -r r_off r_secs < <(offer gen h0 "$LAB_DIR/relay.pcap")
sleep 0.3
r_got=$(( $(rx gen h0) - before ))
kill -TERM "$RELAY_PID"
lab_wait 5 grep -q '"type":"summary"' "$RELAY_OUT" || die "no relay summary"
summary=$(grep '"type":"summary"' "$RELAY_OUT")
relayed=$(sed -n 's/.*"relayed":{"2001:db8:1::a":\([0-9]*\)}.*/\1/p' <<<"$summary")
send_err=$(sed -n 's/.*"send_errors":\([0-9]*\).*/\1/p' <<<"$summary")
cap_drop=$(sed -n 's/.*"capture_dropped":\([0-9]*\).*/\1/p' <<<"$summary")
[ -n "$relayed" ] || die "relay summary without the destination: $summary"
[ "${send_err:-0}" -eq 0 ] || echo "# relay send errors: $send_err"
# The frames counted on h0 must be the relay's: never more than it says it relayed.
[ "$r_got" -le $((relayed + 50)) ] || die "h0 received $r_got frames, the relay says $relayed"

awk -v cd="${cap_drop:-0}" -v ko="$k_off" -v ks="$k_secs" -v kg="$k_got" -v ro="$r_off" -v rs="$r_secs" -v rg="$r_got" -v rl="$relayed" '
BEGIN {
	kp = ks > 0 ? kg / ks : 0; rp = rs > 0 ? rg / rs : 0
	printf "relay_bench: 100-octet frames, %.1f s per path\n", ks
	printf "  kernel IPv6 forwarding (veth -> veth): offered %10.0f pps, delivered %10.0f pps\n", ko, kp
	printf "  v6kit 6in4-relay (6in4 mode)         : offered %10.0f pps, delivered %10.0f pps (relayed %d, %d not captured)\n", ro, rp, rl, cd
	printf "  ratio relay/kernel (delivered)       : %.2f\n", (kp > 0 ? rp / kp : 0)
	printf "  (veth forwarding runs in the sender'"'"'s context, so the kernel figure shares\n"
	printf "   tcpreplay'"'"'s CPU; the relay runs on its own.  On a loaded machine both vary.)\n"
}'
